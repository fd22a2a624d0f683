//! Shares reaching their expiry: the service records it in the log once,
//! even with two instances, folds it like an unshare and tells both sides;
//! a share that was given again or taken back first is left alone; an
//! expiry missed while the service was down is recorded when it starts.
//!
//! Every wait is bounded by a deadline, never a fixed sleep: negative
//! checks ("no expiry was recorded") are made after a second share that
//! expires at the same time or later has been seen to expire, which proves
//! the sweeps went past the first one's expiry.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Account, Env, Instance, events_on, eventually, feed_until, settled};
use natster_auth::jwt::now;
use serde_json::{Value, json};

/// `natster.events.<owner>.<target>.<catalog>.catalog_share_expired`.
fn expired_subject(owner: &str, target: &str, catalog: &str) -> String {
    format!("natster.events.{owner}.{target}.{catalog}.catalog_share_expired")
}

/// Waits until the share of `music` expires (the recipient's feed says so),
/// then checks that `movies`, which must not expire, got neither a feed
/// message nor a log event by then; returns a JetStream context on the log.
async fn music_expires_but_not_movies(
    env: &Env,
    owner: &str,
    target: &str,
    target_feed: &mut async_nats::Subscriber,
) -> async_nats::jetstream::Context {
    let (revoked, skipped) = feed_until(target_feed, "share_revoked", "music", 10).await;
    assert!(revoked.is_some(), "music never expired; saw {skipped:?}");
    assert!(
        !skipped
            .iter()
            .any(|e| e["type"] == "share_revoked" && e["catalog"] == "movies"),
        "{skipped:?}"
    );
    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;
    let movies = expired_subject(owner, target, "movies");
    assert_eq!(events_on(&js, &movies).await, 0);
    js
}

/// The last event on `subject`, as stored.
/// One instance; alice shares movies and music with bob, both ending in
/// 2 s; bob's feed subscribed before.
async fn movies_and_music_expiring() -> (Env, Instance, Account, Account, async_nats::Subscriber) {
    let env = Env::start().await;
    let svc = env.instance().await;
    let (alice, bob) = (env.account("alice").await, env.account("bob").await);
    alice.init().await;
    bob.init().await;
    let bob_feed = bob.feed().await;
    let expires_at = now() + 2;
    alice.share_until("movies", &bob.key(), expires_at).await;
    alice.share_until("music", &bob.key(), expires_at).await;
    (env, svc, alice, bob, bob_feed)
}

async fn last_event(js: &async_nats::jetstream::Context, subject: &str) -> Value {
    let stream = js.get_stream(natster_global::EVENTS_STREAM).await.unwrap();
    let msg = stream.direct_get_last_for_subject(subject).await.unwrap();
    serde_json::from_slice(&msg.payload).unwrap()
}

#[tokio::test]
async fn an_expired_share_ends_once_for_both_sides_even_with_two_instances() {
    let env = Env::start().await;
    let _one = env.instance().await;
    let _two = env.instance().await;
    let (alice, bob, carol) = (
        env.account("alice").await,
        env.account("bob").await,
        env.account("carol").await,
    );
    for a in [&alice, &bob, &carol] {
        a.init().await;
    }
    let mut bob_feed = bob.feed().await;
    let mut alice_feed = alice.feed().await;
    let mut carol_feed = carol.feed().await;
    let expires_at = now() + 2;
    alice.share_until("movies", &bob.key(), expires_at).await;
    // Ends a second later: once it has, the sweeps are past bob's expiry.
    alice
        .share_until("music", &carol.key(), expires_at + 1)
        .await;
    // Never ends.
    alice.share("photos", &carol.key()).await;
    eventually("all three shares counted", || async {
        let s = alice.ok("stats", json!(null)).await;
        (s["active_shares"] == 3).then_some(())
    })
    .await;

    let (revoked, skipped) = feed_until(&mut bob_feed, "share_revoked", "movies", 10).await;
    let revoked = revoked.unwrap_or_else(|| panic!("no share_revoked for bob; saw {skipped:?}"));
    let noticed = now();
    assert_eq!(revoked["owner"], alice.key());
    assert_eq!(revoked["reason"], "expired");
    assert!(
        noticed <= expires_at + 3,
        "told {} s after the expiry",
        noticed - expires_at
    );
    let (removed, skipped) = feed_until(&mut alice_feed, "share_removed", "movies", 10).await;
    let removed = removed.unwrap_or_else(|| panic!("no share_removed for alice; saw {skipped:?}"));
    assert_eq!(removed["account"], bob.key());
    assert_eq!(removed["reason"], "expired");

    let (revoked, _) = feed_until(&mut carol_feed, "share_revoked", "music", 10).await;
    assert_eq!(
        revoked.expect("carol's music share expires too")["reason"],
        "expired"
    );
    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;

    // Recorded once each, by the service, with the expiry it enacted.
    let bobs = expired_subject(&alice.key(), &bob.key(), "movies");
    assert_eq!(events_on(&js, &bobs).await, 1);
    let carols = expired_subject(&alice.key(), &carol.key(), "music");
    assert_eq!(events_on(&js, &carols).await, 1);
    assert_eq!(
        events_on(&js, "natster.events.*.*.*.catalog_share_expired").await,
        2
    );
    let event = last_event(&js, &bobs).await;
    assert_eq!(event["type"], "io.natster.catalog.share_expired");
    assert_eq!(event["source"], "/natster/global");
    assert_eq!(event["data"]["target"], bob.key());
    assert_eq!(event["data"]["expires_at"], expires_at);

    // Folded like an unshare.
    let stats = alice.ok("stats", json!(null)).await;
    assert_eq!(stats["active_shares"], 1, "{stats}");
    let mine = alice.ok("my.shares", json!(null)).await;
    let out: Vec<&str> = mine["out_shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["catalog"].as_str().unwrap())
        .collect();
    assert_eq!(out, ["photos"]);
    let bobs_view = bob.ok("my.shares", json!(null)).await;
    assert_eq!(bobs_view["in_shares"], json!([]));

    // An ended share cannot be taken back or imported.
    let r = alice
        .call(
            "events.put",
            json!({"type": "catalog_unshared", "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    assert_eq!(r.code, 404, "{r:?}");
    assert!(r.error.unwrap().contains("expired"));
    let r = bob
        .call(
            "imports.record",
            json!({"owner": alice.key(), "catalog": "movies"}),
        )
        .await;
    assert_eq!(r.code, 403, "{r:?}");

    // Shared again: live, counted, and with its own expiry later on.
    alice.share("movies", &bob.key()).await;
    eventually("the share given again to be counted", || async {
        let s = alice.ok("stats", json!(null)).await;
        (s["active_shares"] == 2).then_some(())
    })
    .await;
    assert_eq!(
        bob.ok("my.shares", json!(null)).await["in_shares"][0]["catalog"],
        "movies"
    );
}

#[tokio::test]
async fn a_share_given_again_with_a_later_expiry_is_not_expired() {
    let (env, _svc, alice, bob, mut bob_feed) = movies_and_music_expiring().await;
    let later = now() + 3600;
    alice.share_until("movies", &bob.key(), later).await;

    let js = music_expires_but_not_movies(&env, &alice.key(), &bob.key(), &mut bob_feed).await;
    let music = expired_subject(&alice.key(), &bob.key(), "music");
    assert_eq!(events_on(&js, &music).await, 1);
    let shares = bob.ok("my.shares", json!(null)).await;
    assert_eq!(shares["in_shares"].as_array().unwrap().len(), 1, "{shares}");
    assert_eq!(shares["in_shares"][0]["catalog"], "movies");
    assert_eq!(shares["in_shares"][0]["expires_at"], later);
    assert_eq!(alice.ok("stats", json!(null)).await["active_shares"], 1);
}

#[tokio::test]
async fn a_share_unshared_before_its_expiry_is_not_expired() {
    let (env, _svc, alice, bob, mut bob_feed) = movies_and_music_expiring().await;
    alice
        .ok(
            "events.put",
            json!({"type": "catalog_unshared", "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    let (revoked, _) = feed_until(&mut bob_feed, "share_revoked", "movies", 5).await;
    assert_eq!(revoked.expect("the unshare")["reason"], "unshared");

    music_expires_but_not_movies(&env, &alice.key(), &bob.key(), &mut bob_feed).await;
    assert_eq!(alice.ok("stats", json!(null)).await["active_shares"], 0);
}

#[tokio::test]
async fn an_expiry_missed_while_the_service_was_down_is_recorded_on_start() {
    let env = Env::start().await;
    let first = env.instance().await;
    let (alice, bob) = (env.account("alice").await, env.account("bob").await);
    alice.init().await;
    bob.init().await;
    let expires_at = now() + 2;
    alice.share_until("movies", &bob.key(), expires_at).await;
    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;
    first.stop().await.unwrap();

    // Until the expiry passes, with no instance running.
    eventually("the expiry to pass", || async {
        (now() > expires_at).then_some(())
    })
    .await;
    let movies = expired_subject(&alice.key(), &bob.key(), "movies");
    assert_eq!(
        events_on(&js, &movies).await,
        0,
        "nothing runs to record it"
    );

    let mut bob_feed = bob.feed().await;
    let _second = env.instance().await;
    let (revoked, skipped) = feed_until(&mut bob_feed, "share_revoked", "movies", 10).await;
    assert_eq!(
        revoked.unwrap_or_else(|| panic!("no share_revoked; saw {skipped:?}"))["reason"],
        "expired"
    );
    settled(&js).await;
    assert_eq!(events_on(&js, &movies).await, 1);
    assert_eq!(alice.ok("stats", json!(null)).await["active_shares"], 0);
}
