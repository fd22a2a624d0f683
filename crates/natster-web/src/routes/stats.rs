//! `GET /api/stats`: the global service's totals, asked as the session.

use std::time::Duration;

use axum::Json;

use crate::error::WebError;
use crate::global::{self, ops};
use crate::routes::Authed;

pub(crate) async fn stats(Authed(s): Authed) -> Result<Json<serde_json::Value>, WebError> {
    let (client, _) = s.client()?;
    let v: serde_json::Value = global::request(
        &client,
        &s.account,
        ops::STATS,
        &serde_json::json!({}),
        Duration::from_secs(5),
    )
    .await?;
    Ok(Json(v))
}
