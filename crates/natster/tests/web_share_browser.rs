//! Sharing and unsharing from the web page, clicked through in a real
//! Chromium (`crates/natster-web/browser-tests/share.mjs`) against nothing
//! but the real `natster` binary: `hub up` (which serves the web app),
//! `init` for alice and bob, `catalog new` and `catalog serve` for alice
//! (the catalog server signs what the page asks for), and one `natster
//! login --yes` per browser.
//!
//! Alice, logged in with `--allow-sharing`, finds her catalog listed (shared
//! with nobody yet, but served) with its access list, tries three bad keys
//! (each refused next to the form, the field marked invalid until it
//! changes; nothing changes: not her catalog server's list, not bob's
//! inbox), then shares with bob for a day:
//! the list shows bob's name and the end. Bob's page, open all along, shows
//! the share without a reload; he imports it, lists it and reads a file.
//! Alice in a second session without `--allow-sharing` sees bob listed but
//! no form and no Unshare button, and is told how to get them. Alice clicks
//! Unshare: her list drops bob, bob's page drops the catalog (telling him
//! it is no longer shared) and his next fetch from it is refused, each
//! within 5 s.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Login, Person, hub_up};
use natster_testkit::browser::{Node, forward, message};
use serde_json::{Value, json};

const NOTES: &str = "notes.txt";
const NOTES_TEXT: &str = "what to watch first\n";

/// The most any step of the story may take, from the click that caused it.
const BOUND_MS: u64 = 5000;

fn ms(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not a time (it never happened?): {v}"))
}

#[test]
fn share_and_unshare_by_clicking_in_chromium() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    assert!(!hub.web_url.is_empty(), "hub up serves the web app");
    let alice = Person::init(&hub, tmp.path(), "alice");
    let bob = Person::init(&hub, tmp.path(), "bob");
    let unknown = natster_auth::KeyPair::new_account().public_key();

    let media = tmp.path().join("alice-media");
    std::fs::create_dir_all(media.join("films")).unwrap();
    std::fs::write(media.join(NOTES), NOTES_TEXT).unwrap();
    std::fs::write(media.join("films/short.bin"), "frames ".repeat(10_000)).unwrap();
    let (ok, _, err) = alice.run(&["catalog", "new", "movies", "films", media.to_str().unwrap()]);
    assert!(ok, "{err}");
    let serve_log = tmp.path().join("alice-serve.log");
    let _server = alice.spawn_logged(&["catalog", "serve", "movies"], &serve_log);
    eprintln!("{:?} set up", started.elapsed());

    let (mut node, out) = Node::start(
        "share.mjs",
        &[
            ("NATSTER_OWNER", alice.key.as_ref()),
            ("NATSTER_FRIEND", bob.key.as_ref()),
            ("NATSTER_UNKNOWN_ACCOUNT", unknown.as_ref()),
            ("NATSTER_CATALOG", "movies".as_ref()),
            ("NATSTER_NOTES_NAME", NOTES.as_ref()),
        ],
    );
    let (tx, rx) = mpsc::channel();
    forward(out, tx, Some, None);
    let mut logins = Vec::new();
    let results: Value = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the browser script says something within a minute")
            .expect("the browser script ended early");
        eprintln!("{:?} browser: {line}", started.elapsed());
        let msg = message(&line, || {
            let log = std::fs::read_to_string(&serve_log).unwrap_or_default();
            format!("alice's catalog server:\n{log}")
        });
        if msg.get("done").is_some() {
            break msg["done"].clone();
        }
        match msg["need"].as_str() {
            Some("login") => {
                let who = if msg["as"] == "owner" { &alice } else { &bob };
                let allow = msg["allowSharing"].as_bool().unwrap();
                let login = Login::start(who, &hub.web_url, allow);
                node.reply(json!({ "link": login.link }));
                logins.push(login);
            }
            Some("inbox") => {
                let inbox = bob.json(&["catalog", "inbox", "--json"]);
                node.reply(json!({ "inbox": inbox }));
            }
            other => panic!("unknown need {other:?}"),
        }
    };
    drop(node);
    eprintln!("{:?} browser done: {results:#}", started.elapsed());
    assert_eq!(logins.len(), 3);
    for login in logins {
        let (ok, out, err) = login.finish();
        assert!(ok, "natster login: {out} {err}");
    }

    // The sharing session has no "cannot share" note; the catalog, shared
    // with nobody, is listed as online without being typed in, and its
    // access list starts empty.
    assert_eq!(results["ownerNoSharingNote"], 0);
    assert!(
        ms(&results["unsharedListedAfterMs"]) < BOUND_MS,
        "listed within {BOUND_MS} ms of logging in: {}",
        results["unsharedListedAfterMs"]
    );
    assert_eq!(results["mineNames"], json!(["movies"]));
    assert_eq!(results["mineOnline"], "online");
    assert_eq!(results["accessAtFirst"], "Only you have access.");

    // Bad input: refused with a reason the page shows; the form keeps what
    // was typed; nothing is shared.
    let bad = &results["badInput"];
    let typo = bad["typo"]["typed"].as_str().unwrap();
    assert_ne!(typo, bob.key, "{bad}");
    for (case, status, says) in [
        ("typo", 400, typo),
        ("own", 400, "your own account"),
        ("unknown", 404, "not registered"),
    ] {
        let b = &bad[case];
        assert_eq!(b["status"], status, "{case}: {b}");
        let shown = b["shown"].as_str().unwrap_or_default();
        assert!(shown.contains(says), "{case}: shown next to the form: {b}");
        assert_eq!(b["invalid"], "true", "{case}: the field is marked: {b}");
        assert_eq!(b["describedBy"], true, "{case}: it names the error: {b}");
        assert_eq!(b["kept"], b["typed"], "{case}: {b}");
        assert_eq!(b["list"], "Only you have access.", "{case}: {b}");
    }
    assert_eq!(
        results["badInputCleared"],
        json!({"errorVisible": false, "invalid": null}),
        "editing the field clears the error"
    );
    assert_eq!(results["accessAfterBadInput"], json!([]));
    assert_eq!(results["inboxAfterBadInput"], json!([]));

    // Bob's page before the share.
    assert_eq!(results["friendAtFirst"], "Nothing yet.");
    assert_eq!(results["friendPendingAtFirst"], 0);

    // The share: listed with bob's name and its end, seen live by bob.
    let share = &results["share"];
    assert_eq!(share["status"], 200, "{share}");
    assert_eq!(share["name"], "bob", "{share}");
    assert_eq!(share["key"], bob.key.as_str(), "{share}");
    let expected = share["expected"].as_array().unwrap();
    assert_eq!(expected.len(), 1, "{share}");
    assert_eq!(expected[0]["account"], bob.key.as_str());
    let end = expected[0]["expiresAt"].as_i64().unwrap();
    let now = natster_auth::jwt::now();
    assert!(
        (now + 86_400 - 120..=now + 86_400).contains(&end),
        "a day from the share: {end} vs now {now}"
    );
    assert_eq!(share["until"], expected[0]["until"], "{share}");
    for step in ["toldAfterMs", "listedAfterMs", "friendSawAfterMs"] {
        assert!(ms(&share[step]) < BOUND_MS, "{step}: {share}");
    }
    assert_eq!(
        share["friendNoReload"], "still here",
        "bob's page was not reloaded"
    );

    // Bob browses it.
    let names = results["friendNames"].as_array().unwrap();
    assert!(names.contains(&json!("films")), "{names:?}");
    assert!(names.contains(&json!(NOTES)), "{names:?}");
    assert_eq!(results["friendText"], NOTES_TEXT);
    assert_eq!(results["friendNoReload"], "still here");

    // Without --allow-sharing: the list, the way to share, nothing to click.
    let plain = &results["plain"];
    assert!(
        plain["note"]
            .as_str()
            .unwrap()
            .contains("natster login --allow-sharing"),
        "{plain}"
    );
    assert_eq!(plain["name"], "bob", "{plain}");
    assert_eq!(plain["forms"], 0, "{plain}");
    assert_eq!(plain["unshareButtons"], 0, "{plain}");

    // Unshare: alice's list, bob's page and bob's fetches all follow.
    // Refused by alice's catalog server (403), or, once the hub has taken
    // bob's import away, by nats-server having no route (404).
    let refusal = &results["refusal"];
    let says = match refusal["status"].as_u64() {
        Some(403) => "has no access",
        Some(404) => "movies is not available: it is offline, or no longer shared with you",
        _ => panic!("bob's fetch was refused with 403 or 404: {refusal}"),
    };
    assert!(
        refusal["error"].as_str().unwrap().contains(says),
        "{refusal}"
    );
    assert!(
        refusal["after"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s == 403 || s == 404),
        "bob stays refused: {refusal}"
    );
    let (owner, page, fetch) = (
        ms(&results["ownerDroppedAfterMs"]),
        ms(&results["friendDroppedAfterMs"]),
        ms(&refusal["end"]),
    );
    eprintln!(
        "unshare clicked: alice's list dropped bob after {owner} ms, bob's page dropped the \
         catalog after {page} ms, bob's fetch was refused after {fetch} ms ({} served before, \
         {} in flight left unanswered)",
        refusal["served"], refusal["lost"]
    );
    for (what, t) in [
        ("alice's list", owner),
        ("bob's page", page),
        ("bob's fetch", fetch),
    ] {
        assert!(t < BOUND_MS, "{what} followed the unshare after {t} ms");
    }
    assert_eq!(results["friendNoReloadAtEnd"], "still here");
    // The redraw after the unshare kept what alice had half typed.
    let draft = &results["draftAfterRedraw"];
    assert_eq!(draft["kept"], draft["typed"], "{draft}");
    assert_eq!(draft["expires"], "7d", "{draft}");
    let short = format!("{}…{}", &alice.key[..5], &alice.key[alice.key.len() - 4..]);
    let unshared = format!("movies from {short} is no longer shared with you.");
    assert_eq!(results["friendNotices"], json!([unshared]));
    let texts = &results["endedTexts"];
    assert_eq!(texts["unshared"], unshared.as_str());
    assert_eq!(texts["older"], unshared.as_str(), "no reason: taken back");
    assert_eq!(
        texts["expired"],
        format!("Your access to movies from {short} expired.").as_str()
    );

    natster_testkit::browser::assert_no_page_errors(&results);
    assert_eq!(results["dialogs"], json!([]));
    eprintln!("{:?} all checked", started.elapsed());
}
