//! The global service's errors: what stops [`crate::run`] and what a request
//! handler turns into an API error reply.

use natster_proto::ApiResponse;

/// Why the global service could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum GlobalError {
    /// The configuration is unusable (a bad well-known key, a zero interval).
    #[error("invalid global service configuration: {0}")]
    Config(String),
    /// The configured web account is not an account public key.
    #[error("invalid global service configuration: web account: {0}")]
    WebAccount(#[source] natster_auth::Error),
    /// Creating or opening the event stream, a bucket or a consumer failed.
    #[error("JetStream setup of {what} failed: {source}")]
    Setup {
        /// The stream, bucket or consumer.
        what: String,
        /// What JetStream said.
        #[source]
        source: async_nats::Error,
    },
    /// Registering the NATS service (its endpoints) failed.
    #[error("starting the NATS service failed: {0}")]
    Service(#[source] async_nats::Error),
    /// An instance started in this process did not answer in time.
    #[error("the global service did not answer within {0:?}")]
    NotReady(std::time::Duration),
    /// An instance started in this process stopped by itself.
    #[error("the global service stopped")]
    Stopped,
    /// An instance started in this process panicked.
    #[error("the global service crashed: {0}")]
    Crashed(String),
}

impl GlobalError {
    pub(crate) fn setup(what: impl Into<String>, source: impl Into<async_nats::Error>) -> Self {
        Self::Setup {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// A failed request: an HTTP-like code and a message for people. Every
/// handler returns these; `api` turns them into the envelope in one place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct ApiFailure {
    /// 400, 403, 404, 409, 413, 500 or 503.
    pub code: u16,
    /// What went wrong, phrased for the person who sent the request.
    pub message: String,
}

impl ApiFailure {
    /// 400: the request is malformed or invalid.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }
    /// 403: the caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }
    /// 404: the thing asked about does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }
    /// 409: conflicts with what is already recorded.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }
    /// 413: the request body is larger than the service accepts.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(413, message)
    }
    /// 503: JetStream is unavailable or timed out; retrying later may work.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, message)
    }
    /// 500: something failed on our side.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, message)
    }

    fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The envelope for this failure.
    pub fn into_response<T>(self) -> ApiResponse<T> {
        ApiResponse::err(self.code, self.message)
    }
}

/// Storage failures inside handlers: JetStream trouble is a 503 (transient,
/// e.g. no leader for a few seconds in a cluster), never a crash.
pub(crate) fn storage(what: &str, err: impl std::fmt::Display) -> ApiFailure {
    tracing::warn!("{what}: {err}");
    ApiFailure::unavailable(format!("{what} failed; try again ({err})"))
}
