//! The HTTP surface: the router, one file per area, and (in `authed`) the
//! session extractor that every session route uses.

mod authed;
mod catalogs;
mod events;
mod files;
mod link;
mod pages;
mod session;
mod sharing;
mod stats;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Router, middleware};

use crate::error::WebError;
use crate::security;
use crate::state::AppState;

/// Requests the web server accepts carry small JSON bodies only.
const MAX_BODY: usize = 64 << 10;

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
