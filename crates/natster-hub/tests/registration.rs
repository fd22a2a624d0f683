//! Registration over HTTP: proof of possession, single-use nonces, invites.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Person, hub};
use data_encoding::BASE64URL_NOPAD;
use natster_auth::KeyPair;
use natster_auth::claims::AccountNats;
use natster_auth::jwt::Verifier;
use natster_client::{Error as ClientError, HubHttp};
use natster_hub::http::Registration;
use natster_proto::hub::RegisterRequest;

fn api_code(e: &ClientError) -> u16 {
    match e {
        ClientError::Api { error: a, .. } => a.code,
        other => panic!("expected an API error, got {other}"),
    }
}

#[tokio::test]
async fn registration_works_and_the_account_connects() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let alice = Person::register(&hub, "alice", None)
        .await
        .expect("open registration on loopback");
    let claims = Verifier::new(hub.info().operator_signing_keys.clone())
        .verify::<AccountNats>(&alice.account_jwt)
        .expect("issued by the operator signing key");
    assert_eq!(claims.sub, alice.key());
    assert_eq!(claims.name, "alice");
    assert!(
        claims
            .nats
            .signing_key_ids()
            .any(|k| k == alice.signing.public_key())
    );
    let client = alice.connect(&hub).await;
    client.flush().await.unwrap();
    // Public lookup.
    let http = HubHttp::new(&hub.info().hub_url).unwrap();
    assert_eq!(
        http.account_jwt(&alice.key()).await.unwrap(),
        alice.account_jwt
    );
    let unknown = http
        .account_jwt(&KeyPair::new_account().public_key())
        .await
        .unwrap_err();
    assert_eq!(api_code(&unknown), 404);
    hub.shutdown().await;
}

#[tokio::test]
async fn reused_nonce_wrong_signature_and_bad_input_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), None).await;
    let http = HubHttp::new(&hub.info().hub_url).unwrap();
    let account = KeyPair::new_account();
    let signing = KeyPair::new_account();
    let nonce = http.nonce().await.unwrap().nonce;
    let sign = |kp: &KeyPair, n: &str| BASE64URL_NOPAD.encode(&kp.sign(n.as_bytes()).unwrap());
    let req = |nonce: &str, signature: String| RegisterRequest {
        account: account.public_key(),
        signing_key: signing.public_key(),
        name: "carol".into(),
        nonce: nonce.into(),
        signature,
        invite: None,
    };

    // Signed by another key: refused (and the nonce is spent).
    let stranger = KeyPair::new_account();
    let e = http
        .register(&req(&nonce, sign(&stranger, &nonce)))
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), 403, "{e}");
    let e = http
        .register(&req(&nonce, sign(&account, &nonce)))
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), 400, "spent nonce: {e}");
    assert!(e.to_string().contains("nonce"), "{e}");

    // A fresh nonce works once; replaying the same request fails.
    let nonce = http.nonce().await.unwrap().nonce;
    let good = req(&nonce, sign(&account, &nonce));
    http.register(&good).await.expect("registers");
    let e = http.register(&good).await.unwrap_err();
    assert_eq!(api_code(&e), 400, "replayed: {e}");

    // Bad keys, bad names, same key twice, garbage.
    let nonce = http.nonce().await.unwrap().nonce;
    let mut r = req(&nonce, sign(&account, &nonce));
    r.account = "ABC".into();
    assert_eq!(api_code(&http.register(&r).await.unwrap_err()), 400);
    let nonce = http.nonce().await.unwrap().nonce;
    let mut r = req(&nonce, sign(&account, &nonce));
    r.signing_key = r.account.clone();
    assert_eq!(api_code(&http.register(&r).await.unwrap_err()), 400);
    let nonce = http.nonce().await.unwrap().nonce;
    let mut r = req(&nonce, sign(&account, &nonce));
    r.name = "bad\nname".into();
    assert_eq!(api_code(&http.register(&r).await.unwrap_err()), 400);
    let raw = reqwest::Client::new()
        .post(format!("{}/api/v1/register", hub.info().hub_url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let big = reqwest::Client::new()
        .post(format!("{}/api/v1/register", hub.info().hub_url))
        .body(vec![b'x'; 200_000])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);

    // Still serving.
    Person::register(&hub, "dave", None)
        .await
        .expect("hub keeps serving");
    hub.shutdown().await;
}

#[tokio::test]
async fn invite_only_needs_a_single_use_invite() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub(dir.path(), Some(Registration::InviteOnly)).await;
    let e = Person::register(&hub, "eve", None)
        .await
        .err()
        .expect("no invite");
    assert_eq!(api_code(&e), 403);
    assert!(e.to_string().contains("invite"), "{e}");
    let code = natster_hub::invites::create(hub.dir(), natster_auth::jwt::now() + 60).unwrap();
    Person::register(&hub, "eve", Some(&code))
        .await
        .expect("invite works");
    let e = Person::register(&hub, "frank", Some(&code))
        .await
        .err()
        .expect("used invite");
    assert_eq!(api_code(&e), 403);
    hub.shutdown().await;
}
