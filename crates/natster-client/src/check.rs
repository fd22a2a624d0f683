//! Whether this context works right now: NATS answers (and how fast), and
//! the global service knows the account (`natster whoami`).

use std::time::{Duration, Instant};

use natster_proto::global::WhoamiRequest;

use crate::context::Context;
use crate::error::{Error, Result};

/// What [`Context::check`] found.
#[derive(Debug)]
pub struct Check {
    /// The round trip of connecting and a flush, or why it failed.
    pub connected: Result<Duration>,
    /// When the global service recorded this account's start (unix
    /// seconds), or why that is not known.
    pub initialized_at: Result<i64>,
}

impl Context {
    /// Connects (within `timeout`), then asks the global service about this
    /// account.
    pub async fn check(&self, timeout: Duration) -> Check {
        let started = Instant::now();
        let probe = async {
            let client = self.connect().await?;
            client.flush().await.map_err(|e| Error::Request {
                service: "NATS",
                op: "flush",
                source: Box::new(e),
            })?;
            Ok::<_, Error>(client)
        };
        let client = match tokio::time::timeout(timeout, probe).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout {
                service: "NATS server",
                op: "connect",
                seconds: timeout.as_secs(),
            }),
        };
        match client {
            Ok(client) => Check {
                connected: Ok(started.elapsed()),
                initialized_at: self
                    .global(&client)
                    .call(&WhoamiRequest {})
                    .await
                    .map(|w| w.initialized_at),
            },
            Err(e) => Check {
                connected: Err(e),
                initialized_at: Err(Error::Invalid {
                    what: "not connected".into(),
                    source: None,
                }),
            },
        }
    }
}
