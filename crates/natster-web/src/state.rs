//! What every handler shares. Its own module so that the router, the
//! middleware in `security` and the device link in `link` all depend on it
//! and none of them on another for it.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::catalog_cache::CatalogCache;
use crate::config::WebConfig;
use crate::session::Sessions;

/// What every handler shares.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) config: Arc<WebConfig>,
    pub(crate) sessions: Arc<Sessions>,
    /// The web server's own connection (a user of the WEB account).
    pub(crate) web: async_nats::Client,
    /// The WEB account's key (token 1 of its global-service subjects).
    pub(crate) web_account: String,
    /// Verified account JWTs from the hub.
    pub(crate) accounts: Arc<Accounts>,
    /// Catalog contents recently fetched, for Range requests.
    pub(crate) catalogs: Arc<CatalogCache>,
}
