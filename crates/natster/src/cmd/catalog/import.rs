//! `natster catalog import NAME OWNER`: add the imports for a catalog shared
//! with you (no `local_subject` remap, so NATS enforces the share's expiry).

use anyhow::{Result, anyhow};
use clap::Args;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_hub::client::control;
use natster_proto::hub::ImportAddRequest;
use natster_proto::subjects::hub_ops;
use serde_json::json;

use crate::context::Selection;

/// Arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The catalog's name.
    pub name: String,
    /// The owner's account.
    pub owner: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs it.
pub async fn run(a: ImportArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let me = ctx.info.account.clone();
    natster_proto::names::check_catalog_name(&a.name).map_err(|e| anyhow!(e))?;
    check_public_key(&a.owner, KeyKind::Account).map_err(|e| anyhow!("{:?}: {e}", a.owner))?;
    let client = ctx.connect().await?;
    let req = ImportAddRequest {
        owner: a.owner.clone(),
        catalog: a.name.clone(),
        service_token: String::new(),
        stream_token: String::new(),
    };
    control(&client, &me, hub_ops::IMPORT_ADD, &req).await?;
    let event =
        json!({ "type": "catalog_imported", "data": { "owner": a.owner, "catalog": a.name } });
    let recorded: Result<serde_json::Value> =
        crate::global::call(&client, &me, "events.put", &event).await;
    if let Err(e) = recorded {
        eprintln!("warning: imported, but not recorded with the global service: {e:#}");
    }
    if a.json {
        println!(
            "{}",
            json!({ "catalog": a.name, "owner": a.owner, "imported": true })
        );
    } else {
        println!(
            "imported {} from {}: `natster catalog contents {} --owner {}`",
            a.name, a.owner, a.name, a.owner
        );
    }
    Ok(())
}
