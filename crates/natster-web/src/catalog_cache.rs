//! Catalog contents recently fetched, so that the file route (each seek in
//! the player is a request) does not ask the catalog server every time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use natster_proto::catalog::CatalogSummary;
use tokio::time::Instant;

/// How long a catalog's contents are reused for the file route (each seek
/// in the player is a request; the contents rarely change meanwhile).
const CONTENTS_TTL: Duration = Duration::from_secs(15);

/// (session account, owner, catalog).
type CacheKey = (String, String, String);

/// Recently fetched catalog contents per (session account, owner, catalog).
#[derive(Debug, Default)]
pub(crate) struct CatalogCache {
    map: Mutex<HashMap<CacheKey, (Arc<CatalogSummary>, Instant)>>,
}

impl CatalogCache {
    pub(crate) fn get(&self, k: &CacheKey) -> Option<Arc<CatalogSummary>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(k)
            .filter(|(_, at)| at.elapsed() < CONTENTS_TTL)
            .map(|(c, _)| c.clone())
    }

    pub(crate) fn put(&self, k: CacheKey, c: Arc<CatalogSummary>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 1000 {
            map.retain(|_, (_, at)| at.elapsed() < CONTENTS_TTL);
        }
        map.insert(k, (c, Instant::now()));
    }
}
