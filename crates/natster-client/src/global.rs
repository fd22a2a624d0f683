//! The global service, from an account's side: `<me>.natster.global.<op>`.

use std::time::Duration;

use natster_proto::request::{Global, Request};
use natster_proto::subjects;

use crate::error::Result;
use crate::request::{DEFAULT_TIMEOUT, request};

/// Calls the global service as account `me`.
#[derive(Debug, Clone)]
pub struct GlobalClient {
    client: async_nats::Client,
    me: String,
    timeout: Duration,
}

impl GlobalClient {
    /// A client for account `me` over `client` (any user of that account
    /// whose permissions reach the operations it calls).
    pub fn new(client: async_nats::Client, me: impl Into<String>) -> Self {
        Self {
            client,
            me: me.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same client, waiting at most `timeout` for each answer.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The account it calls as.
    pub fn account(&self) -> &str {
        &self.me
    }

    /// Sends `req` and returns the service's answer.
    pub async fn call<R: Request<Service = Global>>(&self, req: &R) -> Result<R::Reply> {
        request(
            &self.client,
            subjects::global(&self.me, R::OP),
            req,
            self.timeout,
        )
        .await
    }
}
