//! One module per command.

pub mod context;
pub mod hub;
pub mod init;
pub mod whoami;
