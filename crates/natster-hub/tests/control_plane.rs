//! Account changes over NATS: an account changes itself, never another;
//! activation tokens are checked before they reach nats-server; bad requests
//! get clear errors and the hub keeps serving.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Person, hub};
use futures_util::StreamExt;
use natster_auth::claims::{AccountNats, ActivationNats, Claims, ExportType};
use natster_auth::jwt::{decode, encode, now};
use natster_client::Error as ClientError;
use natster_proto::hub::{ExportAddRequest, ExportRemoveRequest, RevokeRequest};
use natster_proto::subjects::{self, hub_ops};

fn code(e: &ClientError) -> u16 {
    match e {
        ClientError::Api { error: a, .. } => a.code,
        other => panic!("expected an API error, got {other}"),
    }
}

#[tokio::test]
async fn an_account_changes_itself_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let alice = Person::register(&hub, "alice", None).await.unwrap();
    let bob = Person::register(&hub, "bob", None).await.unwrap();
    let a = alice.connect(&hub).await;
    let b = bob.connect(&hub).await;

    let jwt = natster_client::HubClient::new(a.clone(), alice.key())
        .change(&ExportAddRequest {
            catalog: "movies".into(),
        })
        .await
        .expect("alice exports her catalog");
    let claims = decode::<AccountNats>(&jwt).unwrap();
    let exported: Vec<_> = claims
        .nats
        .exports
        .iter()
        .map(|e| e.subject.as_str())
        .collect();
    assert!(exported.contains(&subjects::catalog_export(&alice.key(), "movies").as_str()));
    assert!(claims.nats.exports.iter().all(|e| e.token_req));

    // Bob aims at alice's control subject: his import only covers his own key.
    let err = b
        .request(
            subjects::hub(&alice.key(), hub_ops::EXPORT_REMOVE),
            r#"{"catalog":"movies"}"#.into(),
        )
        .await
        .expect_err("bob cannot reach alice's control subject");
    assert_eq!(err.kind(), async_nats::RequestErrorKind::NoResponders);
    // Bob removing "movies" in his own account finds nothing: alice is untouched.
    let e = natster_client::HubClient::new(b.clone(), bob.key())
        .change(&ExportRemoveRequest {
            catalog: "movies".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(code(&e), 404);
    let stored = hub.authority().account_jwt(&alice.key()).unwrap();
    assert_eq!(stored, jwt, "alice's JWT unchanged");
    hub.shutdown().await;
}

#[tokio::test]
async fn imports_need_valid_tokens_and_then_work() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let alice = Person::register(&hub, "alice", None).await.unwrap();
    let bob = Person::register(&hub, "bob", None).await.unwrap();
    let dora = Person::register(&hub, "dora", None).await.unwrap();
    let (a, b, d) = (
        alice.connect(&hub).await,
        bob.connect(&hub).await,
        dora.connect(&hub).await,
    );
    natster_client::HubClient::new(a.clone(), alice.key())
        .change(&ExportAddRequest {
            catalog: "movies".into(),
        })
        .await
        .unwrap();

    // Signed by alice's identity key: strict mode would not stop it, the hub does.
    let mut by_identity = alice.grant(&bob.key(), "movies", None);
    by_identity.service_token = alice.activation(
        &alice.account,
        &bob.key(),
        subjects::catalog_import(&bob.key(), &alice.key(), "movies"),
        ExportType::Service,
        None,
    );
    let e = natster_client::HubClient::new(b.clone(), bob.key())
        .change(&by_identity)
        .await
        .unwrap_err();
    assert_eq!(code(&e), 403, "{e}");

    // Wider than the export allows: a wildcard for every catalog.
    let mut wider = alice.grant(&bob.key(), "movies", None);
    wider.service_token = alice.activation(
        &alice.signing,
        &bob.key(),
        format!("{}.natster.catalog.{}.>", bob.key(), alice.key()),
        ExportType::Service,
        None,
    );
    assert_eq!(
        code(
            &natster_client::HubClient::new(b.clone(), bob.key())
                .change(&wider)
                .await
                .unwrap_err()
        ),
        403
    );

    // Expired.
    let mut expired = alice.grant(&bob.key(), "movies", None);
    let c = Claims::new(
        bob.key(),
        ActivationNats::new(
            subjects::catalog_import(&bob.key(), &alice.key(), "movies"),
            ExportType::Service,
            alice.key(),
        ),
    )
    .with_expiry(now() - 5);
    expired.service_token = encode(&c, &alice.signing).unwrap();
    assert_eq!(
        code(
            &natster_client::HubClient::new(b.clone(), bob.key())
                .change(&expired)
                .await
                .unwrap_err()
        ),
        403
    );

    // Dora reuses bob's tokens: refused, and her account is not touched.
    let bobs = alice.grant(&bob.key(), "movies", None);
    let dora_before = hub.authority().account_jwt(&dora.key()).unwrap();
    assert_eq!(
        code(
            &natster_client::HubClient::new(d.clone(), dora.key())
                .change(&bobs)
                .await
                .unwrap_err()
        ),
        403
    );
    assert_eq!(
        hub.authority().account_jwt(&dora.key()).unwrap(),
        dora_before
    );

    // A catalog alice does not export.
    assert_eq!(
        code(
            &natster_client::HubClient::new(b.clone(), bob.key())
                .change(&alice.grant(&bob.key(), "other", None))
                .await
                .unwrap_err()
        ),
        404
    );

    // The real grant works end to end: bob reaches alice's responder.
    natster_client::HubClient::new(b.clone(), bob.key())
        .change(&bobs)
        .await
        .expect("valid import");
    let mut sub = a
        .subscribe(subjects::catalog_export(&alice.key(), "movies"))
        .await
        .unwrap();
    a.flush().await.unwrap();
    let responder = a.clone();
    tokio::spawn(async move {
        while let Some(m) = sub.next().await {
            if let Some(r) = m.reply {
                let _ = responder.publish(r, "pong".into()).await;
            }
        }
    });
    // The server applies an account update asynchronously: allow it a moment.
    let mut reply = None;
    for _ in 0..40 {
        let subject = subjects::catalog(&bob.key(), &alice.key(), "movies", "get");
        match b.request(subject, "".into()).await {
            Ok(m) => {
                reply = Some(m);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let reply = reply.expect("bob is let through");
    assert_eq!(&reply.payload[..], b"pong");
    let err = d
        .request(
            subjects::catalog(&dora.key(), &alice.key(), "movies", "get"),
            "".into(),
        )
        .await
        .expect_err("dora has no import");
    assert_eq!(err.kind(), async_nats::RequestErrorKind::NoResponders);

    // Revocation cuts bob off.
    natster_client::HubClient::new(a.clone(), alice.key())
        .change(&RevokeRequest {
            catalog: "movies".into(),
            account: bob.key(),
        })
        .await
        .unwrap();
    let cut = natster_testkit::eventually(
        || {
            let b = b.clone();
            let subject = subjects::catalog(&bob.key(), &alice.key(), "movies", "get");
            async move { b.request(subject, "".into()).await.is_err() }
        },
        Duration::from_secs(2),
    )
    .await;
    assert!(cut, "revoked bob must stop getting answers");
    hub.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_get_clear_errors_and_the_hub_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let alice = Person::register(&hub, "alice", None).await.unwrap();
    let a = alice.connect(&hub).await;
    let me = alice.key();
    let ask = |op: &str, body: Vec<u8>| {
        let a = a.clone();
        let subject = subjects::hub(&me, op);
        async move {
            let m = a.request(subject, body.into()).await.expect("an answer");
            serde_json::from_slice::<serde_json::Value>(&m.payload).expect("json answer")
        }
    };
    let cases: Vec<(&str, Vec<u8>, u64)> = vec![
        (hub_ops::EXPORT_ADD, b"{not json".to_vec(), 400),
        (
            hub_ops::EXPORT_ADD,
            br#"{"catalog":"Bad Name"}"#.to_vec(),
            400,
        ),
        (hub_ops::EXPORT_ADD, br#"{"catalog":"a.>"}"#.to_vec(), 400),
        (
            hub_ops::EXPORT_REVOKE,
            br#"{"catalog":"x","account":"AXYZ"}"#.to_vec(),
            400,
        ),
        (
            hub_ops::IMPORT_ADD,
            br#"{"owner":"nope","catalog":"x","service_token":"a","stream_token":"b"}"#.to_vec(),
            400,
        ),
        (hub_ops::USER_REVOKE, br#"{"user":"ABC"}"#.to_vec(), 400),
        ("no.such.op", b"{}".to_vec(), 404),
        (hub_ops::EXPORT_ADD, vec![b'x'; 100_000], 400),
    ];
    for (op, body, want) in cases {
        let v = ask(op, body).await;
        assert_eq!(v["code"].as_u64(), Some(want), "{op}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{op}: {v}"
        );
    }
    // A burst of garbage, then a real change still works.
    for i in 0..200 {
        a.publish(
            subjects::hub(&me, hub_ops::EXPORT_ADD),
            format!("garbage {i}").into(),
        )
        .await
        .unwrap();
    }
    let jwt = natster_client::HubClient::new(a.clone(), &me)
        .change(&ExportAddRequest {
            catalog: "ok".into(),
        })
        .await
        .expect("still serving");
    assert!(!decode::<AccountNats>(&jwt).unwrap().nats.exports.is_empty());
    hub.shutdown().await;
}
