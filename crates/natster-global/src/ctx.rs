//! What every handler and background task shares.

use crate::config::GlobalConfig;
use crate::log::EventLog;
use crate::store::Store;

/// One instance's connection, settings and handles on the shared state.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) client: async_nats::Client,
    pub(crate) config: GlobalConfig,
    pub(crate) store: Store,
    pub(crate) log: EventLog,
}
