//! The identity story as a new user lives it, through the real binary:
//! `natster hub up`, `natster init` for alice and bob, `natster whoami`.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{hub_up, run};

#[test]
fn hub_up_init_two_people_and_whoami() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    let (alice, bob) = (tmp.path().join("a"), tmp.path().join("b"));

    let (ok, out, err) = run(
        &alice,
        &["init", "--hub", &hub.url, "--name", "alice", "--json"],
    );
    assert!(ok, "{err}");
    let a: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (ok, out, err) = run(
        &bob,
        &["init", "--hub", &hub.url, "--name", "bob", "--json"],
    );
    assert!(ok, "{err}");
    let b: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_ne!(a["account"], b["account"]);

    let (ok, out, err) = run(&alice, &["whoami", "--json"]);
    assert!(ok, "{err}");
    let w: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(w["account"], a["account"]);
    assert_eq!(w["name"], "alice");
    assert_eq!(w["connected"], true, "{w}");

    // Secrets are 0600 in a 0700 directory; the creds file is in the standard format.
    use std::os::unix::fs::PermissionsExt;
    let ctx = alice.join("contexts/default");
    assert_eq!(
        std::fs::metadata(&ctx).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for f in ["account.seed", "account-signing.seed", "user.creds"] {
        assert_eq!(
            std::fs::metadata(ctx.join(f)).unwrap().permissions().mode() & 0o777,
            0o600,
            "{f}"
        );
    }
    let creds = natster_auth::creds::Creds::read(&ctx.join("user.creds")).expect("standard creds");
    assert!(!creds.jwt.is_empty());

    // Idempotent.
    let (ok, out, _) = run(&alice, &["init", "--hub", &hub.url, "--json"]);
    assert!(ok);
    let again: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(again["account"], a["account"]);
    assert_eq!(again["already_initialized"], true);

    // A second context for another identity, and context ls.
    let (ok, _, err) = run(
        &alice,
        &[
            "--context",
            "work",
            "init",
            "--hub",
            &hub.url,
            "--name",
            "alice-work",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = run(&alice, &["context", "ls", "--json"]);
    assert!(ok);
    let ls: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ls.as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_gets_one_clear_line_and_a_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("h");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["whoami"], "natster init"),
        (vec!["init", "--hub", "ftp://x"], "invalid hub URL"),
        (
            vec!["init", "--hub", "http://127.0.0.1:1"],
            "cannot reach the hub",
        ),
        (
            vec!["--context", "../evil", "whoami"],
            "invalid context name",
        ),
        (
            vec!["init", "--hub", "http://127.0.0.1:1", "--name", ""],
            "invalid name",
        ),
    ];
    for (args, want) in cases {
        let (ok, _, err) = run(&home, &args);
        assert!(!ok, "{args:?} must fail");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: one line, got {err:?}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let (ok, _, err) = run(
        &home,
        &["hub", "invite", "--dir", tmp.path().to_str().unwrap()],
    );
    assert!(!ok && err.contains("not a hub data directory"), "{err}");
    assert!(
        !home.join("contexts").exists()
            || std::fs::read_dir(home.join("contexts"))
                .unwrap()
                .next()
                .is_none(),
        "no partial context"
    );
}

#[test]
fn invite_only_hub_with_invite_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hub");
    let hub = hub_up(&dir, &["--invite-only"]);
    let home = tmp.path().join("c");
    let (ok, _, err) = run(&home, &["init", "--hub", &hub.url, "--name", "carol"]);
    assert!(!ok && err.contains("invite-only"), "{err}");
    let (ok, out, err) = run(
        &home,
        &[
            "hub",
            "invite",
            "--dir",
            dir.to_str().unwrap(),
            "--ttl",
            "10m",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let code = serde_json::from_str::<serde_json::Value>(&out).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, _, err) = run(
        &home,
        &[
            "init", "--hub", &hub.url, "--name", "carol", "--invite", &code,
        ],
    );
    assert!(ok, "{err}");
    std::thread::sleep(Duration::from_millis(10));
}

fn nats_pid(hub_dir: &Path) -> Option<i32> {
    std::fs::read_dir(hub_dir.join("nats"))
        .ok()?
        .flatten()
        .find_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".ports")?.rsplit('_').next()?.parse().ok()
        })
}

fn alive(pid: i32) -> bool {
    // A zombie waiting for its reaper is not running.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or_default()
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

#[test]
fn a_crashed_hub_restarts_over_its_leftover_nats_server() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hub");
    let mut first = hub_up(&dir, &[]);
    let home = tmp.path().join("a");
    let (ok, _, err) = run(&home, &["init", "--hub", &first.url, "--name", "alice"]);
    assert!(ok, "{err}");
    let old = nats_pid(&dir).expect("ports file");
    first.child.kill().unwrap(); // SIGKILL: the hub cannot stop its nats-server
    first.child.wait().unwrap();
    assert!(alive(old), "nats-server outlives a killed hub");

    let second = hub_up(&dir, &[]);
    assert!(!alive(old), "the leftover nats-server was stopped");
    let ctx = home.join("contexts/default/context.json");
    let mut info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&ctx).unwrap()).unwrap();
    // Ports were random; point the context at the new hub, as a user would re-run init.
    let hub_info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("hub.json")).unwrap()).unwrap();
    info["nats_urls"] = hub_info["nats_urls"].clone();
    std::fs::write(&ctx, serde_json::to_vec(&info).unwrap()).unwrap();
    let (ok, out, err) = run(&home, &["whoami", "--json"]);
    assert!(ok, "{err}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["connected"],
        true,
        "{out}"
    );
    drop(second);
}

#[test]
fn a_second_global_service_instance_joins_and_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hub");
    let hub = hub_up(&dir, &[]);
    let mut second = common::natster()
        .args(["global", "serve", "--hub-dir"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(second.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("global service running"), "{line}");
    // With two instances in the queue group, the API keeps answering.
    let home = tmp.path().join("a");
    for name in ["alice", "alice2"] {
        let h = home.join(name);
        let (ok, _, err) = run(&h, &["init", "--hub", &hub.url, "--name", name]);
        assert!(ok, "{err}");
        assert!(!err.contains("warning"), "{err}");
        let (ok, out, err) = run(&h, &["whoami", "--json"]);
        assert!(ok, "{err}");
        let w: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(w["initialized_at"].as_i64().is_some(), "{w}");
    }
    let pid = rustix::process::Pid::from_raw(second.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let status = second.wait().unwrap();
    assert!(status.success(), "a clean stop exits 0: {status}");
}
