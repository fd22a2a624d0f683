//! Heartbeats to the global service, put one at a time from a task of
//! their own so the serve loop never waits on the global service.

use std::time::Duration;

use natster_client::GlobalClient;
use natster_proto::catalog::Heartbeat;
use natster_proto::global::HeartbeatRequest;
use tokio::sync::watch;

/// How long stopping waits for a heartbeat still on its way.
pub(crate) const HEARTBEAT_SETTLE: Duration = Duration::from_secs(3);

/// Puts heartbeats to the global service one at a time from a task of
/// their own, so the serve loop never waits on the global service. Only the
/// latest heartbeat is kept: one that lands after a newer one would carry a
/// stale revision.
pub(crate) struct Heartbeats {
    latest: watch::Sender<Option<Heartbeat>>,
}

/// The task behind [`Heartbeats`]; it ends once the sender is dropped and
/// the last heartbeat was put.
pub(crate) struct HeartbeatTask(tokio::task::JoinHandle<()>);

impl Heartbeats {
    pub(crate) fn start(client: async_nats::Client, me: String) -> (Self, HeartbeatTask) {
        let global = GlobalClient::new(client, me);
        let (latest, mut rx) = watch::channel(None::<Heartbeat>);
        let task = tokio::spawn(async move {
            // Also yields a value set just before the sender was dropped.
            while rx.changed().await.is_ok() {
                let Some(hb) = rx.borrow_and_update().clone() else {
                    continue;
                };
                let req = HeartbeatRequest {
                    catalog: hb.catalog,
                    revision: hb.revision,
                };
                if let Err(e) = global.call(&req).await {
                    let e = super::owner::chain(&e);
                    tracing::warn!(error = %e, "heartbeat not delivered to the global service");
                }
            }
        });
        (Self { latest }, HeartbeatTask(task))
    }

    pub(crate) fn send(&self, hb: &Heartbeat) {
        self.latest.send_replace(Some(hb.clone()));
    }
}

impl HeartbeatTask {
    /// Waits, at most `limit`, until the last heartbeat was answered.
    pub(crate) async fn settle(self, limit: Duration) {
        let mut task = self.0;
        if tokio::time::timeout(limit, &mut task).await.is_err() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use futures_util::StreamExt;
    use natster_testkit::{AccountFixture, TestServer};
    use serde_json::json;

    /// A server, the account key, the catalog server's connection, and a
    /// second one standing in for the global service, subscribed to
    /// heartbeat puts.
    async fn with_global() -> (
        TestServer,
        String,
        async_nats::Client,
        async_nats::Client,
        async_nats::Subscriber,
    ) {
        let server = TestServer::start().await;
        let alice = AccountFixture::new("alice");
        server.push_account(&alice).await.unwrap();
        let user = alice.user("serve", |_| {});
        let client = user.connect(&server.url()).await.unwrap();
        let global = user.connect(&server.url()).await.unwrap();
        let me = alice.key();
        let subject =
            natster_proto::subjects::global(&me, natster_proto::global::ops::HEARTBEATS_PUT);
        let mut puts = global.subscribe(subject.clone()).await.unwrap();
        // async-nats's flush only empties the socket buffer: a probe sent
        // from the other connection coming back shows that nats-server has
        // the subscription (else a heartbeat could meet "no responders").
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            assert!(std::time::Instant::now() < deadline, "never subscribed");
            client.publish(subject.clone(), PROBE.into()).await.unwrap();
            let got = tokio::time::timeout(Duration::from_millis(100), puts.next()).await;
            if matches!(got, Ok(Some(m)) if m.payload == PROBE) {
                break;
            }
        }
        (server, me, client, global, puts)
    }

    /// What `with_global` sends to see its subscription work; the slow
    /// global service skips any that arrive late.
    const PROBE: &[u8] = b"probe";

    fn beat(revision: u64) -> Heartbeat {
        Heartbeat {
            catalog: "movies".into(),
            account_key: "A".into(),
            revision,
            last_modified: 0,
            online: true,
        }
    }

    /// Stopping waits until the global service has answered the last
    /// heartbeat, however slowly it answers, so the offline call that
    /// follows is the last word; heartbeats sent while one is in flight
    /// collapse into the newest.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_last_heartbeat_lands_before_stopping_goes_on() {
        let (_server, me, client, global, mut puts) = with_global().await;
        // A slow global service that records the revisions it was given.
        let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let (arrived_tx, mut arrived) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let responder = tokio::spawn(async move {
            while let Some(m) = puts.next().await {
                if m.payload == PROBE {
                    continue;
                }
                let body: serde_json::Value = serde_json::from_slice(&m.payload).unwrap();
                let revision = body["revision"].as_u64().unwrap();
                arrived_tx.send(revision).unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                seen_tx.send(revision).unwrap();
                let reply = m.reply.unwrap();
                let ok = natster_proto::envelope::ApiResponse::ok(json!({}));
                global
                    .publish(reply, serde_json::to_vec(&ok).unwrap().into())
                    .await
                    .unwrap();
            }
        });

        let (heartbeats, task) = Heartbeats::start(client.clone(), me.clone());
        heartbeats.send(&beat(1));
        let first = tokio::time::timeout(Duration::from_secs(5), arrived.recv()).await;
        assert_eq!(first.unwrap(), Some(1));
        // While 1 is in flight: 2 is replaced by 3 before it is sent.
        heartbeats.send(&beat(2));
        heartbeats.send(&beat(3));
        drop(heartbeats);
        let started = std::time::Instant::now();
        task.settle(Duration::from_secs(5)).await;
        let waited = started.elapsed();
        let mut got = Vec::new();
        while let Ok(r) = seen.try_recv() {
            got.push(r);
        }
        assert_eq!(got, [1, 3], "answered before settle returned");
        // 3 was sent only after 1 was answered, and took 300 ms itself.
        assert!(
            waited >= Duration::from_millis(300),
            "settle returned after {waited:?}, before the last answer"
        );
        responder.abort();
    }

    /// A global service that never answers holds stopping for the limit only.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unanswered_heartbeat_holds_stopping_for_the_limit_only() {
        // Subscribed, never answering: the request waits for its timeout.
        let (_server, me, client, _global, _silent) = with_global().await;
        let (heartbeats, task) = Heartbeats::start(client.clone(), me);
        heartbeats.send(&beat(1));
        drop(heartbeats);
        let started = std::time::Instant::now();
        task.settle(Duration::from_millis(500)).await;
        let waited = started.elapsed();
        assert!(
            (Duration::from_millis(450)..Duration::from_secs(3)).contains(&waited),
            "waited {waited:?}"
        );
    }
}
