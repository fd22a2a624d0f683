//! Catalogs: `GET /api/shares` (shared with me and by me, online or not).

use std::time::Duration;

use axum::Json;
use serde::Serialize;

use crate::error::WebError;
use crate::global::{self, ops};
use crate::routes::Authed;

#[derive(Debug, Serialize)]
pub(crate) struct Shares {
    /// The session's account.
    me: String,
    /// Whether this session may share and unshare.
    can_share: bool,
    /// `my.shares` as the global service answers it (`in_shares`, `out_shares`).
    #[serde(flatten)]
    shares: serde_json::Value,
}

pub(crate) async fn shares(Authed(s): Authed) -> Result<Json<Shares>, WebError> {
    let (client, scope) = s.client()?;
    let shares: serde_json::Value = global::request(
        &client,
        &s.account,
        ops::MY_SHARES,
        &serde_json::json!({}),
        Duration::from_secs(5),
    )
    .await?;
    if !shares.is_object() {
        return Err(WebError::Internal("my.shares answered no object".into()));
    }
    Ok(Json(Shares {
        me: s.account.clone(),
        can_share: scope.allow_sharing,
        shares,
    }))
}
