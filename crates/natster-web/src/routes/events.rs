//! `GET /api/events`: Server-Sent Events for the session (see `sse`).

use axum::response::IntoResponse;

use crate::error::WebError;
use crate::routes::authed::Authed;

pub(crate) async fn events(Authed(s): Authed) -> Result<impl IntoResponse, WebError> {
    Ok(crate::sse::stream(&s))
}
