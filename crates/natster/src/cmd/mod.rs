//! One module per command.

pub mod catalog;
pub mod context;
pub mod demo;
pub mod global;
pub mod hub;
pub mod init;
pub mod login;
pub mod sessions;
pub mod web;
pub mod whoami;
