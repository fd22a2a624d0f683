//! Natster catalogs: a directory turned into a list of hashed files
//! ([`catalog`], [`scan`], [`mime`]), served over NATS ([`server`]), and
//! moved to readers end-to-end encrypted with credit-based flow control
//! ([`transfer`]). `PROTOCOL.md` next to this crate describes the wire.
//!
//! Entry points, one per CLI verb:
//! - `catalog new`: [`scan::create`] then [`catalog::Catalog::save`];
//! - `catalog rescan`: [`scan::rescan`]; `catalog describe`: [`catalog::Catalog::describe`];
//!   a context's own catalogs: [`own`];
//! - `catalog serve`: [`daemon::run`], which composes the request handling
//!   of [`server::serve`] with the owner's share view, owner operations
//!   and heartbeats;
//! - `catalog contents` / `download`: [`CatalogClient::of_context`], then
//!   [`CatalogClient::contents`] / [`CatalogClient::download`]; the web
//!   app's player and downloads: [`CatalogClient::stream`].
#![deny(missing_docs)]

pub mod catalog;
pub mod daemon;
mod error;
pub mod mime;
pub mod own;
mod range;
pub mod sample;
pub mod scan;
pub mod server;
pub mod transfer;
pub mod watch;

pub use catalog::{Catalog, Entry};
pub use error::{BoxError, Error, NatsError, Result};
pub use server::{OpRequest, OpsHook, ServeConfig, ServeControl, ServeEvent, serve};
pub use transfer::receiver::{
    ByteRange, CatalogClient, DownloadOptions, DownloadReport, DownloadStream, StreamInfo,
    StreamOptions,
};
