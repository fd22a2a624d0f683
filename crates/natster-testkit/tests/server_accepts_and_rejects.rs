//! nats-server accepts what natster-auth issues, and rejects what it must.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::StreamExt;
use natster_auth::KeyPair;
use natster_auth::claims::{ActivationNats, Claims, Export, ExportType, Import, ResponseType};
use natster_auth::jwt::{encode, now};
use natster_testkit::{AccountFixture, TestServer, UserFixture, async_nats};

fn is_auth_failure(e: &async_nats::ConnectError) -> bool {
    matches!(
        e.kind(),
        async_nats::ConnectErrorKind::AuthorizationViolation
    ) || e.to_string().to_lowercase().contains("authorization")
}

#[tokio::test]
async fn strict_operator_account_and_signing_key_user_connect() {
    let server = TestServer::start().await;
    let alice = AccountFixture::new("alice");
    assert_eq!(
        server.push_account(&alice).await.expect("push"),
        "jwt updated"
    );

    let user = alice.user("cli", |_| {});
    let client = user
        .connect(&server.url())
        .await
        .expect("user connects by nonce signature");
    let mut sub = client.subscribe("hello").await.expect("sub");
    client.publish("hello", "world".into()).await.expect("pub");
    let msg = tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .expect("in time")
        .expect("msg");
    assert_eq!(&msg.payload[..], b"world");
    assert!(
        server.log().contains("Trusted Operators"),
        "operator mode is on"
    );
}

#[tokio::test]
async fn account_signed_by_operator_identity_key_is_refused_under_strict_usage() {
    let server = TestServer::start().await;
    let mallory = AccountFixture::new("mallory");
    let jwt = encode(&mallory.claims, &server.operator.identity).expect("jwt");
    // The resolver may store it, but the server must not let its users in.
    let _ = server.push(&jwt).await;
    let err = mallory
        .user("u", |_| {})
        .connect(&server.url())
        .await
        .expect_err("must be refused");
    assert!(is_auth_failure(&err), "{err}");
}

#[tokio::test]
async fn rejects_unknown_signer_tampered_and_expired_users() {
    let server = TestServer::start().await;
    let alice = AccountFixture::new("alice");
    server.push_account(&alice).await.expect("push");
    let url = server.url();

    // Signed by a key the account does not list.
    let stranger = AccountFixture {
        signing: KeyPair::new_account(),
        ..alice.clone()
    };
    let err = stranger
        .user("x", |_| {})
        .connect(&url)
        .await
        .expect_err("unknown signer");
    assert!(is_auth_failure(&err), "{err}");

    // Payload changed after signing: widen permissions.
    let good = alice.user("y", |c| c.nats.publish.allow = vec!["only.this".into()]);
    let parts: Vec<&str> = good.jwt.split('.').collect();
    let payload = data_encoding::BASE64URL_NOPAD
        .decode(parts[1].as_bytes())
        .expect("b64");
    let payload = String::from_utf8(payload)
        .expect("utf8")
        .replace("only.this", ">");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        data_encoding::BASE64URL_NOPAD.encode(payload.as_bytes()),
        parts[2]
    );
    let err = UserFixture {
        key: good.key.clone(),
        jwt: forged,
    }
    .connect(&url)
    .await
    .expect_err("tampered");
    assert!(is_auth_failure(&err), "{err}");

    // Expired.
    let expired = alice.user("z", |c| c.exp = Some(now() - 10));
    let err = expired.connect(&url).await.expect_err("expired");
    assert!(is_auth_failure(&err), "{err}");

    // A valid JWT, but the nonce signed by another key.
    let other = UserFixture {
        key: KeyPair::new_user(),
        jwt: good.jwt.clone(),
    };
    let err = other.connect(&url).await.expect_err("wrong nonce signer");
    assert!(is_auth_failure(&err), "{err}");

    // The good user still gets in.
    good.connect(&url).await.expect("good user connects");
}

#[tokio::test]
async fn narrower_activation_on_private_export_lets_the_importer_through() {
    let server = TestServer::start().await;
    let mut alice = AccountFixture::new("alice");
    let mut bob = AccountFixture::new("bob");
    let carol = AccountFixture::new("carol");
    let (a, b) = (alice.key(), bob.key());

    let mut export = Export::new(
        "movies",
        format!("*.natster.catalog.{a}.movies.>"),
        ExportType::Service,
    );
    export.token_req = true;
    export.response_type = Some(ResponseType::Singleton);
    alice.claims.nats.exports.push(export);

    // Activation narrower than the export: bob's key in token 1.
    let granted = format!("{b}.natster.catalog.{a}.movies.>");
    let act = Claims::new(
        b.clone(),
        ActivationNats::new(granted.clone(), ExportType::Service, a.clone()),
    );
    let token = encode(&act, &alice.signing).expect("activation");
    let mut import = Import::new("alice-movies", granted, a.clone(), ExportType::Service);
    import.token = token;
    bob.claims.nats.imports.push(import);

    for acc in [&alice, &bob, &carol] {
        server.push_account(acc).await.expect("push");
    }

    let responder = alice
        .user("server", |_| {})
        .connect(&server.url())
        .await
        .expect("alice");
    let mut requests = responder
        .subscribe(format!("*.natster.catalog.{a}.movies.>"))
        .await
        .expect("sub");
    responder.flush().await.expect("flush");
    tokio::spawn(async move {
        while let Some(msg) = requests.next().await {
            let caller = msg
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Request-Info"))
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default();
            if let Some(reply) = msg.reply {
                let _ = responder.publish(reply, caller.into()).await;
            }
        }
    });

    let bob_client = bob
        .user("cli", |_| {})
        .connect(&server.url())
        .await
        .expect("bob");
    // The server applies an account update asynchronously: allow it a moment.
    let mut reply = None;
    for _ in 0..40 {
        let subject = format!("{b}.natster.catalog.{a}.movies.get");
        match bob_client.request(subject, "".into()).await {
            Ok(m) => {
                reply = Some(m);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let reply = reply.expect("bob is let through");
    let info: serde_json::Value =
        serde_json::from_slice(&reply.payload).expect("request info json");
    assert_eq!(info["acc"], b.as_str(), "the server names the caller");

    // Carol has no import: no responders.
    let carol_client = carol
        .user("cli", |_| {})
        .connect(&server.url())
        .await
        .expect("carol");
    let err = carol_client
        .request(
            format!("{}.natster.catalog.{a}.movies.get", carol.key()),
            "".into(),
        )
        .await
        .expect_err("carol has no grant");
    assert_eq!(err.kind(), async_nats::RequestErrorKind::NoResponders);
}
