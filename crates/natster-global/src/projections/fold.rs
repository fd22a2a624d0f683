//! The fold of each event into the records it touches, one function per
//! event type. Each record remembers the sequence of the last event folded
//! into it (`Bucket::fold_key` skips one it already holds), so any of these
//! can be cut short and run again.

use natster_proto::events::{CloudEvent, Event};

use super::records::{
    AccountRecord, CatalogRecord, ExpiryRecord, SessionRecord, ShareRecord, StatsRecord,
    catalog_key, expiry_key, in_key, out_key,
};
use crate::bucket::{Change, KvError};
use crate::clock;
use crate::ctx::Ctx;
use crate::resources::STATS_KEY;
use crate::store::Store;

/// Folds one event (stream sequence `seq`) into every record it touches.
pub(super) async fn apply(ctx: &Ctx, event: &CloudEvent, seq: u64) -> Result<(), KvError> {
    let fold = Fold {
        store: &ctx.store,
        seq,
        // The event's time, not ours: a replay must write the same values.
        at: clock::rfc3339_secs(&event.time).unwrap_or(0),
    };
    match &event.event {
        Event::AccountInitialized { account, name } => {
            fold.account_initialized(account, name.as_deref()).await
        }
        Event::CatalogShared {
            owner,
            catalog,
            target,
            expires_at,
        } => {
            fold.catalog_shared(owner, catalog, target, *expires_at)
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
        } => fold.share_ended(owner, catalog, target).await,
        Event::CatalogImported {
            importer,
            owner,
            catalog,
        } => fold.catalog_imported(importer, owner, catalog).await,
        Event::CatalogRevised {
            owner,
            catalog,
            revision,
        } => fold.catalog_revised(owner, catalog, *revision).await,
        Event::WebSessionBound {
            account,
            session,
            expires_at,
        } => fold.web_session_bound(account, session, *expires_at).await,
        Event::WebSessionRevoked { account, session } => {
            fold.web_session_revoked(account, session).await
        }
    }
}

/// One event's fold: where it writes, its sequence and its time.
struct Fold<'a> {
    store: &'a Store,
    seq: u64,
    at: i64,
}

impl Fold<'_> {
    async fn account_initialized(&self, account: &str, name: Option<&str>) -> Result<(), KvError> {
        let (seq, at) = (self.seq, self.at);
        let pre: Option<AccountRecord> = self.store.accounts.get_json(account).await?;
        if pre.as_ref().is_some_and(|r| r.seq >= seq) {
            return Ok(());
        }
        let first = pre.as_ref().is_none_or(|r| r.initialized_at.is_none());
        if first {
            self.bump_stats(|st| st.accounts_initialized += 1).await?;
        }
        self.store
            .accounts
            .fold_key(account, seq, |r: Option<AccountRecord>| {
                let mut r = r.unwrap_or_else(|| AccountRecord {
                    account: account.to_owned(),
                    ..Default::default()
                });
                if r.initialized_at.is_none() {
                    r.initialized_at = Some(at);
                    r.name = name.map(str::to_owned);
                }
                r.seq = seq;
                Change::Put(r)
            })
            .await
    }

    /// A share (or a share given again): both its keys, and its expiry key
    /// when it has an expiry. The `out.` key last: see the module doc.
    async fn catalog_shared(
        &self,
        owner: &str,
        catalog: &str,
        target: &str,
        expires_at: Option<i64>,
    ) -> Result<(), KvError> {
        let (seq, at) = (self.seq, self.at);
        let shares = &self.store.shares;
        let out = out_key(owner, catalog, target);
        let pre: Option<ShareRecord> = shares.get_json(&out).await?;
        if pre.as_ref().is_some_and(|r| r.seq >= seq) {
            return Ok(());
        }
        if pre.is_none() {
            self.bump_stats(|st| st.active_shares += 1).await?;
        }
        let record = |imported: bool| ShareRecord {
            owner: owner.to_owned(),
            catalog: catalog.to_owned(),
            target: target.to_owned(),
            shared_at: at,
            expires_at,
            imported,
            seq,
        };
        shares
            .fold_key(
                &in_key(target, owner, catalog),
                seq,
                |r: Option<ShareRecord>| Change::Put(record(r.is_some_and(|r| r.imported))),
            )
            .await?;
        // Shared again without an expiry: nothing left to sweep.
        shares
            .fold_key(
                &expiry_key(owner, catalog, target),
                seq,
                |_: Option<ExpiryRecord>| match expires_at {
                    Some(e) => Change::Put(ExpiryRecord {
                        owner: owner.to_owned(),
                        catalog: catalog.to_owned(),
                        target: target.to_owned(),
                        expires_at: e,
                        seq,
                    }),
                    None => Change::Delete,
                },
            )
            .await?;
        shares
            .fold_key(&out, seq, |r: Option<ShareRecord>| {
                Change::Put(record(r.is_some_and(|r| r.imported)))
            })
            .await
    }

    /// `catalog_unshared` and `catalog_share_expired`: every key of the
    /// share goes, the `out.` key last.
    async fn share_ended(&self, owner: &str, catalog: &str, target: &str) -> Result<(), KvError> {
        let seq = self.seq;
        let shares = &self.store.shares;
        let out = out_key(owner, catalog, target);
        let pre: Option<ShareRecord> = shares.get_json(&out).await?;
        if pre.is_none() {
            return Ok(());
        }
        self.bump_stats(|st| {
            st.active_shares = st.active_shares.saturating_sub(1);
        })
        .await?;
        shares
            .fold_key(
                &in_key(target, owner, catalog),
                seq,
                |_: Option<ShareRecord>| Change::Delete,
            )
            .await?;
        shares
            .fold_key(
                &expiry_key(owner, catalog, target),
                seq,
                |_: Option<ExpiryRecord>| Change::Delete,
            )
            .await?;
        shares
            .fold_key(&out, seq, |_: Option<ShareRecord>| Change::Delete)
            .await
    }

    async fn catalog_imported(
        &self,
        importer: &str,
        owner: &str,
        catalog: &str,
    ) -> Result<(), KvError> {
        let seq = self.seq;
        let shares = &self.store.shares;
        let mark = |r: Option<ShareRecord>| match r {
            Some(mut r) => {
                r.imported = true;
                r.seq = seq;
                Change::Put(r)
            }
            // Unshared since: nothing to mark.
            None => Change::Keep,
        };
        shares
            .fold_key(&in_key(importer, owner, catalog), seq, mark)
            .await?;
        shares
            .fold_key(&out_key(owner, catalog, importer), seq, mark)
            .await
    }

    async fn catalog_revised(
        &self,
        owner: &str,
        catalog: &str,
        revision: u64,
    ) -> Result<(), KvError> {
        let (seq, at) = (self.seq, self.at);
        self.store
            .catalogs
            .fold_key(
                &catalog_key(owner, catalog),
                seq,
                |_: Option<CatalogRecord>| {
                    Change::Put(CatalogRecord {
                        owner: owner.to_owned(),
                        catalog: catalog.to_owned(),
                        revision,
                        revised_at: at,
                        seq,
                    })
                },
            )
            .await
    }

    async fn web_session_bound(
        &self,
        account: &str,
        session: &str,
        expires_at: Option<i64>,
    ) -> Result<(), KvError> {
        let (seq, at) = (self.seq, self.at);
        self.store
            .accounts
            .fold_key(account, seq, |r: Option<AccountRecord>| {
                let mut r = r.unwrap_or_else(|| AccountRecord {
                    account: account.to_owned(),
                    ..Default::default()
                });
                r.sessions.insert(
                    session.to_owned(),
                    SessionRecord {
                        bound_at: at,
                        expires_at,
                    },
                );
                r.seq = seq;
                Change::Put(r)
            })
            .await
    }

    async fn web_session_revoked(&self, account: &str, session: &str) -> Result<(), KvError> {
        let seq = self.seq;
        self.store
            .accounts
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

    /// Changes the totals as part of this event's fold.
    async fn bump_stats(&self, f: impl Fn(&mut StatsRecord)) -> Result<(), KvError> {
        let seq = self.seq;
        self.store
            .stats
            .fold_key(STATS_KEY, seq, |r: Option<StatsRecord>| {
                let mut r = r.unwrap_or_default();
                f(&mut r);
                r.seq = seq;
                Change::Put(r)
            })
            .await
    }
}
