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
    EventPutRequest, NewEvent, OtcGenerateRequest, OtcGenerateResponse, SessionBoundData,
    SessionRevokedData, SessionSummary, WhoamiRequest,
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
    Opened(Opened),
}

/// What the web server says about the browser that opened the link.
#[derive(Deserialize)]
struct Opened {
    account: String,
    session: String,
    phrase: String,
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
    fn new(base: String) -> Result<Self, LoginError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| LoginError::Usage(e.to_string()))?;
        Ok(Self { base, http })
    }

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

    async fn status(&self, code: &str) -> Result<Status, LoginError> {
        let url = format!("{}/api/link/{code}", self.base);
        self.call(self.http.get(url)).await
    }

    /// Best effort: the browser learns the login was declined.
    async fn reject(&self, code: &str) {
        let url = format!("{}/api/link/{code}/reject", self.base);
        let _: Result<serde_json::Value, _> = self.call(self.http.post(url)).await;
    }

    async fn approve(&self, code: &str, jwt: &str) -> Result<Approved, LoginError> {
        let url = format!("{}/api/link/{code}/approve", self.base);
        let body = serde_json::json!({ "jwt": jwt });
        self.call(self.http.post(url).json(&body)).await
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
    let ttl = session_ttl(opts)?;
    let global = GlobalClient::new(client.clone(), account);
    let generated = generate_code(&global, scope).await?;
    let web = Web::new(web_base(opts, &generated)?)?;
    let code = &generated.code;
    prompt.show_link(&format!("{}/link/{code}", web.base));
    let opened = wait_for_browser(&web, code, generated.expires_at, opts).await?;
    check_opened(&opened, account)?;
    confirm_phrase(prompt, &web, code, &opened.phrase).await?;
    let jwt = session_jwt(account, &opened.session, scope, ttl, signing_key)?;
    let approved = web.approve(code, &jwt).await?;
    let record_error = record(&global, &opened.session, approved.expires_at).await;
    Ok(LoginOutcome {
        session: opened.session,
        expires_at: approved.expires_at,
        can_share: approved.can_share,
        web_url: web.base,
        record_error,
    })
}

/// The session credential's lifetime in seconds: a minute at least.
fn session_ttl(opts: &LoginOptions) -> Result<i64, LoginError> {
    let ttl = i64::try_from(opts.ttl.as_secs()).unwrap_or(i64::MAX);
    if ttl < 60 {
        return Err(LoginError::Usage(
            "the session TTL must be at least one minute".into(),
        ));
    }
    Ok(ttl)
}

/// The one-time code the link carries, with the scope asked for as its
/// payload.
async fn generate_code(
    global: &GlobalClient,
    scope: Scope,
) -> Result<OtcGenerateResponse, LoginError> {
    let payload = serde_json::json!({ "allow_sharing": scope.allow_sharing });
    Ok(global
        .call(&OtcGenerateRequest {
            payload: Some(payload),
        })
        .await?)
}

/// The web app's URL: given, or the code's claim URL without its
/// `/link/<code>`.
fn web_base(opts: &LoginOptions, generated: &OtcGenerateResponse) -> Result<String, LoginError> {
    match (&opts.web_url, &generated.claim_url) {
        (Some(u), _) => Ok(u.trim_end_matches('/').to_owned()),
        (None, Some(claim)) => claim
            .strip_suffix(&format!("/link/{}", generated.code))
            .map(str::to_owned)
            .ok_or_else(|| LoginError::Usage("give the web app's URL (--web)".into())),
        (None, None) => Err(LoginError::Usage("give the web app's URL (--web)".into())),
    }
}

/// The browser opens the link; the web server redeems the code and
/// tells us (anyone holding the code may ask) the session's public key.
async fn wait_for_browser(
    web: &Web,
    code: &str,
    expires_at: i64,
    opts: &LoginOptions,
) -> Result<Opened, LoginError> {
    loop {
        match web.status(code).await? {
            Status::Opened(opened) => return Ok(opened),
            Status::Waiting if now() > expires_at + 5 => return Err(LoginError::Expired),
            Status::Waiting => tokio::time::sleep(opts.poll_interval).await,
        }
    }
}

/// The phrase must be the one derived from the key we are about to sign
/// for: a web server cannot show one key's phrase and get another signed.
fn check_opened(opened: &Opened, account: &str) -> Result<(), LoginError> {
    check_public_key(&opened.session, KeyKind::User)?;
    if opened.account != account || crate::phrase::phrase(&opened.session) != opened.phrase {
        return Err(LoginError::Refused(
            "the web server's answer does not belong to this login".into(),
        ));
    }
    Ok(())
}

/// The person confirms that their browser shows `phrase`; if not, the web
/// server hears that the login was declined.
async fn confirm_phrase(
    prompt: &mut (impl LoginPrompt + Send),
    web: &Web,
    code: &str,
    phrase: &str,
) -> Result<(), LoginError> {
    if prompt.confirm(phrase).await {
        return Ok(());
    }
    web.reject(code).await;
    Err(LoginError::Declined)
}

/// The session's credential: a user JWT for `session`, scoped, signed here
/// by the account signing key.
fn session_jwt(
    account: &str,
    session: &str,
    scope: Scope,
    ttl: i64,
    signing_key: &KeyPair,
) -> Result<String, LoginError> {
    let claims = Claims::new(session.to_owned(), scope::user_nats(account, scope))
        .with_name("natster-web-session")
        .with_expiry(now().saturating_add(ttl));
    Ok(encode(&claims, signing_key)?)
}

/// Records the bound session with the global service (for `sessions ls`);
/// the session works without it, so a failure is only reported.
async fn record(global: &GlobalClient, session: &str, expires_at: i64) -> Option<String> {
    let bound = NewEvent::WebSessionBound(SessionBoundData {
        session: session.to_owned(),
        expires_at: Some(expires_at),
    });
    global
        .call(&EventPutRequest::from(bound))
        .await
        .err()
        .map(|e| e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_web_url_is_given_or_read_off_the_claim_url() {
        let code = "abc";
        let usage = || Err("usage".to_owned());
        for (given, claim, want) in [
            (
                Some("https://w.example/"),
                None,
                Ok("https://w.example".to_owned()),
            ),
            (
                Some("https://w.example"),
                Some("https://other/link/abc"),
                Ok("https://w.example".to_owned()),
            ),
            (
                None,
                Some("https://w.example/x/link/abc"),
                Ok("https://w.example/x".to_owned()),
            ),
            (None, Some("https://w.example/link/other"), usage()),
            (None, None, usage()),
        ] {
            let opts = LoginOptions {
                web_url: given.map(str::to_owned),
                ..LoginOptions::default()
            };
            let generated = OtcGenerateResponse {
                code: code.to_owned(),
                valid_seconds: 60,
                expires_at: 0,
                claim_url: claim.map(str::to_owned),
            };
            let got = web_base(&opts, &generated).map_err(|e| match e {
                LoginError::Usage(_) => "usage".to_owned(),
                other => other.to_string(),
            });
            assert_eq!(got, want, "{given:?} {claim:?}");
        }
    }
}
