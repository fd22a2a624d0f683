//! `natster catalog import NAME OWNER`: add the imports for a catalog shared
//! with you; see `natster_client::sharing::import`.

use anyhow::Result;
use clap::Args;
use natster_client::{Selection, sharing};
use serde_json::json;

use crate::output::{json, say};

/// Arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The catalog's name.
    pub name: String,
    /// The owner's account.
    pub owner: String,
}

/// Runs it.
pub async fn run(a: ImportArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let client = ctx.connect().await?;
    let done = sharing::import(&ctx, &client, &a.owner, &a.name).await?;
    if let Some(e) = done.record_error {
        let e = anyhow::Error::from(e);
        eprintln!("warning: imported, but not recorded with the global service: {e:#}");
    }
    if json() {
        say!(
            "{}",
            json!({ "catalog": a.name, "owner": a.owner, "imported": true })
        );
    } else {
        say!(
            "imported {} from {}: `natster catalog contents {} --owner {}`",
            a.name,
            a.owner,
            a.name,
            a.owner
        );
    }
    Ok(())
}
