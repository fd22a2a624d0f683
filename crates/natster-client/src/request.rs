//! One way to call a Natster service over NATS: send a typed request,
//! read the envelope, get the typed reply or an [`Error`] that keeps the
//! envelope's code. The hub, global-service and catalog clients all use it.

use std::time::Duration;

use async_nats::RequestErrorKind;
use natster_proto::ApiResponse;
use natster_proto::request::{Request, Service};

use crate::error::{Error, Result};

/// How long a request waits for its answer unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `req` to `subject` and decodes the answer.
pub async fn request<R: Request>(
    client: &async_nats::Client,
    subject: String,
    req: &R,
    timeout: Duration,
) -> Result<R::Reply> {
    let service = R::Service::NAME;
    let op = R::OP;
    let body = serde_json::to_vec(req).map_err(|source| Error::Decode {
        service,
        op,
        source,
    })?;
    let sent = client.request(subject, body.into());
    let msg = match tokio::time::timeout(timeout, sent).await {
        Err(_) => {
            return Err(Error::Timeout {
                service,
                op,
                seconds: timeout.as_secs(),
            });
        }
        Ok(Err(e)) if e.kind() == RequestErrorKind::NoResponders => {
            return Err(Error::NoResponders { service, op });
        }
        Ok(Err(e)) if e.kind() == RequestErrorKind::TimedOut => {
            return Err(Error::Timeout {
                service,
                op,
                seconds: timeout.as_secs(),
            });
        }
        Ok(Err(e)) => {
            return Err(Error::Request {
                service,
                op,
                source: Box::new(e),
            });
        }
        Ok(Ok(msg)) => msg,
    };
    let envelope: ApiResponse<R::Reply> =
        serde_json::from_slice(&msg.payload).map_err(|source| Error::Decode {
            service,
            op,
            source,
        })?;
    envelope
        .into_result()
        .map_err(|error| Error::Api { service, op, error })
}
