//! Talking to a Natster hub as an account: connecting to NATS with a user
//! JWT (the seed only signs the server's nonce, here), retrying with one
//! [`backoff::Backoff`], and typed clients for the hub's control plane and
//! the global service.
//!
//! Everything that acts for an account (the CLI, the catalog server, the
//! web app, the hub's and global service's own connections) connects
//! through [`connect`]; services that answer requests use the same wire
//! types from `natster-proto`.
#![deny(missing_docs)]

pub mod backoff;
mod check;
pub mod connect;
pub mod context;
pub mod duration;
mod error;
pub mod global;
pub mod hub;
pub mod overview;
pub mod register;
pub mod request;
pub mod sharing;

pub use backoff::Backoff;
pub use check::Check;
pub use context::{Context, Login, Selection};
pub use error::{BoxError, Error, Result, chain, chain_of};
pub use global::GlobalClient;
pub use hub::{HubClient, HubHttp};
