//! The catalog server's own view of who may read its catalog: loaded from
//! the global service (`my.shares`), kept current by the account's feed and
//! a periodic refresh, cached on disk so a restart during a global service
//! outage still knows the shares it had. Checked on every request without a
//! round trip; an expired or removed share is refused, and its transfers in
//! flight are stopped, even before nats-server cuts it off.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use natster_auth::jwt::now;
use natster_client::GlobalClient;
use natster_proto::feed::{FeedEvent, ShareEnd};
use natster_proto::global::MySharesRequest;

use crate::server::ServeControl;

/// Account -> expiry (unix seconds), for one catalog.
type Shares = HashMap<String, Option<i64>>;

/// A live, shared view.
#[derive(Debug, Clone)]
pub struct ShareView {
    catalog: String,
    me: String,
    shares: Arc<RwLock<Shares>>,
    cache: PathBuf,
}

impl ShareView {
    /// Loads the view: from the global service, else from the cache.
    pub async fn load(
        client: &async_nats::Client,
        me: &str,
        catalog: &str,
        cache: PathBuf,
    ) -> Self {
        let view = Self {
            catalog: catalog.to_owned(),
            me: me.to_owned(),
            shares: Arc::default(),
            cache,
        };
        if !view.refresh(client).await {
            let cached: Shares = std::fs::read(&view.cache)
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
            tracing::warn!(
                "global service unavailable; using {} cached shares",
                cached.len()
            );
            *view.write() = cached;
        }
        view
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Shares> {
        self.shares.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Shares> {
        self.shares.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `caller` may read the catalog now.
    pub fn allows(&self, caller: &str) -> bool {
        caller == self.me
            || self
                .read()
                .get(caller)
                .is_some_and(|exp| exp.is_none_or(|e| e > now()))
    }

    /// Who may read now besides the owner, with expiries, sorted by account.
    pub fn current(&self) -> Vec<(String, Option<i64>)> {
        let t = now();
        let mut v: Vec<(String, Option<i64>)> = self
            .read()
            .iter()
            .filter(|(_, exp)| exp.is_none_or(|e| e > t))
            .map(|(a, e)| (a.clone(), *e))
            .collect();
        v.sort();
        v
    }

    /// Adds a share (from the feed, or made by this process: then at once,
    /// without waiting for the feed to confirm it).
    pub fn add(&self, account: &str, expires_at: Option<i64>) {
        self.write().insert(account.to_owned(), expires_at);
        self.save();
    }

    /// Removes a share and stops that account's transfers in flight;
    /// returns how many were stopped.
    pub fn remove(&self, account: &str, control: &ServeControl) -> usize {
        self.write().remove(account);
        self.save();
        control.revoke(account)
    }

    /// Removes `account`'s share if it has expired by now, stops its
    /// transfers and returns how many; `None` when there was no such share
    /// (never shared, already removed, or shared again with a later expiry).
    fn remove_if_expired(&self, account: &str, control: &ServeControl) -> Option<usize> {
        let t = now();
        let removed = {
            let mut shares = self.write();
            let expired = shares
                .get(account)
                .is_some_and(|e| e.is_some_and(|e| e <= t));
            expired && shares.remove(account).is_some()
        };
        removed.then(|| {
            self.save();
            control.revoke(account)
        })
    }

    /// Reloads from the global service; false if it did not answer.
    async fn refresh(&self, client: &async_nats::Client) -> bool {
        let global = GlobalClient::new(client.clone(), &self.me);
        let Ok(r) = global.call(&MySharesRequest {}).await else {
            return false;
        };
        let fresh: Shares = r
            .out_shares
            .into_iter()
            .filter(|s| s.catalog == self.catalog)
            .map(|s| (s.to_account, s.expires_at))
            .collect();
        *self.write() = fresh;
        self.save();
        true
    }

    fn save(&self) {
        let body = serde_json::to_vec(&*self.read()).unwrap_or_default();
        let _ = natster_auth::creds::write_secret(&self.cache, &body);
    }

    /// Follows the feed and the clock until the connection closes: adds and
    /// removes shares, and stops transfers of accounts that lost access.
    pub async fn follow(self, client: async_nats::Client, control: ServeControl) {
        let mut feed = match client
            .subscribe(natster_proto::subjects::feed_import(&self.me))
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot follow share changes: {e}");
                return;
            }
        };
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut refresh = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                msg = feed.next() => {
                    let Some(msg) = msg else { return };
                    match serde_json::from_slice::<FeedEvent>(&msg.payload) {
                        Ok(FeedEvent::ShareAdded { catalog, account, expires_at }) if catalog == self.catalog => {
                            self.add(&account, expires_at);
                        }
                        Ok(FeedEvent::ShareRemoved { catalog, account, reason: ShareEnd::Unshared }) if catalog == self.catalog => {
                            let stopped = self.remove(&account, &control);
                            tracing::info!("share of {catalog} with {account} removed; {stopped} transfers stopped");
                        }
                        // The global service recorded an expiry. The tick
                        // below has usually ended it here already; if the
                        // view has a later expiry (shared again since), this
                        // message is about the old share and changes nothing.
                        Ok(FeedEvent::ShareRemoved { catalog, account, reason: ShareEnd::Expired }) if catalog == self.catalog => {
                            if let Some(stopped) = self.remove_if_expired(&account, &control) {
                                tracing::info!("share of {catalog} with {account} expired; {stopped} transfers stopped");
                            }
                        }
                        _ => {}
                    }
                }
                _ = tick.tick() => {
                    let t = now();
                    let expired: Vec<String> = self
                        .read()
                        .iter()
                        .filter(|(_, e)| e.is_some_and(|e| e <= t))
                        .map(|(a, _)| a.clone())
                        .collect();
                    for account in expired {
                        if let Some(stopped) = self.remove_if_expired(&account, &control) {
                            tracing::info!("share of {} with {account} expired; {stopped} transfers stopped", self.catalog);
                        }
                    }
                }
                _ = refresh.tick() => {
                    let before: Vec<String> = self.read().keys().cloned().collect();
                    if self.refresh(&client).await {
                        for gone in before.iter().filter(|a| !self.read().contains_key(*a)) {
                            control.revoke(gone);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use natster_auth::keys::KeyKind;
    use natster_testkit::{AccountFixture, TestServer};

    /// A server with alice's account, a connection as her catalog server,
    /// and a directory for the share cache.
    async fn serving() -> (
        TestServer,
        AccountFixture,
        async_nats::Client,
        tempfile::TempDir,
    ) {
        let server = TestServer::start().await;
        let alice = AccountFixture::new("alice");
        server.push_account(&alice).await.unwrap();
        let client = alice
            .user("serve", |_| {})
            .connect(&server.url())
            .await
            .unwrap();
        (server, alice, client, tempfile::tempdir().unwrap())
    }

    fn account() -> String {
        KeyKind::Account.generate().public_key()
    }

    /// A catalog server that starts while the global service is down decides
    /// from the shares it cached: current ones are let in, an expired one
    /// is refused (before nats-server's own expiry cuts it off), and a share
    /// that ends while it runs stops that account's access on the next tick.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_the_global_service_the_cached_shares_decide() {
        let (_server, alice, client, dir) = serving().await;
        let cache = dir.path().join("movies.shares.json");
        let (bob, carol, dave, eve) = (account(), account(), account(), account());
        let cached: Shares = [
            (bob.clone(), None),
            (carol.clone(), Some(now() + 2)),
            (dave.clone(), Some(now() - 1)),
        ]
        .into_iter()
        .collect();
        std::fs::write(&cache, serde_json::to_vec(&cached).unwrap()).unwrap();

        // No global service runs on this server: `my.shares` has no responders.
        let view = ShareView::load(&client, &alice.key(), "movies", cache.clone()).await;
        assert!(view.allows(&alice.key()), "the owner");
        assert!(view.allows(&bob) && view.allows(&carol), "cached, current");
        assert!(!view.allows(&dave), "cached but expired");
        assert!(!view.allows(&eve), "never shared");
        let listed: Vec<String> = view.current().into_iter().map(|(a, _)| a).collect();
        let mut want = vec![bob.clone(), carol.clone()];
        want.sort();
        assert_eq!(listed, want);

        // A share made while global is down is cached too, for the next start.
        view.add(&eve, None);
        let again = ShareView::load(&client, &alice.key(), "movies", cache.clone()).await;
        assert!(again.allows(&eve));

        // Carol's share ends while the server runs: refused from then on.
        let control = ServeControl::default();
        let following = tokio::spawn(view.clone().follow(client.clone(), control));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(!view.allows(&carol), "expired while serving");
        assert!(view.allows(&bob));
        following.abort();
    }

    /// An expiry the global service recorded ends a share the way an
    /// unshare does, but only a share that has expired: one given again
    /// since with a later expiry is about a newer share and stays.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_recorded_expiry_ends_only_a_share_that_has_expired() {
        let (_server, alice, client, dir) = serving().await;
        let cache = dir.path().join("movies.shares.json");
        let (bob, carol) = (account(), account());
        let cached: Shares = [(bob.clone(), Some(now() + 3600)), (carol.clone(), None)]
            .into_iter()
            .collect();
        std::fs::write(&cache, serde_json::to_vec(&cached).unwrap()).unwrap();
        let view = ShareView::load(&client, &alice.key(), "movies", cache.clone()).await;
        let following = tokio::spawn(view.clone().follow(client.clone(), ServeControl::default()));

        // The feed as the global service sends it (published in alice's own
        // account here: the fixture has no global service to import from).
        let send = |event: FeedEvent| {
            let client = client.clone();
            let subject = natster_proto::subjects::feed(&alice.key(), event.name());
            async move {
                let body = serde_json::to_vec(&event).unwrap();
                client.publish(subject, body.into()).await.unwrap();
                client.flush().await.unwrap();
            }
        };
        // Wait for the subscription: an unshare of someone never shared is
        // harmless and shows when the follower is listening.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let probe = account();
        view.add(&probe, None);
        while view.allows(&probe) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the follower never listened"
            );
            send(FeedEvent::ShareRemoved {
                catalog: "movies".into(),
                account: probe.clone(),
                reason: ShareEnd::Unshared,
            })
            .await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        send(FeedEvent::ShareRemoved {
            catalog: "movies".into(),
            account: bob.clone(),
            reason: ShareEnd::Expired,
        })
        .await;
        // One connection, one subscription: handled in order, so once
        // carol is gone bob's message has been handled too.
        send(FeedEvent::ShareRemoved {
            catalog: "movies".into(),
            account: carol.clone(),
            reason: ShareEnd::Unshared,
        })
        .await;
        while view.allows(&carol) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "carol was never removed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            view.allows(&bob),
            "re-shared with a later expiry: not ended"
        );
        // The view changes in memory first, then on disk.
        let saved = loop {
            let saved: Shares = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
            if !saved.contains_key(&carol) || tokio::time::Instant::now() > deadline {
                break saved;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(
            saved.contains_key(&bob) && !saved.contains_key(&carol),
            "{saved:?}"
        );
        following.abort();
    }
}
