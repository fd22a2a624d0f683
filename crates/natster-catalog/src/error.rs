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
    /// Talking to NATS failed (connect, request, subscribe, publish, the
    /// transfer's own connection). Its `source()` is the client's or the
    /// socket's error, when there is one.
    #[error(transparent)]
    Nats(NatsError),
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
    /// A thread of a download (the SHA-256 hasher, the part writer)
    /// panicked: a bug here, not a property of the bytes received, which
    /// the part keeps for `resume`.
    #[error("the {thread} thread panicked: {message}")]
    ThreadPanicked {
        /// Which thread.
        thread: &'static str,
        /// The panic's message.
        message: String,
    },
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

    /// A NATS failure from the client's (or the socket's) own error, kept
    /// as the source.
    pub(crate) fn nats(e: impl Into<BoxError>) -> Self {
        let source = e.into();
        Error::Nats(NatsError {
            message: source.to_string(),
            source: Some(source),
        })
    }

    /// A NATS failure described as `what: <the error>`, the error kept as
    /// the source.
    pub(crate) fn nats_in(what: &str, e: impl Into<BoxError>) -> Self {
        let source = e.into();
        Error::Nats(NatsError {
            message: format!("{what}: {source}"),
            source: Some(source),
        })
    }

    /// A panic caught from `thread` (the payload `join` returned).
    pub(crate) fn panicked(thread: &'static str, payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Error::ThreadPanicked { thread, message }
    }

    /// Whether `download(.., resume: true)` can continue after this error.
    pub fn is_resumable(&self) -> bool {
        matches!(
            self,
            Error::Integrity(_)
                | Error::Timeout(_)
                | Error::Nats(_)
                | Error::Aborted(_)
                | Error::ThreadPanicked { .. }
        )
    }
}

/// An error from a lower layer, kept as a source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What failed talking to NATS, for people, and the error underneath.
///
/// The message already includes the source's own message: people are shown
/// `Error`'s message alone (`{e}`), and it reads as it always has. A printer
/// that walks `source()` too (`{e:#}` through anyhow) shows the source's
/// message a second time.
#[derive(Debug)]
pub struct NatsError {
    message: String,
    source: Option<BoxError>,
}

impl std::fmt::Display for NatsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NATS: {}", self.message)
    }
}

impl std::error::Error for NatsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A failure with no error underneath (a subscription that ended, a
/// malformed protocol line).
impl From<String> for NatsError {
    fn from(message: String) -> Self {
        Self {
            message,
            source: None,
        }
    }
}

impl From<&str> for NatsError {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The message reads as before; the error underneath stays reachable
    /// through `source()`, typed.
    #[test]
    fn nats_errors_keep_their_source_and_their_message() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = Error::nats_in("the transfer connection failed", io);
        assert_eq!(
            e.to_string(),
            "NATS: the transfer connection failed: reset by peer"
        );
        let source = std::error::Error::source(&e).expect("a source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("the io error");
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset);
        assert!(e.is_resumable());

        let e = Error::nats(std::io::Error::other("refused"));
        assert_eq!(e.to_string(), "NATS: refused");
        assert!(std::error::Error::source(&e).is_some());

        let e = Error::Nats("the media subscription ended".into());
        assert_eq!(e.to_string(), "NATS: the media subscription ended");
        assert!(std::error::Error::source(&e).is_none());
        assert!(e.is_resumable());
    }
}
