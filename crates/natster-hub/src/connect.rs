//! Connecting to NATS as a user: the JWT is sent, the seed only signs the
//! server's nonce locally. Reconnects forever with a short backoff, so a
//! restarted nats-server is found again within about a second.

use std::sync::Arc;
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::claims::{Claims, UserNats};
use natster_auth::jwt::encode;
use natster_auth::keys::KeyKind;

use crate::identity::ServiceAccount;

/// Connection options for a user with `jwt`, signing nonces with `key`.
pub fn options(jwt: String, key: KeyPair, name: &str) -> async_nats::ConnectOptions {
    let key = Arc::new(key);
    async_nats::ConnectOptions::with_jwt(jwt, move |nonce| {
        let key = key.clone();
        async move { key.sign(&nonce).map_err(async_nats::AuthError::new) }
    })
    .name(name)
    .connection_timeout(Duration::from_secs(5))
    .reconnect_delay_callback(|attempts| {
        Duration::from_millis(50u64.saturating_mul(1 << attempts.min(5) as u64))
            .min(Duration::from_secs(1))
    })
}

/// Connects to `url` as a new user of `account`, issued by its signing key.
pub async fn as_service(
    url: &str,
    account: &ServiceAccount,
    name: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let key = KeyKind::User.generate();
    let claims =
        Claims::new(key.public_key(), UserNats::for_account(account.key())).with_name(name);
    let jwt = encode(&claims, &account.signing).map_err(|e| {
        async_nats::ConnectError::with_source(async_nats::ConnectErrorKind::Authentication, e)
    })?;
    options(jwt, key, name)
        .retry_on_initial_connect()
        .connect(url)
        .await
}
