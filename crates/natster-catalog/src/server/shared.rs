//! What the serve loop and the request handlers share.

use std::sync::Arc;
use std::time::Duration;

use natster_auth::KeyPair;
use tokio::sync::Semaphore;

use super::config::{AccessHook, EventHook, OpsHook, ServeEvent};
use super::control::ServeControl;

/// What request handlers share.
pub(crate) struct Shared {
    pub(crate) client: async_nats::Client,
    pub(crate) owner: String,
    pub(crate) catalog_name: String,
    pub(crate) signer: KeyPair,
    pub(crate) signer_jwt: String,
    pub(crate) access: AccessHook,
    pub(crate) chunk_size: u32,
    pub(crate) window: u32,
    pub(crate) credit_timeout: Duration,
    pub(crate) control: ServeControl,
    pub(crate) events: Option<EventHook>,
    pub(crate) ops: Option<OpsHook>,
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) max_transfers: usize,
}

impl Shared {
    pub(crate) fn emit(&self, e: ServeEvent) {
        if let Some(h) = &self.events {
            h(&e);
        }
    }
}
