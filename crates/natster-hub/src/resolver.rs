//! Pushing account JWTs to nats-server's resolver at runtime, as the system
//! account (`$SYS.REQ.CLAIMS.UPDATE`); live clients see the change within
//! milliseconds.

use std::time::Duration;

use natster_client::Backoff;
use natster_proto::resolver::{self, CLAIMS_UPDATE, ClaimsUpdate, ClaimsUpdateError};

/// Tries per push: with the backoff below, about 13 s of a (re)starting
/// server before giving up.
const ATTEMPTS: usize = 12;
const FIRST_RETRY: Duration = Duration::from_millis(50);
const MAX_RETRY: Duration = Duration::from_secs(2);
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an account JWT did not reach the resolver.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// nats-server rejected the whole JWT.
    #[error("nats-server refused the account JWT: {0}")]
    Refused(#[source] ClaimsUpdateError),
    /// The reply was not nats-server's verdict.
    #[error("nats-server refused the account JWT: unreadable reply: {0}")]
    Unreadable(#[source] serde_json::Error),
    /// No verdict after every attempt; the last attempt's reason.
    #[error("NATS: cannot push account JWT: {0}")]
    NoAnswer(#[from] NoAnswer),
}

/// Why one attempt got no verdict (worth another try).
#[derive(Debug, thiserror::Error)]
pub enum NoAnswer {
    /// The request failed (no responders while the server restarts, ...).
    #[error(transparent)]
    Request(#[from] async_nats::RequestError),
    /// No reply in time.
    #[error("timed out")]
    TimedOut,
    /// A reply with neither data nor error.
    #[error("empty reply")]
    Empty,
}

/// Pushes account JWTs through a connection of the system account.
#[derive(Debug, Clone)]
pub struct Resolver {
    system: async_nats::Client,
}

impl Resolver {
    /// Uses `system`, a connection of a system-account user.
    pub fn new(system: async_nats::Client) -> Self {
        Self { system }
    }

    /// Pushes `jwt`. Retries while the server is (re)starting; an explicit
    /// refusal is returned at once.
    pub async fn push(&self, jwt: &str) -> Result<(), PushError> {
        let mut backoff = Backoff::new(FIRST_RETRY, MAX_RETRY);
        for _ in 1..ATTEMPTS {
            match self.push_once(jwt).await {
                Err(PushError::NoAnswer(_)) => backoff.wait().await,
                done => return done,
            }
        }
        self.push_once(jwt).await
    }

    async fn push_once(&self, jwt: &str) -> Result<(), PushError> {
        let req = self.system.request(CLAIMS_UPDATE, jwt.to_owned().into());
        let msg = tokio::time::timeout(REPLY_TIMEOUT, req)
            .await
            .map_err(|_| NoAnswer::TimedOut)?
            .map_err(NoAnswer::Request)?;
        match resolver::parse(&msg.payload).map_err(PushError::Unreadable)? {
            ClaimsUpdate::Updated { .. } => Ok(()),
            ClaimsUpdate::Refused(e) => Err(PushError::Refused(e)),
            ClaimsUpdate::Empty => Err(NoAnswer::Empty.into()),
        }
    }
}
