//! `my.shares`: the caller's out-shares and in-shares from the projection,
//! each with its catalog's online status and revision.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;

use crate::clock;
use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::heartbeats::OnlineRecord;
use crate::projections::{CatalogRecord, ShareRecord, catalog_key, in_filter, out_filter};
use natster_proto::global::{MySharesResponse, ShareSummary};

/// Online lookups in flight at once for one request.
const LOOKUPS_IN_FLIGHT: usize = 32;

/// `my.shares`. Expired shares are left out.
pub(super) async fn my_shares(ctx: &Ctx, caller: &str) -> Result<MySharesResponse, ApiFailure> {
    let now = clock::now_secs();
    let shares = &ctx.store.shares;
    let (out_keys, in_keys) = (out_filter(caller), in_filter(caller));
    let (out, inn) = tokio::try_join!(shares.list(&out_keys), shares.list(&in_keys))
        .map_err(|e| storage("listing shares", e))?;
    let parse = |entries: Vec<(String, bytes::Bytes)>| -> Vec<ShareRecord> {
        entries
            .into_iter()
            .filter_map(|(key, bytes)| {
                serde_json::from_slice::<ShareRecord>(&bytes)
                    .inspect_err(|e| tracing::warn!("share {key}: {e}"))
                    .ok()
            })
            .filter(|r| r.live(now))
            .collect()
    };
    let (out, inn) = (parse(out), parse(inn));

    // One status lookup per catalog, not per share: an owner with 10,000
    // shares usually has a handful of catalogs.
    let catalogs: BTreeSet<(String, String)> = out
        .iter()
        .chain(&inn)
        .map(|r| (r.owner.clone(), r.catalog.clone()))
        .collect();
    let status: BTreeMap<(String, String), (bool, Option<u64>)> =
        futures_util::stream::iter(catalogs)
            .map(|(owner, catalog)| async move {
                let s = status(ctx, &owner, &catalog).await?;
                Ok::<_, ApiFailure>(((owner, catalog), s))
            })
            .buffer_unordered(LOOKUPS_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;

    let summary = |r: ShareRecord| {
        let (online, revision) = status
            .get(&(r.owner.clone(), r.catalog.clone()))
            .copied()
            .unwrap_or((false, None));
        ShareSummary {
            from_account: r.owner,
            to_account: r.target,
            catalog: r.catalog,
            catalog_online: online,
            revision,
            shared_at: r.shared_at,
            expires_at: r.expires_at,
            imported: r.imported,
        }
    };
    Ok(MySharesResponse {
        out_shares: out.into_iter().map(summary).collect(),
        in_shares: inn.into_iter().map(summary).collect(),
    })
}

/// Online now, and the latest revision: the live heartbeat's, else the
/// last one the log recorded.
async fn status(ctx: &Ctx, owner: &str, catalog: &str) -> Result<(bool, Option<u64>), ApiFailure> {
    let key = catalog_key(owner, catalog);
    let online: Option<OnlineRecord> = ctx
        .store
        .online
        .get_json(&key)
        .await
        .map_err(|e| storage("reading online status", e))?;
    if let Some(o) = online {
        return Ok((true, Some(o.revision)));
    }
    let known: Option<CatalogRecord> = ctx
        .store
        .catalogs
        .get_json(&key)
        .await
        .map_err(|e| storage("reading the catalog", e))?;
    Ok((false, known.map(|k| k.revision)))
}
