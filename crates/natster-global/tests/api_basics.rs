//! The API end to end against a real nats-server: initialize, whoami,
//! share, my.shares, heartbeats with their feed, stats.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Env, eventually, next_feed};
use serde_json::json;

#[tokio::test]
async fn initialize_share_and_list() {
    let env = Env::start().await;
    let _svc = env.instance().await;
    let alice = env.account("alice").await;
    let bob = env.account("bob").await;

    let r = alice.call("whoami", json!(null)).await;
    assert_eq!(r.code, 404, "unknown before init: {r:?}");

    alice
        .ok(
            "events.put",
            json!({"type": "account_initialized", "data": {"name": "Alice"}}),
        )
        .await;
    let again = alice
        .call("events.put", json!({"type": "account_initialized"}))
        .await;
    assert_eq!(again.code, 409, "{again:?}");
    let me = alice.ok("whoami", json!(null)).await;
    assert_eq!(me["account_key"], alice.key());
    assert_eq!(me["name"], "Alice");
    let at = me["initialized_at"].as_i64().unwrap();
    assert!(at > 1_700_000_000, "{me}");

    // Bob has not initialized: a share to him is refused clearly.
    let r = alice
        .call(
            "events.put",
            json!({"type": "catalog_shared", "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    assert_eq!(r.code, 404, "{r:?}");
    assert!(r.error.unwrap().contains("not initialized"));

    bob.init().await;
    let mut bob_feed = bob.feed().await;
    alice.share("movies", &bob.key()).await;
    let received = next_feed(&mut bob_feed, 5).await.expect("share_received");
    assert_eq!(received["type"], "share_received");
    assert_eq!(received["owner"], alice.key());
    assert_eq!(received["catalog"], "movies");

    let shares = eventually("the share in bob's projection", || async {
        let d = bob.ok("my.shares", json!(null)).await;
        (d["in_shares"].as_array().unwrap().len() == 1).then_some(d)
    })
    .await;
    let s = &shares["in_shares"][0];
    assert_eq!(s["from_account"], alice.key());
    assert_eq!(s["to_account"], bob.key());
    assert_eq!(s["catalog_online"], false);
    let mine = alice.ok("my.shares", json!(null)).await;
    assert_eq!(mine["out_shares"][0]["to_account"], bob.key());

    // Heartbeat: online, then a revision change, each in bob's feed.
    let hb = alice
        .ok(
            "heartbeats.put",
            json!({"catalog": "movies", "revision": 1}),
        )
        .await;
    assert_eq!(hb["came_online"], true);
    let online = next_feed(&mut bob_feed, 5).await.expect("catalog_online");
    assert_eq!(online["type"], "catalog_online");
    let hb = alice
        .ok(
            "heartbeats.put",
            json!({"catalog": "movies", "revision": 1}),
        )
        .await;
    assert_eq!(hb["came_online"], false);
    assert_eq!(hb["revision_changed"], false);
    alice
        .ok(
            "heartbeats.put",
            json!({"catalog": "movies", "revision": 2}),
        )
        .await;
    let changed = next_feed(&mut bob_feed, 5).await.expect("revision_changed");
    assert_eq!(changed["type"], "revision_changed");
    assert_eq!(changed["revision"], 2);
    let d = bob.ok("my.shares", json!(null)).await;
    assert_eq!(d["in_shares"][0]["catalog_online"], true);
    assert_eq!(d["in_shares"][0]["revision"], 2);

    let stats = alice.ok("stats", json!(null)).await;
    assert_eq!(stats["catalogs_online"], 1);
    let stats = eventually("stats to count both accounts and the share", || async {
        let s = alice.ok("stats", json!(null)).await;
        (s["accounts_initialized"] == 2 && s["active_shares"] == 1).then_some(s)
    })
    .await;
    assert!(stats["events"].as_u64().unwrap() >= 4, "{stats}");

    // Clean stop: offline in the feed, and my.shares shows the last revision.
    let off = alice
        .ok("heartbeats.offline", json!({"catalog": "movies"}))
        .await;
    assert_eq!(off["was_online"], true);
    let offline = next_feed(&mut bob_feed, 5).await.expect("catalog_offline");
    assert_eq!(offline["type"], "catalog_offline");
    let d = eventually("the revision in the catalog projection", || async {
        let d = bob.ok("my.shares", json!(null)).await;
        (d["in_shares"][0]["revision"] == 2).then_some(d)
    })
    .await;
    assert_eq!(d["in_shares"][0]["catalog_online"], false);

    // Unshare: revoked in the feed, gone from the projection.
    alice
        .ok(
            "events.put",
            json!({"type": "catalog_unshared", "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    let revoked = next_feed(&mut bob_feed, 5).await.expect("share_revoked");
    assert_eq!(revoked["type"], "share_revoked");
    eventually("the share to leave bob's projection", || async {
        let d = bob.ok("my.shares", json!(null)).await;
        d["in_shares"].as_array().unwrap().is_empty().then_some(())
    })
    .await;
    let r = alice
        .call(
            "events.put",
            json!({"type": "catalog_unshared", "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    assert_eq!(r.code, 404, "unsharing twice: {r:?}");
}

#[tokio::test]
async fn missed_heartbeats_take_a_catalog_offline() {
    let env = Env::start().await;
    let config = natster_global::GlobalConfig {
        heartbeat_interval: std::time::Duration::from_secs(1),
        ..env.config()
    };
    let _svc = env.instance_with(config).await;
    let alice = env.account("alice").await;
    let bob = env.account("bob").await;
    alice.init().await;
    bob.init().await;
    alice.share("music", &bob.key()).await;
    // Online/offline feeds go to the shares the projection knows.
    eventually("the share in the projection", || async {
        let d = alice.ok("my.shares", json!(null)).await;
        (d["out_shares"].as_array().unwrap().len() == 1).then_some(())
    })
    .await;
    let mut feed = bob.feed().await;
    let hb = alice
        .ok("heartbeats.put", json!({"catalog": "music", "revision": 7}))
        .await;
    assert_eq!(hb["ttl_seconds"], 2);
    let mut seen = Vec::new();
    while let Some(ev) = next_feed(&mut feed, 10).await {
        let done = ev["type"] == "catalog_offline";
        seen.push(ev);
        if done {
            break;
        }
    }
    let kinds: Vec<_> = seen
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(kinds.contains(&"catalog_online".to_owned()), "{kinds:?}");
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("catalog_offline"),
        "{kinds:?}"
    );
    let stats = alice.ok("stats", json!(null)).await;
    assert_eq!(stats["catalogs_online"], 0);
}

/// `my.catalogs` lists a catalog shared with nobody, once it has come
/// online, and keeps it (offline, last revision) after it stops; another
/// account sees none of it.
#[tokio::test]
async fn my_catalogs_lists_unshared_catalogs() {
    let env = Env::start().await;
    let _svc = env.instance().await;
    let alice = env.account("alice").await;
    let bob = env.account("bob").await;
    alice.init().await;
    bob.init().await;
    let none = alice.ok("my.catalogs", json!(null)).await;
    assert_eq!(none["catalogs"], json!([]), "nothing before a heartbeat");

    for catalog in ["drafts", "archive"] {
        alice
            .ok("heartbeats.put", json!({"catalog": catalog, "revision": 3}))
            .await;
    }
    bob.ok("heartbeats.put", json!({"catalog": "music", "revision": 1}))
        .await;
    let mine = alice.ok("my.catalogs", json!(null)).await;
    assert_eq!(
        mine["catalogs"],
        json!([
            {"catalog": "archive", "online": true, "revision": 3},
            {"catalog": "drafts", "online": true, "revision": 3},
        ]),
        "sorted by name, online at once (the heartbeat itself is read)"
    );
    let bobs = bob.ok("my.catalogs", json!(null)).await;
    assert_eq!(
        bobs["catalogs"],
        json!([{"catalog": "music", "online": true, "revision": 1}])
    );

    alice
        .ok("heartbeats.offline", json!({"catalog": "drafts"}))
        .await;
    let after = alice.ok("my.catalogs", json!(null)).await;
    assert_eq!(
        after["catalogs"],
        json!([
            {"catalog": "archive", "online": true, "revision": 3},
            {"catalog": "drafts", "online": false, "revision": 3},
        ]),
        "stopped, still listed with the revision the log recorded"
    );
}
