//! The web server's side of the device-link login (the protocol is written
//! down in the crate's README):
//!
//! 1. `open`: a browser opened `/link/<code>`; redeem the code at the global
//!    service (`otc.claim`, single use) for the account it binds, make a key
//!    pair for the session, create a pending session.
//! 2. `approve`: the person's CLI sends a user JWT for that key; check that
//!    the account's signing key issued it for that account, that it expires
//!    and grants no more than the web needs, then connect to NATS as that
//!    user. The session is live.

use std::sync::Arc;

use natster_auth::claims::UserNats;
use natster_auth::jwt::{Verifier, decode, now};
use natster_auth::keys::{KeyKind, check_public_key};
use serde::Serialize;

use crate::error::WebError;
use crate::scope;
use crate::session::{Session, Sessions, watch_connection};
use crate::state::AppState;
use natster_client::GlobalClient;
use natster_proto::global::OtcClaimRequest;

/// Codes are base32/base64url text; anything else is refused before it
/// reaches NATS (subjects, logs).
pub(crate) fn check_code(code: &str) -> Result<(), WebError> {
    let ok = (16..=128).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(WebError::BadRequest("not a login code".into()))
    }
}

/// What the browser learns when it opens a link.
#[derive(Debug, Serialize)]
pub(crate) struct Opened {
    /// The account the session will act for.
    pub(crate) account: String,
    /// The session's public key.
    pub(crate) session: String,
    /// The confirmation phrase.
    pub(crate) phrase: String,
}

/// Step 1. Returns the new session and its cookie token.
pub(crate) async fn open(
    state: &AppState,
    code: &str,
) -> Result<(Arc<Session>, String, Opened), WebError> {
    check_code(code)?;
    let key = Sessions::new_key();
    let req = OtcClaimRequest {
        code: code.to_owned(),
        session: Some(key.public_key()),
    };
    let claimed = GlobalClient::new(state.web.clone(), &state.web_account)
        .call(&req)
        .await
        .map_err(|e| match WebError::from(e) {
            WebError::Upstream {
                code: 400 | 404 | 409 | 410,
                ..
            } => WebError::NotFound("this login link is unknown, expired or already used".into()),
            other => other,
        })?;
    check_public_key(&claimed.account, KeyKind::Account)
        .map_err(|e| WebError::Internal(format!("otc.claim returned a bad account: {e}")))?;
    let (session, cookie) = state.sessions.create_pending(
        code,
        claimed.account.clone(),
        key,
        state.config.pending_ttl,
    )?;
    let opened = Opened {
        account: session.account.clone(),
        session: session.user_key.clone(),
        phrase: session.phrase.clone(),
    };
    Ok((session, cookie, opened))
}

/// What the CLI learns when its credential is accepted.
#[derive(Debug, Serialize)]
pub(crate) struct Approved {
    /// The account.
    pub(crate) account: String,
    /// The session's public key.
    pub(crate) session: String,
    /// When the credential expires.
    pub(crate) expires_at: i64,
    /// Whether it allows share/unshare.
    pub(crate) can_share: bool,
}

/// Step 2.
pub(crate) async fn approve(state: &AppState, code: &str, jwt: &str) -> Result<Approved, WebError> {
    check_code(code)?;
    let link = state.sessions.link(code).ok_or_else(|| {
        WebError::NotFound("no browser has opened this link (or it expired)".into())
    })?;
    let session = link.session;
    let key = session.pending_key()?;
    let (claims, scope) = verify_credential(state, &session, jwt).await?;
    let expires_at = claims.exp.unwrap_or_default();

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let url = state.config.nats_urls.join(",");
    let client = natster_client::connect::options(jwt.to_owned(), key, "natster-web-session")
        .event_callback(move |ev| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(ev);
            }
        })
        .connect(url.as_str())
        .await
        .map_err(|e| WebError::Forbidden(format!("NATS refused the session credential: {e}")))?;
    let feed_task = tokio::spawn(crate::sse::forward_feed(
        Arc::downgrade(&session),
        client.clone(),
        session.account.clone(),
    ));
    let watch_task = tokio::spawn(watch_connection(Arc::downgrade(&session), rx, expires_at));
    session.go_live(client, expires_at, scope, vec![feed_task, watch_task])?;
    state.sessions.forget_link(code);
    tracing::info!(account = %session.account, session = %session.user_key, "web session live");
    Ok(Approved {
        account: session.account.clone(),
        session: session.user_key.clone(),
        expires_at,
        can_share: scope.allow_sharing,
    })
}

/// Checks a session credential: a user JWT for exactly this session's key,
/// issued by a signing key of the session's account (which the operator
/// signed), currently valid, expiring within the server's limit, scoped.
async fn verify_credential(
    state: &AppState,
    session: &Session,
    jwt: &str,
) -> Result<(natster_auth::claims::UserClaims, scope::Scope), WebError> {
    let bad = |e: natster_auth::Error| WebError::BadRequest(format!("session credential: {e}"));
    let claims = decode::<UserNats>(jwt).map_err(bad)?;
    if claims.sub != session.user_key {
        return Err(WebError::BadRequest(
            "session credential is for another key than this session's".into(),
        ));
    }
    // Fresh: the account's signing keys are what this credential is checked against.
    let account = state.accounts.get(&session.account, true).await?;
    let claims = Verifier::for_account(&account)
        .verify::<UserNats>(jwt)
        .map_err(|e| WebError::Forbidden(format!("session credential: {e}")))?;
    let exp = claims
        .exp
        .ok_or_else(|| WebError::BadRequest("session credential must expire".into()))?;
    let max = i64::try_from(state.config.max_session_ttl.as_secs()).unwrap_or(i64::MAX);
    if exp > now().saturating_add(max) {
        return Err(WebError::BadRequest(format!(
            "session credential lives longer than this server allows ({} s)",
            max
        )));
    }
    let scope = scope::check(&claims.nats, &session.account)?;
    Ok((claims, scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked() {
        assert!(check_code("abcdefghijklmnopqrstuvwxyz234567").is_ok());
        for bad in [
            "",
            "short",
            "a.b.c.d.e.f.g.h.i.j.k",
            "abc def ghi jkl mno",
            &"a".repeat(200),
        ] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }
}
