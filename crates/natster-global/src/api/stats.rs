//! `stats`: totals from the stats projection, online catalogs from the
//! online bucket, the size of the log.

use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::projections::StatsRecord;
use crate::resources::STATS_KEY;
use natster_proto::global::StatsResponse;

/// `stats`.
pub(super) async fn stats(ctx: &Ctx) -> Result<StatsResponse, ApiFailure> {
    let totals: StatsRecord = ctx
        .store
        .stats
        .get_json(STATS_KEY)
        .await
        .map_err(|e| storage("reading totals", e))?
        .unwrap_or_default();
    // One live key per online catalog: expired ones are removed by their
    // TTL, and removal markers are not listed.
    let catalogs_online = ctx
        .store
        .online
        .list(">")
        .await
        .map_err(|e| storage("listing online catalogs", e))?
        .len() as u64;
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
