//! One error type for the crate. Callers match on the variant; people read
//! the message. Every variant names what to do or what went wrong, never a
//! secret.

use std::path::PathBuf;

/// What went wrong in a catalog operation, a serve loop or a transfer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A catalog file or message is not the JSON we expect.
    #[error("invalid JSON in {what}: {detail}")]
    Json {
        /// What was being read.
        what: String,
        /// The parser's message.
        detail: String,
    },
    /// Caller input is invalid (a name, a path, a range, a hash).
    #[error("{0}")]
    Invalid(String),
    /// Talking to the hub or the global service, or reading this
    /// machine's context, failed.
    #[error(transparent)]
    Client(#[from] natster_client::Error),
    /// No entry with this hash, or no such catalog.
    #[error("{0}")]
    NotFound(String),
    /// The catalog server answered with an error code.
    #[error("catalog server refused: {message} ({code})")]
    Api {
        /// 400, 403, 404, 409, 503, 500...
        code: u16,
        /// The server's message.
        message: String,
    },
    /// Talking to NATS failed (connect, request, subscribe, publish).
    #[error("NATS: {0}")]
    Nats(String),
    /// The offer's signature, signer JWT or fields do not check out: a relay
    /// may be tampering with the transfer.
    #[error("untrusted transfer offer: {0}")]
    Untrusted(String),
    /// A chunk failed authentication, arrived out of order, twice or after
    /// the end: someone other than the sender published on the transfer subject,
    /// or chunks were lost. The partial file is kept for `--resume`.
    #[error("transfer integrity: {0}")]
    Integrity(String),
    /// The downloaded bytes do not hash to the catalog's SHA-256. Nothing was
    /// written at the output path.
    #[error("hash mismatch: expected {expected}, got {actual}; nothing was written")]
    HashMismatch {
        /// The catalog's hash.
        expected: String,
        /// The hash of the bytes received.
        actual: String,
    },
    /// The other side stopped answering.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The sender ended the transfer (revoked, shut down, file changed).
    #[error("transfer aborted by the sender: {0}")]
    Aborted(String),
    /// The file watcher could not start.
    #[error("file watcher: {0}")]
    Watch(String),
    /// A cryptographic primitive failed (no randomness, bad key material).
    #[error("crypto: {0}")]
    Crypto(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn json(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        Error::Json {
            what: what.into(),
            detail: e.to_string(),
        }
    }

    pub(crate) fn nats(e: impl std::fmt::Display) -> Self {
        Error::Nats(e.to_string())
    }

    /// Whether `download(.., resume: true)` can continue after this error.
    pub fn is_resumable(&self) -> bool {
        matches!(
            self,
            Error::Integrity(_) | Error::Timeout(_) | Error::Nats(_) | Error::Aborted(_)
        )
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
