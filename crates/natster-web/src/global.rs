//! Requests to the global service (`<caller>.natster.global.<op>`) and the
//! few of its wire types the web and `natster login` use.
//!
//! The types mirror `natster_global::wire` field for field (only the fields
//! read here; unknown fields are ignored so the service can grow). They move
//! to `natster-proto` with the global service's API.

use std::time::Duration;

use natster_proto::{ApiResponse, subjects};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::WebError;

/// Operation names.
pub mod ops {
    /// Generate a one-time login code for the caller.
    pub const OTC_GENERATE: &str = "otc.generate";
    /// Redeem a code (web account only).
    pub const OTC_CLAIM: &str = "otc.claim";
    /// Record an event.
    pub const EVENTS_PUT: &str = "events.put";
    /// Shares by and with the caller.
    pub const MY_SHARES: &str = "my.shares";
    /// The caller's own catalogs, shared or not.
    pub const MY_CATALOGS: &str = "my.catalogs";
    /// The caller's account, incl. bound web sessions.
    pub const WHOAMI: &str = "whoami";
    /// Totals.
    pub const STATS: &str = "stats";
    /// Record an import (`catalog_imported`), all a session may record.
    pub const IMPORTS_RECORD: &str = "imports.record";
}

/// `otc.generate` request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OtcGenerateRequest {
    /// What the claimer receives (the scope asked for); never a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

/// `otc.generate` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct OtcGenerateResponse {
    /// The code.
    pub code: String,
    /// When it stops being claimable (unix seconds).
    pub expires_at: i64,
}

/// `otc.claim` request.
#[derive(Debug, Clone, Serialize)]
pub struct OtcClaimRequest {
    /// The code.
    pub code: String,
    /// The web session's user public key, passed on to the account's feed.
    pub session: Option<String>,
}

/// `otc.claim` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct OtcClaimResponse {
    /// The account the code binds.
    pub account: String,
    /// The generator's payload.
    #[serde(default)]
    pub payload: Option<Value>,
}

/// `events.put` request.
#[derive(Debug, Clone, Serialize)]
pub struct EventPutRequest {
    /// The event type, e.g. `web_session_bound`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its data.
    pub data: Value,
}

/// A bound web session, as `whoami` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session's user public key.
    pub session: String,
    /// When it was bound (unix seconds).
    pub bound_at: i64,
    /// When its credential expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// `whoami` answer (the part used here).
#[derive(Debug, Clone, Deserialize)]
pub struct WhoamiResponse {
    /// Web sessions bound and not revoked.
    #[serde(default)]
    pub web_sessions: Vec<SessionSummary>,
}

/// One of the caller's catalogs, as `my.catalogs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnCatalog {
    /// The catalog.
    pub catalog: String,
    /// Whether its server is online now.
    pub online: bool,
    /// Latest revision known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
}

/// `my.catalogs` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct MyCatalogsResponse {
    /// The caller's catalogs the service knows of, by name.
    #[serde(default)]
    pub catalogs: Vec<OwnCatalog>,
}

/// Sends `body` to `op` as `caller` and decodes the envelope's data.
pub async fn request<B: Serialize, T: DeserializeOwned>(
    client: &async_nats::Client,
    caller: &str,
    op: &str,
    body: &B,
    timeout: Duration,
) -> Result<T, WebError> {
    let payload = serde_json::to_vec(body).map_err(|e| WebError::Internal(e.to_string()))?;
    let req = client.request(subjects::global(caller, op), payload.into());
    let msg = tokio::time::timeout(timeout, req)
        .await
        .map_err(|_| WebError::Timeout(format!("global service did not answer {op}")))?
        .map_err(|e| match e.kind() {
            async_nats::RequestErrorKind::NoResponders => {
                WebError::Unavailable("the global service is not running".into())
            }
            async_nats::RequestErrorKind::TimedOut => {
                WebError::Timeout(format!("global service did not answer {op}"))
            }
            _ => WebError::Unavailable(format!("global service: {e}")),
        })?;
    let resp: ApiResponse<T> = serde_json::from_slice(&msg.payload)
        .map_err(|e| WebError::Internal(format!("global service {op} answer: {e}")))?;
    resp.into_result().map_err(|e| WebError::Upstream {
        service: "global service",
        code: e.code,
        message: e.message,
    })
}
