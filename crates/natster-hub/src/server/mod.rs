//! nats-server: finding it, configuring it, running it.

pub mod config;
pub mod discover;
pub mod ports;
pub mod process;

pub use config::{JetStreamConfig, RANDOM_PORT, ServerConfig};
pub use discover::{DiscoverError, ENV_NATS_SERVER, MIN_VERSION, NatsServerBinary, Version};
pub use ports::Ports;
pub use process::{NatsServerProcess, StartError};
