//! `/api/session` (who am I, which phase, the CSRF token) and `/api/logout`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse};
use serde::Serialize;

use crate::error::WebError;
use crate::routes::authed::Authed;
use crate::security;
use crate::session::Phase;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub(crate) struct SessionView {
    #[serde(flatten)]
    phase: Phase,
    account: String,
    session: String,
    phrase: String,
    /// For the `X-Natster-Csrf` header; the page keeps it in memory only.
    csrf: String,
}

pub(crate) async fn show(Authed(s): Authed) -> Result<Json<SessionView>, WebError> {
    let phase = s.phase();
    if let Phase::Ended { reason } = &phase {
        return Err(WebError::Unauthorized(reason.clone()));
    }
    if let Phase::Live { .. } = phase {
        // Notices an expired credential now rather than at the next sweep.
        if let Err(WebError::Unauthorized(r)) = s.client() {
            return Err(WebError::Unauthorized(r));
        }
    }
    Ok(Json(SessionView {
        phase: s.phase(),
        account: s.account.clone(),
        session: s.user_key.clone(),
        phrase: s.phrase.clone(),
        csrf: s.csrf().to_owned(),
    }))
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    _auth: Authed,
    headers: HeaderMap,
) -> Result<impl IntoResponse, WebError> {
    if let Some(cookie) = security::session_cookie(&headers) {
        state.sessions.logout(&cookie);
    }
    let clear = security::clear_cookie(state.config.secure());
    Ok((
        AppendHeaders([(SET_COOKIE, clear)]),
        Json(serde_json::json!({"logged_out": true})),
    ))
}
