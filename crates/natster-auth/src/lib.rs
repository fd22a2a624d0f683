//! NATS decentralized auth for Natster.
//!
//! Shared by every part that issues or checks identities: the hub (operator,
//! account JWTs), the CLI (user JWTs and activation tokens signed on the
//! user's own machine), the catalog server and the web server (checking a
//! peer's chain of trust). It owns:
//!
//! - [`keys`]: key kinds, public-key validation, [`keys::Seed`] that never prints;
//! - [`claims`]: operator, account, user and activation claims as nats-server reads them;
//! - [`jwt`]: encode, decode and verify, with typed [`ErrorKind`]s;
//! - [`creds`]: standard `.creds` files, written 0600.
//!
//! Seeds stay in memory of the process that owns them; nothing here sends one anywhere.
#![deny(missing_docs)]

pub mod claims;
pub mod creds;
mod error;
pub mod jwt;
pub mod keys;

pub use error::{Error, ErrorKind, Result};
pub use nkeys::{KeyPair, XKey};
