//! The Natster global service: the event log (JetStream), projections
//! (KV, rebuilt from the log), online status, stats, whoami, my.shares,
//! one-time login codes and a per-account feed.
//!
//! [`run`] serves until its shutdown future completes. `natster hub up`
//! embeds it and `natster global serve` runs it alone; any number of
//! instances may run at once against one JetStream: they share a queue group
//! ([`QUEUE_GROUP`]) and keep all state in JetStream, none in memory.
//!
//! # What the global account needs
//!
//! - JetStream: `limits.disk_storage` at least
//!   [`GlobalConfig::required_disk_bytes`], `limits.streams` at least
//!   [`GlobalConfig::required_streams`], and consumers (`limits.consumer`,
//!   e.g. -1: each `my.shares` request uses a short-lived ordered consumer).
//! - Exports: service `*.natster.global.>` (public,
//!   `account_token_position: 1`, response type Singleton) and stream
//!   `*.natster.feed.>` (public, `account_token_position: 1`).
//! - Every account X imports service `X.natster.global.>` and stream
//!   `X.natster.feed.>` from it, without `local_subject`.
//! - No users but the service's own: requests from inside the global
//!   account carry no `Nats-Request-Info` and are trusted.
//!
//! # Layout
//!
//! | module | does |
//! |---|---|
//! | `resources` | the names of the stream, buckets and consumers |
//! | `store` | creates or opens them on start |
//! | `bucket` | KV reads, compare-and-set writes, exactly-once folds, listings |
//! | `log` | append events with JetStream ack + `Nats-Msg-Id`, read the last event of a subject |
//! | `consumer` | reading the durable consumers, and again after a failure |
//! | `projections` | the folds and the projector loop |
//! | `heartbeats` | online status, revision changes, offline watcher |
//! | `expiry` | records shares reaching their expiry, once, and tells both sides |
//! | `otc` | one-time codes |
//! | `feed` | per-account notifications |
//! | `caller` | the caller's verified account |
//! | `api` | the NATS service and one file per group of operations |
#![deny(missing_docs)]

mod api;
mod bucket;
mod caller;
mod clock;
mod config;
mod consumer;
mod ctx;
mod error;
mod expiry;
mod feed;
mod heartbeats;
mod ids;
mod instance;
mod json;
mod log;
mod otc;
mod projections;
mod resources;
mod store;

use std::future::Future;
use std::sync::Arc;

use ctx::Ctx;

pub use api::{QUEUE_GROUP, SERVICE_NAME};
pub use config::GlobalConfig;
pub use error::{ApiFailure, GlobalError};
pub use instance::Instance;
pub use otc::MAX_PAYLOAD_BYTES as OTC_MAX_PAYLOAD_BYTES;
pub use resources::{
    ACCOUNTS_BUCKET, CATALOGS_BUCKET, CODES_BUCKET, EVENTS_STREAM, EVENTS_SUBJECTS, ONLINE_BUCKET,
    ONLINE_WATCH_CONSUMER, PROJECTION_BUCKETS, PROJECTOR_CONSUMER, SHARES_BUCKET, STATS_BUCKET,
    STATS_KEY,
};

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
