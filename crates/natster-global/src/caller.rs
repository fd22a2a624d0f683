//! Who is asking: the account nats-server says it is, never a body field.
//!
//! The global account exports `*.natster.global.>` with
//! `account_token_position: 1`, so a request from account X can only arrive
//! on `X.natster.global.<op>`: token 1 is enforced by the server. For
//! requests that crossed an import the server also writes
//! `Nats-Request-Info: {"acc": "<caller>"}` (a forged header is
//! overwritten); when present it must agree with token 1.
//!
//! Requests published inside the global account itself carry no such
//! header and are trusted: only the service's own users live there.

use async_nats::HeaderMap;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::request_info::{self, HEADER};

use crate::error::ApiFailure;

/// The caller's account key for a request on `subject`.
pub(crate) fn caller(subject: &str, headers: Option<&HeaderMap>) -> Result<String, ApiFailure> {
    let header = headers.and_then(|h| h.get(HEADER)).map(|v| v.as_str());
    let caller =
        request_info::caller(subject, header).map_err(|e| ApiFailure::forbidden(e.to_string()))?;
    // The shape is checked above; the checksum too, before anything is
    // stored under this key.
    check_public_key(caller.account(), KeyKind::Account)
        .map_err(|e| ApiFailure::forbidden(format!("the caller is not an account: {e}")))?;
    Ok(caller.account().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_and_request_info_must_agree() {
        let a = KeyKind::Account.generate().public_key();
        let b = KeyKind::Account.generate().public_key();
        let subject = format!("{a}.natster.global.whoami");
        assert_eq!(caller(&subject, None).unwrap(), a);

        let mut h = HeaderMap::new();
        h.insert("Nats-Request-Info", format!(r#"{{"acc":"{a}"}}"#).as_str());
        assert_eq!(caller(&subject, Some(&h)).unwrap(), a);

        let mut h = HeaderMap::new();
        h.insert("Nats-Request-Info", format!(r#"{{"acc":"{b}"}}"#).as_str());
        assert_eq!(caller(&subject, Some(&h)).unwrap_err().code, 403);

        assert_eq!(caller("natster.global.whoami", None).unwrap_err().code, 403);
        let mut bad = a.clone().into_bytes();
        bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            caller(&format!("{bad}.natster.global.whoami"), None)
                .unwrap_err()
                .code,
            403
        );
    }
}
