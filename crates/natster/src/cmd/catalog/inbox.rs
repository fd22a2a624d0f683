//! `natster catalog inbox`: shares waiting for you to import them.

use anyhow::Result;
use natster_proto::global::MySharesRequest;
use serde_json::json;

use natster_client::Selection;

use crate::output::{json, say};

/// Runs it.
pub async fn run(sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let client = ctx.connect().await?;
    let shares = ctx.global(&client).call(&MySharesRequest {}).await?;
    let pending: Vec<_> = shares.in_shares.iter().filter(|s| !s.imported).collect();
    if json() {
        let rows: Vec<_> = pending
            .iter()
            .map(|s| json!({ "catalog": s.catalog, "owner": s.from_account, "online": s.catalog_online, "expires_at": s.expires_at }))
            .collect();
        say!("{}", serde_json::to_string(&rows)?);
        return Ok(());
    }
    if pending.is_empty() {
        say!("Inbox zero: nothing is waiting to be imported.");
    }
    for s in pending {
        say!(
            "{} from {}: natster catalog import {} {}",
            s.catalog,
            s.from_account,
            s.catalog,
            s.from_account
        );
    }
    Ok(())
}
