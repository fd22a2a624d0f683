//! The session store: one entry per browser that opened a device link.
//!
//! A session starts *pending* with a fresh user key pair whose seed exists
//! only here, in this process's memory; it becomes *live* when the person's
//! CLI signs a credential for that key (see `link`), and then holds a NATS
//! connection acting as that user. It *ends* on logout, on expiry of the
//! credential, when nats-server refuses it (revocation) or when a pending
//! link is not approved in time; ending drops the key and the connection.
//!
//! Browsers hold only a random cookie token; the store keys sessions by the
//! token's SHA-256, so the map never holds the cookie itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::keys::KeyKind;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::error::WebError;
use crate::phrase::phrase;
use crate::random::token;
use crate::scope::Scope;

/// The cookie that carries the session token.
pub(crate) const COOKIE: &str = "natster_session";

/// Where a session is in its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub(crate) enum Phase {
    /// Waiting for the CLI to sign a credential.
    Pending,
    /// Acting for the account.
    Live {
        /// When the credential expires (unix seconds).
        expires_at: i64,
        /// Whether the credential allows share/unshare.
        can_share: bool,
    },
    /// Over; why.
    Ended {
        /// Why, for the page.
        reason: String,
    },
}

// A few hundred bytes per session either way; boxing buys nothing here.
#[allow(clippy::large_enum_variant)]
enum Holding {
    Pending { key: KeyPair },
    Live(Box<Live>),
    Ended,
}

struct Live {
    client: async_nats::Client,
    expires_at: i64,
    scope: Scope,
    tasks: Vec<JoinHandle<()>>,
}

/// One browser's session.
pub(crate) struct Session {
    /// The account it acts for (from the claimed one-time code).
    pub(crate) account: String,
    /// The session's user public key (`U...`).
    pub(crate) user_key: String,
    /// The confirmation phrase both browser and CLI show.
    pub(crate) phrase: String,
    /// The CSRF token the page must echo in `X-Natster-Csrf`.
    csrf: String,
    pending_until: Instant,
    holding: Mutex<Holding>,
    phase: watch::Sender<Phase>,
    /// Feed events for this account, as JSON text, fanned out to SSE streams.
    pub(crate) feed: broadcast::Sender<String>,
    /// nats-server's permission violations on this session's connection
    /// (its `-ERR` text, which names the subject), so that a request the
    /// credential does not allow fails at once with 403 instead of waiting
    /// out its timeout.
    pub(crate) violations: broadcast::Sender<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account", &self.account)
            .field("user_key", &self.user_key)
            .field("phase", &*self.phase.borrow())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The current phase.
    pub(crate) fn phase(&self) -> Phase {
        self.phase.borrow().clone()
    }

    /// Follows the phase.
    pub(crate) fn watch(&self) -> watch::Receiver<Phase> {
        self.phase.subscribe()
    }

    /// The CSRF token (sent to the page in `/api/session`, never in a URL).
    pub(crate) fn csrf(&self) -> &str {
        &self.csrf
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Holding> {
        // A panic while holding the lock cannot leave Holding half-updated
        // (every update is one assignment), so a poisoned lock is still usable.
        self.holding.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The pending session's key, to connect with once approved.
    pub(crate) fn pending_key(&self) -> Result<KeyPair, WebError> {
        match &*self.lock() {
            Holding::Pending { key } => Ok(key.clone()),
            Holding::Live(_) => Err(WebError::Conflict("this link was already approved".into())),
            Holding::Ended => Err(WebError::Conflict("this login has ended".into())),
        }
    }

    /// The NATS connection of a live session, refusing ended, expired or
    /// disconnected ones so that nothing is fetched on a dead credential.
    pub(crate) fn client(&self) -> Result<(async_nats::Client, Scope), WebError> {
        let (client, expires_at, scope) = match &*self.lock() {
            Holding::Live(l) => (l.client.clone(), l.expires_at, l.scope),
            Holding::Pending { .. } => {
                return Err(WebError::Unauthorized(
                    "waiting for approval in the terminal".into(),
                ));
            }
            Holding::Ended => return Err(WebError::Unauthorized(self.ended_reason())),
        };
        if natster_auth::jwt::now() >= expires_at {
            self.end("the session's credential expired");
            return Err(WebError::Unauthorized(self.ended_reason()));
        }
        if client.connection_state() != async_nats::connection::State::Connected {
            return Err(WebError::Unavailable(
                "the session is not connected to NATS right now".into(),
            ));
        }
        Ok((client, scope))
    }

    /// Resolves once nats-server reports that this session's credential
    /// does not allow publishing to `subject`; never otherwise. It listens
    /// from this call on, so call it before sending (nats-server answers a
    /// denied publish at once).
    pub(crate) fn denied(&self, subject: &str) -> impl Future<Output = ()> + Send + 'static {
        let mut violations = self.violations.subscribe();
        let quoted = format!("\"{subject}\"");
        async move {
            loop {
                match violations.recv().await {
                    Ok(text) if text.contains(&quoted) => return,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        }
    }

    fn ended_reason(&self) -> String {
        match &*self.phase.borrow() {
            Phase::Ended { reason } => reason.clone(),
            _ => "session ended".into(),
        }
    }

    /// Makes a pending session live with `client` (connected as its user).
    pub(crate) fn go_live(
        self: &Arc<Self>,
        client: async_nats::Client,
        expires_at: i64,
        scope: Scope,
        tasks: Vec<JoinHandle<()>>,
    ) -> Result<(), WebError> {
        let mut h = self.lock();
        if !matches!(*h, Holding::Pending { .. }) {
            drop(h);
            for t in tasks {
                t.abort();
            }
            return Err(WebError::Conflict("this login is no longer pending".into()));
        }
        *h = Holding::Live(Box::new(Live {
            client,
            expires_at,
            scope,
            tasks,
        }));
        drop(h);
        self.phase.send_replace(Phase::Live {
            expires_at,
            can_share: scope.allow_sharing,
        });
        Ok(())
    }

    /// Ends the session: drops the key and the connection. Idempotent.
    pub(crate) fn end(&self, reason: &str) {
        let old = std::mem::replace(&mut *self.lock(), Holding::Ended);
        if let Holding::Ended = old {
            return;
        }
        if let Holding::Live(live) = old {
            for t in &live.tasks {
                t.abort();
            }
            let client = live.client;
            // Close the connection now rather than when the last clone of the
            // client (maybe in a stream being sent) goes away.
            tokio::spawn(async move {
                let _ = client.drain().await;
            });
        }
        tracing::info!(account = %self.account, session = %self.user_key, reason, "web session ended");
        self.phase.send_replace(Phase::Ended {
            reason: reason.to_owned(),
        });
    }

    fn is_over(&self, now: Instant) -> bool {
        match self.phase() {
            Phase::Ended { .. } => true,
            Phase::Pending => now >= self.pending_until,
            Phase::Live { expires_at, .. } => natster_auth::jwt::now() >= expires_at,
        }
    }
}

/// A device link that a browser opened and the CLI has not approved yet.
#[derive(Clone, Debug)]
pub(crate) struct OpenedLink {
    /// The session it created.
    pub(crate) session: Arc<Session>,
}

/// All sessions and opened links.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_token: Mutex<HashMap<[u8; 32], Arc<Session>>>,
    links: Mutex<HashMap<[u8; 32], OpenedLink>>,
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sessions {
    /// Creates a pending session for `account` opened through link `code`;
    /// returns it and the cookie token for the browser.
    pub(crate) fn create_pending(
        &self,
        code: &str,
        account: String,
        key: KeyPair,
        pending_ttl: Duration,
    ) -> Result<(Arc<Session>, String), WebError> {
        let cookie = token()?;
        let user_key = key.public_key();
        let (feed, _) = broadcast::channel(256);
        let (violations, _) = broadcast::channel(16);
        let session = Arc::new(Session {
            account,
            phrase: phrase(&user_key),
            user_key,
            csrf: token()?,
            pending_until: Instant::now() + pending_ttl,
            holding: Mutex::new(Holding::Pending { key }),
            phase: watch::channel(Phase::Pending).0,
            feed,
            violations,
        });
        lock(&self.by_token).insert(digest(&cookie), session.clone());
        lock(&self.links).insert(
            digest(code),
            OpenedLink {
                session: session.clone(),
            },
        );
        Ok((session, cookie))
    }

    /// A fresh user key pair for a new session.
    pub(crate) fn new_key() -> KeyPair {
        KeyKind::User.generate()
    }

    /// The session of a cookie token, if it is not over.
    pub(crate) fn get(&self, cookie: &str) -> Option<Arc<Session>> {
        let s = lock(&self.by_token).get(&digest(cookie)).cloned()?;
        Some(s)
    }

    /// The opened link `code`, if any.
    pub(crate) fn link(&self, code: &str) -> Option<OpenedLink> {
        lock(&self.links).get(&digest(code)).cloned()
    }

    /// Forgets link `code` (approved or rejected: single use).
    pub(crate) fn forget_link(&self, code: &str) {
        lock(&self.links).remove(&digest(code));
    }

    /// Ends and forgets the session of `cookie`.
    pub(crate) fn logout(&self, cookie: &str) -> bool {
        let s = lock(&self.by_token).remove(&digest(cookie));
        if let Some(s) = &s {
            s.end("logged out");
        }
        s.is_some()
    }

    /// Ends sessions whose pending time or credential ran out and forgets
    /// ended ones. Called every second by the server.
    pub(crate) fn sweep(&self) {
        let now = Instant::now();
        let over: Vec<Arc<Session>> = lock(&self.by_token)
            .values()
            .filter(|s| s.is_over(now))
            .cloned()
            .collect();
        for s in &over {
            let reason = match s.phase() {
                Phase::Pending => "the link was not approved in time",
                _ => "the session's credential expired",
            };
            s.end(reason);
        }
        lock(&self.by_token).retain(|_, s| !matches!(s.phase(), Phase::Ended { .. }));
        lock(&self.links).retain(|_, l| matches!(l.session.phase(), Phase::Pending));
    }

    /// Ends every session (server shutdown).
    pub(crate) fn end_all(&self) {
        let all: Vec<_> = lock(&self.by_token).drain().map(|(_, s)| s).collect();
        for s in all {
            s.end("the web server stopped");
        }
        lock(&self.links).clear();
    }

    /// How many sessions exist.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.by_token).len()
    }
}

/// Watches a live session's connection: ends the session when nats-server
/// refuses its credential (revoked or expired) or when the credential's
/// expiry passes, whichever comes first; passes permission violations on to
/// [`Session::violations`].
pub(crate) async fn watch_connection(
    session: Weak<Session>,
    mut events: tokio::sync::mpsc::UnboundedReceiver<async_nats::Event>,
    expires_at: i64,
) {
    let left = (expires_at - natster_auth::jwt::now()).max(0) as u64;
    let deadline = tokio::time::sleep(Duration::from_secs(left));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => {
                if let Some(s) = session.upgrade() {
                    s.end("the session's credential expired");
                }
                return;
            }
            ev = events.recv() => {
                let Some(ev) = ev else { return };
                if let Some(reason) = refusal(&ev) {
                    if let Some(s) = session.upgrade() {
                        s.end(reason);
                    }
                    return;
                }
                if let Some(text) = permission_violation(&ev) {
                    if let Some(s) = session.upgrade() {
                        let _ = s.violations.send(text.to_owned());
                    }
                }
            }
        }
    }
}

/// Whether a connection event means nats-server no longer accepts the
/// credential. nats-server says "Authorization Violation" when it refuses a
/// (re)connect, and "User Authentication Revoked" / "... Expired" when it
/// closes a connection whose credential ended.
fn refusal(ev: &async_nats::Event) -> Option<&'static str> {
    use async_nats::{Event, ServerError};
    match ev {
        Event::ServerError(ServerError::AuthorizationViolation) => {
            Some("NATS refused the session's credential (revoked or expired)")
        }
        Event::ServerError(ServerError::Other(msg)) => {
            let m = msg.to_ascii_lowercase();
            if m.contains("revoked") {
                Some("the session was revoked")
            } else if m.contains("expired") {
                Some("the session's credential expired")
            } else if m.contains("authorization") || m.contains("authentication") {
                Some("NATS refused the session's credential")
            } else {
                None
            }
        }
        _ => None,
    }
}

/// nats-server's answer to a publish or subscribe the credential does not
/// allow: `Permissions Violation for Publish to "<subject>"`. The
/// connection stays up; only that message is dropped.
fn permission_violation(ev: &async_nats::Event) -> Option<&str> {
    use async_nats::{Event, ServerError};
    match ev {
        Event::ServerError(ServerError::Other(msg))
            if msg.to_ascii_lowercase().contains("permissions violation") =>
        {
            Some(msg)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn pending_sessions_expire_and_logout_forgets() {
        let store = Sessions::default();
        let (s, cookie) = store
            .create_pending("code1", "AX".into(), Sessions::new_key(), Duration::ZERO)
            .unwrap();
        assert!(store.get(&cookie).is_some());
        assert!(store.link("code1").is_some());
        assert!(matches!(s.client().unwrap_err(), WebError::Unauthorized(_)));
        store.sweep();
        assert!(store.get(&cookie).is_none());
        assert!(store.link("code1").is_none());
        assert!(matches!(s.phase(), Phase::Ended { .. }));
        assert!(s.pending_key().is_err(), "the key is dropped");

        let (_s, cookie) = store
            .create_pending(
                "code2",
                "AX".into(),
                Sessions::new_key(),
                Duration::from_secs(60),
            )
            .unwrap();
        store.sweep();
        assert!(store.get(&cookie).is_some());
        assert!(store.logout(&cookie));
        assert!(store.get(&cookie).is_none());
        assert!(!store.logout(&cookie));
        assert_eq!(store.len(), 0);
    }

    #[test]
    fn refusals_are_recognised() {
        use async_nats::{Event, ServerError};
        assert!(refusal(&Event::ServerError(ServerError::AuthorizationViolation)).is_some());
        assert!(
            refusal(&Event::ServerError(ServerError::Other(
                "User Authentication Revoked".into()
            )))
            .is_some()
        );
        assert!(refusal(&Event::Disconnected).is_none());
        let denied = Event::ServerError(ServerError::Other(
            "Permissions Violation for Publish to \"A.natster.catalog.A.m.share\"".into(),
        ));
        assert!(refusal(&denied).is_none(), "the session stays up");
        assert!(permission_violation(&denied).is_some_and(|m| m.contains("A.m.share")));
        assert!(permission_violation(&Event::Disconnected).is_none());
        assert!(refusal(&Event::ServerError(ServerError::Other("slow".into()))).is_none());
    }
}
