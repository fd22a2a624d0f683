//! The sharing scheme at the NATS level, through the hub: what nats-server
//! itself enforces once the hub has applied exports, imports and
//! revocations (the catalog server checks again on top).

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Person, hub};
use futures_util::StreamExt;

use natster_auth::jwt::now;
use natster_proto::hub::ExportAddRequest;
use natster_proto::subjects;

#[tokio::test]
async fn media_reaches_only_the_grantee_even_with_a_full_wildcard_subscriber() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let alice = Person::register(&hub, "alice", None).await.unwrap();
    let bob = Person::register(&hub, "bob", None).await.unwrap();
    let carol = Person::register(&hub, "carol", None).await.unwrap();
    let (a, b, c) = (
        alice.connect(&hub).await,
        bob.connect(&hub).await,
        carol.connect(&hub).await,
    );
    natster_client::HubClient::new(a.clone(), alice.key())
        .change(&ExportAddRequest {
            catalog: "movies".into(),
        })
        .await
        .unwrap();
    natster_client::HubClient::new(b.clone(), bob.key())
        .change(&alice.grant(&bob.key(), "movies", None))
        .await
        .unwrap();

    let mut bob_media = b
        .subscribe(subjects::media_import(&bob.key(), &alice.key(), "movies"))
        .await
        .unwrap();
    let mut carol_all = c.subscribe(">").await.unwrap();
    b.flush().await.unwrap();
    c.flush().await.unwrap();
    // The server applies the import asynchronously: publish until bob hears
    // one (at most 3 s), each time also aiming one at carol's key.
    let mut got = None;
    for _ in 0..30 {
        for subject in [
            subjects::media(&bob.key(), &alice.key(), "movies", "t1"),
            subjects::media(&carol.key(), &alice.key(), "movies", "t2"),
        ] {
            a.publish(subject, "chunk".into()).await.unwrap();
        }
        a.flush().await.unwrap();
        if let Ok(Some(m)) =
            tokio::time::timeout(Duration::from_millis(100), bob_media.next()).await
        {
            got = Some(m);
            break;
        }
    }
    let got = got.expect("bob receives media");
    assert_eq!(
        got.subject.as_str(),
        subjects::media(&bob.key(), &alice.key(), "movies", "t1")
    );
    let leaked = tokio::time::timeout(Duration::from_millis(500), carol_all.next()).await;
    assert!(
        leaked.is_err(),
        "carol must see nothing, got {:?}",
        leaked.ok().flatten().map(|m| m.subject)
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn an_expiring_grant_stops_working_and_a_new_one_works() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let alice = Person::register(&hub, "alice", None).await.unwrap();
    let bob = Person::register(&hub, "bob", None).await.unwrap();
    let (a, b) = (alice.connect(&hub).await, bob.connect(&hub).await);
    natster_client::HubClient::new(a.clone(), alice.key())
        .change(&ExportAddRequest {
            catalog: "movies".into(),
        })
        .await
        .unwrap();
    let mut requests = a
        .subscribe(subjects::catalog_export(&alice.key(), "movies"))
        .await
        .unwrap();
    a.flush().await.unwrap();
    let responder = a.clone();
    tokio::spawn(async move {
        while let Some(m) = requests.next().await {
            if let Some(r) = m.reply {
                let _ = responder.publish(r, "ok".into()).await;
            }
        }
    });
    let ask = || {
        let b = b.clone();
        let subject = subjects::catalog(&bob.key(), &alice.key(), "movies", "get");
        async move { b.request(subject, "".into()).await.is_ok() }
    };

    natster_client::HubClient::new(b.clone(), bob.key())
        .change(&alice.grant(&bob.key(), "movies", Some(now() + 2)))
        .await
        .unwrap();
    assert!(
        natster_testkit::eventually(|| async { ask().await }, Duration::from_secs(2)).await,
        "works before expiry"
    );
    let stopped =
        natster_testkit::eventually(|| async { !ask().await }, Duration::from_secs(6)).await;
    assert!(stopped, "nats-server enforces the activation's expiry");

    // Sharing again with a fresh token restores access.
    natster_client::HubClient::new(b.clone(), bob.key())
        .change(&alice.grant(&bob.key(), "movies", None))
        .await
        .unwrap();
    assert!(
        natster_testkit::eventually(|| async { ask().await }, Duration::from_secs(3)).await,
        "a new grant works"
    );
    hub.shutdown().await;
}
