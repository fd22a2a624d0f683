//! Issue #7's "as a new user would", with nothing but the real `natster`
//! binary and a real Chromium (Debian's, driven by
//! `crates/natster-web/browser-tests/e2e.mjs`).
//!
//! `natster hub up` serves the web app; alice and bob `init`; alice makes a
//! catalog of an MP4, an image, a text file and a file with a hostile name,
//! shares it with bob and runs `catalog serve` (real heartbeats); bob
//! imports it and runs `natster login`. The link it prints is opened in
//! Chromium, and the phrase is confirmed on `login`'s stdin once the test
//! has seen that the terminal and the browser show the same one. In the
//! browser, by clicking only: the catalog is online; bob browses it, plays
//! and seeks the video (HTTP Range, 206; a range from the middle matches the
//! original's bytes), downloads it (its SHA-256 checked here against the
//! original), previews the image and the text, and sees the hostile name as
//! text. Alice's Ctrl-C on `catalog serve` turns the dot off
//! live and serving again turns it on, with no reload. After
//! `natster sessions revoke`, the page fetches nothing within 2 s.
//! Screenshots at 390x844 and 1280x800 go to
//! `$CARGO_TARGET_TMPDIR/web-e2e-shots/` and are decoded and checked.
//!
//! An expired credential fetching nothing within 2 s is tested in
//! natster-web's `tests/link_login.rs`: `natster login` signs nothing
//! shorter than a minute, too long to wait out here.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Background, Person, finish, hub_up, natster};
use natster_testkit::browser::{Node, forward, message, web_crate};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const HOSTILE: &str = "<img src=x onerror=alert(1)>.txt";
const NOTES: &str = "plain notes: 1 & 2 < 3\n";

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A line from one of the two processes the test talks with.
enum Line {
    Login(String),
    LoginEnded,
    Browser(String),
    BrowserEnded,
}

/// What `natster login` has shown in the terminal so far.
#[derive(Default)]
struct Terminal {
    link: Option<String>,
    phrase: Option<String>,
    phrase_next: bool,
}

impl Terminal {
    fn feed(&mut self, line: &str) {
        if self.link.is_none() {
            self.link = line
                .split_whitespace()
                .find(|w| w.contains("/link/"))
                .map(str::to_owned);
        }
        if self.phrase_next && !line.trim().is_empty() {
            self.phrase = Some(line.trim().to_owned());
            self.phrase_next = false;
        }
        if line.contains("The browser that opened the link shows") {
            self.phrase_next = true;
        }
    }
}

/// Width and height from a PNG's IHDR.
fn png_size(path: &str) -> (u64, u64) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{path} is a PNG");
    assert_eq!(&b[12..16], b"IHDR", "{path}");
    let n = |i: usize| u64::from(u32::from_be_bytes(b[i..i + 4].try_into().unwrap()));
    (n(16), n(20))
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn a_new_user_logs_in_browses_streams_and_downloads_in_chromium() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    assert!(!hub.web_url.is_empty(), "hub up serves the web app");
    let alice = Person::init(&hub, tmp.path(), "alice");
    let bob = Person::init(&hub, tmp.path(), "bob");

    // Alice's media: a real MP4 (H.264/AAC, moov first, a keyframe a
    // second), a PNG, a text file, and a name that is an HTML injection.
    let media = tmp.path().join("alice-media");
    let fixtures = web_crate().join("tests/fixtures");
    let video = std::fs::read(fixtures.join("clip.mp4")).unwrap();
    std::fs::create_dir_all(media.join("videos")).unwrap();
    std::fs::create_dir_all(media.join("pictures")).unwrap();
    std::fs::write(media.join("videos/clip.mp4"), &video).unwrap();
    std::fs::copy(fixtures.join("still.png"), media.join("pictures/still.png")).unwrap();
    std::fs::write(media.join("notes.txt"), NOTES).unwrap();
    std::fs::write(media.join(HOSTILE), "hostile name, harmless bytes\n").unwrap();
    let (ok, _, err) = alice.run(&[
        "catalog",
        "new",
        "movies",
        "Alice's films",
        media.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = alice.run(&["catalog", "share", "movies", &bob.key]);
    assert!(ok, "{err}");
    let serve_log = tmp.path().join("alice-serve.log");
    let serve = |p: &Person| p.spawn_logged(&["catalog", "serve", "movies"], &serve_log);
    let mut server: Background = serve(&alice);

    let inbox = bob.json(&["catalog", "inbox", "--json"]);
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["owner"] == alice.key.as_str() && s["catalog"] == "movies"),
        "{inbox}"
    );
    let (ok, _, err) = bob.run(&["catalog", "import", "movies", &alice.key]);
    assert!(ok, "{err}");
    eprintln!("{:?} set up, logging in", started.elapsed());

    // `natster login` as bob types it: no flags; it finds the web app's URL
    // itself and asks about the phrase on stdin.
    let mut login = natster()
        .env("NATSTER_HOME", &bob.home)
        .arg("login")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut login_stdin = login.stdin.take().unwrap();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-e2e-shots");
    let _ = std::fs::remove_dir_all(&shots);
    let video_hash = sha256_hex(&video);
    let (mut node, node_out) = Node::start(
        "e2e.mjs",
        &[
            ("NATSTER_WEB_URL", hub.web_url.as_ref()),
            ("NATSTER_OWNER", alice.key.as_ref()),
            ("NATSTER_CATALOG", "movies".as_ref()),
            ("NATSTER_VIDEO_HASH", video_hash.as_ref()),
            ("NATSTER_HOSTILE_NAME", HOSTILE.as_ref()),
            ("NATSTER_SHOT_DIR", shots.as_ref()),
        ],
    );
    let (tx, rx) = mpsc::channel();
    forward(
        login.stderr.take().unwrap(),
        tx.clone(),
        Line::Login,
        Line::LoginEnded,
    );
    forward(node_out, tx, Line::Browser, Line::BrowserEnded);

    let mut terminal = Terminal::default();
    let mut link_wanted = false;
    let mut browser_phrase: Option<String> = None;
    let mut confirmed = false;
    let mut revoked_session = String::new();
    let results: Value = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the browser script or `natster login` says something within a minute");
        match line {
            Line::Login(l) => {
                eprintln!("{:?} natster login: {l}", started.elapsed());
                terminal.feed(&l);
            }
            Line::LoginEnded => {}
            Line::BrowserEnded => panic!("the browser script ended early"),
            Line::Browser(l) => {
                eprintln!("{:?} browser: {l}", started.elapsed());
                let msg = message(&l, || {
                    let log = std::fs::read_to_string(&serve_log).unwrap_or_default();
                    format!("catalog server:\n{log}")
                });
                if let Some(p) = msg["phrase"].as_str() {
                    browser_phrase = Some(p.to_owned());
                }
                if msg.get("done").is_some() {
                    break msg["done"].clone();
                }
                match msg["need"].as_str() {
                    Some("link") => link_wanted = true,
                    Some("offline") => {
                        // Ctrl-C: a clean stop announces going offline.
                        server.stop();
                        let status = server.child.wait().unwrap();
                        assert!(status.success(), "catalog serve stopped cleanly: {status}");
                        node.reply(json!({"ok": true}));
                    }
                    Some("online") => {
                        server = serve(&alice);
                        node.reply(json!({"ok": true}));
                    }
                    Some("revoke") => {
                        revoked_session = revoke(&bob, &mut login);
                        node.reply(json!({"ok": true}));
                    }
                    Some(other) => panic!("unknown need {other}"),
                    None => {}
                }
            }
        }
        if link_wanted {
            if let Some(link) = &terminal.link {
                node.reply(json!({ "link": link }));
                link_wanted = false;
            }
        }
        if let (false, Some(shown), Some(typed)) = (confirmed, &browser_phrase, &terminal.phrase) {
            // The person compares the two and answers the terminal.
            assert_eq!(shown, typed, "the browser and the terminal show one phrase");
            login_stdin.write_all(b"y\n").unwrap();
            login_stdin.flush().unwrap();
            confirmed = true;
        }
    };
    drop(node);
    drop(server);
    eprintln!("{:?} browser done: {results:#}", started.elapsed());

    assert_eq!(results["loggedIn"], true);
    assert_eq!(results["onlineAtStart"], true);
    assert!(revoked_session.starts_with('U'), "{revoked_session}");

    // Browsing: folders and files, the hostile name as text, nothing injected.
    let top = strs(&results["topNames"]);
    for want in ["pictures", "videos", "notes.txt", HOSTILE] {
        assert!(top.contains(&want), "{want} in {top:?}");
    }
    assert_eq!(results["injectedImages"], 0);
    assert_eq!(results["injectedImagesAfter"], 0);
    assert_eq!(results["inlineScripts"], 0);
    assert_eq!(results["dialogs"], json!([]), "no alert ran");
    assert_eq!(results["hostileTitle"], HOSTILE);

    // The MP4 played past the seek point, and the server answered ranges.
    let seek = &results["seek"];
    assert!(
        seek["currentTime"].as_f64().unwrap() > seek["seekTo"].as_f64().unwrap(),
        "{seek}"
    );
    assert!(seek["error"].is_null(), "{seek}");
    let media = results["mediaResponses"].as_array().unwrap();
    assert!(
        media.iter().any(|r| r["status"] == 206
            && r["range"].is_string()
            && r["contentRange"].as_str().is_some_and(
                |c| c.starts_with("bytes ") && c.ends_with(&format!("/{}", video.len()))
            )),
        "the server answered the player's Range requests with 206: {media:?}"
    );
    let mid = &results["midRange"];
    assert_eq!(mid["status"], 206, "{mid}");
    assert_eq!(
        mid["contentRange"],
        format!("bytes 100000-100999/{}", video.len())
    );
    assert_eq!(mid["sha256"], sha256_hex(&video[100_000..101_000]));

    // The download through the browser is the original, byte for byte.
    let dl = &results["download"];
    assert_eq!(dl["sha256"], sha256_hex(&video), "{dl}");
    assert_eq!(dl["name"], "clip.mp4");
    assert!(
        dl["status"].as_str().unwrap().contains("SHA-256 verified"),
        "{dl}"
    );
    assert_eq!(dl["progress"], 100);

    // Previews.
    assert_eq!(results["image"], json!({"width": 160, "height": 120}));
    assert_eq!(results["text"], NOTES);

    // Online status followed `catalog serve` live, without a reload.
    assert_eq!(results["wentOffline"], "still here");
    assert_eq!(results["cameBack"], "still here");

    // Revoked: nothing fetched within 2 s, and the page says so.
    let revoke = &results["revoke"];
    assert!(
        revoke["stoppedAfterMs"].as_u64().unwrap() < 2000,
        "the revoked session still fetched for {revoke}"
    );
    assert_eq!(revoke["statuses"], json!([401, 401, 401]), "{revoke}");
    assert_eq!(results["loggedOutShown"], true);
    assert_eq!(results["afterRevoke"]["status"], 401);

    natster_testkit::browser::assert_no_page_errors(&results);

    // Screenshots: decoded (in Chromium) at the size taken, and not blank.
    let info = results["shotInfo"].as_array().unwrap();
    assert_eq!(info.len(), 6, "{info:?}");
    for s in info {
        let path = s["path"].as_str().unwrap();
        let (w, h) = png_size(path);
        let (vw, vh) = if path.ends_with("-phone.png") {
            (390, 844)
        } else {
            (1280, 800)
        };
        assert_eq!(
            (s["width"].as_u64().unwrap(), s["height"].as_u64().unwrap()),
            (w, h),
            "{path}"
        );
        assert_eq!(w, vw, "{path}: no horizontal overflow");
        assert!(h >= vh, "{path}: {h} high");
        assert!(
            s["colours"].as_u64().unwrap() >= 16,
            "{path} is more than a blank page: {s}"
        );
    }
    eprintln!("{:?} all checked", started.elapsed());
}

/// Bob finds his session with `natster sessions ls` and revokes it.
fn revoke(bob: &Person, login: &mut Child) -> String {
    let (ok, out) = finish(login);
    assert!(ok, "natster login: {out}");
    let session = out
        .split_whitespace()
        .skip_while(|w| *w != "session")
        .nth(1)
        .unwrap_or_else(|| panic!("login names the session: {out}"))
        .to_owned();
    let listed = bob.json(&["sessions", "ls", "--json"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["session"] == session.as_str()),
        "{listed}"
    );
    let (ok, out, err) = bob.run(&["sessions", "revoke", &session]);
    assert!(ok, "{err}");
    assert!(out.contains(&session), "{out}");
    session
}
