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
mod service;
mod store;

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
pub use service::run;
