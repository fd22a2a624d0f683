//! `natster global serve`: run an instance of the global service (any
//! number may run at once; they share state in JetStream).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::output::say;

/// The global service.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    #[command(subcommand)]
    command: GlobalCommand,
}

#[derive(Debug, Subcommand)]
enum GlobalCommand {
    /// Serve until Ctrl-C, as a user of the global account.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The hub's data directory (holds the global account's keys).
    #[arg(long, env = "NATSTER_HUB_DIR")]
    hub_dir: PathBuf,
    /// NATS URL (default: from HUB_DIR/hub.json).
    #[arg(long)]
    nats: Option<String>,
}

/// Runs `natster global ...`.
pub async fn run(args: GlobalArgs) -> Result<()> {
    let GlobalCommand::Serve(a) = args.command;
    let ready = |url: &str| say!("global service running against {url}; Ctrl-C stops");
    natster_node::serve_global(&a.hub_dir, a.nats, ready, crate::signal::wait()).await?;
    Ok(())
}
