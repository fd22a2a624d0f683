//! `natster catalog unshare NAME ACCOUNT`: a revocation on the catalog's
//! exports (nats-server cuts the account off at once), the catalog server
//! stops its transfers to that account, the event is recorded.

use anyhow::{Result, anyhow};
use clap::Args;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_hub::client::control;
use natster_proto::hub::RevokeRequest;
use natster_proto::subjects::hub_ops;
use serde_json::json;

use crate::context::Selection;

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
    let me = ctx.info.account.clone();
    natster_proto::names::check_catalog_name(&a.name).map_err(|e| anyhow!(e))?;
    check_public_key(&a.account, KeyKind::Account).map_err(|e| anyhow!("{:?}: {e}", a.account))?;
    let client = ctx.connect().await?;
    control(
        &client,
        &me,
        hub_ops::EXPORT_REVOKE,
        &RevokeRequest {
            catalog: a.name.clone(),
            account: a.account.clone(),
        },
    )
    .await?;
    let event =
        json!({ "type": "catalog_unshared", "data": { "catalog": a.name, "target": a.account } });
    let recorded: Result<serde_json::Value> =
        crate::global::call(&client, &me, "events.put", &event).await;
    if let Err(e) = recorded {
        eprintln!("warning: revoked, but not recorded with the global service: {e:#}");
    }
    println!("unshared {} from {}", a.name, a.account);
    Ok(())
}
