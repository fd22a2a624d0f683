//! Natster's wire types, shared by the CLI, catalog server, global service,
//! hub and web server: subjects, the API envelope, requests and responses.
//! Serde only; no I/O.
#![deny(missing_docs)]
