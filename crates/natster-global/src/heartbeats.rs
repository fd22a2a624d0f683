//! Online status: heartbeats keyed by (verified owner, catalog) in
//! `NATSTER_ONLINE` with a per-key TTL of about 2.5 heartbeat intervals, and
//! the feed events that follow: online, revision changed, offline.
//!
//! The original cached heartbeats by catalog name and trusted the body's
//! account, so anyone could fake anyone's status. Here the key is
//! `<caller>.<catalog>`, the caller being the server-verified account.
//!
//! "Came online" and "revision changed" are decided by compare-and-set on
//! the key, so with any number of instances exactly one heartbeat wins each
//! transition and its feed goes out once. "Went offline" is the key's delete
//! marker (a clean stop deletes it, an expired TTL leaves a `MaxAge` marker),
//! seen once through the durable consumer [`ONLINE_WATCH_CONSUMER`].
//!
//! [`ONLINE_WATCH_CONSUMER`]: crate::resources::ONLINE_WATCH_CONSUMER

use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::bucket::is_removal;
use crate::clock;
use crate::consumer::{self, ConsumeError};
use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::feed;
use crate::json::to_bytes;
use crate::log::Expect;
use crate::projections::{CatalogRecord, ShareRecord, catalog_key, out_key};
use crate::resources::ONLINE_WATCH_CONSUMER;
use natster_proto::events::Event;
use natster_proto::feed::FeedEvent;
use natster_proto::global::{HeartbeatRequest, HeartbeatResponse, OfflineRequest, OfflineResponse};

/// `NATSTER_ONLINE` value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OnlineRecord {
    pub(crate) owner: String,
    pub(crate) catalog: String,
    pub(crate) revision: u64,
    pub(crate) online_since: i64,
    pub(crate) last_seen: i64,
}

fn check_catalog(catalog: &str) -> Result<(), ApiFailure> {
    natster_proto::names::check_catalog_name(catalog).map_err(ApiFailure::bad_request)
}

/// `heartbeats.put`.
pub(crate) async fn put(
    ctx: &Ctx,
    owner: &str,
    req: HeartbeatRequest,
) -> Result<HeartbeatResponse, ApiFailure> {
    check_catalog(&req.catalog)?;
    let ttl = ctx.config.online_ttl();
    let now = clock::now_secs();
    // A lost race means another heartbeat for this key landed in between;
    // read again and decide on the new state.
    for _ in 0..8 {
        let Written::Won { previous } = try_put(ctx, owner, &req, now).await? else {
            continue;
        };
        let came_online = previous.is_none();
        let revision_changed = announce(ctx, owner, &req, previous.as_ref()).await?;
        return Ok(HeartbeatResponse {
            catalog: req.catalog,
            came_online,
            revision_changed,
            ttl_seconds: ttl.as_secs(),
        });
    }
    Err(ApiFailure::unavailable(
        "too many concurrent heartbeats for this catalog; try again",
    ))
}

/// How one compare-and-set write of a heartbeat went.
#[derive(Debug)]
enum Written {
    /// It is stored; `previous` is the heartbeat it replaced, `None` when
    /// the catalog was offline.
    Won { previous: Option<OnlineRecord> },
    /// Another heartbeat for the key wrote first.
    Lost,
}

/// Reads the key and writes the heartbeat over what it read.
async fn try_put(
    ctx: &Ctx,
    owner: &str,
    req: &HeartbeatRequest,
    now: i64,
) -> Result<Written, ApiFailure> {
    let key = catalog_key(owner, &req.catalog);
    let online = &ctx.store.online;
    let current = online
        .read(&key)
        .await
        .map_err(|e| storage("reading online status", e))?;
    let (previous, last) = match current {
        Some((Some(bytes), last)) => (serde_json::from_slice::<OnlineRecord>(&bytes).ok(), last),
        Some((None, last)) => (None, last),
        None => (None, 0),
    };
    if previous.is_none() {
        // Only initialized accounts come online; checked on this
        // transition only, so a steady heartbeat costs no log read.
        let initialized = ctx
            .log
            .initialized(owner)
            .await
            .map_err(|e| storage("reading the event log", e))?;
        if initialized.is_none() {
            return Err(ApiFailure::forbidden(
                "this account is not initialized; run `natster init` first",
            ));
        }
    }
    let record = OnlineRecord {
        owner: owner.to_owned(),
        catalog: req.catalog.clone(),
        revision: req.revision,
        online_since: previous.as_ref().map_or(now, |p| p.online_since),
        last_seen: now,
    };
    let won = online
        .put_if(&key, to_bytes(&record), last, Some(ctx.config.online_ttl()))
        .await
        .map_err(|e| storage("recording the heartbeat", e))?;
    Ok(if won {
        Written::Won { previous }
    } else {
        Written::Lost
    })
}

/// After a heartbeat won its write: logs a new revision and tells whoever
/// sees the catalog that it came online or changed. Whether the revision
/// changed: against the previous heartbeat, or, coming online, against the
/// last revision the log knows.
async fn announce(
    ctx: &Ctx,
    owner: &str,
    req: &HeartbeatRequest,
    previous: Option<&OnlineRecord>,
) -> Result<bool, ApiFailure> {
    let revision_changed = match previous {
        Some(p) => p.revision != req.revision,
        None => {
            let known: Option<CatalogRecord> = ctx
                .store
                .catalogs
                .get_json(&catalog_key(owner, &req.catalog))
                .await
                .map_err(|e| storage("reading the catalog", e))?;
            known.is_none_or(|k| k.revision != req.revision)
        }
    };
    if revision_changed {
        record_revision(ctx, owner, &req.catalog, req.revision).await;
    }
    let event = if previous.is_none() {
        Some(FeedEvent::CatalogOnline {
            owner: owner.to_owned(),
            catalog: req.catalog.clone(),
            revision: req.revision,
        })
    } else if revision_changed {
        Some(FeedEvent::RevisionChanged {
            owner: owner.to_owned(),
            catalog: req.catalog.clone(),
            revision: req.revision,
        })
    } else {
        None
    };
    if let Some(event) = event {
        notify_watchers(ctx, owner, &req.catalog, &event).await;
    }
    Ok(revision_changed)
}

/// Logs the new revision so the catalog projection (and `my.shares` while
/// the catalog is offline) knows it. A failure only delays that: the next
/// change logs again.
async fn record_revision(ctx: &Ctx, owner: &str, catalog: &str, revision: u64) {
    let id = match crate::ids::event_id() {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!("revision event id: {e}");
            return;
        }
    };
    let event = Event::CatalogRevised {
        owner: owner.to_owned(),
        catalog: catalog.to_owned(),
        revision,
    };
    if let Err(e) = ctx.log.append(id, event, Expect::Anything).await {
        tracing::warn!("logging revision {revision} of {owner}.{catalog}: {e}");
    }
}

/// `heartbeats.offline`: a clean stop. The delete marker it leaves is what
/// tells the watcher to send `catalog_offline`, the same path as an expiry.
pub(crate) async fn offline(
    ctx: &Ctx,
    owner: &str,
    req: OfflineRequest,
) -> Result<OfflineResponse, ApiFailure> {
    check_catalog(&req.catalog)?;
    let key = catalog_key(owner, &req.catalog);
    let online = &ctx.store.online;
    for _ in 0..8 {
        let last = match online
            .read(&key)
            .await
            .map_err(|e| storage("reading online status", e))?
        {
            Some((Some(_), last)) => last,
            _ => {
                return Ok(OfflineResponse {
                    catalog: req.catalog,
                    was_online: false,
                });
            }
        };
        if online
            .remove_if(&key, last)
            .await
            .map_err(|e| storage("removing online status", e))?
        {
            return Ok(OfflineResponse {
                catalog: req.catalog,
                was_online: true,
            });
        }
    }
    Err(ApiFailure::unavailable(
        "too many concurrent heartbeats for this catalog; try again",
    ))
}

/// The accounts that see `owner`'s `catalog` now: the owner and every live share.
async fn watchers(ctx: &Ctx, owner: &str, catalog: &str) -> Vec<String> {
    let now = clock::now_secs();
    let mut accounts = vec![owner.to_owned()];
    match ctx.store.shares.list(&out_key(owner, catalog, "*")).await {
        Ok(entries) => accounts.extend(entries.into_iter().filter_map(|(key, bytes)| {
            serde_json::from_slice::<ShareRecord>(&bytes)
                .inspect_err(|e| tracing::warn!("share {key}: {e}"))
                .ok()
                .filter(|r| r.live(now))
                .map(|r| r.target)
        })),
        Err(e) => tracing::warn!("listing shares of {owner}.{catalog}: {e}"),
    }
    accounts
}

async fn notify_watchers(ctx: &Ctx, owner: &str, catalog: &str, event: &FeedEvent) {
    let accounts = watchers(ctx, owner, catalog).await;
    feed::send_all(&ctx.client, accounts.iter().map(String::as_str), event).await;
}

/// Turns delete markers in the online bucket (clean stops and expired
/// heartbeats) into `catalog_offline` feed events, until dropped.
pub(crate) async fn watch_offline(ctx: Arc<Ctx>) {
    consumer::forever("online watch", || watch_once(&ctx)).await;
}

async fn watch_once(ctx: &Ctx) -> Result<(), ConsumeError> {
    let bucket = &ctx.store.online.kv;
    let mut messages = consumer::messages(&bucket.stream, ONLINE_WATCH_CONSUMER, 256).await?;
    while let Some(msg) = messages.next().await {
        let msg = msg?;
        let removed = msg.headers.as_ref().is_some_and(is_removal);
        if removed {
            let key = msg.subject.as_str().strip_prefix(bucket.prefix.as_str());
            if let Some((owner, catalog)) = key.and_then(|k| k.split_once('.')) {
                let event = FeedEvent::CatalogOffline {
                    owner: owner.to_owned(),
                    catalog: catalog.to_owned(),
                };
                notify_watchers(ctx, owner, catalog, &event).await;
            }
        }
        msg.ack().await.map_err(ConsumeError::Ack)?;
    }
    Ok(())
}
