//! The Natster hub: the self-hosted stand-in for a NATS cloud. It holds the
//! operator keys, writes nats-server's configuration, supervises the server,
//! and runs the account control plane.
//!
//! This crate is also where the rest of Natster (and its test harness) learns
//! how to find and run nats-server: see [`server`].
#![deny(missing_docs)]

pub mod server;
