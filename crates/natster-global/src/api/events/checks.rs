//! Checks more than one event type makes: the shape of ids, names and keys,
//! and what the log says about an account, a share or a session.

use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::names::check_catalog_name;

use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::log::ShareState;

/// A client's event id: 1 to 64 of `A-Za-z0-9_-`, so it is one subject-safe
/// token once prefixed with the caller.
pub(super) fn client_id(id: &str) -> Result<(), ApiFailure> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiFailure::bad_request(
            "id must be 1 to 64 letters, digits, '-' or '_'",
        ))
    }
}

pub(super) fn catalog(name: &str) -> Result<(), ApiFailure> {
    check_catalog_name(name).map_err(ApiFailure::bad_request)
}

/// An account key in the data; `what` names the field in the message.
pub(super) fn account(key: &str, what: &str) -> Result<(), ApiFailure> {
    check_public_key(key, KeyKind::Account)
        .map_err(|e| ApiFailure::bad_request(format!("{what}: {e}")))
}

/// A web session's user key.
pub(super) fn session(key: &str) -> Result<(), ApiFailure> {
    check_public_key(key, KeyKind::User)
        .map_err(|e| ApiFailure::bad_request(format!("session: {e}")))
}

/// An expiry given with an event must still lie ahead.
pub(super) fn not_past(expires_at: Option<i64>, now: i64) -> Result<(), ApiFailure> {
    if expires_at.is_some_and(|e| e <= now) {
        return Err(ApiFailure::bad_request("expires_at is in the past"));
    }
    Ok(())
}

/// Whether `account` has an `account_initialized` event.
pub(super) async fn is_initialized(ctx: &Ctx, account: &str) -> Result<bool, ApiFailure> {
    Ok(ctx
        .log
        .initialized(account)
        .await
        .map_err(|e| storage("reading the event log", e))?
        .is_some())
}

/// The caller must have initialized before it shares or binds sessions.
pub(super) async fn require_initialized(ctx: &Ctx, account: &str) -> Result<(), ApiFailure> {
    if is_initialized(ctx, account).await? {
        Ok(())
    } else {
        Err(ApiFailure::forbidden(
            "this account is not initialized; run `natster init` first",
        ))
    }
}

/// Where (owner, target, catalog)'s share stands in the log.
pub(super) async fn share_in_log(
    ctx: &Ctx,
    owner: &str,
    target: &str,
    catalog: &str,
) -> Result<ShareState, ApiFailure> {
    ctx.log
        .share(owner, target, catalog)
        .await
        .map_err(|e| storage("reading the event log", e))
}
