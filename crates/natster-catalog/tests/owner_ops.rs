//! Owner-only operations (`access`, `share`, `unshare`) reach the ops hook
//! through the catalog's one endpoint: the owner's users get there, another
//! account is refused before the hook runs (or has no route at all), and a
//! slow operation does not hold up `get`.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Fixture, start_on};
use natster_auth::claims::{ActivationNats, Claims, Export, ExportType, Import, ResponseType};
use natster_auth::jwt::encode;
use natster_catalog::{OpRequest, OpsHook};
use natster_proto::catalog::{OP_ACCESS, OWNER_OPS};
use natster_proto::{ApiResponse, subjects};
use natster_testkit::AccountFixture;
use serde_json::{Value, json};

async fn call(c: &async_nats::Client, subject: String, body: &'static str) -> Value {
    let m = tokio::time::timeout(Duration::from_secs(10), c.request(subject, body.into()))
        .await
        .expect("answered in time")
        .expect("a responder");
    serde_json::from_slice(&m.payload).expect("json envelope")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_reaches_the_ops_hook() {
    let mut fx = Fixture::new(&[("a.txt", b"hello".to_vec())]).await;
    let a = fx.owner();
    let mut bob = AccountFixture::new("bob");
    let b = bob.key();
    let carol = AccountFixture::new("carol");

    // Alice exports `movies`; bob imports it with activation tokens.
    let mut service = Export::new(
        "movies",
        subjects::catalog_export(&a, "movies"),
        ExportType::Service,
    );
    service.token_req = true;
    service.response_type = Some(ResponseType::Singleton);
    fx.alice.claims.nats.exports.push(service);
    let subject = subjects::catalog_import(&b, &a, "movies");
    let act = Claims::new(
        b.clone(),
        ActivationNats::new(subject.clone(), ExportType::Service, a.clone()),
    );
    let mut import = Import::new("alice-movies", subject, a.clone(), ExportType::Service);
    import.token = encode(&act, &fx.alice.signing).expect("activation");
    bob.claims.nats.imports.push(import);
    for acc in [&fx.alice, &bob, &carol] {
        fx.server.push_account(acc).await.expect("push");
    }

    let seen: Arc<Mutex<Vec<OpRequest>>> = Arc::default();
    let seen_by_hook = seen.clone();
    let hook: OpsHook = Arc::new(move |r: OpRequest| {
        seen_by_hook.lock().expect("lock").push(r.clone());
        Box::pin(async move {
            if r.op == OP_ACCESS {
                // Slow on purpose: `get` must not wait for it.
                tokio::time::sleep(Duration::from_millis(1500)).await;
            }
            if OWNER_OPS.contains(&r.op.as_str()) {
                let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                ApiResponse::ok(json!({"op": r.op, "caller": r.caller, "body": body}))
            } else {
                ApiResponse::err(404, format!("unknown operation {:?}", r.op))
            }
        })
    });
    let mut config = fx.config();
    let (owner, friend) = (a.clone(), b.clone());
    // Bob may read the catalog: being allowed to read is not being the owner.
    config.access = Arc::new(move |caller, _| caller == owner || caller == friend);
    config.ops = Some(hook);
    let client = fx
        .server_user
        .connect(&fx.server.url())
        .await
        .expect("server");
    let _running = start_on(client, config).await;

    // The owner's own user (the CLI, or a web session) reaches the hook
    // with the body as sent and the owner as caller.
    let me = fx
        .alice
        .user("cli", |_| {})
        .connect(&fx.server.url())
        .await
        .expect("cli");
    let r = call(
        &me,
        subjects::catalog(&a, &a, "movies", "share"),
        r#"{"account":"AX"}"#,
    )
    .await;
    assert_eq!(r["code"], 200, "{r}");
    assert_eq!(r["data"]["op"], "share");
    assert_eq!(r["data"]["caller"], a.as_str());
    assert_eq!(r["data"]["body"]["account"], "AX");
    let r = call(&me, subjects::catalog(&a, &a, "movies", "share.x"), "{}").await;
    assert_eq!(r["code"], 404, "an op is matched whole: {r}");

    // A slow owner op runs beside `get`.
    let slow = {
        let me = me.clone();
        let a = a.clone();
        tokio::spawn(async move {
            let t = Instant::now();
            let r = call(&me, subjects::catalog(&a, &a, "movies", OP_ACCESS), "{}").await;
            (r, t.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    let r = call(&me, subjects::catalog(&a, &a, "movies", "get"), "{}").await;
    assert_eq!(r["code"], 200, "{r}");
    assert!(
        t.elapsed() < Duration::from_millis(1000),
        "get waited for the slow op: {:?}",
        t.elapsed()
    );
    let (r, took) = slow.await.expect("join");
    assert_eq!(r["code"], 200, "{r}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");

    // Bob reads the catalog through his import...
    let bob_client = bob
        .user("cli", |_| {})
        .connect(&fx.server.url())
        .await
        .expect("bob");
    let r = call(
        &bob_client,
        subjects::catalog(&b, &a, "movies", "get"),
        "{}",
    )
    .await;
    assert_eq!(r["code"], 200, "bob may read: {r}");
    // ...but may not share alice's catalog, list who has it, or unshare.
    let before = seen.lock().expect("lock").len();
    for op in OWNER_OPS {
        let r = call(
            &bob_client,
            subjects::catalog(&b, &a, "movies", op),
            r#"{"account":"AX"}"#,
        )
        .await;
        assert_eq!(r["code"], 403, "{op}: {r}");
        assert!(
            r["error"].as_str().unwrap_or("").contains("only the owner"),
            "{r}"
        );
    }
    assert_eq!(
        seen.lock().expect("lock").len(),
        before,
        "the hook never saw bob's calls"
    );

    // Carol has no import: no route to the catalog at all.
    let carol_client = carol
        .user("cli", |_| {})
        .connect(&fx.server.url())
        .await
        .expect("carol");
    let e = carol_client
        .request(
            subjects::catalog(&carol.key(), &a, "movies", "share"),
            "{}".into(),
        )
        .await
        .expect_err("no responders for carol");
    assert_eq!(e.kind(), async_nats::RequestErrorKind::NoResponders);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_hook_other_ops_are_unknown() {
    let fx = Fixture::new(&[("a.txt", b"hello".to_vec())]).await;
    let a = fx.owner();
    let _running = fx.start(fx.config()).await;
    let me = fx
        .alice
        .user("cli", |_| {})
        .connect(&fx.server.url())
        .await
        .expect("cli");
    let r = call(&me, subjects::catalog(&a, &a, "movies", "share"), "{}").await;
    assert_eq!(r["code"], 404, "{r}");
}
