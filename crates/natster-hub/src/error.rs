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
    /// A stored key does not parse.
    #[error("corrupt hub state: {path}: {source}")]
    Key {
        /// The key file.
        path: String,
        /// Cause.
        source: natster_auth::Error,
    },
    /// The account store failed: opening it, or storing a well-known account.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The operating system gave no randomness (ring says no more than that).
    #[error("no system randomness")]
    NoRandomness,
    /// Key or JWT handling failed.
    #[error(transparent)]
    Auth(#[from] natster_auth::Error),
    /// nats-server could not be found.
    #[error(transparent)]
    Discover(#[from] crate::server::DiscoverError),
    /// nats-server did not start.
    #[error(transparent)]
    Start(#[from] crate::server::StartError),
    /// The hub could not connect to its nats-server.
    #[error("NATS: {0}")]
    Connect(#[from] async_nats::ConnectError),
    /// nats-server's supervisor ended before the server was ready.
    #[error("NATS: nats-server supervisor stopped")]
    SupervisorStopped,
    /// An account JWT did not reach the resolver.
    #[error(transparent)]
    Resolver(#[from] crate::resolver::PushError),
    /// No data directory was given and there is no home to default to.
    #[error("cannot find a home directory: pass --dir or set NATSTER_HUB_DIR")]
    NoDir,
    /// The directory holds no hub.
    #[error("{0} is not a hub data directory: run `natster hub up` there first")]
    NotAHub(String),
    /// The hub has no `hub.json`: it is not running.
    #[error("no hub.json in {0}: is the hub running (`natster hub up`)?")]
    NotRunning(String),
    /// A JSON file of the hub does not parse.
    #[error("{path} is corrupt")]
    Json {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
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
