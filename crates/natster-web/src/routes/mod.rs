//! The HTTP surface: one file per area, the shared state, and the session
//! extractor that every session route uses (cookie, then CSRF on anything
//! that changes state).

pub(crate) mod catalogs;
mod events;
mod files;
mod link;
mod pages;
mod session;
mod sharing;
mod stats;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::Method;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Router, middleware};

use crate::accounts::Accounts;
use crate::config::WebConfig;
use crate::error::WebError;
use crate::routes::catalogs::CatalogCache;
use crate::security;
use crate::session::{Session, Sessions};

/// Requests the web server accepts carry small JSON bodies only.
const MAX_BODY: usize = 64 << 10;

/// What every handler shares.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) config: Arc<WebConfig>,
    pub(crate) sessions: Arc<Sessions>,
    /// The web server's own connection (a user of the WEB account).
    pub(crate) web: async_nats::Client,
    /// The WEB account's key (token 1 of its global-service subjects).
    pub(crate) web_account: String,
    /// Verified account JWTs from the hub.
    pub(crate) accounts: Arc<Accounts>,
    /// Catalog contents recently fetched, for Range requests.
    pub(crate) catalogs: Arc<CatalogCache>,
}

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

/// The whole router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/link/{code}", get(link::status))
        .route("/api/link/{code}/open", post(link::open))
        .route("/api/link/{code}/approve", post(link::approve))
        .route("/api/link/{code}/reject", post(link::reject))
        .route("/api/session", get(session::show))
        .route("/api/logout", post(session::logout))
        .route("/api/events", get(events::events))
        .route("/api/shares", get(catalogs::shares))
        .route("/api/stats", get(stats::stats))
        .route("/api/catalogs/{owner}/{catalog}", get(catalogs::contents))
        .route(
            "/api/catalogs/{owner}/{catalog}/import",
            post(catalogs::import),
        )
        .route(
            "/api/catalogs/{owner}/{catalog}/access",
            get(sharing::access),
        )
        .route(
            "/api/catalogs/{owner}/{catalog}/share",
            post(sharing::share),
        )
        .route(
            "/api/catalogs/{owner}/{catalog}/unshare",
            post(sharing::unshare),
        )
        .route(
            "/api/catalogs/{owner}/{catalog}/files/{hash}",
            get(files::file),
        )
        .route("/api/{*rest}", get(api_not_found).post(api_not_found))
        .route("/assets/{file}", get(pages::asset))
        .fallback(get(pages::page))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::origin_check,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .with_state(state)
}

async fn api_not_found() -> WebError {
    WebError::NotFound("no such API".into())
}
