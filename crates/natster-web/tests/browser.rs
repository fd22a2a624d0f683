//! The web app in a real Chromium (Debian's `/usr/bin/chromium`, driven by
//! `playwright-core` from `browser-tests/`): device-link login, a shared
//! catalog going offline and online live, browsing folders with hostile
//! names, a video that plays and seeks over HTTP Range, a download whose
//! hash matches, screenshots at phone and desktop sizes.
//!
//! Needs `chromium` (apt) and `npm ci` in `browser-tests/` (see the README).
//! Everything else is real and in this process: hub + nats-server, global
//! service, web server, catalog server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{Person, Stack};
use natster_catalog::{ServeConfig, scan};
use natster_web::login::{LoginOptions, LoginPrompt, login};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, watch};

const HOSTILE: &str = "<img src=x onerror=alert(1)>.txt";
const HOSTILE_DESCRIPTION: &str = "<script>window.__xss=1</script>notes & more";

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser-tests")
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

struct BrowserPrompt {
    links: mpsc::UnboundedSender<String>,
    phrases: mpsc::UnboundedReceiver<String>,
}

impl LoginPrompt for BrowserPrompt {
    fn show_link(&mut self, url: &str) {
        self.links.send(url.to_owned()).unwrap();
    }
    async fn confirm(&mut self, phrase: &str) -> bool {
        // What the real browser shows must equal what the terminal shows.
        let shown = tokio::time::timeout(Duration::from_secs(60), self.phrases.recv())
            .await
            .expect("the browser shows a phrase")
            .expect("the phrase channel stays open");
        shown == phrase
    }
}

fn make_media(root: &Path) -> (Vec<u8>, Vec<u8>) {
    let video =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip.webm"))
            .unwrap();
    std::fs::create_dir_all(root.join("videos")).unwrap();
    std::fs::create_dir_all(root.join("docs/deep")).unwrap();
    std::fs::write(root.join("videos/clip.webm"), &video).unwrap();
    std::fs::write(root.join(HOSTILE), b"hostile name, harmless bytes\n").unwrap();
    std::fs::write(root.join("docs/notes.txt"), b"plain notes\n").unwrap();
    std::fs::write(root.join("docs/deep/inner.md"), b"# inner\n").unwrap();
    // Pseudo-random bytes (no RNG dependency): SHA-256 in counter mode.
    let mut report = Vec::new();
    let mut i = 0u32;
    while report.len() < 200_000 {
        report.extend_from_slice(&Sha256::digest(i.to_le_bytes()));
        i += 1;
    }
    std::fs::write(root.join("docs/report.bin"), &report).unwrap();
    (video, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_web_app_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists() && tests_dir().join("node_modules/playwright-core").exists(),
        "browser tests need Chromium and playwright-core: apt-get install -y chromium nodejs npm && \
         (cd crates/natster-web/browser-tests && npm ci)"
    );
    let stack = Stack::start().await;
    let alice = Person::register(&stack, "alice").await;
    let bob = Person::register(&stack, "bob").await;
    let (a, b) = (alice.connect(&stack).await, bob.connect(&stack).await);
    alice.init(&a).await;
    bob.init(&b).await;

    // Alice's catalog, served by her catalog server, shared with Bob.
    let root = stack.dir.path().join("media");
    let (video, report) = make_media(&root);
    let (mut catalog, _) = scan::create("movies", "Alice's films", &root, &|_| {}).unwrap();
    let notes_hash = catalog
        .entries
        .iter()
        .find(|e| e.path == "docs/notes.txt")
        .unwrap()
        .hash
        .clone();
    catalog.describe(&notes_hash, HOSTILE_DESCRIPTION).unwrap();
    assert!(
        catalog.entries.iter().any(|e| e.path == HOSTILE),
        "the hostile name is a valid path"
    );
    let revision = catalog.revision;
    let mut sc = ServeConfig::new(catalog, &alice.key(), alice.user.clone(), &alice.user_jwt);
    let (ak, bk) = (alice.key(), bob.key());
    sc.access = std::sync::Arc::new(move |caller, _| caller == ak || caller == bk);
    sc.watch = false;
    // A seek abandons the player's transfer; the receiver's stop frees its
    // slot at once, so the default limit of 4 transfers is enough.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(natster_catalog::serve(a.clone(), sc, async {
        let _ = stop_rx.await;
    }));
    alice.share_with(&a, "movies", &bob, &b).await;

    // Heartbeats as the catalog server's owner sends them; the test turns
    // them off and on to move the dot.
    let (online_tx, mut online_rx) = watch::channel(true);
    let hb = {
        let a = a.clone();
        let key = alice.key();
        tokio::spawn(async move {
            loop {
                let on = *online_rx.borrow_and_update();
                let (op, body) = if on {
                    (
                        "heartbeats.put",
                        json!({"catalog": "movies", "revision": revision}),
                    )
                } else {
                    ("heartbeats.offline", json!({"catalog": "movies"}))
                };
                let _ = a
                    .request(
                        natster_proto::subjects::global(&key, op),
                        serde_json::to_vec(&body).unwrap().into(),
                    )
                    .await;
                if on {
                    let _ =
                        tokio::time::timeout(Duration::from_millis(700), online_rx.changed()).await;
                } else if online_rx.changed().await.is_err() {
                    return;
                }
            }
        })
    };

    // Bob logs in through the real browser.
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let mut node = tokio::process::Command::new("node")
        .arg(tests_dir().join("run.mjs"))
        .current_dir(tests_dir())
        .env("CHROMIUM", &chromium)
        .env("NATSTER_WEB_URL", &stack.web_url)
        .env("NATSTER_OWNER", alice.key())
        .env("NATSTER_CATALOG", "movies")
        .env("NATSTER_VIDEO_HASH", sha256_hex(&video))
        .env("NATSTER_DOWNLOAD_HASH", sha256_hex(&report))
        .env("NATSTER_HOSTILE_NAME", HOSTILE)
        .env("NATSTER_SHOT_DIR", &shots)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut stdin = node.stdin.take().unwrap();
    let mut out = BufReader::new(node.stdout.take().unwrap()).lines();

    let (link_tx, mut link_rx) = mpsc::unbounded_channel();
    let (phrase_tx, phrase_rx) = mpsc::unbounded_channel();
    let login_task = {
        let web_url = stack.web_url.clone();
        let b = b.clone();
        let key = bob.key();
        let signing = bob.signing.clone();
        tokio::spawn(async move {
            let mut prompt = BrowserPrompt {
                links: link_tx,
                phrases: phrase_rx,
            };
            let opts = LoginOptions {
                web_url: Some(web_url),
                ..LoginOptions::default()
            };
            login(&b, &key, &signing, &opts, &mut prompt).await
        })
    };

    let results: Value = loop {
        let line = tokio::time::timeout(Duration::from_secs(120), out.next_line())
            .await
            .expect("the browser script keeps talking")
            .unwrap()
            .expect("the browser script ended early");
        eprintln!("{:?} browser says: {line}", std::time::SystemTime::now());
        let msg: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        let reply = match msg["need"].as_str() {
            Some("link") => Some(json!({"link": link_rx.recv().await.unwrap()})),
            Some("offline") => {
                online_tx.send(false).unwrap();
                Some(json!({"ok": true}))
            }
            Some("online") => {
                online_tx.send(true).unwrap();
                Some(json!({"ok": true}))
            }
            _ => None,
        };
        if let Some(r) = reply {
            stdin.write_all(format!("{r}\n").as_bytes()).await.unwrap();
            stdin.flush().await.unwrap();
            continue;
        }
        if let Some(p) = msg["phrase"].as_str() {
            phrase_tx.send(p.to_owned()).unwrap();
            continue;
        }
        if msg.get("error").is_some() {
            panic!(
                "the browser script failed: {}\npartial: {}",
                msg["error"].as_str().unwrap_or(""),
                msg["partial"]
            );
        }
        break msg["done"].clone();
    };
    drop(stdin);
    let _ = tokio::time::timeout(Duration::from_secs(30), node.wait()).await;
    let outcome = login_task
        .await
        .unwrap()
        .expect("login approved after the phrases matched");
    assert!(outcome.session.starts_with('U'));
    let _ = std::io::stderr().flush();
    eprintln!("browser results: {results:#}");

    // Login: the code left the address bar; nothing secret in page storage.
    assert_eq!(results["linkPathAfterOpen"], "/");
    assert_eq!(results["loggedIn"], true);
    assert_eq!(results["localStorage"], "{}");
    assert_eq!(results["sessionStorage"], "{}");
    assert_eq!(
        results["documentCookie"], "",
        "the session cookie is HttpOnly"
    );
    let html = results["pageText"].as_str().unwrap();
    assert!(!html.contains("natster_session"), "no cookie in the page");
    for seed in [
        bob.account.seed().unwrap(),
        bob.signing.seed().unwrap(),
        bob.user.seed().unwrap(),
    ] {
        assert!(!html.contains(&seed), "no seed in the page");
    }

    // Online status moved live both ways.
    assert_eq!(results["onlineAtStart"], true);
    assert_eq!(results["wentOffline"], true);
    assert_eq!(results["cameBack"], true);

    // Browsing: folders first, hostile names as text, nothing injected.
    let top: Vec<&str> = results["topNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        top.contains(&"docs") && top.contains(&"videos") && top.contains(&HOSTILE),
        "{top:?}"
    );
    let docs: Vec<&str> = results["docsNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        docs.contains(&"deep") && docs.contains(&"notes.txt") && docs.contains(&"report.bin"),
        "{docs:?}"
    );
    assert!(
        results["docsDescriptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == HOSTILE_DESCRIPTION)
    );
    assert_eq!(results["filtered"], json!(["docs/notes.txt"]));
    assert_eq!(results["injectedImages"], 0);
    assert_eq!(results["injectedImagesAfter"], 0);
    assert_eq!(results["injectedScripts"], 0);
    assert_eq!(results["xssFlag"], false);
    assert_eq!(results["dialogs"], json!([]), "no alert ran");
    assert_eq!(results["hostileTitle"], HOSTILE);

    // The video played past the seek point, over ranged transfers.
    let seek = &results["seek"];
    assert!(
        seek["currentTime"].as_f64().unwrap() > seek["seekTo"].as_f64().unwrap(),
        "{seek}"
    );
    assert!(seek["error"].is_null(), "{seek}");
    let media = results["mediaResponses"].as_array().unwrap();
    assert!(
        media.iter().any(|r| r["status"] == 206
            && r["contentRange"]
                .as_str()
                .is_some_and(|c| c.starts_with("bytes "))),
        "the server answered the player's Range requests: {media:?}"
    );
    let mid = &results["midRange"];
    assert_eq!(mid["status"], 206);
    assert_eq!(
        mid["contentRange"],
        format!("bytes 100000-100999/{}", video.len())
    );
    assert_eq!(mid["sha256"], sha256_hex(&video[100_000..101_000]));

    // The download is exactly the catalog's bytes.
    assert_eq!(results["downloadSha256"], sha256_hex(&report));
    assert_eq!(results["downloadName"], "report.bin");
    assert!(
        results["downloadStatus"]
            .as_str()
            .unwrap()
            .contains("SHA-256 verified"),
        "{}",
        results["downloadStatus"]
    );
    assert_eq!(results["progress"], 100);

    assert!(!results["stats"].as_array().unwrap().is_empty());
    assert_eq!(results["afterLogout"], 401);
    natster_testkit::browser::assert_no_page_errors(&results);
    let shots_taken = results["shots"].as_array().unwrap();
    assert_eq!(shots_taken.len(), 14, "{shots_taken:?}");
    for s in shots_taken {
        let len = std::fs::metadata(s.as_str().unwrap()).unwrap().len();
        assert!(len > 5_000, "{s} is a real picture ({len} bytes)");
    }

    hb.abort();
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    stack.shutdown().await;
}
