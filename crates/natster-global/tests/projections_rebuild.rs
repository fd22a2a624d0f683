//! The projections are folds over the log: deleting them and their consumer
//! and starting again writes exactly the same keys and values; the log
//! survives a nats-server crash and restart.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Account, Env, events_on, eventually, settled, snapshot};
use natster_auth::keys::KeyKind;
use serde_json::json;

/// A history touching every event type and every fold path.
async fn history(env: &Env, alice: &Account, bob: &Account, carol: &Account) {
    for a in [alice, bob, carol] {
        a.init().await;
    }
    // Ends during the history; the service records that (waited for below).
    let soon = natster_auth::jwt::now() + 2;
    alice
        .ok(
            "events.put",
            json!({"type": "catalog_shared", "data": {"catalog": "trailers", "target": bob.key(), "expires_at": soon}}),
        )
        .await;
    alice.share("movies", &bob.key()).await;
    alice.share("movies", &carol.key()).await;
    alice.share("music", &bob.key()).await;
    bob.share("books", &alice.key()).await;
    let later = natster_auth::jwt::now() + 3600;
    alice
        .ok(
            "events.put",
            json!({"type": "catalog_shared", "data": {"catalog": "photos", "target": carol.key(), "expires_at": later}}),
        )
        .await;
    bob.ok(
        "events.put",
        json!({"type": "catalog_imported", "data": {"owner": alice.key(), "catalog": "movies"}}),
    )
    .await;
    alice
        .ok(
            "events.put",
            json!({"type": "catalog_unshared", "data": {"catalog": "music", "target": bob.key()}}),
        )
        .await;
    // Shared again after an unshare.
    alice.share("music", &bob.key()).await;
    let session = KeyKind::User.generate().public_key();
    let other = KeyKind::User.generate().public_key();
    alice
        .ok(
            "events.put",
            json!({"type": "web_session_bound", "data": {"session": session}}),
        )
        .await;
    alice
        .ok(
            "events.put",
            json!({"type": "web_session_bound", "data": {"session": other}}),
        )
        .await;
    alice
        .ok(
            "events.put",
            json!({"type": "web_session_revoked", "data": {"session": other}}),
        )
        .await;
    // Revisions are logged by heartbeats.
    alice
        .ok(
            "heartbeats.put",
            json!({"catalog": "movies", "revision": 10}),
        )
        .await;
    alice
        .ok(
            "heartbeats.put",
            json!({"catalog": "movies", "revision": 11}),
        )
        .await;
    bob.ok("heartbeats.put", json!({"catalog": "books", "revision": 3}))
        .await;
    let js = async_nats::jetstream::new(env.global_client().await);
    eventually("the trailers share to expire", || async {
        let n = events_on(&js, "natster.events.*.*.trailers.catalog_share_expired").await;
        (n == 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn deleting_the_projections_and_restarting_rebuilds_the_same_state() {
    let env = Env::start().await;
    let first = env.instance().await;
    let (alice, bob, carol) = (
        env.account("alice").await,
        env.account("bob").await,
        env.account("carol").await,
    );
    history(&env, &alice, &bob, &carol).await;
    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;
    let before = snapshot(&js).await;
    let whoami_before = alice.ok("whoami", json!(null)).await;
    let shares_before = bob.ok("my.shares", json!(null)).await;
    // Sanity: the history really is in there.
    assert!(
        before.keys().any(|k| k.starts_with("NATSTER_SHARES/out.")),
        "{before:#?}"
    );
    assert!(before.contains_key(&format!("NATSTER_CATALOGS/{}.movies", alice.key())));
    // The expired share is gone; the one still to expire is indexed for the sweep.
    assert!(
        !before.keys().any(|k| k.contains(".trailers")),
        "{before:#?}"
    );
    let expiring: Vec<&String> = before
        .keys()
        .filter(|k| k.starts_with("NATSTER_SHARES/expiry."))
        .collect();
    assert_eq!(
        expiring,
        [&format!(
            "NATSTER_SHARES/expiry.{}.photos.{}",
            alice.key(),
            carol.key()
        )]
    );
    let stats: serde_json::Value = serde_json::from_str(&before["NATSTER_STATS/totals"]).unwrap();
    assert_eq!(stats["accounts_initialized"], 3);
    assert_eq!(stats["active_shares"], 5);
    assert_eq!(whoami_before["web_sessions"].as_array().unwrap().len(), 1);

    first.stop().await.unwrap();
    for bucket in natster_global::PROJECTION_BUCKETS {
        js.delete_key_value(bucket).await.unwrap();
    }
    let events = js.get_stream(natster_global::EVENTS_STREAM).await.unwrap();
    events
        .delete_consumer(natster_global::PROJECTOR_CONSUMER)
        .await
        .unwrap();

    // Time moves on, so a fold that used its own clock would differ.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let _second = env.instance().await;
    settled(&js).await;
    let after = snapshot(&js).await;
    assert_eq!(before, after, "the rebuilt projections differ");
    assert_eq!(alice.ok("whoami", json!(null)).await, whoami_before);
    assert_eq!(
        bob.ok("my.shares", json!(null)).await["in_shares"],
        shares_before["in_shares"]
    );
}

#[tokio::test]
async fn events_survive_a_nats_server_crash_and_restart() {
    let mut env = Env::start().await;
    let _svc = env.instance().await;
    let (alice, bob, carol) = (
        env.account("alice").await,
        env.account("bob").await,
        env.account("carol").await,
    );
    history(&env, &alice, &bob, &carol).await;
    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;
    let before = snapshot(&js).await;
    let mut stream = js.get_stream(natster_global::EVENTS_STREAM).await.unwrap();
    let count = stream.info().await.unwrap().state.messages;
    let initialized_at = alice.ok("whoami", json!(null)).await["initialized_at"].clone();

    env.server.kill().await;
    env.server.restart().await;

    // Clients (service included) reconnect by themselves.
    let me = eventually("whoami after the restart", || async {
        let r = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            alice.client.request(
                natster_proto::subjects::global(&alice.key(), "whoami"),
                "".into(),
            ),
        )
        .await
        .ok()?
        .ok()?;
        let r: natster_proto::ApiResponse<serde_json::Value> =
            serde_json::from_slice(&r.payload).ok()?;
        r.data
    })
    .await;
    assert_eq!(me["initialized_at"], initialized_at);
    let js = async_nats::jetstream::new(env.global_client().await);
    let mut stream = js.get_stream(natster_global::EVENTS_STREAM).await.unwrap();
    assert_eq!(
        stream.info().await.unwrap().state.messages,
        count,
        "every acked event is still there"
    );
    assert_eq!(snapshot(&js).await, before);
    // And the service still records new events.
    let dave = env.account("dave").await;
    dave.init().await;
    alice.share("movies", &dave.key()).await;
    settled(&js).await;
    assert_eq!(stream.info().await.unwrap().state.messages, count + 2);
}
