//! Share and unshare from the web app, with the real binary: `natster hub
//! up` (hub, nats-server, global service, web server), `natster catalog
//! serve` on the owner's "machine" (it signs shares the web asks for), and
//! browser sessions logged in with `natster login`, with and without
//! `--allow-sharing`. The friend uses the CLI.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Hub, Login, Person, eventually, hub_up};
use serde_json::{Value, json};

/// A logged-in browser: its cookie and CSRF token.
struct Web {
    base: String,
    cookie: String,
    csrf: String,
    http: reqwest::Client,
    rt: std::sync::Arc<tokio::runtime::Runtime>,
}

impl Web {
    /// `natster login [--allow-sharing]` for `who`, the link opened by a
    /// scripted browser the way the page does.
    fn login(
        hub: &Hub,
        who: &Person,
        allow_sharing: bool,
        rt: &std::sync::Arc<tokio::runtime::Runtime>,
    ) -> Self {
        let login = Login::start(who, &hub.web_url, allow_sharing);
        let http = reqwest::Client::new();
        let cookie = rt.block_on(login.open(&http, &hub.web_url));
        let (ok, out, err) = login.finish();
        assert!(ok, "login approved: {out} {err}");
        let mut web = Self {
            base: hub.web_url.clone(),
            cookie,
            csrf: String::new(),
            http,
            rt: rt.clone(),
        };
        let live = eventually(Duration::from_secs(5), || {
            let (_, s) = web.get("/api/session");
            s["state"] == "live"
        });
        assert!(live, "the session is live");
        let (_, s) = web.get("/api/session");
        assert_eq!(s["can_share"], allow_sharing, "{s}");
        web.csrf = s["csrf"].as_str().unwrap().to_owned();
        web
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.rt.block_on(async {
            let r = self
                .http
                .get(format!("{}{path}", self.base))
                .header("cookie", &self.cookie)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
        })
    }

    fn post_with(&self, path: &str, body: &Value, csrf: &str, origin: &str) -> (u16, Value) {
        self.rt.block_on(async {
            let r = self
                .http
                .post(format!("{}{path}", self.base))
                .header("cookie", &self.cookie)
                .header("origin", origin)
                .header("x-natster-csrf", csrf)
                .json(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
        })
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.post_with(path, &body, &self.csrf, &self.base)
    }
}

fn contents_ok(p: &Person, owner: &str) -> bool {
    p.run(&["catalog", "contents", "movies", "--owner", owner])
        .0
}

#[test]
fn share_and_unshare_from_the_web() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    assert!(!hub.web_url.is_empty());
    let rt = std::sync::Arc::new(tokio::runtime::Runtime::new().unwrap());
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| Person::init(&hub, tmp.path(), n));

    let media = tmp.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("film.bin"), "alice's film ".repeat(50_000)).unwrap();
    let (ok, _, err) = alice.run(&["catalog", "new", "movies", "films", media.to_str().unwrap()]);
    assert!(ok, "{err}");
    let mut server = alice.spawn(&["catalog", "serve", "movies"]);

    let base = format!("/api/catalogs/{}/movies", alice.key);
    let (access, share, unshare) = (
        format!("{base}/access"),
        format!("{base}/share"),
        format!("{base}/unshare"),
    );

    // ---- A session without sharing rights: 403 from NATS, nothing changes.
    let plain = Web::login(&hub, &alice, false, &rt);
    let up = eventually(Duration::from_secs(10), || plain.get(&access).0 == 200);
    assert!(
        up,
        "the catalog server answers access: {:?}",
        plain.get(&access)
    );
    let (_, a) = plain.get(&access);
    assert_eq!(a["can_share"], false, "{a}");
    assert_eq!(a["shares"], json!([]), "{a}");
    let t = Instant::now();
    let (code, body) = plain.post(&share, json!({ "account": bob.key }));
    let took = t.elapsed();
    assert_eq!(code, 403, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("--allow-sharing"),
        "{body}"
    );
    // Far below the request's 20 s timeout: nats-server's permission
    // violation is what answered.
    assert!(took < Duration::from_secs(3), "the refusal took {took:?}");
    eprintln!("a session without sharing rights was refused in {took:?}");
    let (code, body) = plain.post(&unshare, json!({ "account": bob.key }));
    assert_eq!(code, 403, "{body}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(plain.get(&access).1["shares"], json!([]));
    let inbox = bob.json(&["catalog", "inbox", "--json"]);
    assert_eq!(inbox, json!([]), "nothing reached bob's inbox");
    let (ok, _, err) = bob.run(&["catalog", "import", "movies", &alice.key]);
    assert!(!ok && err.contains("has not shared"), "{err}");

    // ---- With sharing rights.
    let web = Web::login(&hub, &alice, true, &rt);
    // Bad input: clear 4xx, nothing sent on.
    let unknown = natster_auth::KeyPair::new_account().public_key();
    for (body, want) in [
        (json!({ "account": "AXYZ" }), 400),
        (json!({ "account": alice.key }), 400),
        (json!({ "account": bob.key, "expires": "soon" }), 400),
        (json!({ "account": bob.key, "extra": 1 }), 400),
        (json!({ "account": unknown }), 404),
    ] {
        let (code, resp) = web.post(&share, body.clone());
        assert_eq!(code, want, "{body} -> {resp}");
        assert!(resp["error"].is_string(), "{resp}");
    }
    let (code, _) = web.post_with(&share, &json!({ "account": bob.key }), "wrong", &web.base);
    assert_eq!(code, 403, "CSRF token checked");
    let (code, _) = web.post_with(
        &share,
        &json!({ "account": bob.key }),
        &web.csrf,
        "https://evil.example",
    );
    assert_eq!(code, 403, "Origin checked");
    // Someone else's catalog: refused by the web server.
    let other = format!("/api/catalogs/{}/movies/share", bob.key);
    let (code, _) = web.post(&other, json!({ "account": carol.key }));
    assert_eq!(code, 403);
    assert_eq!(
        web.get(&access).1["shares"],
        json!([]),
        "still nothing shared"
    );

    // Share with bob from the web: bob sees it, imports, downloads.
    let t = Instant::now();
    let (code, body) = web.post(&share, json!({ "account": bob.key }));
    eprintln!("a share from the web answered in {:?}", t.elapsed());
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["account"], bob.key.as_str());
    assert_eq!(body["recorded"], true, "{body}");
    let in_inbox = eventually(Duration::from_secs(5), || {
        bob.json(&["catalog", "inbox", "--json"])[0]["owner"] == alice.key.as_str()
    });
    assert!(in_inbox, "the web's share is in bob's inbox");
    let (ok, _, err) = bob.run(&["catalog", "import", "movies", &alice.key]);
    assert!(ok, "{err}");
    let listing = bob.json(&[
        "catalog", "contents", "movies", "--owner", &alice.key, "--json",
    ]);
    let hash = listing["entries"][0]["hash"].as_str().unwrap().to_owned();
    let out = tmp.path().join("bob-film.bin");
    let v = bob.json(&[
        "catalog",
        "download",
        "movies",
        &hash,
        out.to_str().unwrap(),
        "--owner",
        &alice.key,
        "--json",
    ]);
    assert_eq!(v["hash_verified"], true, "{v}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(media.join("film.bin")).unwrap()
    );

    // A share with an expiry, like `--expires 1h`.
    let (code, body) = web.post(&share, json!({ "account": carol.key, "expires": "1h" }));
    assert_eq!(code, 200, "{body}");
    let exp = body["expires_at"].as_i64().unwrap();
    let now = natster_auth::jwt::now();
    assert!((now + 3590..=now + 3610).contains(&exp), "{exp} vs {now}");

    // Who has access: bob and carol, by name, carol until `exp`.
    let (code, a) = web.get(&access);
    assert_eq!(code, 200, "{a}");
    let shares = a["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 2, "{a}");
    let entry = |k: &str| shares.iter().find(|s| s["account"] == k).cloned().unwrap();
    assert_eq!(entry(&bob.key)["name"], "bob", "{a}");
    assert!(entry(&bob.key)["expires_at"].is_null(), "{a}");
    assert_eq!(entry(&carol.key)["name"], "carol", "{a}");
    assert_eq!(entry(&carol.key)["expires_at"], exp, "{a}");

    // Another account on the owner-only subjects: bob (who has an import)
    // is refused by the catalog server, carol (no import) has no route.
    rt.block_on(async {
        for (who, want) in [(&bob, Some(403)), (&carol, None)] {
            let creds = who.creds();
            let key = creds.seed.key_pair().unwrap();
            let c = natster_client::connect::options(creds.jwt.clone(), key, "probe")
                .connect(who.nats_url())
                .await
                .unwrap();
            for op in ["access", "share", "unshare"] {
                let subject = natster_proto::subjects::catalog(&who.key, &alice.key, "movies", op);
                let body = json!({ "account": who.key }).to_string();
                let r = c.request(subject, body.into()).await;
                match (want, r) {
                    (Some(code), Ok(m)) => {
                        let v: Value = serde_json::from_slice(&m.payload).unwrap();
                        assert_eq!(v["code"], code, "{op}: {v}");
                    }
                    (None, Err(e)) => {
                        assert_eq!(e.kind(), async_nats::RequestErrorKind::NoResponders, "{op}")
                    }
                    (w, r) => panic!("{op} as {}: wanted {w:?}, got {r:?}", who.key),
                }
            }
        }
    });
    assert_eq!(web.get(&access).1["shares"].as_array().unwrap().len(), 2);

    // Unshare bob from the web: his next request fails within a second.
    let t = Instant::now();
    let (code, body) = web.post(&unshare, json!({ "account": bob.key }));
    let answered = t.elapsed();
    assert_eq!(code, 200, "{body}");
    let cut = eventually(Duration::from_secs(1), || !contents_ok(&bob, &alice.key));
    assert!(cut, "bob is cut off within a second of the answer");
    eprintln!(
        "unshare answered in {answered:?}; bob refused {:?} after the click",
        t.elapsed()
    );
    let (_, a) = web.get(&access);
    let left: Vec<&str> = a["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["account"].as_str().unwrap())
        .collect();
    assert_eq!(left, vec![carol.key.as_str()], "{a}");
    // Sharing again from the web restores bob's access.
    let (code, body) = web.post(&share, json!({ "account": bob.key }));
    assert_eq!(code, 200, "{body}");
    let (ok, _, err) = bob.run(&["catalog", "import", "movies", &alice.key]);
    assert!(ok, "{err}");
    assert!(
        eventually(Duration::from_secs(5), || contents_ok(&bob, &alice.key)),
        "re-shared from the web"
    );

    // The catalog server stops: a clear 503, nothing else.
    server.stop();
    let (code, body) = web.get(&access);
    assert_eq!(code, 503, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("natster catalog serve movies"),
        "{body}"
    );
    let (code, body) = web.post(&unshare, json!({ "account": bob.key }));
    assert_eq!(code, 503, "{body}");
}
