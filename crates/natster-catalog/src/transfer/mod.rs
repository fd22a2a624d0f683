//! The encrypted transfer: one-time keys and sealed chunks ([`crypto`]),
//! the signed offer ([`offer`]), the sending side (`sender`), the
//! receiving side ([`receiver`]) and the credits between them (`credit`).
//! `PROTOCOL.md` describes the exchange.

mod credit;
pub mod crypto;
pub mod direct;
pub mod offer;
mod part;
pub mod receiver;
pub(crate) mod sender;
pub(crate) mod sizes;

pub use sizes::{DEFAULT_CHUNK, DEFAULT_WINDOW, MAX_CHUNK, MAX_WINDOW, MIN_CHUNK, total_chunks};
