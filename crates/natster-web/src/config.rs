//! How to run the web server: where the hub and NATS are, the web account's
//! own credential, and the public URL people open.

use std::fmt;
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::claims::{Claims, UserNats};
use natster_auth::creds::Creds;
use natster_auth::jwt::encode;
use natster_auth::keys::KeyKind;

use crate::error::WebError;

/// The web server's own NATS identity: a user of the well-known WEB account.
/// It only claims one-time codes; people's sessions use their own credentials.
#[derive(Clone)]
pub struct WebCredential {
    /// The user JWT.
    pub jwt: String,
    /// The user's key (signs nonces; never sent).
    pub key: KeyPair,
}

impl fmt::Debug for WebCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebCredential")
            .field("user", &self.key.public_key())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl WebCredential {
    /// From a standard `.creds` file's contents (`natster web serve --creds`).
    pub fn from_creds(creds: &Creds) -> Result<Self, WebError> {
        let key = creds
            .seed
            .key_pair()
            .map_err(|e| WebError::Config(format!("web creds: {e}")))?;
        Ok(Self {
            jwt: creds.jwt.clone(),
            key,
        })
    }

    /// Issues a fresh user of the web account with its signing key: what
    /// `natster hub up` does, since the hub holds the web account's keys.
    pub fn issue(web_account: &str, web_signing: &KeyPair) -> Result<Self, WebError> {
        let key = KeyKind::User.generate();
        let claims = Claims::new(key.public_key(), UserNats::for_account(web_account))
            .with_name("natster-web");
        let jwt = encode(&claims, web_signing)
            .map_err(|e| WebError::Config(format!("issuing the web user: {e}")))?;
        Ok(Self { jwt, key })
    }
}

/// Configuration of [`crate::serve`].
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The hub's HTTP URL (account JWT lookups, operator keys).
    pub hub_url: String,
    /// NATS client URLs.
    pub nats_urls: Vec<String>,
    /// The web server's own credential (a user of the WEB account).
    pub credential: WebCredential,
    /// The URL people open, without a trailing slash, e.g. `https://natster.example`.
    /// An `https` URL makes cookies `Secure`.
    pub public_url: String,
    /// How long an opened link waits for the CLI's approval.
    pub pending_ttl: Duration,
    /// The longest session credential accepted.
    pub max_session_ttl: Duration,
}

impl WebConfig {
    /// A configuration with defaults for the rest.
    pub fn new(
        hub_url: impl Into<String>,
        nats_urls: Vec<String>,
        credential: WebCredential,
        public_url: impl Into<String>,
    ) -> Self {
        Self {
            hub_url: hub_url.into(),
            nats_urls,
            credential,
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            pending_ttl: Duration::from_secs(600),
            max_session_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }

    /// Whether the public URL is https (cookies get `Secure`).
    pub fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The public origin (`scheme://host[:port]`), for Origin checks.
    pub fn origin(&self) -> &str {
        let url = self.public_url.as_str();
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        match url[after_scheme..].find('/') {
            Some(i) => &url[..after_scheme + i],
            None => url,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), WebError> {
        if self.nats_urls.is_empty() {
            return Err(WebError::Config("no NATS URL".into()));
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(WebError::Config(format!(
                "public URL {:?} must start with http:// or https://",
                self.public_url
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_secure_come_from_the_public_url() {
        let web = KeyKind::Account.generate();
        let cred = WebCredential::issue(&web.public_key(), &web).unwrap();
        let c = WebConfig::new(
            "http://h",
            vec!["nats://x".into()],
            cred.clone(),
            "https://a.b:8/x/",
        );
        assert_eq!(c.origin(), "https://a.b:8");
        assert!(c.secure());
        let c = WebConfig::new(
            "http://h",
            vec!["nats://x".into()],
            cred.clone(),
            "http://127.0.0.1:9",
        );
        assert_eq!(c.origin(), "http://127.0.0.1:9");
        assert!(!c.secure());
        let seed = cred.key.seed().unwrap();
        assert!(!format!("{c:?}").contains(&seed), "Debug shows no seed");
    }
}
