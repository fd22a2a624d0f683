//! The page shell and its static assets, embedded in the binary.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

use crate::assets;
use crate::error::WebError;

/// Every page path (`/`, `/link/<code>`, `/c/...`, `/stats`) gets the same
/// shell; the script routes on `location.pathname`.
pub(crate) async fn page() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        assets::INDEX_HTML,
    )
}

pub(crate) async fn asset(Path(file): Path<String>) -> Result<impl IntoResponse, WebError> {
    let (ctype, body) =
        assets::get(&file).ok_or_else(|| WebError::NotFound("no such asset".into()))?;
    Ok(([(CONTENT_TYPE, ctype), (CACHE_CONTROL, "no-cache")], body))
}
