//! `natster catalog share NAME ACCOUNT [--expires DURATION]`: see
//! `natster_client::sharing::share`.

use anyhow::Result;
use clap::Args;
use natster_client::{Selection, duration, sharing};
use serde_json::json;

use crate::output::{json, say};

/// Arguments.
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// Your catalog.
    pub name: String,
    /// The account to share it with (`A...`, as their `natster whoami` shows).
    pub account: String,
    /// End the share after this long (e.g. 1h, 7d); NATS itself enforces it.
    #[arg(long, value_parser = duration::parse)]
    pub expires: Option<std::time::Duration>,
}

/// Runs it.
pub async fn run(a: ShareArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let client = ctx.connect().await?;
    let done = sharing::share(&ctx, &client, &a.name, &a.account, a.expires).await?;
    if let Some(e) = done.record_error {
        let e = anyhow::Error::from(e);
        eprintln!("warning: the share works but is not in the recipient's inbox yet: {e:#}");
    }
    let exp = done.expires_at;
    if json() {
        say!(
            "{}",
            json!({ "catalog": a.name, "account": a.account, "expires_at": exp })
        );
    } else {
        let until = exp
            .map(|t| format!(" until {}", crate::progress::utc(t)))
            .unwrap_or_default();
        say!(
            "shared {} with {}{until}; they can now `natster catalog import {} {}`",
            a.name,
            a.account,
            a.name,
            ctx.info.account
        );
    }
    Ok(())
}
