//! The import button's API: a session imports a catalog shared with its
//! account, using the tokens the owner deposited at the hub; it cannot
//! import what was not shared, and it needs the CSRF token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Browser, Person, Stack, login_with};
use natster_auth::claims::{ActivationNats, Claims, ExportType};
use natster_auth::jwt::encode;
use natster_proto::hub::{ExportAddRequest, GrantRequest};
use natster_proto::subjects;
use natster_web::login::LoginOptions;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_imports_a_shared_catalog_and_nothing_else() {
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let bob = Person::register(&stack, "bob").await;
    let (a, b) = (alice.connect(&stack).await, bob.connect(&stack).await);
    alice.init(&a).await;
    bob.init(&b).await;

    // Alice shares `movies` with bob the way `natster catalog share` does.
    natster_client::HubClient::new(a.clone(), alice.key())
        .change(&ExportAddRequest {
            catalog: "movies".into(),
        })
        .await
        .unwrap();
    let token = |subject: String, kind| {
        encode(
            &Claims::new(bob.key(), ActivationNats::new(subject, kind, alice.key())),
            &alice.signing,
        )
        .unwrap()
    };
    let grant = GrantRequest {
        catalog: "movies".into(),
        account: bob.key(),
        service_token: token(
            subjects::catalog_import(&bob.key(), &alice.key(), "movies"),
            ExportType::Service,
        ),
        stream_token: token(
            subjects::media_import(&bob.key(), &alice.key(), "movies"),
            ExportType::Stream,
        ),
    };
    natster_client::HubClient::new(a.clone(), alice.key())
        .change(&grant)
        .await
        .unwrap();
    let r = alice
        .global(
            &a,
            "events.put",
            json!({"type": "catalog_shared", "data": {"catalog": "movies", "target": bob.key()}}),
        )
        .await;
    assert_eq!(r["code"], 200, "{r}");

    let browser = Browser::new(&stack.web_url);
    login_with(&stack, &bob, &b, &browser, LoginOptions::default())
        .await
        .expect("bob logs in");
    let (_, s) = browser.session().await;
    let csrf = s["csrf"].as_str().unwrap().to_owned();
    let path = format!("/api/catalogs/{}/movies/import", alice.key());

    // Without the CSRF token: refused, nothing imported.
    let r = browser.post(&path, None).send().await.unwrap();
    assert_eq!(r.status(), 403);
    // Something never shared: a clear 404.
    let r = browser
        .post(
            &format!("/api/catalogs/{}/other/import", alice.key()),
            Some(&csrf),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "{:?}", r.text().await);
    // Garbage: 400.
    let r = browser
        .post("/api/catalogs/nope/movies/import", Some(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let r = browser.post(&path, Some(&csrf)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["recorded"], true, "{body}");
    // The global service folds the event into bob's view shortly after.
    let imported = natster_testkit::eventually(
        || async {
            let body: Value = browser
                .get("/api/shares")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["in_shares"][0]["from_account"] == alice.key().as_str()
                && body["in_shares"][0]["imported"] == true
        },
        std::time::Duration::from_secs(5),
    )
    .await;
    assert!(imported, "the share shows as imported");
    // The import is in bob's account JWT now.
    let jwt = natster_client::HubClient::new(b.clone(), bob.key())
        .change(&natster_proto::hub::AccountGetRequest {})
        .await
        .unwrap();
    let claims = natster_auth::jwt::decode::<natster_auth::claims::AccountNats>(&jwt).unwrap();
    assert!(
        claims
            .nats
            .imports
            .iter()
            .any(|i| i.subject == subjects::catalog_import(&bob.key(), &alice.key(), "movies"))
    );
    stack.shutdown().await;
}
