//! `/api/link/<code>...`: the device-link login over HTTP. The browser opens
//! a link; the CLI polls, then approves (or rejects) with a credential.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::{Deserialize, Serialize};

use crate::error::WebError;
use crate::link::{self, check_code};
use crate::security;
use crate::session::Phase;
use crate::state::AppState;

/// `POST /api/link/<code>/open` body: empty object. Requiring JSON keeps
/// plain cross-site forms out (they cannot send `application/json`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenBody {}

pub(crate) async fn open(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Json(_): Json<OpenBody>,
) -> Result<impl IntoResponse, WebError> {
    // A browser that logs in again gives up its previous session.
    if let Some(old) = security::session_cookie(&headers) {
        state.sessions.logout(&old);
    }
    let (_session, cookie, opened) = link::open(&state, &code).await?;
    let set = security::set_cookie(&cookie, state.config.secure());
    Ok((AppendHeaders([(SET_COOKIE, set)]), Json(opened)))
}

/// What the CLI sees while it waits.
#[derive(Debug, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(crate) enum LinkStatus {
    /// No browser has opened the link yet (or it is unknown).
    Waiting,
    /// A browser opened it: sign a credential for `session` after the
    /// person confirmed `phrase`.
    Opened {
        /// The account.
        account: String,
        /// The session's user public key.
        session: String,
        /// The confirmation phrase.
        phrase: String,
    },
}

pub(crate) async fn status(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<LinkStatus>, WebError> {
    check_code(&code)?;
    let st = match state.sessions.link(&code) {
        Some(l) if l.session.phase() == Phase::Pending => LinkStatus::Opened {
            account: l.session.account.clone(),
            session: l.session.user_key.clone(),
            phrase: l.session.phrase.clone(),
        },
        _ => LinkStatus::Waiting,
    };
    Ok(Json(st))
}

/// `POST /api/link/<code>/approve` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveBody {
    /// The session's user JWT, signed by the account's signing key.
    jwt: String,
}

pub(crate) async fn approve(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Json(body): Json<ApproveBody>,
) -> Result<Json<link::Approved>, WebError> {
    Ok(Json(link::approve(&state, &code, &body.jwt).await?))
}

pub(crate) async fn reject(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<serde_json::Value>, WebError> {
    check_code(&code)?;
    let link = state
        .sessions
        .link(&code)
        .ok_or_else(|| WebError::NotFound("no browser has opened this link".into()))?;
    link.session.end("the login was declined in the terminal");
    state.sessions.forget_link(&code);
    Ok(Json(serde_json::json!({"rejected": true})))
}
