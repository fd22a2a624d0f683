//! `events.put` (and `imports.record`): validate one event against the
//! caller and the log, append it, tell the accounts it concerns.
//!
//! The origin is always the caller, so an account can only share, unshare
//! or import as itself, and only its own catalogs (catalogs are named per
//! owner: `<owner>.<catalog>`). Validation reads the log itself (the last
//! event on the share's subject), not the projections, so it never acts on
//! a projection that is a few events behind.
//!
//! Each event type has one function, named after it, that validates its
//! data and decides what to append: `account_initialized` in `account`,
//! `catalog_shared`, `catalog_unshared` and `catalog_imported` in `share`,
//! `web_session_bound` and `web_session_revoked` in `session`. Each returns
//! a `Planned`; the checks they share are in `checks`.
//!
//! `catalog_share_expired` is not a type callers can put: only the
//! service's expiry sweep records it (see `crate::expiry`).

mod account;
mod checks;
mod planned;
mod session;
mod share;

use natster_proto::global::{EventPutRequest, EventPutResponse, EventType, NewEvent};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::clock;
use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::feed;
use crate::ids;
use crate::log::AppendError;

/// `events.put`.
pub(super) async fn put(
    ctx: &Ctx,
    caller: &str,
    req: EventPutRequest,
) -> Result<EventPutResponse, ApiFailure> {
    let Some(kind) = EventType::parse(&req.kind) else {
        return Err(ApiFailure::bad_request(format!(
            "unknown event type {:?}; expected one of account_initialized, catalog_shared, \
             catalog_unshared, catalog_imported, web_session_bound, web_session_revoked",
            req.kind
        )));
    };
    let id = match &req.id {
        Some(id) => {
            checks::client_id(id)?;
            // Scoped by the caller: one account's ids never collide with
            // (or suppress, as duplicates) another's.
            format!("{caller}.{id}")
        }
        None => ids::event_id()?,
    };
    let event = decode(kind, req.data)?;
    record(ctx, caller, id, event).await
}

/// `imports.record`: `catalog_imported` alone, its data as the whole body,
/// for callers whose credential does not reach `events.put`.
pub(super) async fn import(
    ctx: &Ctx,
    caller: &str,
    data: Value,
) -> Result<EventPutResponse, ApiFailure> {
    let id = ids::event_id()?;
    let event = NewEvent::CatalogImported(typed(data, EventType::CatalogImported)?);
    record(ctx, caller, id, event).await
}

/// The request's data as `kind`'s data.
fn decode(kind: EventType, data: Value) -> Result<NewEvent, ApiFailure> {
    Ok(match kind {
        EventType::AccountInitialized => NewEvent::AccountInitialized(typed(data, kind)?),
        EventType::CatalogShared => NewEvent::CatalogShared(typed(data, kind)?),
        EventType::CatalogUnshared => NewEvent::CatalogUnshared(typed(data, kind)?),
        EventType::CatalogImported => NewEvent::CatalogImported(typed(data, kind)?),
        EventType::WebSessionBound => NewEvent::WebSessionBound(typed(data, kind)?),
        EventType::WebSessionRevoked => NewEvent::WebSessionRevoked(typed(data, kind)?),
    })
}

/// The type's data; `null` or absent reads as `{}` so types whose fields are
/// all optional need no data.
fn typed<T: DeserializeOwned>(data: Value, kind: EventType) -> Result<T, ApiFailure> {
    let data = if data.is_null() {
        Value::Object(Default::default())
    } else {
        data
    };
    serde_json::from_value(data)
        .map_err(|e| ApiFailure::bad_request(format!("invalid {} data: {e}", kind.name())))
}

/// Validates `event` as `caller`'s, appends it with id `id` and, unless it
/// was a duplicate, sends its feeds.
async fn record(
    ctx: &Ctx,
    caller: &str,
    id: String,
    event: NewEvent,
) -> Result<EventPutResponse, ApiFailure> {
    let now = clock::now_secs();
    let planned = match event {
        NewEvent::AccountInitialized(d) => account::account_initialized(caller, d)?,
        NewEvent::CatalogShared(d) => share::catalog_shared(ctx, caller, d, now).await?,
        NewEvent::CatalogUnshared(d) => share::catalog_unshared(ctx, caller, d).await?,
        NewEvent::CatalogImported(d) => share::catalog_imported(ctx, caller, d, now).await?,
        NewEvent::WebSessionBound(d) => session::web_session_bound(ctx, caller, d, now).await?,
        NewEvent::WebSessionRevoked(d) => session::web_session_revoked(ctx, caller, d).await?,
    };
    let (cloud, ack) = ctx
        .log
        .append(id, planned.event, planned.expect)
        .await
        .map_err(|e| match e {
            AppendError::Conflict => ApiFailure::conflict("this account is already initialized"),
            AppendError::Unavailable(e) => storage("recording the event", e),
            AppendError::Rejected(e) => {
                tracing::error!("event log refused an event: {e}");
                ApiFailure::unavailable("the event log refused the event (is it full?)")
            }
        })?;
    if !ack.duplicate {
        for (account, event) in &planned.feeds {
            feed::send(&ctx.client, account, event).await;
        }
    }
    Ok(EventPutResponse {
        id: cloud.id,
        seq: ack.sequence,
        duplicate: ack.duplicate,
    })
}
