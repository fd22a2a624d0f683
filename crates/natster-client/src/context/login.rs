//! A NATS user's login, kept to open more connections as the same user.

use std::sync::Arc;
use std::time::Duration;

use natster_auth::KeyPair;

use crate::error::{Error, Result};

/// Server URLs, a user JWT, and the key that signs the server's nonce
/// (never sent). `Debug` shows the user's public key only.
#[derive(Clone)]
pub struct Login {
    /// NATS URLs.
    pub urls: Vec<String>,
    /// The user JWT.
    pub jwt: String,
    /// The user's key.
    pub key: Arc<KeyPair>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("urls", &self.urls)
            .field("user", &self.key.public_key())
            .finish_non_exhaustive()
    }
}

impl Login {
    /// A login for `urls` as the user with `jwt` and `key`.
    pub fn new(urls: Vec<String>, jwt: String, key: KeyPair) -> Self {
        Self {
            urls,
            jwt,
            key: Arc::new(key),
        }
    }

    /// Connects as this user to every URL (the client fails over), named
    /// `name` in the server's connection list.
    pub async fn connect(&self, name: &str) -> Result<async_nats::Client> {
        let urls = self.urls.join(",");
        crate::connect::options(self.jwt.clone(), (*self.key).clone(), name)
            .connection_timeout(Duration::from_secs(5))
            .connect(urls.as_str())
            .await
            .map_err(|source| Error::Connect { urls, source })
    }
}
