//! Connecting to NATS as a user: the JWT is sent, the seed only signs the
//! server's nonce locally. Reconnects forever with a short backoff, so a
//! restarted nats-server is found again within about a second; the first
//! attempt does not wait at all.

use std::sync::Arc;
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::claims::{Claims, UserNats};
use natster_auth::jwt::encode;
use natster_auth::keys::KeyKind;

use crate::backoff::Backoff;

/// Delay before reconnect attempt `attempts` (1 = the first connection).
///
/// async-nats asks before the very first attempt too: without the zero
/// there, every process would sleep before it connects at all.
pub fn reconnect_delay(attempts: usize) -> Duration {
    if attempts <= 1 {
        return Duration::ZERO;
    }
    let mut b = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
    (1..attempts).fold(Duration::ZERO, |_, _| b.next_delay())
}

/// Connection options for a user with `jwt`, signing nonces with `key`.
pub fn options(jwt: String, key: KeyPair, name: &str) -> async_nats::ConnectOptions {
    let key = Arc::new(key);
    async_nats::ConnectOptions::with_jwt(jwt, move |nonce| {
        let key = key.clone();
        async move { key.sign(&nonce).map_err(async_nats::AuthError::new) }
    })
    .name(name)
    .connection_timeout(Duration::from_secs(5))
    .reconnect_delay_callback(reconnect_delay)
}

/// Connects to `url` (one URL or several, comma-separated) as a new user
/// of `account`, issued by that account's `signing` key. Keeps trying until
/// the server answers: services start this way next to their nats-server.
pub async fn as_new_user(
    url: &str,
    account: &str,
    signing: &KeyPair,
    name: &str,
) -> Result<async_nats::Client, async_nats::ConnectError> {
    let key = KeyKind::User.generate();
    let claims = Claims::new(key.public_key(), UserNats::for_account(account)).with_name(name);
    let jwt = encode(&claims, signing).map_err(|e| {
        async_nats::ConnectError::with_source(async_nats::ConnectErrorKind::Authentication, e)
    })?;
    options(jwt, key, name)
        .retry_on_initial_connect()
        .connect(url)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_attempt_does_not_wait() {
        let ms = Duration::from_millis;
        let got: Vec<Duration> = (0..8).map(reconnect_delay).collect();
        assert_eq!(
            got,
            [
                ms(0),
                ms(0),
                ms(50),
                ms(100),
                ms(200),
                ms(400),
                ms(800),
                ms(1000)
            ]
        );
    }
}
