//! Acting as a Natster account: a [`Context`] (this machine's keys for one
//! account; seeds never leave it), connecting to NATS with a user JWT (the
//! seed only signs the server's nonce, here), retrying with one
//! [`Backoff`], and typed clients for the hub ([`HubHttp`] for
//! registration and lookups, [`HubClient`] for changes to the account) and
//! the global service ([`GlobalClient`]). Requests are `natster-proto`
//! types bound to their operation and reply; a refusal keeps its envelope
//! code ([`Error::code`]).
//!
//! On top: [`register`] (`natster init`), [`sharing`] (share, unshare,
//! import), [`Context::check`] (`whoami`), [`Context::overview`]
//! (`catalog ls`). Everything that acts for an account (the CLI, the
//! catalog server, the web app, the hub's and global service's own
//! connections) connects through [`connect`].
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
