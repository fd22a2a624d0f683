//! `GET /api/stats`: the global service's totals, asked as the session.

use std::time::Duration;

use axum::Json;
use natster_client::GlobalClient;
use natster_proto::global::{StatsRequest, StatsResponse};

use crate::error::WebError;
use crate::routes::authed::Authed;

pub(crate) async fn stats(Authed(s): Authed) -> Result<Json<StatsResponse>, WebError> {
    let (client, _) = s.client()?;
    let global = GlobalClient::new(client, &s.account).with_timeout(Duration::from_secs(5));
    Ok(Json(global.call(&StatsRequest {}).await?))
}
