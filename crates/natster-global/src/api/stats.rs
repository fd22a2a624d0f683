//! `stats`: totals from the stats projection, online catalogs from the
//! online bucket, the size of the log.

use futures_util::TryStreamExt;

use crate::Ctx;
use crate::error::{ApiFailure, storage};
use crate::projections::StatsRecord;
use crate::store::STATS_KEY;
use crate::wire::StatsResponse;

/// `stats`.
pub(super) async fn stats(ctx: &Ctx) -> Result<StatsResponse, ApiFailure> {
    let totals: StatsRecord = ctx
        .store
        .stats
        .get_json(STATS_KEY)
        .await
        .map_err(|e| storage("reading totals", e))?
        .unwrap_or_default();
    // Counting keys: the bucket holds only live heartbeats (expired ones
    // are removed by their TTL), one per online catalog.
    let catalogs_online = ctx
        .store
        .online
        .kv
        .keys()
        .await
        .map_err(|e| storage("listing online catalogs", e))?
        .try_fold(0u64, |n, _| async move { Ok(n + 1) })
        .await
        .map_err(|e| storage("listing online catalogs", e))?;
    let events = ctx
        .log
        .count()
        .await
        .map_err(|e| storage("reading the event log", e))?;
    Ok(StatsResponse {
        accounts_initialized: totals.accounts_initialized,
        catalogs_online,
        active_shares: totals.active_shares,
        events,
    })
}
