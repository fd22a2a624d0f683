//! The Natster hub: the self-hosted stand-in for a NATS cloud. It holds the
//! operator keys, writes nats-server's configuration, supervises the server,
//! and runs the account control plane: registration over HTTP (proof of
//! possession of the account key, invite codes), account changes over NATS
//! (each account changes only itself), and a public account lookup.
//!
//! The hub never sees a user's seed: people generate their keys on their own
//! machines and send only public keys and signatures.
//!
//! This crate is also where the rest of Natster (and its test harness) learns
//! how to find and run nats-server: see [`server`].
#![deny(missing_docs)]

pub mod accounts;
pub mod authority;

pub mod control;
pub mod dir;
mod error;
mod fsutil;
pub mod grants;
pub mod http;
mod hub;
pub mod identity;
pub mod invites;
pub mod policy;
pub mod resolver;
pub mod server;
pub mod store;
mod supervise;

pub use error::HubError;
pub use hub::{HubConfig, RunningHub};
