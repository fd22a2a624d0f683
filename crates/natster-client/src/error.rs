//! What can go wrong talking to a hub, its NATS or one of its services.
//! A service's refusal keeps its envelope code ([`Error::code`]), so callers
//! tell "not found" from "forbidden" by the code, never by message text;
//! every other failure keeps its source error.

use natster_proto::ApiError;

/// The error boxed as a source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A failed call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// NATS did not accept the connection.
    #[error(
        "cannot connect to NATS at {urls} (is the hub running? start one with `natster hub up`)"
    )]
    Connect {
        /// The URLs tried.
        urls: String,
        /// What async-nats said.
        #[source]
        source: async_nats::ConnectError,
    },
    /// Nobody answers the subject: the service is not running, or this
    /// account may not reach it.
    #[error("the {service} is not running (no responders for {op})")]
    NoResponders {
        /// Which service.
        service: &'static str,
        /// The operation.
        op: &'static str,
    },
    /// No answer in time.
    #[error("the {service} did not answer {op} within {seconds} s")]
    Timeout {
        /// Which service.
        service: &'static str,
        /// The operation.
        op: &'static str,
        /// How long we waited.
        seconds: u64,
    },
    /// The request could not be sent.
    #[error("{service} {op}: the request failed")]
    Request {
        /// Which service.
        service: &'static str,
        /// The operation.
        op: &'static str,
        /// What async-nats said.
        #[source]
        source: BoxError,
    },
    /// The service answered with an error envelope. Its message is part of
    /// this error's own text (an envelope has no cause of its own to chain).
    #[error("{service} refused {op}: {error}")]
    Api {
        /// Which service.
        service: &'static str,
        /// The operation.
        op: &'static str,
        /// Its code and message.
        error: ApiError,
    },
    /// The answer did not parse.
    #[error("unexpected answer from the {service} to {op}")]
    Decode {
        /// Which service.
        service: &'static str,
        /// The operation.
        op: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The hub's HTTP API could not be reached.
    #[error("cannot reach the hub at {url}")]
    Http {
        /// The hub's URL.
        url: String,
        /// What reqwest said.
        #[source]
        source: reqwest::Error,
    },
    /// A request the person can fix: a bad key, a bad name, no such
    /// catalog. `code` is 400 or 404, as an API would answer it.
    #[error("{message}")]
    Refused {
        /// 400 (bad request) or 404 (no such thing).
        code: u16,
        /// What to fix.
        message: String,
    },
    /// A file of this machine's context could not be read or written.
    #[error("{what}")]
    Io {
        /// Which file, doing what.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Something we hold (a JWT, a creds file, a key) is unusable.
    #[error("{what}")]
    Invalid {
        /// What and why.
        what: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
}

impl Error {
    /// The envelope code of a refusal by a service, or of a request the
    /// person can fix ([`Error::Refused`]).
    pub fn code(&self) -> Option<u16> {
        match self {
            Error::Api { error, .. } => Some(error.code),
            Error::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// A refusal with `code` 400 and `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Error::Refused {
            code: 400,
            message: message.into(),
        }
    }

    /// A refusal with `code` 404 and `message`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::Refused {
            code: 404,
            message: message.into(),
        }
    }

    /// An unusable `what`, caused by `source`.
    pub fn invalid(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Invalid {
            what: what.into(),
            source: Some(source.into()),
        }
    }

    /// An I/O failure on `what`.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

/// An error and its sources, on one line: what people read. A source
/// whose text the message before it already ends with is not repeated
/// (some errors quote their source in their own message).
pub fn chain(e: &dyn std::error::Error) -> String {
    chain_of(std::iter::successors(Some(e), |e| e.source()).map(|e| e.to_string()))
}

/// [`chain`] for messages already taken from an error chain (anyhow's
/// `chain()`, say), outermost first.
pub fn chain_of(messages: impl IntoIterator<Item = String>) -> String {
    let mut out = String::new();
    for m in messages {
        if m.is_empty() || out.ends_with(&m) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&m);
    }
    out
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain reads once: the outer error names the call, the source
    /// says what the service said (no "X (403): X (403)").
    #[test]
    fn a_refusal_reads_once_and_keeps_its_code() {
        let e = Error::Api {
            service: "hub",
            op: "exports.add",
            error: ApiError {
                code: 403,
                message: "not yours".into(),
            },
        };
        assert_eq!(e.code(), Some(403));
        let chain = chain(&e);
        assert_eq!(chain, "hub refused exports.add: not yours (403)");
        assert_eq!(Error::not_found("x").code(), Some(404));
        let quoted = ["NATS: reset by peer", "reset by peer", "", "os error 104"];
        assert_eq!(
            chain_of(quoted.map(String::from)),
            "NATS: reset by peer: os error 104"
        );
    }
}
