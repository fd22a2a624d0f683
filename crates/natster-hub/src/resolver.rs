//! Pushing account JWTs to nats-server's resolver at runtime, as the system
//! account (`$SYS.REQ.CLAIMS.UPDATE`); live clients see the change within
//! milliseconds.

use std::time::Duration;

use natster_proto::resolver::{self, CLAIMS_UPDATE, ClaimsUpdate};

use crate::error::HubError;

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
    pub async fn push(&self, jwt: &str) -> Result<(), HubError> {
        let mut delay = Duration::from_millis(50);
        let mut last = String::new();
        for _ in 0..12 {
            let req = self.system.request(CLAIMS_UPDATE, jwt.to_owned().into());
            match tokio::time::timeout(Duration::from_secs(5), req).await {
                Ok(Ok(msg)) => match resolver::parse(&msg.payload)
                    .map_err(|e| HubError::Resolver(format!("unreadable reply: {e}")))?
                {
                    ClaimsUpdate::Updated { .. } => return Ok(()),
                    ClaimsUpdate::Refused(e) => return Err(HubError::Resolver(e.to_string())),
                    ClaimsUpdate::Empty => last = "empty reply".into(),
                },
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = "timed out".into(),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
        Err(HubError::Nats(format!("cannot push account JWT: {last}")))
    }
}
