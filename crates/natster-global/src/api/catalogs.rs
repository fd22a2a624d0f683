//! `my.catalogs`: the caller's own catalogs the service knows of, shared or
//! not, each with its online status and revision. A catalog nobody has been
//! given yet appears in no share, so `my.shares` alone cannot list it.

use std::collections::BTreeMap;

use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::heartbeats::OnlineRecord;
use crate::projections::{CatalogRecord, catalog_key};
use natster_proto::global::{MyCatalogsResponse, OwnCatalog};

/// `my.catalogs`: the union of the caller's live heartbeats and the
/// catalogs projection (every catalog that ever came online logged a
/// revision there). Both buckets are keyed `<owner>.<catalog>`, and a
/// catalog name has no dot, so `<caller>.*` is exactly the caller's.
pub(super) async fn my_catalogs(ctx: &Ctx, caller: &str) -> Result<MyCatalogsResponse, ApiFailure> {
    let filter = catalog_key(caller, "*");
    let (online, known) = tokio::try_join!(
        ctx.store.online.list(&filter),
        ctx.store.catalogs.list(&filter)
    )
    .map_err(|e| storage("listing catalogs", e))?;
    let mut catalogs: BTreeMap<String, OwnCatalog> = BTreeMap::new();
    for (key, bytes) in known {
        match serde_json::from_slice::<CatalogRecord>(&bytes) {
            Ok(r) => {
                catalogs.insert(
                    r.catalog.clone(),
                    OwnCatalog {
                        catalog: r.catalog,
                        online: false,
                        revision: Some(r.revision),
                    },
                );
            }
            Err(e) => tracing::warn!("catalog {key}: {e}"),
        }
    }
    // A live heartbeat is newer than the log's revision (it is logged after).
    for (key, bytes) in online {
        match serde_json::from_slice::<OnlineRecord>(&bytes) {
            Ok(r) => {
                catalogs.insert(
                    r.catalog.clone(),
                    OwnCatalog {
                        catalog: r.catalog,
                        online: true,
                        revision: Some(r.revision),
                    },
                );
            }
            Err(e) => tracing::warn!("online {key}: {e}"),
        }
    }
    Ok(MyCatalogsResponse {
        catalogs: catalogs.into_values().collect(),
    })
}
