//! `natster context ls`.

use anyhow::Result;
use clap::{Args, Subcommand};

use natster_client::{Context, Selection};

use crate::output::{json, say};

/// Manage contexts (one identity each).
#[derive(Debug, Args)]
pub struct ContextArgs {
    #[command(subcommand)]
    command: ContextCommand,
}

#[derive(Debug, Subcommand)]
enum ContextCommand {
    /// List contexts.
    #[command(alias = "list")]
    Ls,
}

/// Runs `natster context ...`.
pub fn run(args: ContextArgs, sel: &Selection) -> Result<()> {
    let ContextCommand::Ls = args.command;
    let home = &sel.home;
    let selected = &sel.name;
    let all = Context::list(home)?;
    if json() {
        let rows: Vec<_> = all
            .iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.info.name, "selected": &c.info.name == selected,
                    "account": c.info.account, "account_name": c.info.account_name, "hub": c.info.hub_url,
                })
            })
            .collect();
        say!("{}", serde_json::to_string(&rows)?);
        return Ok(());
    }
    if all.is_empty() {
        say!(
            "no contexts in {}: run `natster init --hub URL`",
            home.display()
        );
    }
    for c in &all {
        let mark = if &c.info.name == selected { "*" } else { " " };
        say!(
            "{mark} {:<16} {:<20} {}  {}",
            c.info.name,
            c.info.account_name,
            c.info.account,
            c.info.hub_url
        );
    }
    Ok(())
}
