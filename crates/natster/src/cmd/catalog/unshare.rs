//! `natster catalog unshare NAME ACCOUNT`: a revocation on the catalog's
//! exports (nats-server cuts the account off at once); see
//! `natster_client::sharing::unshare`.

use anyhow::Result;
use clap::Args;
use natster_client::{Selection, sharing};

use crate::output::say;

/// Arguments.
#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// Your catalog.
    pub name: String,
    /// The account to take it back from.
    pub account: String,
}

/// Runs it.
pub async fn run(a: UnshareArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let client = ctx.connect().await?;
    let done = sharing::unshare(&ctx, &client, &a.name, &a.account).await?;
    if let Some(e) = done.record_error {
        let e = anyhow::Error::from(e);
        eprintln!("warning: revoked, but not recorded with the global service: {e:#}");
    }
    say!("unshared {} from {}", a.name, a.account);
    Ok(())
}
