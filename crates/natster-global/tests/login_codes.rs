//! One-time login codes: random, single use, web account only, expiring,
//! holding no secret.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Env, eventually, next_feed};
use natster_auth::keys::KeyKind;
use serde_json::json;

#[tokio::test]
async fn a_code_is_claimed_once_by_the_web_account_only() {
    let env = Env::start().await;
    let _svc = env.instance().await;
    let alice = env.account("alice").await;
    alice.init().await;
    let mut alice_feed = alice.feed().await;

    let generated = alice
        .ok("otc.generate", json!({"payload": {"scopes": ["browse"]}}))
        .await;
    let code = generated["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 32, "160 bits of base32");
    assert_eq!(generated["valid_seconds"], 300);
    let other = alice.ok("otc.generate", json!(null)).await;
    assert_ne!(
        other["code"], generated["code"],
        "two codes in one second differ"
    );

    // What is stored under the code: the account key and the payload, nothing else.
    let js = async_nats::jetstream::new(env.global_client().await);
    let codes = js
        .get_key_value(natster_global::CODES_BUCKET)
        .await
        .unwrap();
    let stored: serde_json::Value =
        serde_json::from_slice(&codes.get(&code).await.unwrap().unwrap()).unwrap();
    let mut fields: Vec<_> = stored.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["account", "created_at", "payload"]);
    assert_eq!(stored["account"], alice.key());

    // Only the web account may claim.
    let r = alice.call("otc.claim", json!({"code": code})).await;
    assert_eq!(r.code, 403, "{r:?}");

    // Claimed concurrently several times: exactly one wins.
    let web = Arc::new(env.web.client.clone());
    let session = KeyKind::User.generate().public_key();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (web, code, session, key) = (web.clone(), code.clone(), session.clone(), env.web.key());
        tasks.push(tokio::spawn(async move {
            let msg = web
                .request(
                    natster_proto::subjects::global(&key, "otc.claim"),
                    serde_json::to_vec(&json!({"code": code, "session": session}))
                        .unwrap()
                        .into(),
                )
                .await
                .unwrap();
            serde_json::from_slice::<natster_proto::ApiResponse<serde_json::Value>>(&msg.payload)
                .unwrap()
        }));
    }
    let mut wins = Vec::new();
    let mut codes_seen = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        codes_seen.push(r.code);
        if r.code == 200 {
            wins.push(r.data.unwrap());
        }
    }
    assert_eq!(wins.len(), 1, "{codes_seen:?}");
    assert!(
        codes_seen.iter().all(|c| *c == 200 || *c == 404),
        "{codes_seen:?}"
    );
    assert_eq!(wins[0]["account"], alice.key());
    assert_eq!(wins[0]["payload"]["scopes"][0], "browse");
    let r = env.web.call("otc.claim", json!({"code": code})).await;
    assert_eq!(r.code, 404, "a second claim fails: {r:?}");

    let claimed = next_feed(&mut alice_feed, 5).await.expect("login_claimed");
    assert_eq!(claimed["type"], "login_claimed");
    assert_eq!(claimed["session"], session);

    // Malformed codes and secrets are refused.
    let r = env
        .web
        .call("otc.claim", json!({"code": "not-a-code"}))
        .await;
    assert_eq!(r.code, 400, "{r:?}");
    let seed = KeyKind::User.generate().seed().unwrap();
    let r = alice
        .call("otc.generate", json!({"payload": {"seed": seed}}))
        .await;
    assert_eq!(r.code, 400, "{r:?}");
    let r = alice
        .call("otc.generate", json!({"payload": "x".repeat(2000)}))
        .await;
    assert_eq!(r.code, 413, "{r:?}");
}

#[tokio::test]
async fn an_unclaimed_code_expires() {
    let env = Env::start().await;
    let config = natster_global::GlobalConfig {
        otc_ttl: Duration::from_secs(1),
        ..env.config()
    };
    let _svc = env.instance_with(config).await;
    let alice = env.account("alice").await;
    let generated = alice.ok("otc.generate", json!(null)).await;
    let code = generated["code"].as_str().unwrap().to_owned();
    let js = async_nats::jetstream::new(env.global_client().await);
    let codes = js
        .get_key_value(natster_global::CODES_BUCKET)
        .await
        .unwrap();
    assert!(codes.get(&code).await.unwrap().is_some());
    // The per-key TTL removes it; claiming then fails.
    eventually("the code to expire", || async {
        codes.get(&code).await.unwrap().is_none().then_some(())
    })
    .await;
    let r = env.web.call("otc.claim", json!({"code": code})).await;
    assert_eq!(r.code, 404, "{r:?}");
}
