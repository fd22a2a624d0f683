//! The session extractor that every session route uses: the cookie names a
//! live session, and on anything that changes state the CSRF header matches.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;

use crate::error::WebError;
use crate::security;
use crate::session::Session;
use crate::state::AppState;

/// A request from a browser with a session; on state-changing methods the
/// CSRF header has been checked.
#[derive(Debug)]
pub(crate) struct Authed(pub(crate) Arc<Session>);

impl FromRequestParts<AppState> for Authed {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let cookie = security::session_cookie(&parts.headers)
            .ok_or_else(|| WebError::Unauthorized("no session".into()))?;
        let session = state.sessions.get(&cookie).ok_or_else(|| {
            WebError::Unauthorized("no such session (logged out or expired)".into())
        })?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            security::check_csrf(&parts.headers, session.csrf())?;
        }
        Ok(Authed(session))
    }
}
