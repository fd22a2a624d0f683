//! Sharing between accounts, as people do it with the real binary, with
//! five accounts on one hub: alice and eve own catalogs called `movies`,
//! bob is given both, carol is never given anything, dora tries to cheat.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Person, eventually, hub_up};

fn hash_of(p: &Person, owner: &str, path: &str) -> String {
    let v = p.json(&["catalog", "contents", "movies", "--owner", owner, "--json"]);
    let e = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("{path} in {v}"));
    e["hash"].as_str().unwrap().to_owned()
}

fn make_media(dir: &Path, tag: &str, big: u64) {
    std::fs::create_dir_all(dir.join("clips")).unwrap();
    std::fs::write(dir.join("clips/readme.txt"), format!("{tag}'s readme\n")).unwrap();
    std::fs::write(dir.join(format!("{tag}.bin")), tag.repeat(100_000)).unwrap();
    if big > 0 {
        // Sparse: costs no disk to make, but every byte is hashed, sealed and sent.
        let f = std::fs::File::create(dir.join("big.bin")).unwrap();
        f.set_len(big).unwrap();
    }
}

#[test]
fn five_accounts_share_import_download_unshare_and_expire() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    let [alice, bob, carol, dora, eve] =
        ["alice", "bob", "carol", "dora", "eve"].map(|n| Person::init(&hub, tmp.path(), n));

    // Alice and eve each make a catalog called `movies`, different content.
    make_media(&tmp.path().join("alice-media"), "alice", 768 << 20);
    make_media(&tmp.path().join("eve-media"), "eve", 0);
    for (p, m) in [(&alice, "alice-media"), (&eve, "eve-media")] {
        let media = tmp.path().join(m);
        let (ok, _, err) = p.run(&[
            "catalog",
            "new",
            "movies",
            "test media",
            media.to_str().unwrap(),
        ]);
        assert!(ok, "{err}");
        let (ok, _, err) = p.run(&["catalog", "share", "movies", &bob.key]);
        assert!(ok, "{err}");
    }
    let _alice_server = alice.spawn(&["catalog", "serve", "movies"]);
    let _eve_server = eve.spawn(&["catalog", "serve", "movies"]);

    // Bob sees both in his inbox, imports both, and both work independently.
    let inbox = bob.json(&["catalog", "inbox", "--json"]);
    let owners: Vec<&str> = inbox
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["owner"].as_str().unwrap())
        .collect();
    assert!(
        owners.contains(&alice.key.as_str()) && owners.contains(&eve.key.as_str()),
        "{inbox}"
    );
    for owner in [&alice.key, &eve.key] {
        let (ok, _, err) = bob.run(&["catalog", "import", "movies", owner]);
        assert!(ok, "{err}");
    }
    assert!(
        bob.json(&["catalog", "inbox", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let online = eventually(Duration::from_secs(10), || {
        let ls = bob.json(&["catalog", "ls", "--json"]);
        ls["shared_with_me"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["online"] == true)
            .count()
            == 2
    });
    assert!(online, "both catalogs are listed online");
    for (owner, file, want) in [
        (&alice.key, "alice.bin", "alice"),
        (&eve.key, "eve.bin", "eve"),
    ] {
        let hash = hash_of(&bob, owner, file);
        let out = tmp.path().join(format!("bob-{file}"));
        let v = bob.json(&[
            "catalog",
            "download",
            "movies",
            &hash,
            out.to_str().unwrap(),
            "--owner",
            owner,
            "--json",
        ]);
        assert_eq!(v["hash_verified"], true);
        // Cross-account, through the hub's real permissions: the chunks
        // came on the download's own connection.
        assert_eq!(v["direct"], true, "{v}");
        assert_eq!(
            std::fs::read(&out).unwrap(),
            want.repeat(100_000).into_bytes()
        );
    }

    // Carol was never given it: a clear refusal and not one media byte.
    let (ok, _, err) = carol.run(&["catalog", "contents", "movies", "--owner", &alice.key]);
    assert!(!ok && err.contains("no responders"), "{err}");
    let (ok, _, err) = carol.run(&["catalog", "import", "movies", &alice.key]);
    assert!(!ok && err.contains("has not shared"), "{err}");

    // Dora cannot import with bob's deposited tokens either.
    let grant: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            hub.dir
                .join("grants")
                .join(&bob.key)
                .join(format!("{}.movies.json", alice.key)),
        )
        .unwrap(),
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dora_creds = dora.creds();
    let refused = rt.block_on(async {
        let key = dora_creds.seed.key_pair().unwrap();
        let client = natster_client::connect::options(dora_creds.jwt.clone(), key, "dora")
            .connect(dora.nats_url())
            .await
            .unwrap();
        let req = natster_proto::hub::ImportAddRequest {
            owner: alice.key.clone(),
            catalog: "movies".into(),
            service_token: grant["service_token"].as_str().unwrap().into(),
            stream_token: grant["stream_token"].as_str().unwrap().into(),
        };
        natster_client::HubClient::new(client.clone(), &dora.key)
            .change(&req)
            .await
    });
    let err = refused.expect_err("dora's import with bob's tokens is refused");
    assert!(err.to_string().contains("403"), "{err}");

    // Carol and dora listen to everything their accounts can see while bob
    // starts downloading the big file; then alice unshares.
    let snoopers: Vec<_> = [&carol, &dora]
        .iter()
        .map(|p| {
            let creds = p.creds();
            let url = p.nats_url();
            rt.block_on(async move {
                let key = creds.seed.key_pair().unwrap();
                let c = natster_client::connect::options(creds.jwt.clone(), key, "snoop")
                    .connect(url)
                    .await
                    .unwrap();
                let sub = c.subscribe(">").await.unwrap();
                c.flush().await.unwrap();
                (c, sub)
            })
        })
        .collect();
    let big = hash_of(&bob, &alice.key, "big.bin");
    let out = tmp.path().join("bob-big.bin");
    let mut download = bob.spawn(&[
        "catalog",
        "download",
        "movies",
        &big,
        out.to_str().unwrap(),
        "--owner",
        &alice.key,
    ]);
    let part = tmp.path().join(".bob-big.bin.natster-part");
    assert!(
        eventually(Duration::from_secs(20), || std::fs::metadata(&part)
            .is_ok_and(|m| m.len() > 0)),
        "the download is under way"
    );
    let cut = Instant::now();
    let (ok, _, err) = alice.run(&["catalog", "unshare", "movies", &bob.key]);
    assert!(ok, "{err}");
    let stopped = eventually(Duration::from_secs(25), || {
        matches!(download.child.try_wait(), Ok(Some(_)))
    });
    assert!(stopped, "the download in flight stops after the unshare");
    let status = download.child.wait().unwrap();
    assert!(!status.success(), "the cut-off download fails");
    assert!(!out.exists(), "nothing at OUT");
    let refused_fast = eventually(Duration::from_secs(1), || {
        !bob.run(&["catalog", "contents", "movies", "--owner", &alice.key])
            .0
    });
    assert!(
        refused_fast,
        "new requests fail within a second (took {:?})",
        cut.elapsed()
    );
    // Eve's catalog is unaffected.
    assert!(
        bob.run(&["catalog", "contents", "movies", "--owner", &eve.key])
            .0
    );
    for (c, mut sub) in snoopers {
        let leaked = rt.block_on(async {
            let _ = c.flush().await;
            tokio::time::timeout(
                Duration::from_millis(300),
                futures_util::StreamExt::next(&mut sub),
            )
            .await
        });
        let media = matches!(&leaked, Ok(Some(m)) if m.subject.contains(".natster.media."));
        assert!(
            !media,
            "a snooper saw media: {:?}",
            leaked.ok().flatten().map(|m| m.subject)
        );
    }

    // Sharing again works.
    let (ok, _, err) = alice.run(&["catalog", "share", "movies", &bob.key]);
    assert!(ok, "{err}");
    let (ok, _, err) = bob.run(&["catalog", "import", "movies", &alice.key]);
    assert!(ok, "{err}");
    assert!(
        eventually(Duration::from_secs(5), || bob
            .run(&["catalog", "contents", "movies", "--owner", &alice.key])
            .0),
        "re-shared catalog works again"
    );

    // A share with --expires stops working after its expiry; sharing again works.
    let (ok, _, err) = alice.run(&["catalog", "share", "movies", &carol.key, "--expires", "3s"]);
    assert!(ok, "{err}");
    let (ok, _, err) = carol.run(&["catalog", "import", "movies", &alice.key]);
    assert!(ok, "{err}");
    assert!(eventually(Duration::from_secs(3), || carol
        .run(&["catalog", "contents", "movies", "--owner", &alice.key])
        .0));
    assert!(
        eventually(Duration::from_secs(8), || !carol
            .run(&["catalog", "contents", "movies", "--owner", &alice.key])
            .0),
        "the expired share stops working"
    );
    let (ok, _, err) = alice.run(&["catalog", "share", "movies", &carol.key]);
    assert!(ok, "{err}");
    let (ok, _, err) = carol.run(&["catalog", "import", "movies", &alice.key]);
    assert!(ok, "{err}");
    assert!(eventually(Duration::from_secs(5), || carol
        .run(&["catalog", "contents", "movies", "--owner", &alice.key])
        .0));
}

#[test]
fn sharing_to_a_malformed_or_unknown_key_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    let alice = Person::init(&hub, tmp.path(), "alice");
    make_media(&tmp.path().join("m"), "alice", 0);
    let (ok, _, err) = alice.run(&[
        "catalog",
        "new",
        "movies",
        "x",
        tmp.path().join("m").to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let mut bad_checksum = alice.key.clone().into_bytes();
    bad_checksum[30] = if bad_checksum[30] == b'A' { b'B' } else { b'A' };
    let bad_checksum = String::from_utf8(bad_checksum).unwrap();
    let unknown = natster_auth::KeyPair::new_account().public_key();
    let user_key = natster_auth::KeyPair::new_user().public_key();
    for (target, want) in [
        ("AXYZ", "expected 56 characters"),
        (bad_checksum.as_str(), "invalid account public key"),
        (user_key.as_str(), "must start with 'A'"),
        (unknown.as_str(), "not registered"),
        (alice.key.as_str(), "your own account"),
    ] {
        let (ok, _, err) = alice.run(&["catalog", "share", "movies", target]);
        assert!(!ok, "{target} must be refused");
        assert!(err.contains(want), "{target}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let (ok, _, err) = alice.run(&["catalog", "share", "nosuch", &unknown]);
    assert!(!ok && err.contains("no catalog"), "{err}");
}

#[test]
fn the_demo_runs_the_whole_story() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::natster()
        .args(["demo", "--exit", "--dir"])
        .arg(tmp.path().join("d"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in ["==> 9.", "SHA-256 verified", "byte-identical", "● movies"] {
        assert!(stdout.contains(want), "missing {want:?} in\n{stdout}");
    }
}

/// Ctrl-C on `catalog serve` lists the catalog offline at once, every time
/// (its last heartbeat, which says "offline", used to be sent as a put
/// that could land after the offline announcement and list it online again
/// until the heartbeat expired).
#[test]
fn a_stopped_catalog_server_is_listed_offline_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    let [alice, bob] = ["alice", "bob"].map(|n| Person::init(&hub, tmp.path(), n));
    make_media(&tmp.path().join("m"), "alice", 0);
    let media = tmp.path().join("m");
    let (ok, _, err) = alice.run(&["catalog", "new", "movies", "x", media.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = alice.run(&["catalog", "share", "movies", &bob.key]);
    assert!(ok, "{err}");
    let (ok, _, err) = bob.run(&["catalog", "import", "movies", &alice.key]);
    assert!(ok, "{err}");
    let online = || {
        bob.json(&["catalog", "ls", "--json"])["shared_with_me"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["online"] == true)
    };
    for round in 0..5 {
        let mut server = alice.spawn(&["catalog", "serve", "movies"]);
        assert!(
            eventually(Duration::from_secs(10), online),
            "round {round}: online"
        );
        server.stop();
        assert!(server.child.wait().unwrap().success());
        // Past the time a late heartbeat would take to land.
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            eventually(Duration::from_secs(2), || !online()),
            "round {round}: still listed online after a clean stop"
        );
    }
}
