//! Projections: folds over the event log into KV, driven by the durable
//! consumer [`PROJECTOR_CONSUMER`] that every instance pulls from.
//!
//! Why they are exact:
//! - the consumer allows one unacknowledged event at a time across all
//!   instances, so events fold strictly in log order;
//! - each record keeps the stream sequence of the last event folded into it,
//!   and a redelivered event is skipped per record;
//! - writes are compare-and-set, so two instances folding the same event
//!   (a redelivery while the first is still working) cannot both apply it;
//! - an event touching several records writes the one its decisions are
//!   read from (the `out.` share key) last, so a fold cut short and
//!   redelivered decides the same way again;
//! - every time in a record is the event's own `time`, never the clock of
//!   the instance folding it, so a rebuild writes the same bytes.
//!
//! [`PROJECTOR_CONSUMER`]: crate::resources::PROJECTOR_CONSUMER

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::AckKind;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::bucket::{Change, KvError, Record};
use crate::clock;
use crate::consumer::{self, ConsumeError};
use crate::ctx::Ctx;
use crate::resources::{PROJECTOR_CONSUMER, STATS_KEY};
use natster_proto::events::{CloudEvent, Event};

/// `NATSTER_ACCOUNTS` value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    pub(crate) account: String,
    /// The `account_initialized` event's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) initialized_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// Bound web sessions by user key.
    #[serde(default)]
    pub(crate) sessions: BTreeMap<String, SessionRecord>,
    pub(crate) seq: u64,
}

/// A bound web session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    pub(crate) bound_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
}

/// `NATSTER_SHARES` value (under both its `out.` and `in.` keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShareRecord {
    pub(crate) owner: String,
    pub(crate) catalog: String,
    pub(crate) target: String,
    pub(crate) shared_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
    pub(crate) imported: bool,
    pub(crate) seq: u64,
}

impl ShareRecord {
    /// Live at `now`: not expired.
    pub(crate) fn live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }
}

/// `NATSTER_SHARES` value under an `expiry.` key: one per share that has an
/// expiry, so the expiry sweep lists those instead of every share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExpiryRecord {
    pub(crate) owner: String,
    pub(crate) catalog: String,
    pub(crate) target: String,
    pub(crate) expires_at: i64,
    pub(crate) seq: u64,
}

/// `NATSTER_CATALOGS` value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CatalogRecord {
    pub(crate) owner: String,
    pub(crate) catalog: String,
    pub(crate) revision: u64,
    pub(crate) revised_at: i64,
    pub(crate) seq: u64,
}

/// `NATSTER_STATS` value at [`STATS_KEY`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct StatsRecord {
    pub(crate) accounts_initialized: u64,
    pub(crate) active_shares: u64,
    pub(crate) seq: u64,
}

macro_rules! record {
    ($($t:ty),*) => {$(impl Record for $t { fn seq(&self) -> u64 { self.seq } })*};
}
record!(
    AccountRecord,
    ShareRecord,
    ExpiryRecord,
    CatalogRecord,
    StatsRecord
);

/// `out.<owner>.<catalog>.<target>`: the owner's view, and the source of truth.
pub(crate) fn out_key(owner: &str, catalog: &str, target: &str) -> String {
    format!("out.{owner}.{catalog}.{target}")
}

/// `in.<target>.<owner>.<catalog>`: the recipient's view (a mirror).
pub(crate) fn in_key(target: &str, owner: &str, catalog: &str) -> String {
    format!("in.{target}.{owner}.{catalog}")
}

/// `expiry.<owner>.<catalog>.<target>`: the share, if it has an expiry.
pub(crate) fn expiry_key(owner: &str, catalog: &str, target: &str) -> String {
    format!("expiry.{owner}.{catalog}.{target}")
}

/// Every `expiry.` key.
pub(crate) const EXPIRY_FILTER: &str = "expiry.>";

/// `<owner>.<catalog>`: key of the catalog and online buckets.
pub(crate) fn catalog_key(owner: &str, catalog: &str) -> String {
    format!("{owner}.{catalog}")
}

/// Folds one event (stream sequence `seq`) into every record it touches.
pub(crate) async fn apply(ctx: &Ctx, event: &CloudEvent, seq: u64) -> Result<(), KvError> {
    let s = &ctx.store;
    // The event's time, not ours: a replay must write the same values.
    let at = clock::rfc3339_secs(&event.time).unwrap_or(0);
    match &event.event {
        Event::AccountInitialized { account, name } => {
            let pre: Option<AccountRecord> = s.accounts.get_json(account).await?;
            if pre.as_ref().is_some_and(|r| r.seq >= seq) {
                return Ok(());
            }
            let first = pre.as_ref().is_none_or(|r| r.initialized_at.is_none());
            if first {
                bump_stats(ctx, seq, |st| st.accounts_initialized += 1).await?;
            }
            s.accounts
                .fold_key(account, seq, |r: Option<AccountRecord>| {
                    let mut r = r.unwrap_or_else(|| AccountRecord {
                        account: account.clone(),
                        ..Default::default()
                    });
                    if r.initialized_at.is_none() {
                        r.initialized_at = Some(at);
                        r.name = name.clone();
                    }
                    r.seq = seq;
                    Change::Put(r)
                })
                .await
        }
        Event::CatalogShared {
            owner,
            catalog,
            target,
            expires_at,
        } => {
            let out = out_key(owner, catalog, target);
            let pre: Option<ShareRecord> = s.shares.get_json(&out).await?;
            if pre.as_ref().is_some_and(|r| r.seq >= seq) {
                return Ok(());
            }
            if pre.is_none() {
                bump_stats(ctx, seq, |st| st.active_shares += 1).await?;
            }
            let record = |imported: bool| ShareRecord {
                owner: owner.clone(),
                catalog: catalog.clone(),
                target: target.clone(),
                shared_at: at,
                expires_at: *expires_at,
                imported,
                seq,
            };
            s.shares
                .fold_key(
                    &in_key(target, owner, catalog),
                    seq,
                    |r: Option<ShareRecord>| Change::Put(record(r.is_some_and(|r| r.imported))),
                )
                .await?;
            // Shared again without an expiry: nothing left to sweep.
            s.shares
                .fold_key(
                    &expiry_key(owner, catalog, target),
                    seq,
                    |_: Option<ExpiryRecord>| match expires_at {
                        Some(e) => Change::Put(ExpiryRecord {
                            owner: owner.clone(),
                            catalog: catalog.clone(),
                            target: target.clone(),
                            expires_at: *e,
                            seq,
                        }),
                        None => Change::Delete,
                    },
                )
                .await?;
            s.shares
                .fold_key(&out, seq, |r: Option<ShareRecord>| {
                    Change::Put(record(r.is_some_and(|r| r.imported)))
                })
                .await
        }
        // An expiry ends the share exactly as an unshare does; only the
        // feeds (sent by whoever recorded it) say which it was.
        Event::CatalogUnshared {
            owner,
            catalog,
            target,
        }
        | Event::CatalogShareExpired {
            owner,
            catalog,
            target,
            ..
        } => {
            let out = out_key(owner, catalog, target);
            let pre: Option<ShareRecord> = s.shares.get_json(&out).await?;
            if pre.is_none() {
                return Ok(());
            }
            bump_stats(ctx, seq, |st| {
                st.active_shares = st.active_shares.saturating_sub(1);
            })
            .await?;
            s.shares
                .fold_key(
                    &in_key(target, owner, catalog),
                    seq,
                    |_: Option<ShareRecord>| Change::Delete,
                )
                .await?;
            s.shares
                .fold_key(
                    &expiry_key(owner, catalog, target),
                    seq,
                    |_: Option<ExpiryRecord>| Change::Delete,
                )
                .await?;
            s.shares
                .fold_key(&out, seq, |_: Option<ShareRecord>| Change::Delete)
                .await
        }
        Event::CatalogImported {
            importer,
            owner,
            catalog,
        } => {
            let mark = |r: Option<ShareRecord>| match r {
                Some(mut r) => {
                    r.imported = true;
                    r.seq = seq;
                    Change::Put(r)
                }
                // Unshared since: nothing to mark.
                None => Change::Keep,
            };
            s.shares
                .fold_key(&in_key(importer, owner, catalog), seq, mark)
                .await?;
            s.shares
                .fold_key(&out_key(owner, catalog, importer), seq, mark)
                .await
        }
        Event::CatalogRevised {
            owner,
            catalog,
            revision,
        } => {
            s.catalogs
                .fold_key(
                    &catalog_key(owner, catalog),
                    seq,
                    |_: Option<CatalogRecord>| {
                        Change::Put(CatalogRecord {
                            owner: owner.clone(),
                            catalog: catalog.clone(),
                            revision: *revision,
                            revised_at: at,
                            seq,
                        })
                    },
                )
                .await
        }
        Event::WebSessionBound {
            account,
            session,
            expires_at,
        } => {
            s.accounts
                .fold_key(account, seq, |r: Option<AccountRecord>| {
                    let mut r = r.unwrap_or_else(|| AccountRecord {
                        account: account.clone(),
                        ..Default::default()
                    });
                    r.sessions.insert(
                        session.clone(),
                        SessionRecord {
                            bound_at: at,
                            expires_at: *expires_at,
                        },
                    );
                    r.seq = seq;
                    Change::Put(r)
                })
                .await
        }
        Event::WebSessionRevoked { account, session } => {
            s.accounts
                .fold_key(account, seq, |r: Option<AccountRecord>| match r {
                    Some(mut r) => {
                        r.sessions.remove(session);
                        r.seq = seq;
                        Change::Put(r)
                    }
                    None => Change::Keep,
                })
                .await
        }
    }
}

async fn bump_stats(ctx: &Ctx, seq: u64, f: impl Fn(&mut StatsRecord)) -> Result<(), KvError> {
    ctx.store
        .stats
        .fold_key(STATS_KEY, seq, |r: Option<StatsRecord>| {
            let mut r = r.unwrap_or_default();
            f(&mut r);
            r.seq = seq;
            Change::Put(r)
        })
        .await
}

/// Pulls events from the projector consumer and folds them, until the task
/// is dropped. Every instance runs this; the consumer hands each event to
/// one of them at a time.
pub(crate) async fn run(ctx: Arc<Ctx>) {
    consumer::forever("projector", || project(&ctx)).await;
}

async fn project(ctx: &Ctx) -> Result<(), ConsumeError> {
    let mut messages = consumer::messages(&ctx.store.events, PROJECTOR_CONSUMER, 64).await?;
    while let Some(msg) = messages.next().await {
        let msg = msg?;
        let seq = msg.info().map_err(ConsumeError::Info)?.stream_sequence;
        match serde_json::from_slice::<CloudEvent>(&msg.payload) {
            Ok(event) => {
                if let Err(e) = apply(ctx, &event, seq).await {
                    // Storage trouble: try this event again shortly. Nothing
                    // else is delivered meanwhile (one in flight), so order holds.
                    tracing::warn!("projector: event {seq}: {e}");
                    let _ = msg
                        .ack_with(AckKind::Nak(Some(Duration::from_millis(500))))
                        .await;
                    continue;
                }
            }
            // Only this service writes the log, so this is a bug or a
            // foreign writer; skipping keeps the fold deterministic.
            Err(e) => tracing::error!("projector: event {seq} is not a CloudEvent: {e}"),
        }
        msg.ack().await.map_err(ConsumeError::Ack)?;
    }
    Ok(())
}
