//! The hub survives restarts of itself and of nats-server, and holds no
//! seed but its own.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Person, config, hub};
use futures_util::StreamExt;
use natster_hub::RunningHub;

#[tokio::test]
async fn accounts_still_connect_after_a_hub_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = hub(dir.path(), None).await;
    let alice = Person::register(&first, "alice", None).await.unwrap();
    let operator = first.info().operator.clone();
    first.shutdown().await;

    let second = RunningHub::start(config(dir.path(), None))
        .await
        .expect("restarts on the same dir");
    assert_eq!(
        second.info().operator,
        operator,
        "same operator after restart"
    );
    let client = alice.connect(&second).await;
    client
        .flush()
        .await
        .expect("alice connects to the restarted hub");
    second.shutdown().await;
}

#[tokio::test]
async fn a_killed_nats_server_is_restarted_and_clients_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = hub(dir.path(), None).await;
    let alice = Person::register(&hub, "alice", None).await.unwrap();
    let client = alice.connect(&hub).await;
    let mut sub = client.subscribe("ping").await.unwrap();
    client.flush().await.unwrap();

    let pid = hub.nats_pid().expect("running");
    let target = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(target, rustix::process::Signal::KILL).unwrap();
    let new_pid = hub
        .wait_for_new_nats_pid(pid, Duration::from_secs(15))
        .await
        .expect("restarted");
    assert_ne!(new_pid, pid);

    // The same client, without doing anything, gets its subscription back.
    let mut delivered = false;
    for _ in 0..100 {
        let _ = client.publish("ping", "x".into()).await;
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
            assert_eq!(&m.payload[..], b"x");
            delivered = true;
            break;
        }
    }
    assert!(
        delivered,
        "client reconnected and its subscription works again"
    );
    // The control plane reconnected too: registration (which pushes) works.
    Person::register(&hub, "bob", None)
        .await
        .expect("hub serves after the restart");
    hub.shutdown().await;
}

#[tokio::test]
async fn no_user_seed_in_the_hub_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let people = [
        Person::register(&hub, "alice", None).await.unwrap(),
        Person::register(&hub, "bob", None).await.unwrap(),
    ];
    for p in &people {
        p.connect(&hub).await.flush().await.unwrap();
    }
    let hub_dir = hub.dir().to_owned();
    hub.shutdown().await;

    let mut secrets = Vec::new();
    for p in &people {
        for kp in [&p.account, &p.signing, &p.user] {
            secrets.push(kp.seed().unwrap());
        }
    }
    let mut scanned = 0;
    let mut seeds_found = 0;
    let mut stack = vec![hub_dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            scanned += 1;
            for s in &secrets {
                assert!(
                    !text.contains(s.as_str()),
                    "a user's seed is in {}",
                    path.display()
                );
            }
            // Every seed-shaped string is one of the hub's own keys (in keys/).
            for (i, _) in text.match_indices('S') {
                let candidate = &text[i..(i + 58).min(text.len())];
                if natster_auth::KeyPair::from_seed(candidate).is_ok() {
                    seeds_found += 1;
                    assert!(
                        path.parent().unwrap().ends_with("keys"),
                        "seed outside keys/: {}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(scanned > 10, "scanned the data dir ({scanned} files)");
    assert_eq!(seeds_found, 10, "operator x2 and four service accounts x2");
}
