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

use super::share::Refused;
use crate::context::Selection;

/// Arguments.
#[derive(Debug, Args)]
pub struct UnshareArgs {
    /// Your catalog.
    pub name: String,
    /// The account to take it back from.
    pub account: String,
}

/// What [`unshare`] did.
#[derive(Debug)]
pub(crate) struct Unshared {
    /// Set when the revocation worked but the global service did not
    /// record it.
    pub(crate) record_error: Option<String>,
}

/// Takes `catalog` back from `target` over `client` (any user of the
/// account): the hub revokes the account on the catalog's exports, so
/// nats-server cuts it off at once, and the global service records it (the
/// catalog servers' share views follow its feed). `natster catalog unshare`
/// and the `unshare` operation of `natster catalog serve` both call this.
pub(crate) async fn unshare(
    me: &str,
    client: &async_nats::Client,
    catalog: &str,
    target: &str,
) -> Result<Unshared> {
    let bad = |message: String| -> anyhow::Error { Refused { code: 400, message }.into() };
    natster_proto::names::check_catalog_name(catalog).map_err(bad)?;
    check_public_key(target, KeyKind::Account).map_err(|e| bad(format!("{target:?}: {e}")))?;
    control(
        client,
        me,
        hub_ops::EXPORT_REVOKE,
        &RevokeRequest {
            catalog: catalog.to_owned(),
            account: target.to_owned(),
        },
    )
    .await?;
    let event =
        json!({ "type": "catalog_unshared", "data": { "catalog": catalog, "target": target } });
    let recorded: Result<serde_json::Value> =
        crate::global::call(client, me, "events.put", &event).await;
    Ok(Unshared {
        record_error: recorded.err().map(|e| format!("{e:#}")),
    })
}

/// Runs it.
pub async fn run(a: UnshareArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let me = ctx.info.account.clone();
    natster_proto::names::check_catalog_name(&a.name).map_err(|e| anyhow!(e))?;
    check_public_key(&a.account, KeyKind::Account).map_err(|e| anyhow!("{:?}: {e}", a.account))?;
    let client = ctx.connect().await?;
    let done = unshare(&me, &client, &a.name, &a.account).await?;
    if let Some(e) = &done.record_error {
        eprintln!("warning: revoked, but not recorded with the global service: {e}");
    }
    println!("unshared {} from {}", a.name, a.account);
    Ok(())
}
