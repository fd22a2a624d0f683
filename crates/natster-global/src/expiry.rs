//! Shares reaching their expiry. Every instance sweeps the `expiry.` keys of
//! the shares projection each [`GlobalConfig::expiry_sweep_interval`] and,
//! for each share past its `expires_at`, records `catalog_share_expired`,
//! then tells the recipient (`share_revoked`) and the owner
//! (`share_removed`), both with `"reason": "expired"`.
//!
//! A sweep rather than timers: a timer lives in one process and dies with
//! it, a sweep reads shared state, so any instance does the work and a share
//! that expired while every instance was down is recorded by the first
//! sweep after a start.
//!
//! Why each expiry is recorded once, whatever the number of instances:
//! - the projection only nominates candidates; whether a share is live and
//!   due is read from the log, never from a projection that may lag it;
//! - the append is conditional ([`Expect::LastOn`]): the last event on the
//!   share's subjects must still be the one read before deciding, so an
//!   unshare, a re-share with a new expiry, or another instance's expiry
//!   that lands in between makes it fail instead of ending the newer state;
//! - its id is derived from the sequence of the `catalog_shared` it ends,
//!   so a retry after a lost acknowledgement is a duplicate, not a second
//!   event.
//!
//! Only the instance whose append stored the event sends the feeds.
//!
//! Cost: one listing of the expiry keys per sweep per instance, plus four
//! log reads and one append per due share. Shares without an expiry cost
//! nothing.
//!
//! [`GlobalConfig::expiry_sweep_interval`]: crate::config::GlobalConfig::expiry_sweep_interval

use std::sync::Arc;

use futures_util::StreamExt;
use tokio::time::MissedTickBehavior;

use crate::bucket::{KvError, parse};
use crate::clock;
use crate::ctx::Ctx;
use crate::feed;
use crate::log::{AppendError, Expect, ReadError, ShareState, share_subjects};
use crate::projections::{EXPIRY_FILTER, ExpiryRecord};
use natster_proto::events::Event;
use natster_proto::feed::{FeedEvent, ShareEnd};

/// Due shares handled at once by one sweep.
const EXPIRIES_IN_FLIGHT: usize = 16;

/// Sweeps until the task is dropped. The first sweep runs at once, so
/// expiries missed while the service was down are recorded on start.
pub(crate) async fn run(ctx: Arc<Ctx>) {
    let mut tick = tokio::time::interval(ctx.config.expiry_sweep_interval);
    // After a slow sweep, wait a whole interval instead of sweeping again
    // at once to catch up: one pass sees every due share anyway.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = sweep(&ctx).await {
            tracing::warn!("expiry sweep: {e}");
        }
    }
}

/// One pass over the shares with an expiry; how many expiries this
/// instance recorded.
async fn sweep(ctx: &Ctx) -> Result<usize, KvError> {
    let now = clock::now_secs();
    let due: Vec<ExpiryRecord> = ctx
        .store
        .shares
        .list(EXPIRY_FILTER)
        .await?
        .into_iter()
        .filter_map(|(key, bytes)| {
            parse::<ExpiryRecord>(&key, &bytes)
                .inspect_err(|e| tracing::warn!("expiry sweep: {e}"))
                .ok()
        })
        .filter(|r| r.expires_at <= now)
        .collect();
    let outcomes: Vec<Outcome> = futures_util::stream::iter(due)
        .map(|r| async move {
            expire(ctx, &r.owner, &r.target, &r.catalog, now)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(
                        "expiring the share of {}.{} with {}: {e}",
                        r.owner,
                        r.catalog,
                        r.target
                    );
                    Outcome::Failed
                })
        })
        .buffer_unordered(EXPIRIES_IN_FLIGHT)
        .collect()
        .await;
    Ok(outcomes.iter().filter(|o| **o == Outcome::Recorded).count())
}

/// What one attempt to expire a share came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// This instance recorded the expiry and sent the feeds.
    Recorded,
    /// The log says there is nothing to expire: unshared, shared again
    /// with a later or no expiry, or already expired.
    NotDue,
    /// The share changed, or another instance recorded its expiry, between
    /// the read and the append. The next sweep reads it again.
    Lost,
    /// Storage trouble; the next sweep tries again.
    Failed,
}

/// Why one share's expiry could not be decided or recorded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExpiryError {
    /// Reading the share's events failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The append failed for another reason than a lost race.
    #[error(transparent)]
    Append(#[from] AppendError),
}

/// An expiry decided from the log, not yet recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    owner: String,
    target: String,
    catalog: String,
    expires_at: i64,
    /// Sequence of the `catalog_shared` that ends.
    shared_seq: u64,
    /// Sequence of the last event on the share's subjects when decided.
    fence: u64,
}

/// Reads, then records, the expiry of (owner, target, catalog) if it is
/// live and past its expiry at `now`.
pub(crate) async fn expire(
    ctx: &Ctx,
    owner: &str,
    target: &str,
    catalog: &str,
    now: i64,
) -> Result<Outcome, ExpiryError> {
    match plan(ctx, owner, target, catalog, now).await? {
        Some(plan) => Ok(record(ctx, &plan).await?),
        None => Ok(Outcome::NotDue),
    }
}

/// Decides from the log whether the share is live and due.
pub(crate) async fn plan(
    ctx: &Ctx,
    owner: &str,
    target: &str,
    catalog: &str,
    now: i64,
) -> Result<Option<Plan>, ReadError> {
    // The fence is read before the state: whatever lands after it makes
    // the append fail, whatever landed before it the state reads see.
    let Some(fence) = ctx
        .log
        .last(&share_subjects(owner, target, catalog))
        .await?
    else {
        return Ok(None);
    };
    let ShareState::Live(shared) = ctx.log.share(owner, target, catalog).await? else {
        return Ok(None);
    };
    let Event::CatalogShared {
        expires_at: Some(expires_at),
        ..
    } = shared.event.event
    else {
        return Ok(None);
    };
    if expires_at > now {
        return Ok(None);
    }
    Ok(Some(Plan {
        owner: owner.to_owned(),
        target: target.to_owned(),
        catalog: catalog.to_owned(),
        expires_at,
        shared_seq: shared.seq,
        fence: fence.seq,
    }))
}

/// Appends the planned expiry if nothing touched the share since it was
/// planned; on success tells both sides.
pub(crate) async fn record(ctx: &Ctx, plan: &Plan) -> Result<Outcome, AppendError> {
    let Plan {
        owner,
        target,
        catalog,
        ..
    } = plan;
    let event = Event::CatalogShareExpired {
        owner: owner.clone(),
        catalog: catalog.clone(),
        target: target.clone(),
        expires_at: plan.expires_at,
    };
    let expect = Expect::LastOn {
        filter: share_subjects(owner, target, catalog),
        seq: plan.fence,
    };
    let id = format!("share_expired.{}", plan.shared_seq);
    let ack = match ctx.log.append(id, event, expect).await {
        Ok((_, ack)) => ack,
        Err(AppendError::Conflict) => return Ok(Outcome::Lost),
        Err(e) => return Err(e),
    };
    if ack.duplicate {
        return Ok(Outcome::Lost);
    }
    tracing::info!("the share of {owner}.{catalog} with {target} expired");
    let to_target = FeedEvent::ShareRevoked {
        owner: owner.clone(),
        catalog: catalog.clone(),
        reason: ShareEnd::Expired,
    };
    let to_owner = FeedEvent::ShareRemoved {
        catalog: catalog.clone(),
        account: target.clone(),
        reason: ShareEnd::Expired,
    };
    feed::send(&ctx.client, target, &to_target).await;
    feed::send(&ctx.client, owner, &to_owner).await;
    Ok(Outcome::Recorded)
}

#[cfg(test)]
mod tests {
    //! The log's side of "exactly once": a plan made before the share
    //! changed is refused at append time. Driven step by step here, since a
    //! running sweep would rarely land in the window between read and append.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Duration;

    use futures_util::TryStreamExt;
    use natster_auth::keys::KeyKind;
    use natster_testkit::{AccountFixture, TestServer};

    use super::*;
    use crate::log::{EventLog, event_subject};
    use crate::store::Store;

    async fn ctx(server: &TestServer) -> Ctx {
        let mut global = AccountFixture::new("global");
        let limits = &mut global.claims.nats.limits;
        limits.disk_storage = 128 << 20;
        limits.mem_storage = 16 << 20;
        limits.streams = 16;
        limits.consumer = -1;
        server.push_account(&global).await.unwrap();
        let client = global
            .user("svc", |_| {})
            .connect(&server.url())
            .await
            .unwrap();
        let config = crate::config::GlobalConfig {
            events_max_bytes: 32 << 20,
            projection_max_bytes: 8 << 20,
            ephemeral_max_bytes: 8 << 20,
            ..Default::default()
        };
        let store = Store::open(client.clone(), &config).await.unwrap();
        let log = EventLog::new(
            store.js.clone(),
            store.events.clone(),
            Duration::from_secs(5),
        );
        Ctx {
            client,
            config,
            store,
            log,
        }
    }

    async fn append(ctx: &Ctx, event: Event) -> u64 {
        let id = crate::ids::event_id().unwrap();
        let (_, ack) = ctx.log.append(id, event, Expect::Anything).await.unwrap();
        ack.sequence
    }

    /// alice's catalog "movies" and bob, driven one event at a time. Past
    /// expiries can only be written here, bypassing `events.put`.
    struct Movies<'a> {
        ctx: &'a Ctx,
        alice: String,
        bob: String,
        now: i64,
    }

    impl Movies<'_> {
        async fn share(&self, expires_at: Option<i64>) -> u64 {
            let event = Event::CatalogShared {
                owner: self.alice.clone(),
                catalog: "movies".into(),
                target: self.bob.clone(),
                expires_at,
            };
            append(self.ctx, event).await
        }

        async fn unshare(&self) -> u64 {
            let event = Event::CatalogUnshared {
                owner: self.alice.clone(),
                catalog: "movies".into(),
                target: self.bob.clone(),
            };
            append(self.ctx, event).await
        }

        /// alice imports bob's own catalog "movies".
        async fn import_bobs(&self) -> u64 {
            let event = Event::CatalogImported {
                importer: self.alice.clone(),
                owner: self.bob.clone(),
                catalog: "movies".into(),
            };
            append(self.ctx, event).await
        }

        async fn plan(&self) -> Option<Plan> {
            plan(self.ctx, &self.alice, &self.bob, "movies", self.now)
                .await
                .unwrap()
        }

        async fn expire(&self) -> Outcome {
            expire(self.ctx, &self.alice, &self.bob, "movies", self.now)
                .await
                .unwrap()
        }

        /// Expiry events in the log for the share.
        async fn expiries(&self) -> usize {
            let filter = event_subject(&self.alice, &self.bob, "movies", "catalog_share_expired");
            self.ctx
                .store
                .events
                .info_with_subjects(filter)
                .await
                .unwrap()
                .try_fold(0, |n, (_, count)| async move { Ok(n + count) })
                .await
                .unwrap()
        }
    }

    #[tokio::test]
    async fn a_stale_or_repeated_expiry_is_refused_by_the_log() {
        let server = TestServer::start().await;
        let ctx = ctx(&server).await;
        let movies = Movies {
            ctx: &ctx,
            alice: KeyKind::Account.generate().public_key(),
            bob: KeyKind::Account.generate().public_key(),
            now: clock::now_secs(),
        };
        assert_eq!(movies.plan().await, None);
        movies.share(None).await;
        assert_eq!(movies.plan().await, None, "no expiry, nothing to do");
        reshared_between_read_and_append(&movies).await;
        unshared_between_read_and_append(&movies).await;
        two_sweeps_record_it_once(&movies).await;
        an_import_on_the_share_subjects_does_not_block_it(&movies).await;
    }

    /// Re-shared with a later expiry between the sweep's read and its append.
    async fn reshared_between_read_and_append(movies: &Movies<'_>) {
        let now = movies.now;
        let shared = movies.share(Some(now - 1)).await;
        let stale = movies.plan().await.expect("due");
        assert_eq!((stale.shared_seq, stale.fence), (shared, shared));
        movies.share(Some(now + 3600)).await;
        assert_eq!(record(movies.ctx, &stale).await.unwrap(), Outcome::Lost);
        assert_eq!(movies.expire().await, Outcome::NotDue);
        assert_eq!(movies.expiries().await, 0);
    }

    /// Unshared between the read and the append.
    async fn unshared_between_read_and_append(movies: &Movies<'_>) {
        movies.share(Some(movies.now - 1)).await;
        let stale = movies.plan().await.expect("due");
        movies.unshare().await;
        assert_eq!(record(movies.ctx, &stale).await.unwrap(), Outcome::Lost);
        assert_eq!(movies.expire().await, Outcome::NotDue);
        assert_eq!(movies.expiries().await, 0);
    }

    /// Two sweeps plan the same expiry: one records it, the other and a
    /// retry of the winner's plan are refused.
    async fn two_sweeps_record_it_once(movies: &Movies<'_>) {
        let ctx = movies.ctx;
        movies.share(Some(movies.now - 1)).await;
        let a = movies.plan().await;
        let b = movies.plan().await;
        let (a, b) = (a.expect("due"), b.expect("due"));
        assert_eq!(a, b);
        let outcomes = tokio::join!(record(ctx, &a), record(ctx, &b));
        let mut outcomes = [outcomes.0.unwrap(), outcomes.1.unwrap()];
        outcomes.sort_by_key(|o| *o != Outcome::Recorded);
        assert_eq!(outcomes, [Outcome::Recorded, Outcome::Lost]);
        assert_eq!(record(ctx, &a).await.unwrap(), Outcome::Lost);
        assert_eq!(movies.expire().await, Outcome::NotDue);
        assert_eq!(movies.expiries().await, 1);
        assert!(matches!(
            ctx.log
                .share(&movies.alice, &movies.bob, "movies")
                .await
                .unwrap(),
            ShareState::Expired
        ));
    }

    /// Shared again, and alice imports bob's own catalog "movies": that
    /// event lands on the share's wildcard too, and must not block it.
    async fn an_import_on_the_share_subjects_does_not_block_it(movies: &Movies<'_>) {
        movies.share(Some(movies.now - 1)).await;
        let imported = movies.import_bobs().await;
        let p = movies.plan().await.expect("due");
        assert_eq!(p.fence, imported);
        assert_eq!(record(movies.ctx, &p).await.unwrap(), Outcome::Recorded);
        assert_eq!(movies.expiries().await, 2);
    }
}
