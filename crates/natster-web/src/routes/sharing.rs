//! Who has access to my catalogs, and share / unshare:
//! `GET /api/catalogs/<me>/<catalog>/access`,
//! `POST /api/catalogs/<me>/<catalog>/share` `{account, expires?}`,
//! `POST /api/catalogs/<me>/<catalog>/unshare` `{account}`.
//!
//! Signing a share needs the account signing key, which only the owner's
//! machines hold, so the web does not sign: it asks the owner's running
//! catalog server (`natster catalog serve`, on the owner's machine) on
//! `<me>.natster.catalog.<me>.<catalog>.<op>`. A session without sharing
//! rights has a credential that denies the `share` and `unshare` subjects,
//! so nats-server itself refuses them; that refusal is reported as 403.

use std::time::Duration;

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::catalog::{
    AccessResponse, OP_ACCESS, OP_SHARE, OP_UNSHARE, ShareRequest, ShareResponse, UnshareRequest,
    UnshareResponse,
};
use natster_proto::names::check_catalog_name;
use natster_proto::{ApiResponse, subjects};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::WebError;
use crate::routes::authed::Authed;
use crate::session::Session;

/// A share asks the hub twice and the global service once, and may wait
/// out the second of an earlier revocation.
const OP_TIMEOUT: Duration = Duration::from_secs(20);

/// What a session without sharing rights is told.
const NO_SHARING: &str = "this session may not share or unshare: to do that from the web, \
     log in with `natster login --allow-sharing`";

/// `access` as the page gets it.
#[derive(Debug, Serialize)]
pub(crate) struct Access {
    #[serde(flatten)]
    access: AccessResponse,
    /// Whether this session may share and unshare.
    can_share: bool,
}

/// `POST .../share` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShareBody {
    account: String,
    /// As the CLI's `--expires` (`1h`, `7d`); empty or absent: no end.
    #[serde(default)]
    expires: Option<String>,
}

/// `POST .../unshare` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnshareBody {
    account: String,
}

/// Only the session's own catalogs, with a valid name.
fn check_mine(s: &Session, owner: &str, catalog: &str) -> Result<(), WebError> {
    check_catalog_name(catalog).map_err(WebError::BadRequest)?;
    if owner != s.account {
        return Err(WebError::Forbidden(
            "only the owner manages who has access to a catalog".into(),
        ));
    }
    Ok(())
}

fn check_account(s: &Session, account: &str) -> Result<(), WebError> {
    check_public_key(account, KeyKind::Account)
        .map_err(|e| WebError::BadRequest(format!("account {account:?}: {e}")))?;
    if account == s.account {
        return Err(WebError::BadRequest(
            "that is your own account: a catalog cannot be shared with its owner".into(),
        ));
    }
    Ok(())
}

/// A JSON body, or a 400 (413 when too large) in the usual envelope.
fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, WebError> {
    match body {
        Ok(Json(b)) => Ok(b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(WebError::TooLarge),
        Err(e) => Err(WebError::BadRequest(e.body_text())),
    }
}

/// Sends `op` to the session's own catalog server and decodes the answer.
async fn ask<B: Serialize, T: DeserializeOwned>(
    s: &Session,
    catalog: &str,
    op: &str,
    body: &B,
) -> Result<T, WebError> {
    let (client, scope) = s.client()?;
    let subject = subjects::catalog(&s.account, &s.account, catalog, op);
    let payload = serde_json::to_vec(body).map_err(|e| WebError::Internal(e.to_string()))?;
    // Listen before sending: nats-server answers a denied publish at once.
    let denied = s.denied(&subject);
    let request = client.send_request(
        subject.clone(),
        async_nats::Request::new()
            .payload(payload.into())
            .timeout(Some(OP_TIMEOUT)),
    );
    let msg = tokio::select! {
        _ = denied => return Err(WebError::Forbidden(NO_SHARING.into())),
        r = request => r,
    };
    let msg = match msg {
        Ok(m) => m,
        Err(e) if e.kind() == async_nats::RequestErrorKind::NoResponders => {
            return Err(WebError::Unavailable(format!(
                "the catalog server of {catalog} is not running: start `natster catalog serve \
                 {catalog}` on your computer, then try again"
            )));
        }
        // The denial can only go unseen if its message was lost; the
        // credential does not allow the request either way.
        Err(_) if !scope.allow_sharing && op != OP_ACCESS => {
            return Err(WebError::Forbidden(NO_SHARING.into()));
        }
        Err(e) if e.kind() == async_nats::RequestErrorKind::TimedOut => {
            return Err(WebError::Timeout(format!(
                "the catalog server of {catalog} did not answer {op}"
            )));
        }
        Err(e) => return Err(WebError::Unavailable(format!("catalog {catalog}: {e}"))),
    };
    let resp: ApiResponse<T> = serde_json::from_slice(&msg.payload)
        .map_err(|e| WebError::Internal(format!("catalog server's {op} answer: {e}")))?;
    resp.into_result().map_err(|e| WebError::Upstream {
        service: "catalog server",
        code: e.code,
        message: e.message,
    })
}

/// `GET /api/catalogs/<me>/<catalog>/access`.
pub(crate) async fn access(
    Authed(s): Authed,
    Path((owner, catalog)): Path<(String, String)>,
) -> Result<Json<Access>, WebError> {
    check_mine(&s, &owner, &catalog)?;
    let (_, scope) = s.client()?;
    let access: AccessResponse = ask(&s, &catalog, OP_ACCESS, &serde_json::json!({})).await?;
    Ok(Json(Access {
        access,
        can_share: scope.allow_sharing,
    }))
}

/// `POST /api/catalogs/<me>/<catalog>/share`.
pub(crate) async fn share(
    Authed(s): Authed,
    Path((owner, catalog)): Path<(String, String)>,
    body: Result<Json<ShareBody>, JsonRejection>,
) -> Result<Json<ShareResponse>, WebError> {
    check_mine(&s, &owner, &catalog)?;
    let body = json_body(body)?;
    let account = body.account.trim().to_owned();
    check_account(&s, &account)?;
    let expires = body
        .expires
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    if expires.as_ref().is_some_and(|e| e.len() > 32) {
        return Err(WebError::BadRequest(
            "expires: write a duration like 1h or 7d".into(),
        ));
    }
    let req = ShareRequest { account, expires };
    Ok(Json(ask(&s, &catalog, OP_SHARE, &req).await?))
}

/// `POST /api/catalogs/<me>/<catalog>/unshare`.
pub(crate) async fn unshare(
    Authed(s): Authed,
    Path((owner, catalog)): Path<(String, String)>,
    body: Result<Json<UnshareBody>, JsonRejection>,
) -> Result<Json<UnshareResponse>, WebError> {
    check_mine(&s, &owner, &catalog)?;
    let body = json_body(body)?;
    let account = body.account.trim().to_owned();
    check_account(&s, &account)?;
    let req = UnshareRequest { account };
    Ok(Json(ask(&s, &catalog, OP_UNSHARE, &req).await?))
}
