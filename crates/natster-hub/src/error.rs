//! Hub errors.

use std::path::Path;

/// What can go wrong running the hub.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Stored state does not parse.
    #[error("corrupt hub state: {0}")]
    Corrupt(String),
    /// Key or JWT handling failed.
    #[error(transparent)]
    Auth(#[from] natster_auth::Error),
    /// nats-server could not be found.
    #[error(transparent)]
    Discover(#[from] crate::server::DiscoverError),
    /// nats-server did not start.
    #[error(transparent)]
    Start(#[from] crate::server::StartError),
    /// A NATS operation failed.
    #[error("NATS: {0}")]
    Nats(String),
    /// An account JWT did not reach the resolver.
    #[error(transparent)]
    Resolver(#[from] crate::resolver::PushError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
}

impl HubError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
