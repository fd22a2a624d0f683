//! The CLI's side of the device-link login and of session management:
//! what `natster login`, `natster sessions ls` and `natster sessions revoke`
//! call. These run on the person's machine, with their account signing key;
//! only public keys, a one-time code and the signed session JWT leave it.

use std::io::{BufRead, Write};
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::claims::Claims;
use natster_auth::jwt::{encode, now};
use natster_auth::keys::{KeyKind, check_public_key};
use natster_client::{GlobalClient, HubClient};
use natster_proto::global::{
    EventPutRequest, NewEvent, OtcGenerateRequest, SessionBoundData, SessionRevokedData,
    SessionSummary, WhoamiRequest,
};
use natster_proto::hub::UserRevokeRequest;
use serde::Deserialize;

use crate::scope::{self, Scope};

/// A failed login or session command.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The web server could not be reached or answered nonsense.
    #[error("web server {url}: {detail}")]
    Web {
        /// Its URL.
        url: String,
        /// What happened.
        detail: String,
    },
    /// The web server refused (its message).
    #[error("web server refused: {0}")]
    Refused(String),
    /// No browser opened the link before the code expired.
    #[error("no browser opened the link before it expired; run `natster login` again")]
    Expired,
    /// The person said the phrases differ (or declined).
    #[error("login declined: the phrases did not match, so the session was not approved")]
    Declined,
    /// A request to the global service or the hub failed.
    #[error(transparent)]
    Service(#[from] natster_client::Error),
    /// Signing the session credential failed, or a key is malformed.
    #[error("{0}")]
    Key(#[from] natster_auth::Error),
    /// Bad options.
    #[error("{0}")]
    Usage(String),
}

/// How to log in.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// The web server's public URL. `None`: taken from the code's claim URL
    /// when the global service knows the web app's address.
    pub web_url: Option<String>,
    /// Lifetime of the session's credential (`--ttl`, default 12 h).
    pub ttl: Duration,
    /// Let the session share and unshare (`--allow-sharing`).
    pub allow_sharing: bool,
    /// How often to ask the web server whether the link was opened.
    pub poll_interval: Duration,
}

impl Default for LoginOptions {
    fn default() -> Self {
        Self {
            web_url: None,
            ttl: Duration::from_secs(12 * 3600),
            allow_sharing: false,
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// How the login talks to the person.
pub trait LoginPrompt {
    /// Show the URL to open (and its QR code, if wanted).
    fn show_link(&mut self, url: &str);
    /// A browser opened the link and shows `phrase`: true when the person
    /// confirms their browser shows the same. Async, so that waiting for the
    /// person never blocks the runtime's threads.
    fn confirm(&mut self, phrase: &str) -> impl std::future::Future<Output = bool> + Send;
}

/// The terminal: prints to stderr, asks on stdin.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalPrompt {
    /// Print a QR code of the URL (`--qr`).
    pub qr: bool,
    /// Do not ask; accept the phrase (`--yes`).
    pub yes: bool,
}

impl LoginPrompt for TerminalPrompt {
    fn show_link(&mut self, url: &str) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "Open this link in your browser to log in:\n\n  {url}\n"
        );
        if self.qr {
            if let Some(q) = crate::qr::render(url) {
                let _ = writeln!(err, "{q}");
            }
        }
        let _ = writeln!(err, "Waiting for the browser...");
    }

    async fn confirm(&mut self, phrase: &str) -> bool {
        {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "\nThe browser that opened the link shows:\n\n  {phrase}\n"
            );
            if self.yes {
                return true;
            }
            let _ = write!(err, "Does your browser show exactly this phrase? [y/N] ");
            let _ = err.flush();
        }
        // stdin blocks: read it on a blocking thread.
        let line = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map(|_| line)
        })
        .await;
        match line {
            Ok(Ok(line)) => matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"),
            _ => false,
        }
    }
}

/// A bound session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOutcome {
    /// The session's user public key.
    pub session: String,
    /// When its credential expires (unix seconds).
    pub expires_at: i64,
    /// Whether it may share and unshare.
    pub can_share: bool,
    /// The web app's URL.
    pub web_url: String,
    /// Set when the session works but recording it with the global service
    /// failed (it is then missing from `sessions ls` until it ends).
    pub record_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum Status {
    Waiting,
    Opened {
        account: String,
        session: String,
        phrase: String,
    },
}

#[derive(Deserialize)]
struct Approved {
    expires_at: i64,
    can_share: bool,
}

struct Web {
    base: String,
    http: reqwest::Client,
}

impl Web {
    fn err(&self, detail: impl std::fmt::Display) -> LoginError {
        LoginError::Web {
            url: self.base.clone(),
            detail: detail.to_string(),
        }
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, LoginError> {
        let resp = req.send().await.map_err(|e| self.err(e.without_url()))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| self.err(e.without_url()))?;
        if !status.is_success() {
            let msg = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(LoginError::Refused(msg));
        }
        serde_json::from_slice(&body).map_err(|e| self.err(format!("unexpected answer: {e}")))
    }
}

/// `natster login`: binds a browser session to `account`.
///
/// `client` is the CLI's own NATS connection (a user of `account`);
/// `signing_key` is the account signing key, which signs the session's
/// credential here, on this machine.
pub async fn login(
    client: &async_nats::Client,
    account: &str,
    signing_key: &KeyPair,
    opts: &LoginOptions,
    prompt: &mut (impl LoginPrompt + Send),
) -> Result<LoginOutcome, LoginError> {
    check_public_key(account, KeyKind::Account)?;
    let scope = Scope {
        allow_sharing: opts.allow_sharing,
    };
    let ttl = i64::try_from(opts.ttl.as_secs()).unwrap_or(i64::MAX);
    if ttl < 60 {
        return Err(LoginError::Usage(
            "the session TTL must be at least one minute".into(),
        ));
    }
    let global = GlobalClient::new(client.clone(), account);
    let generated = global
        .call(&OtcGenerateRequest {
            payload: Some(serde_json::json!({ "allow_sharing": scope.allow_sharing })),
        })
        .await?;
    let base = match (&opts.web_url, &generated.claim_url) {
        (Some(u), _) => u.trim_end_matches('/').to_owned(),
        (None, Some(claim)) => claim
            .strip_suffix(&format!("/link/{}", generated.code))
            .map(str::to_owned)
            .ok_or_else(|| LoginError::Usage("give the web app's URL (--web)".into()))?,
        (None, None) => return Err(LoginError::Usage("give the web app's URL (--web)".into())),
    };
    let web = Web {
        base: base.clone(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| LoginError::Usage(e.to_string()))?,
    };
    let code = generated.code;
    prompt.show_link(&format!("{base}/link/{code}"));

    // The browser opens the link; the web server redeems the code and
    // tells us (anyone holding the code may ask) the session's public key.
    let (opened_account, session, phrase) = loop {
        let st: Status = web
            .call(web.http.get(format!("{base}/api/link/{code}")))
            .await?;
        match st {
            Status::Opened {
                account,
                session,
                phrase,
            } => break (account, session, phrase),
            Status::Waiting if now() > generated.expires_at + 5 => return Err(LoginError::Expired),
            Status::Waiting => tokio::time::sleep(opts.poll_interval).await,
        }
    };
    check_public_key(&session, KeyKind::User)?;
    // The phrase must be the one derived from the key we are about to sign
    // for: a web server cannot show one key's phrase and get another signed.
    if opened_account != account || crate::phrase::phrase(&session) != phrase {
        return Err(LoginError::Refused(
            "the web server's answer does not belong to this login".into(),
        ));
    }
    if !prompt.confirm(&phrase).await {
        let _: Result<serde_json::Value, _> = web
            .call(web.http.post(format!("{base}/api/link/{code}/reject")))
            .await;
        return Err(LoginError::Declined);
    }
    let claims = Claims::new(session.clone(), scope::user_nats(account, scope))
        .with_name("natster-web-session")
        .with_expiry(now().saturating_add(ttl));
    let jwt = encode(&claims, signing_key)?;
    let approved: Approved = web
        .call(
            web.http
                .post(format!("{base}/api/link/{code}/approve"))
                .json(&serde_json::json!({ "jwt": jwt })),
        )
        .await?;
    let bound = NewEvent::WebSessionBound(SessionBoundData {
        session: session.clone(),
        expires_at: Some(approved.expires_at),
    });
    let record_error = global
        .call(&EventPutRequest::from(bound))
        .await
        .err()
        .map(|e| e.to_string());
    Ok(LoginOutcome {
        session,
        expires_at: approved.expires_at,
        can_share: approved.can_share,
        web_url: base,
        record_error,
    })
}

/// `natster sessions ls`: the account's bound web sessions.
pub async fn sessions_ls(
    client: &async_nats::Client,
    account: &str,
) -> Result<Vec<SessionSummary>, LoginError> {
    let who = GlobalClient::new(client.clone(), account)
        .call(&WhoamiRequest {})
        .await?;
    Ok(who.web_sessions)
}

/// `natster sessions revoke SESSION`: the hub puts a user revocation for the
/// session's key on the account JWT, so nats-server drops the session's
/// connection and refuses it from then on; then the end is recorded.
pub async fn sessions_revoke(
    client: &async_nats::Client,
    account: &str,
    session: &str,
) -> Result<(), LoginError> {
    check_public_key(session, KeyKind::User)?;
    HubClient::new(client.clone(), account)
        .call(&UserRevokeRequest {
            user: session.to_owned(),
        })
        .await?;
    let revoked = NewEvent::WebSessionRevoked(SessionRevokedData {
        session: session.to_owned(),
    });
    GlobalClient::new(client.clone(), account)
        .call(&EventPutRequest::from(revoked))
        .await?;
    Ok(())
}
