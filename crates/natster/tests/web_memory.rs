//! The web server holds no account seed and no CLI user seed: after a
//! person logs a browser in, the memory of the process serving the web app
//! (here `natster hub up`) is scanned for that person's seeds.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use common::{Login, Person, hub_up};

/// Every readable, private mapping of `pid`, concatenated per region.
fn memory_of(pid: u32) -> Vec<Vec<u8>> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut regions = Vec::new();
    for line in maps.lines() {
        let mut parts = line.split_whitespace();
        let (range, perms) = (parts.next().unwrap(), parts.next().unwrap());
        if !perms.starts_with('r') || line.contains("[vvar]") || line.contains("[vsyscall]") {
            continue;
        }
        let (a, b) = range.split_once('-').unwrap();
        let (a, b) = (
            u64::from_str_radix(a, 16).unwrap(),
            u64::from_str_radix(b, 16).unwrap(),
        );
        let mut buf = vec![0u8; (b - a) as usize];
        if mem.seek(SeekFrom::Start(a)).is_ok() && mem.read_exact(&mut buf).is_ok() {
            regions.push(buf);
        }
    }
    regions
}

fn contains(regions: &[Vec<u8>], needle: &[u8]) -> bool {
    regions
        .iter()
        .any(|r| r.windows(needle.len()).any(|w| w == needle))
}

#[test]
fn the_web_server_process_holds_none_of_the_persons_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = hub_up(&tmp.path().join("hub"), &[]);
    assert!(!hub.web_url.is_empty());
    let alice = Person::init(&hub, tmp.path(), "alice");

    // `natster login` prints the link, waits for the browser, signs for it.
    let login = Login::start(&alice, &hub.web_url, false);

    // The browser opens it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let cookie = rt.block_on(login.open(&http, &hub.web_url));
    let (ok, out, err) = login.finish();
    assert!(ok, "login approved: {out} {err}");
    let session = serde_json::from_str::<serde_json::Value>(&out).unwrap()["session"]
        .as_str()
        .unwrap()
        .to_owned();
    let live = rt.block_on(async {
        for _ in 0..50 {
            let s: serde_json::Value = http
                .get(format!("{}/api/session", hub.web_url))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if s["state"] == "live" {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    });
    assert!(live, "the session is live");

    // Alice's seeds, as text and as raw key bytes.
    let ctx = alice.home.join("contexts/default");
    let mut seeds: Vec<String> = ["account.seed", "account-signing.seed"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(ctx.join(f))
                .unwrap()
                .trim()
                .to_owned()
        })
        .collect();
    seeds.push(alice.creds().seed.expose().to_owned());
    let regions = memory_of(hub.child.id());
    assert!(
        regions.iter().map(Vec::len).sum::<usize>() > 1 << 20,
        "read the process memory"
    );
    // Control: the session's public key is in there, so the scan works.
    assert!(
        contains(&regions, session.as_bytes()),
        "the scan finds what the server does hold"
    );
    for seed in &seeds {
        assert!(
            !contains(&regions, seed.as_bytes()),
            "a seed of alice's is in the web server's memory"
        );
        let raw = data_encoding::BASE32_NOPAD.decode(seed.as_bytes()).unwrap();
        assert!(
            !contains(&regions, &raw[2..34]),
            "a private key of alice's is in the web server's memory"
        );
    }
}
