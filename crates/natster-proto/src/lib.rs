//! Natster's wire types, shared by the CLI, catalog server, global service,
//! hub and web server: subjects, the API envelope, names, requests and
//! responses. Serde only; no I/O.
//!
//! Every subject that crosses accounts carries the caller's account key in
//! token 1 and, where it concerns a catalog, the owner's key and the catalog
//! name after the service name: `<caller>.natster.catalog.<owner>.<catalog>.<op>`.
//! nats-server also writes the caller's account into the `Nats-Request-Info`
//! header of service requests; responders take identity from there (or from
//! the server-enforced token), never from a body field.
#![deny(missing_docs)]

pub mod catalog;
pub mod envelope;
pub mod events;
pub mod feed;
pub mod global;
pub mod hub;
pub mod names;
pub mod request;
pub mod request_info;
pub mod resolver;
pub mod subjects;

pub use envelope::{ApiError, ApiResponse};
pub use request::Request;
