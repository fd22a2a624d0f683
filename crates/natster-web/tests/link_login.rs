//! Device-link login against a real hub, global service and web server:
//! what `natster login` does, what the browser gets, and how sessions end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{Browser, Person, Stack, login_with};
use natster_auth::claims::Claims;
use natster_auth::jwt::{encode, now};
use natster_testkit::eventually;
use natster_web::login::{LoginError, LoginOptions, sessions_ls, sessions_revoke};
use natster_web::scope::{self, Scope};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_link_login_binds_a_scoped_recorded_session() {
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let a = alice.connect(&stack).await;
    alice.init(&a).await;
    let browser = Browser::new(&stack.web_url);

    let out = login_with(&stack, &alice, &a, &browser, LoginOptions::default())
        .await
        .expect("login works");
    assert!(out.session.starts_with('U'));
    assert!(!out.can_share, "no sharing unless asked for");
    assert!(out.record_error.is_none(), "{:?}", out.record_error);
    let ttl = out.expires_at - now();
    assert!(
        (12 * 3600 - 60..=12 * 3600).contains(&ttl),
        "12 h by default, got {ttl}"
    );

    let set_cookie = browser.set_cookie.lock().unwrap().clone().unwrap();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(
        !set_cookie.contains("Secure"),
        "plain http here: {set_cookie}"
    );

    let (status, s) = browser.session().await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["state"], "live");
    assert_eq!(s["account"], alice.key());
    assert_eq!(s["session"], out.session);
    assert_eq!(s["can_share"], false);
    let body = s.to_string();
    // No seed-shaped string in the page data decodes as a seed (a plain
    // substring check on "SU"/"SA" would trip on base32 public keys).
    let seeds = (0..body.len().saturating_sub(57))
        .filter(|&i| body.is_char_boundary(i) && body.is_char_boundary(i + 58))
        .filter(|&i| natster_auth::KeyPair::from_seed(&body[i..i + 58]).is_ok())
        .count();
    assert_eq!(seeds, 0, "no seed in {body}");

    let shares = browser.get("/api/shares").send().await.unwrap();
    assert_eq!(shares.status(), 200);
    let shares: Value = shares.json().await.unwrap();
    assert_eq!(shares["me"], alice.key());
    assert!(
        shares["in_shares"].is_array() && shares["out_shares"].is_array(),
        "{shares}"
    );
    let stats: Value = browser
        .get("/api/stats")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        stats["accounts_initialized"].as_u64().unwrap() >= 1,
        "{stats}"
    );

    let listed = sessions_ls(&a, &alice.key()).await.unwrap();
    assert!(
        listed.iter().any(|s| s.session == out.session),
        "{listed:?}"
    );

    // The session can be used again only with its cookie.
    let anon = Browser::new(&stack.web_url);
    assert_eq!(anon.session().await.0, 401);

    // Logout drops it.
    let csrf = s["csrf"].as_str().unwrap();
    let r = browser
        .post("/api/logout", Some(csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(browser.session().await.0, 401);
    assert_eq!(
        browser.get("/api/shares").send().await.unwrap().status(),
        401
    );
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharing_scope_only_when_asked_and_a_declined_phrase_binds_nothing() {
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let a = alice.connect(&stack).await;
    alice.init(&a).await;

    let browser = Browser::new(&stack.web_url);
    let opts = LoginOptions {
        allow_sharing: true,
        ttl: Duration::from_secs(3600),
        ..LoginOptions::default()
    };
    let out = login_with(&stack, &alice, &a, &browser, opts)
        .await
        .unwrap();
    assert!(out.can_share);
    assert_eq!(browser.session().await.1["can_share"], true);

    // The person says the phrases differ: nothing is signed, the browser's
    // pending session ends.
    let other = Browser::new(&stack.web_url);
    let mut prompt = common::TestPrompt::new(other.clone());
    prompt.decline = true;
    let opts = LoginOptions {
        web_url: Some(stack.web_url.clone()),
        ..LoginOptions::default()
    };
    let err = natster_web::login::login(&a, &alice.key(), &alice.signing, &opts, &mut prompt)
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::Declined), "{err}");
    let (status, body) = other.session().await;
    assert_eq!(status, 401, "{body}");
    stack.shutdown().await;
}

/// Opens a link by hand (what `login` does, step by step) and returns
/// (code, browser, session key).
async fn open_by_hand(
    stack: &Stack,
    who: &Person,
    c: &async_nats::Client,
) -> (String, Browser, String) {
    let r = who.global(c, "otc.generate", json!({})).await;
    assert_eq!(r["code"], 200, "{r}");
    let code = r["data"]["code"].as_str().unwrap().to_owned();
    let browser = Browser::new(&stack.web_url);
    let resp = browser
        .open_link(&format!("{}/link/{code}", stack.web_url))
        .await;
    assert_eq!(resp.status(), 200);
    let opened: Value = resp.json().await.unwrap();
    assert_eq!(opened["account"], who.key());
    let status: Value = reqwest::get(format!("{}/api/link/{code}", stack.web_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "opened");
    assert_eq!(status["phrase"], opened["phrase"]);
    (
        code,
        browser,
        opened["session"].as_str().unwrap().to_owned(),
    )
}

async fn approve(stack: &Stack, code: &str, jwt: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/link/{code}/approve", stack.web_url))
        .json(&json!({ "jwt": jwt }))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_works_once_and_only_a_proper_credential_approves_it() {
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let mallory = Person::register(&stack, "mallory").await;
    let a = alice.connect(&stack).await;
    alice.init(&a).await;

    let (code, browser, session) = open_by_hand(&stack, &alice, &a).await;
    // Single use: a second browser (someone who also has the link) gets nothing.
    let late = Browser::new(&stack.web_url);
    let resp = late
        .open_link(&format!("{}/link/{code}", stack.web_url))
        .await;
    assert_eq!(resp.status(), 404);
    assert!(resp.headers().get("set-cookie").is_none());

    let exp = now() + 3600;
    let sign = |sub: &str, nats, key: &natster_auth::KeyPair, exp: Option<i64>| {
        let mut c = Claims::new(sub.to_owned(), nats);
        c.exp = exp;
        encode(&c, key).unwrap()
    };
    let good_nats = scope::user_nats(&alice.key(), Scope::default());
    let mut wide = good_nats.clone();
    wide.publish.allow.push(">".into());
    let cases: Vec<(String, u16, &str)> = vec![
        ("garbage".into(), 400, "not a JWT"),
        // Signed by another account's signing key, claiming alice's account.
        (
            sign(&session, good_nats.clone(), &mallory.signing, Some(exp)),
            403,
            "mallory's key",
        ),
        // Mallory's own account.
        (
            sign(
                &session,
                scope::user_nats(&mallory.key(), Scope::default()),
                &mallory.signing,
                Some(exp),
            ),
            403,
            "another account",
        ),
        // For another key.
        (
            sign(
                &natster_auth::KeyPair::new_user().public_key(),
                good_nats.clone(),
                &alice.signing,
                Some(exp),
            ),
            400,
            "another key",
        ),
        // Wider than the web needs.
        (
            sign(&session, wide, &alice.signing, Some(exp)),
            400,
            "wider",
        ),
        // No expiry, or one beyond the server's limit.
        (
            sign(&session, good_nats.clone(), &alice.signing, None),
            400,
            "no expiry",
        ),
        (
            sign(
                &session,
                good_nats.clone(),
                &alice.signing,
                Some(now() + 30 * 86400),
            ),
            400,
            "too long",
        ),
        // Already expired.
        (
            sign(
                &session,
                good_nats.clone(),
                &alice.signing,
                Some(now() - 10),
            ),
            403,
            "expired",
        ),
    ];
    for (jwt, want, why) in cases {
        let (status, body) = approve(&stack, &code, &jwt).await;
        assert_eq!(status, want, "{why}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{why}: {body}"
        );
        assert_eq!(browser.session().await.1["state"], "pending", "{why}");
    }
    let (status, body) = approve(
        &stack,
        &code,
        &sign(&session, good_nats.clone(), &alice.signing, Some(exp)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(browser.session().await.1["state"], "live");
    // Approving twice does nothing more.
    let (status, _) = approve(
        &stack,
        &code,
        &sign(&session, good_nats, &alice.signing, Some(exp)),
    )
    .await;
    assert_eq!(status, 404);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_session_fetches_nothing_within_two_seconds() {
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let a = alice.connect(&stack).await;
    alice.init(&a).await;
    let browser = Browser::new(&stack.web_url);
    let out = login_with(&stack, &alice, &a, &browser, LoginOptions::default())
        .await
        .unwrap();
    assert_eq!(
        browser.get("/api/shares").send().await.unwrap().status(),
        200
    );

    sessions_revoke(&a, &alice.key(), &out.session)
        .await
        .unwrap();
    let b = browser.clone();
    let ended = eventually(
        || {
            let b = b.clone();
            async move { b.get("/api/shares").send().await.unwrap().status() == 401 }
        },
        Duration::from_secs(2),
    )
    .await;
    assert!(ended, "the revoked session still fetches");
    let (status, body) = browser.session().await;
    assert_eq!(status, 401, "{body}");
    // The record is folded into whoami's list a moment after it is acked.
    let recorded = eventually(
        || async {
            let listed = sessions_ls(&a, &alice.key()).await.unwrap();
            !listed.iter().any(|s| s.session == out.session)
        },
        Duration::from_secs(5),
    )
    .await;
    assert!(recorded, "revocation recorded");
    assert!(
        sessions_revoke(&a, &alice.key(), "not-a-key")
            .await
            .is_err()
    );
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_credential_fetches_nothing_within_two_seconds() {
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let a = alice.connect(&stack).await;
    alice.init(&a).await;
    let (code, browser, session) = open_by_hand(&stack, &alice, &a).await;
    let exp = now() + 3;
    let c = Claims::new(session, scope::user_nats(&alice.key(), Scope::default())).with_expiry(exp);
    let (status, body) = approve(&stack, &code, &encode(&c, &alice.signing).unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        browser.get("/api/shares").send().await.unwrap().status(),
        200
    );
    // Wait out the credential, then it must stop within 2 s.
    while now() <= exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = browser.clone();
    let ended = eventually(
        || {
            let b = b.clone();
            async move { b.get("/api/shares").send().await.unwrap().status() == 401 }
        },
        Duration::from_secs(2),
    )
    .await;
    assert!(ended, "the expired session still fetches");
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_origin_headers_and_bad_input() {
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let a = alice.connect(&stack).await;
    alice.init(&a).await;
    let browser = Browser::new(&stack.web_url);
    login_with(&stack, &alice, &a, &browser, LoginOptions::default())
        .await
        .unwrap();
    let csrf = browser.session().await.1["csrf"]
        .as_str()
        .unwrap()
        .to_owned();

    // Security headers on the page.
    let page = reqwest::get(format!("{}/", stack.web_url)).await.unwrap();
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline script/style"
    );

    // State-changing requests need the token and our origin.
    assert_eq!(
        browser
            .post("/api/logout", None)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        browser
            .post("/api/logout", Some("wrong"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let foreign = browser
        .post("/api/logout", Some(&csrf))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let cross = browser
        .post("/api/logout", Some(&csrf))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(browser.session().await.0, 200, "still logged in");

    // Bad input to every endpoint: a clear 4xx JSON error.
    let alice_key = alice.key();
    let hash = "0".repeat(64);
    let gets = [
        "/api/link/short".to_owned(),
        "/api/link/has.dots.in.it.abcdefgh".to_owned(),
        "/api/catalogs/notakey/movies".to_owned(),
        format!("/api/catalogs/{alice_key}/bad.name"),
        format!("/api/catalogs/{alice_key}/movies/files/nothex"),
        format!("/api/catalogs/{alice_key}/movies/files/{hash}"),
        "/api/nothing".to_owned(),
        "/assets/%2e%2e%2fetc%2fpasswd".to_owned(),
        "/assets/nope.js".to_owned(),
    ];
    for path in gets {
        let r = browser.get(&path).send().await.unwrap();
        let status = r.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(v["error"].is_string(), "{path}: {v}");
    }
    let http = reqwest::Client::new();
    let posts: Vec<(String, &'static str, &'static str)> = vec![
        (
            "/api/link/abcdefghijklmnopqrstuvwxyz234567/open".into(),
            "application/json",
            "{}",
        ),
        (
            "/api/link/abcdefghijklmnopqrstuvwxyz234567/open".into(),
            "application/json",
            "{\"x\":1}",
        ),
        (
            "/api/link/abcdefghijklmnopqrstuvwxyz234567/open".into(),
            "text/plain",
            "{}",
        ),
        (
            "/api/link/abcdefghijklmnopqrstuvwxyz234567/approve".into(),
            "application/json",
            "{\"jwt\":\"x\"}",
        ),
        (
            "/api/link/abcdefghijklmnopqrstuvwxyz234567/approve".into(),
            "application/json",
            "not json",
        ),
        (
            "/api/link/abcdefghijklmnopqrstuvwxyz234567/approve".into(),
            "application/json",
            "{}",
        ),
        (
            "/api/link/abcdefghijklmnopqrstuvwxyz234567/reject".into(),
            "application/json",
            "{}",
        ),
        (
            "/api/link/x/approve".into(),
            "application/json",
            "{\"jwt\":\"x\"}",
        ),
        ("/api/logout".into(), "application/json", "{}"),
    ];
    for (path, ctype, body) in posts {
        let r = http
            .post(format!("{}{path}", stack.web_url))
            .header("content-type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!((400..500).contains(&status), "{path} {body}: {status}");
    }
    let big = "x".repeat(200 << 10);
    let r = http
        .post(format!(
            "{}/api/link/abcdefghijklmnopqrstuvwxyz234567/approve",
            stack.web_url
        ))
        .header("content-type", "application/json")
        .body(format!("{{\"jwt\":\"{big}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    stack.shutdown().await;
}
