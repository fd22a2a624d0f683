//! Several instances at once: nothing is counted twice, and killing one
//! while another serves costs at most the requests it had in flight.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Env, settled, snapshot};
use serde_json::json;

#[tokio::test]
async fn two_instances_never_double_count() {
    let env = Env::start().await;
    let _a = env.instance().await;
    let _b = env.instance().await;
    let mut accounts = Vec::new();
    for i in 0..6 {
        accounts.push(Arc::new(env.account(&format!("acc{i}")).await));
    }
    // Every account initializes twice at once: exactly one wins.
    let mut tasks = Vec::new();
    for a in &accounts {
        for _ in 0..2 {
            let a = a.clone();
            tasks.push(tokio::spawn(async move {
                a.call("events.put", json!({"type": "account_initialized"}))
                    .await
                    .code
            }));
        }
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 6, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 6, "{codes:?}");

    // Each shares with every other, each share sent twice with one client id
    // (a retry), concurrently, so both instances see them.
    let mut tasks = Vec::new();
    for (i, a) in accounts.iter().enumerate() {
        for (j, b) in accounts.iter().enumerate() {
            if i == j {
                continue;
            }
            for _ in 0..2 {
                let (a, target) = (a.clone(), b.key());
                tasks.push(tokio::spawn(async move {
                    let r = a
                        .call(
                            "events.put",
                            json!({"type": "catalog_shared", "id": format!("share-{j}"),
                                   "data": {"catalog": "films", "target": target}}),
                        )
                        .await;
                    assert_eq!(r.code, 200, "{r:?}");
                    r.data.unwrap()["duplicate"].as_bool().unwrap()
                }));
            }
        }
    }
    let mut duplicates = 0;
    for t in tasks {
        duplicates += usize::from(t.await.unwrap());
    }
    assert_eq!(duplicates, 30, "each retry is recognised as a duplicate");

    // One catalog's first heartbeat, sent many times at once: one "came online".
    let owner = accounts[0].clone();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            owner
                .ok("heartbeats.put", json!({"catalog": "films", "revision": 1}))
                .await["came_online"]
                .as_bool()
                .unwrap()
        }));
    }
    let mut online = 0;
    for t in tasks {
        online += usize::from(t.await.unwrap());
    }
    assert_eq!(online, 1, "exactly one heartbeat brings the catalog online");

    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;
    let stats = owner.ok("stats", json!(null)).await;
    assert_eq!(stats["accounts_initialized"], 6);
    assert_eq!(stats["active_shares"], 30);
    // 6 inits + 30 shares + 1 revision.
    assert_eq!(stats["events"], 37);
    for a in &accounts {
        let d = a.ok("my.shares", json!(null)).await;
        assert_eq!(d["out_shares"].as_array().unwrap().len(), 5);
        assert_eq!(d["in_shares"].as_array().unwrap().len(), 5);
    }
    let snap = snapshot(&js).await;
    let outs = snap
        .keys()
        .filter(|k| k.starts_with("NATSTER_SHARES/out."))
        .count();
    let ins = snap
        .keys()
        .filter(|k| k.starts_with("NATSTER_SHARES/in."))
        .count();
    assert_eq!((outs, ins), (30, 30));
}

#[tokio::test]
async fn killing_one_instance_costs_only_its_requests_in_flight() {
    let env = Env::start().await;
    let survivor = env.instance().await;
    let victim = env.instance().await;
    let alice = Arc::new(env.account("alice").await);
    let bob = env.account("bob").await;
    alice.init().await;
    bob.init().await;
    alice.share("movies", &bob.key()).await;

    const LOOPS: usize = 4;
    let failures = Arc::new(AtomicUsize::new(0));
    let successes = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut tasks = Vec::new();
    for n in 0..LOOPS {
        let (alice, failures, successes, stop) = (
            alice.clone(),
            failures.clone(),
            successes.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let op = ["my.shares", "whoami", "heartbeats.put", "stats"][n];
            let body = if op == "heartbeats.put" {
                serde_json::to_vec(&json!({"catalog": "movies", "revision": 1})).unwrap()
            } else {
                Vec::new()
            };
            let subject = natster_proto::subjects::global(&alice.key(), op);
            loop {
                let r = tokio::select! {
                    () = stop.notified() => break,
                    r = tokio::time::timeout(
                        Duration::from_secs(3),
                        alice.client.request(subject.clone(), body.clone().into()),
                    ) => r,
                };
                let ok = matches!(&r, Ok(Ok(m)) if serde_json::from_slice::<serde_json::Value>(&m.payload)
                    .is_ok_and(|v| v["code"] == 200));
                if ok {
                    successes.fetch_add(1, Ordering::Relaxed);
                } else {
                    let why = match &r {
                        Ok(Ok(m)) => String::from_utf8_lossy(&m.payload).into_owned(),
                        Ok(Err(e)) => e.to_string(),
                        Err(_) => "timed out".to_owned(),
                    };
                    eprintln!("{op} failed: {why}");
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let before_kill = successes.load(Ordering::Relaxed);
    victim.kill().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let after_kill = successes.load(Ordering::Relaxed);
    stop.notify_waiters();
    for t in tasks {
        t.await.unwrap();
    }
    let failed = failures.load(Ordering::Relaxed);
    assert!(
        before_kill > 0 && after_kill > before_kill,
        "{before_kill} then {after_kill}"
    );
    // Each loop has one request in flight at a time.
    assert!(failed <= LOOPS, "{failed} requests failed");
    // The survivor still folds events.
    let carol = env.account("carol").await;
    carol.init().await;
    let js = async_nats::jetstream::new(env.global_client().await);
    settled(&js).await;
    assert_eq!(
        alice.ok("stats", json!(null)).await["accounts_initialized"],
        3
    );
    survivor.stop().await.unwrap();
}
