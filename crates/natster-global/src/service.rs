//! Running an instance: open the store, then serve and fold until told to stop.

use std::future::Future;
use std::sync::Arc;

use crate::config::GlobalConfig;
use crate::ctx::Ctx;
use crate::error::GlobalError;
use crate::{api, expiry, heartbeats, log, projections, store};

/// Runs one instance of the global service on `client` (a user of the
/// global account) until `shutdown` completes.
///
/// Creates the stream, buckets and consumers when missing, then serves the
/// API, folds the log into the projections, watches for catalogs going
/// offline and records shares reaching their expiry. Requests in flight
/// when `shutdown` completes are answered (for up to a few seconds);
/// background work stops at once, safely: an event being folded is
/// delivered again, an expiry not recorded is found by the next sweep.
pub async fn run(
    client: async_nats::Client,
    config: GlobalConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), GlobalError> {
    config.validate()?;
    let store = store::Store::open(client.clone(), &config).await?;
    let log = log::EventLog::new(
        store.js.clone(),
        store.events.clone(),
        config.publish_retry_for,
    );
    let ctx = Arc::new(Ctx {
        client,
        config,
        store,
        log,
    });
    // Guards, not bare handles: if the future running `run` is dropped
    // (its task aborted), the background work stops with it.
    let _projector = AbortOnDrop(tokio::spawn(projections::run(ctx.clone())));
    let _watcher = AbortOnDrop(tokio::spawn(heartbeats::watch_offline(ctx.clone())));
    let _expiry = AbortOnDrop(tokio::spawn(expiry::run(ctx.clone())));
    api::serve(ctx, shutdown).await
}

/// Aborts a background task when dropped.
#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
