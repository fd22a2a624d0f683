//! `events.put`: validate one event against the caller and the log, append
//! it, tell the accounts it concerns.
//!
//! The origin is always the caller, so an account can only share, unshare
//! or import as itself, and only its own catalogs (catalogs are named per
//! owner: `<owner>.<catalog>`). Validation reads the log itself (the last
//! event on the share's subject), not the projections, so it never acts on
//! a projection that is a few events behind.
//!
//! `catalog_share_expired` is not a type callers can put: only the
//! service's expiry sweep records it (see `crate::expiry`).

use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::names::{check_catalog_name, check_display_name};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::clock;
use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::feed;
use crate::ids;
use crate::log::{AppendError, Expect, NONE, ShareState, Stored, event_subject};
use natster_proto::events::Event;
use natster_proto::feed::{FeedEvent, ShareEnd};
use natster_proto::global::{
    EventPutRequest, EventPutResponse, EventType, ImportData, InitializeData, SessionBoundData,
    SessionRevokedData, ShareData, UnshareData,
};

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
            check_client_id(id)?;
            // Scoped by the caller: one account's ids never collide with
            // (or suppress, as duplicates) another's.
            format!("{caller}.{id}")
        }
        None => ids::event_id()?,
    };
    let now = clock::now_secs();
    let (event, expect, feeds) = match kind {
        EventType::AccountInitialized => {
            let d: InitializeData = data(req.data, &req.kind)?;
            if let Some(name) = &d.name {
                check_display_name(name).map_err(ApiFailure::bad_request)?;
            }
            let event = Event::AccountInitialized {
                account: caller.to_owned(),
                name: d.name,
            };
            (event, Expect::FirstOnSubject, vec![])
        }
        EventType::CatalogShared => {
            let d: ShareData = data(req.data, &req.kind)?;
            check_catalog(&d.catalog)?;
            check_account(&d.target, "target")?;
            if d.target == caller {
                return Err(ApiFailure::bad_request(
                    "you cannot share a catalog with yourself",
                ));
            }
            if d.expires_at.is_some_and(|e| e <= now) {
                return Err(ApiFailure::bad_request("expires_at is in the past"));
            }
            require_initialized(ctx, caller).await?;
            if ctx
                .log
                .initialized(&d.target)
                .await
                .map_err(|e| storage("reading the event log", e))?
                .is_none()
            {
                return Err(ApiFailure::not_found(format!(
                    "account {} has not initialized Natster; ask them to run `natster init` \
                     first",
                    d.target
                )));
            }
            let feeds = vec![
                (
                    d.target.clone(),
                    FeedEvent::ShareReceived {
                        owner: caller.to_owned(),
                        catalog: d.catalog.clone(),
                        expires_at: d.expires_at,
                    },
                ),
                (
                    caller.to_owned(),
                    FeedEvent::ShareAdded {
                        catalog: d.catalog.clone(),
                        account: d.target.clone(),
                        expires_at: d.expires_at,
                    },
                ),
            ];
            let event = Event::CatalogShared {
                owner: caller.to_owned(),
                catalog: d.catalog,
                target: d.target,
                expires_at: d.expires_at,
            };
            (event, Expect::Anything, feeds)
        }
        EventType::CatalogUnshared => {
            let d: UnshareData = data(req.data, &req.kind)?;
            check_catalog(&d.catalog)?;
            check_account(&d.target, "target")?;
            match share_in_log(ctx, caller, &d.target, &d.catalog).await? {
                ShareState::Live(_) => {}
                ShareState::Expired => {
                    return Err(ApiFailure::not_found(format!(
                        "the share of catalog {} with {} has already expired",
                        d.catalog, d.target
                    )));
                }
                ShareState::Absent => {
                    return Err(ApiFailure::not_found(format!(
                        "catalog {} is not shared with {}",
                        d.catalog, d.target
                    )));
                }
            }
            let feeds = vec![
                (
                    d.target.clone(),
                    FeedEvent::ShareRevoked {
                        owner: caller.to_owned(),
                        catalog: d.catalog.clone(),
                        reason: ShareEnd::Unshared,
                    },
                ),
                (
                    caller.to_owned(),
                    FeedEvent::ShareRemoved {
                        catalog: d.catalog.clone(),
                        account: d.target.clone(),
                        reason: ShareEnd::Unshared,
                    },
                ),
            ];
            let event = Event::CatalogUnshared {
                owner: caller.to_owned(),
                catalog: d.catalog,
                target: d.target,
            };
            (event, Expect::Anything, feeds)
        }
        EventType::CatalogImported => {
            let d: ImportData = data(req.data, &req.kind)?;
            check_catalog(&d.catalog)?;
            check_account(&d.owner, "owner")?;
            let expired = || ApiFailure::forbidden("that share has expired");
            let share = match share_in_log(ctx, &d.owner, caller, &d.catalog).await? {
                ShareState::Live(share) => share,
                ShareState::Expired => return Err(expired()),
                ShareState::Absent => {
                    return Err(ApiFailure::not_found(format!(
                        "{} has not shared catalog {} with you",
                        d.owner, d.catalog
                    )));
                }
            };
            // Past its expiry but not swept yet: expired all the same.
            if let Event::CatalogShared {
                expires_at: Some(e),
                ..
            } = share.event.event
            {
                if e <= now {
                    return Err(expired());
                }
            }
            let event = Event::CatalogImported {
                importer: caller.to_owned(),
                owner: d.owner,
                catalog: d.catalog,
            };
            (event, Expect::Anything, vec![])
        }
        EventType::WebSessionBound => {
            let d: SessionBoundData = data(req.data, &req.kind)?;
            check_public_key(&d.session, KeyKind::User)
                .map_err(|e| ApiFailure::bad_request(format!("session: {e}")))?;
            if d.expires_at.is_some_and(|e| e <= now) {
                return Err(ApiFailure::bad_request("expires_at is in the past"));
            }
            require_initialized(ctx, caller).await?;
            let event = Event::WebSessionBound {
                account: caller.to_owned(),
                session: d.session,
                expires_at: d.expires_at,
            };
            (event, Expect::Anything, vec![])
        }
        EventType::WebSessionRevoked => {
            let d: SessionRevokedData = data(req.data, &req.kind)?;
            check_public_key(&d.session, KeyKind::User)
                .map_err(|e| ApiFailure::bad_request(format!("session: {e}")))?;
            let bound = last(
                ctx,
                &event_subject(caller, &d.session, NONE, "web_session_bound"),
            )
            .await?;
            let revoked = last(
                ctx,
                &event_subject(caller, &d.session, NONE, "web_session_revoked"),
            )
            .await?;
            if !newer(&bound, &revoked) {
                return Err(ApiFailure::not_found("no such web session is bound"));
            }
            let event = Event::WebSessionRevoked {
                account: caller.to_owned(),
                session: d.session,
            };
            (event, Expect::Anything, vec![])
        }
    };
    let (cloud, ack) = ctx
        .log
        .append(id, event, expect)
        .await
        .map_err(|e| match e {
            AppendError::Conflict => ApiFailure::conflict("this account is already initialized"),
            AppendError::Unavailable(m) => storage("recording the event", m),
            AppendError::Rejected(m) => {
                tracing::error!("event log refused an event: {m}");
                ApiFailure::unavailable("the event log refused the event (is it full?)")
            }
        })?;
    if !ack.duplicate {
        for (account, event) in &feeds {
            feed::send(&ctx.client, account, event).await;
        }
    }
    Ok(EventPutResponse {
        id: cloud.id,
        seq: ack.sequence,
        duplicate: ack.duplicate,
    })
}

/// The type's data; `null` or absent reads as `{}` so types whose fields are
/// all optional need no data.
fn data<T: DeserializeOwned>(data: Value, kind: &str) -> Result<T, ApiFailure> {
    let data = if data.is_null() {
        Value::Object(Default::default())
    } else {
        data
    };
    serde_json::from_value(data)
        .map_err(|e| ApiFailure::bad_request(format!("invalid {kind} data: {e}")))
}

fn check_client_id(id: &str) -> Result<(), ApiFailure> {
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

fn check_catalog(name: &str) -> Result<(), ApiFailure> {
    check_catalog_name(name).map_err(ApiFailure::bad_request)
}

fn check_account(key: &str, what: &str) -> Result<(), ApiFailure> {
    check_public_key(key, KeyKind::Account)
        .map_err(|e| ApiFailure::bad_request(format!("{what}: {e}")))
}

async fn require_initialized(ctx: &Ctx, account: &str) -> Result<(), ApiFailure> {
    match ctx
        .log
        .initialized(account)
        .await
        .map_err(|e| storage("reading the event log", e))?
    {
        Some(_) => Ok(()),
        None => Err(ApiFailure::forbidden(
            "this account is not initialized; run `natster init` first",
        )),
    }
}

async fn last(ctx: &Ctx, subject: &str) -> Result<Option<Stored>, ApiFailure> {
    ctx.log
        .last(subject)
        .await
        .map_err(|e| storage("reading the event log", e))
}

/// True when `a` exists and is later in the log than `b`.
fn newer(a: &Option<Stored>, b: &Option<Stored>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.seq > b.seq,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Where (owner, target, catalog)'s share stands in the log.
async fn share_in_log(
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
