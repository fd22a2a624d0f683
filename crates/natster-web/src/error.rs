//! Every failure the web server can report, and the one place that maps them
//! to HTTP statuses (see [`WebError::status`]). Handlers return
//! `Result<_, WebError>`; the JSON body is always `{"code": N, "error": "..."}`,
//! the same envelope the NATS APIs use.

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use natster_proto::ApiResponse;

/// A failure of the web server or of one of its requests.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No session, or the session ended (logout, expiry, revocation).
    #[error("not logged in: {0}")]
    Unauthorized(String),
    /// The session may not do this, or a CSRF/origin check failed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Nothing by that name (or the caller may not know it exists).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (a link already used).
    #[error("{0}")]
    Conflict(String),
    /// A Range header no byte of the file satisfies.
    #[error("range not satisfiable for a file of {size} bytes")]
    RangeNotSatisfiable {
        /// The file's size.
        size: u64,
    },
    /// The request body is too large.
    #[error("request body too large")]
    TooLarge,
    /// A NATS service answered with an error.
    #[error("{service}: {message} ({code})")]
    Upstream {
        /// Which service.
        service: &'static str,
        /// Its code.
        code: u16,
        /// Its message.
        message: String,
    },
    /// NATS (or a service on it) cannot be reached right now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A service did not answer in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The server's configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
    /// The listening address is taken or not ours.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Binding or serving the HTTP listener failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A bug or an unexpected state; details are logged, not sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    /// The HTTP status for this error: the single mapping for every route.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            // A service's own client errors are the caller's problem and keep
            // their meaning; its server errors are a bad gateway for us.
            WebError::Upstream { code, .. } => match *code {
                400 => StatusCode::BAD_REQUEST,
                403 => StatusCode::FORBIDDEN,
                404 => StatusCode::NOT_FOUND,
                409 => StatusCode::CONFLICT,
                429 | 503 => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            },
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            WebError::Config(_)
            | WebError::Bind { .. }
            | WebError::Io(_)
            | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told: internal details stay in the log.
    fn public_message(&self) -> String {
        match self {
            WebError::Config(_)
            | WebError::Bind { .. }
            | WebError::Io(_)
            | WebError::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "request failed");
        }
        let body = ApiResponse::<()>::err(status.as_u16(), self.public_message());
        let mut resp = (status, axum::Json(body)).into_response();
        if let WebError::RangeNotSatisfiable { size } = self {
            if let Ok(v) = format!("bytes */{size}").parse() {
                resp.headers_mut()
                    .insert(axum::http::header::CONTENT_RANGE, v);
            }
        }
        resp
    }
}

impl From<natster_client::Error> for WebError {
    fn from(e: natster_client::Error) -> Self {
        use natster_client::Error as C;
        match e {
            C::Api { service, error, .. } => WebError::Upstream {
                service,
                code: error.code,
                message: error.message,
            },
            C::Timeout { .. } => WebError::Timeout(e.to_string()),
            C::NoResponders { .. } | C::Connect { .. } | C::Request { .. } | C::Http { .. } => {
                WebError::Unavailable(e.to_string())
            }
            C::Refused { code: 404, message } => WebError::NotFound(message),
            C::Refused { message, .. } => WebError::BadRequest(message),
            C::Decode { .. } | C::Io { .. } | C::Invalid { .. } => {
                WebError::Internal(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_mapped_once() {
        let cases = [
            (WebError::BadRequest("x".into()), 400),
            (WebError::Unauthorized("x".into()), 401),
            (WebError::Forbidden("x".into()), 403),
            (WebError::NotFound("x".into()), 404),
            (WebError::RangeNotSatisfiable { size: 3 }, 416),
            (
                WebError::Upstream {
                    service: "catalog",
                    code: 403,
                    message: "no".into(),
                },
                403,
            ),
            (
                WebError::Upstream {
                    service: "catalog",
                    code: 500,
                    message: "boom".into(),
                },
                502,
            ),
            (WebError::Internal("secret detail".into()), 500),
        ];
        for (e, code) in cases {
            assert_eq!(e.status().as_u16(), code, "{e}");
        }
        assert_eq!(
            WebError::Internal("secret detail".into()).public_message(),
            "internal error"
        );
    }
}
