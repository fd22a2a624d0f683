//! `catalog_shared`, `catalog_unshared` and `catalog_imported`: the life of
//! a share, as its owner and its recipient record it.

use natster_proto::events::Event;
use natster_proto::feed::{FeedEvent, ShareEnd};
use natster_proto::global::{ImportData, ShareData, UnshareData};

use super::checks;
use super::planned::Planned;
use crate::ctx::Ctx;
use crate::error::ApiFailure;
use crate::log::{Expect, ShareState};

/// The caller shares one of its catalogs with another initialized account;
/// both hear of it. Sharing again replaces the expiry.
pub(super) async fn catalog_shared(
    ctx: &Ctx,
    caller: &str,
    d: ShareData,
    now: i64,
) -> Result<Planned, ApiFailure> {
    checks::catalog(&d.catalog)?;
    checks::account(&d.target, "target")?;
    if d.target == caller {
        return Err(ApiFailure::bad_request(
            "you cannot share a catalog with yourself",
        ));
    }
    checks::not_past(d.expires_at, now)?;
    checks::require_initialized(ctx, caller).await?;
    if !checks::is_initialized(ctx, &d.target).await? {
        return Err(ApiFailure::not_found(format!(
            "account {} has not initialized Natster; ask them to run `natster init` first",
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
    Ok(Planned {
        event,
        expect: Expect::Anything,
        feeds,
    })
}

/// The caller takes back a live share; both sides hear of it.
pub(super) async fn catalog_unshared(
    ctx: &Ctx,
    caller: &str,
    d: UnshareData,
) -> Result<Planned, ApiFailure> {
    checks::catalog(&d.catalog)?;
    checks::account(&d.target, "target")?;
    match checks::share_in_log(ctx, caller, &d.target, &d.catalog).await? {
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
    Ok(Planned {
        event,
        expect: Expect::Anything,
        feeds,
    })
}

/// The caller imported a catalog shared with it, while the share is live.
pub(super) async fn catalog_imported(
    ctx: &Ctx,
    caller: &str,
    d: ImportData,
    now: i64,
) -> Result<Planned, ApiFailure> {
    checks::catalog(&d.catalog)?;
    checks::account(&d.owner, "owner")?;
    let expired = || ApiFailure::forbidden("that share has expired");
    let share = match checks::share_in_log(ctx, &d.owner, caller, &d.catalog).await? {
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
    Ok(Planned::quiet(Event::CatalogImported {
        importer: caller.to_owned(),
        owner: d.owner,
        catalog: d.catalog,
    }))
}
