//! Bad and hostile input: clear 4xx errors, no side effects, and the
//! service keeps serving. Another account cannot speak for an account.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{Env, eventually, settled, snapshot};
use serde_json::json;

#[tokio::test]
async fn malformed_requests_get_clear_errors_and_the_service_keeps_serving() {
    let env = Env::start().await;
    let svc = env.instance().await;
    let alice = Arc::new(env.account("alice").await);
    alice.init().await;

    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("events.put", b"{not json".to_vec(), 400, "malformed"),
        ("events.put", Vec::new(), 400, "empty"),
        (
            "events.put",
            br#"{"type":"natster_initialized"}"#.to_vec(),
            400,
            "unknown event type",
        ),
        // Only the service records expiries.
        (
            "events.put",
            br#"{"type":"catalog_share_expired","data":{"catalog":"m","target":"A","expires_at":1}}"#
                .to_vec(),
            400,
            "unknown event type",
        ),
        (
            "events.put",
            br#"{"type":"catalog_shared","data":{"catalog":"m"}}"#.to_vec(),
            400,
            "target",
        ),
        (
            "events.put",
            br#"{"type":"catalog_shared","data":{"catalog":"Movies!","target":"AAAA"}}"#.to_vec(),
            400,
            "catalog name",
        ),
        (
            "events.put",
            br#"{"type":"catalog_shared","id":"../x","data":{}}"#.to_vec(),
            400,
            "id must be",
        ),
        (
            "heartbeats.put",
            br#"{"catalog":"m","revision":-1}"#.to_vec(),
            400,
            "malformed",
        ),
        (
            "heartbeats.put",
            br#"{"catalog":"m","revision":1,"account_key":"AX"}"#.to_vec(),
            400,
            "account_key",
        ),
        ("heartbeats.put", br#"[1,2,3]"#.to_vec(), 400, "malformed"),
        ("otc.claim", br#"{"code":5}"#.to_vec(), 400, "malformed"),
        ("events.put", vec![b' '; 20_000], 413, "bytes"),
    ];
    for (op, body, code, needle) in cases {
        let r = alice.call_raw(op, body.clone()).await;
        assert_eq!(
            r.code,
            code,
            "{op} {:?}: {r:?}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        let err = r.error.unwrap();
        assert!(
            err.contains(needle),
            "{op}: {err:?} should mention {needle:?}"
        );
    }

    // A target key with a broken checksum: a clear 400 naming the problem.
    let bob = env.account("bob").await;
    let mut key = bob.key().into_bytes();
    key[20] = if key[20] == b'A' { b'B' } else { b'A' };
    let broken = String::from_utf8(key).unwrap();
    let r = alice
        .call(
            "events.put",
            json!({"type": "catalog_shared", "data": {"catalog": "movies", "target": broken}}),
        )
        .await;
    assert_eq!(r.code, 400, "{r:?}");
    assert!(r.error.unwrap().contains("target"), "names the field");

    // A burst of garbage at every operation at once.
    let mut tasks = Vec::new();
    for i in 0..400u32 {
        let alice = alice.clone();
        tasks.push(tokio::spawn(async move {
            let ops = natster_proto::global::ops::ALL;
            let op = ops[i as usize % ops.len()];
            let body: Vec<u8> = (0..(i % 97))
                .map(|j| (i.wrapping_mul(31).wrapping_add(j * 7) % 251) as u8)
                .collect();
            (op, alice.call_raw(op, body).await.code)
        }));
    }
    for t in tasks {
        let (op, code) = t.await.unwrap();
        // Queries ignore their body, so garbage there is answered normally.
        let query = matches!(
            op,
            "stats"
                | "my.shares"
                | "my.catalogs"
                | "whoami"
                | "catalogs.validatename"
                | "otc.generate"
        );
        assert!(
            (400..500).contains(&code) || (query && code == 200),
            "{op}: {code}"
        );
    }
    assert!(!svc.task.is_finished(), "the service is still running");
    let me = alice.ok("whoami", json!(null)).await;
    assert_eq!(me["account_key"], alice.key());
    // Nothing above reached the log.
    let stats = alice.ok("stats", json!(null)).await;
    assert_eq!(stats["events"], 1, "{stats}");
}

#[tokio::test]
async fn another_account_cannot_speak_for_an_account() {
    let env = Env::start().await;
    let _svc = env.instance().await;
    let alice = env.account("alice").await;
    let bob = env.account("bob").await;
    let mallory = env.account("mallory").await;
    for a in [&alice, &bob, &mallory] {
        a.init().await;
    }
    alice.share("movies", &bob.key()).await;
    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;
    let before = snapshot(&js).await;
    let stats_before = alice.ok("stats", json!(null)).await;

    // Alice's subject from Mallory's connection: no import covers it, so
    // the server never delivers it.
    let err = mallory
        .client
        .request(
            natster_proto::subjects::global(&alice.key(), "heartbeats.put"),
            serde_json::to_vec(&json!({"catalog": "movies", "revision": 9}))
                .unwrap()
                .into(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), async_nats::RequestErrorKind::NoResponders);

    // A forged Nats-Request-Info is overwritten by the server: still Mallory.
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        "Nats-Request-Info",
        format!(r#"{{"acc":"{}"}}"#, alice.key()).as_str(),
    );
    let msg = mallory
        .client
        .request_with_headers(
            natster_proto::subjects::global(&mallory.key(), "whoami"),
            headers,
            "".into(),
        )
        .await
        .unwrap();
    let me: natster_proto::ApiResponse<serde_json::Value> =
        serde_json::from_slice(&msg.payload).unwrap();
    assert_eq!(me.data.unwrap()["account_key"], mallory.key());

    // Naming Alice in the body is refused, not half-read.
    let r = mallory
        .call(
            "events.put",
            json!({"type": "catalog_unshared", "origin": alice.key(), "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    assert_eq!(r.code, 400, "{r:?}");
    let r = mallory
        .call(
            "events.put",
            json!({"type": "catalog_unshared", "data": {"owner": alice.key(), "catalog": "movies", "target": bob.key()}}),
        )
        .await;
    assert_eq!(r.code, 400, "{r:?}");
    // As herself she can only unshare her own catalogs; she has none.
    let r = mallory
        .call(
            "events.put",
            json!({"type": "catalog_unshared", "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    assert_eq!(r.code, 404, "{r:?}");
    // She cannot import what was not shared with her.
    let r = mallory
        .call("events.put", json!({"type": "catalog_imported", "data": {"owner": alice.key(), "catalog": "movies"}}))
        .await;
    assert_eq!(r.code, 404, "{r:?}");
    // Her heartbeat for "movies" is her own catalog, not Alice's.
    let hb = mallory
        .ok(
            "heartbeats.put",
            json!({"catalog": "movies", "revision": 9}),
        )
        .await;
    assert_eq!(hb["came_online"], true);
    let d = bob.ok("my.shares", json!(null)).await;
    assert_eq!(d["in_shares"][0]["from_account"], alice.key());
    assert_eq!(
        d["in_shares"][0]["catalog_online"], false,
        "Alice's catalog is not online"
    );
    // Her own catalog's revision was logged, and nothing of Alice's or Bob's changed.
    settled(&js).await;
    let after = snapshot(&js).await;
    let mut changed: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    changed.extend(before.keys().filter(|k| !after.contains_key(*k)).cloned());
    assert_eq!(
        changed,
        [format!("NATSTER_CATALOGS/{}.movies", mallory.key())]
    );
    let stats_after = eventually("stats", || async {
        Some(alice.ok("stats", json!(null)).await)
    })
    .await;
    assert_eq!(stats_after["active_shares"], stats_before["active_shares"]);
    assert_eq!(
        stats_after["accounts_initialized"],
        stats_before["accounts_initialized"]
    );
}
