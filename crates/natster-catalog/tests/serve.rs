//! The catalog server as a whole: discovery, heartbeats, live updates, and
//! a download across accounts with imports and activation tokens.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fixture, bytes, start_on};
use futures_util::StreamExt;
use natster_auth::claims::{ActivationNats, Claims, Export, ExportType, Import, ResponseType};
use natster_auth::jwt::encode;
use natster_catalog::{CatalogClient, DownloadOptions, ServeEvent};
use natster_proto::subjects;
use natster_testkit::AccountFixture;
use tokio::sync::mpsc;

async fn next_event(
    rx: &mut mpsc::UnboundedReceiver<ServeEvent>,
    what: impl Fn(&ServeEvent) -> bool,
) -> ServeEvent {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let e = rx.recv().await.expect("events");
            if what(&e) {
                return e;
            }
        }
    })
    .await
    .expect("event in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discoverable_heartbeats_and_offline_on_clean_shutdown() {
    let fx = Fixture::new(&[("a.txt", b"hello".to_vec())]).await;
    let observer = fx
        .alice
        .user("obs", |_| {})
        .connect(&fx.server.url())
        .await
        .expect("obs");
    let mut hb = observer.subscribe("hb.movies").await.expect("sub");
    let mut off = observer.subscribe("off.movies").await.expect("sub");
    observer.flush().await.expect("flush");
    let mut config = fx.config();
    config.heartbeat_subject = Some("hb.movies".into());
    config.offline_subject = Some("off.movies".into());
    config.heartbeat_interval = Duration::from_millis(200);
    let running = fx.start(config).await;

    let ping = observer
        .request("$SRV.PING.natster-catalog", "".into())
        .await
        .expect("ping");
    let ping: serde_json::Value = serde_json::from_slice(&ping.payload).expect("json");
    assert_eq!(ping["name"], "natster-catalog");
    assert_eq!(ping["metadata"]["catalog"], "movies");

    for _ in 0..2 {
        let m = tokio::time::timeout(Duration::from_secs(10), hb.next())
            .await
            .expect("hb")
            .expect("msg");
        let h: natster_proto::catalog::Heartbeat =
            serde_json::from_slice(&m.payload).expect("hb json");
        assert!(h.online);
        assert_eq!(
            (h.catalog.as_str(), h.account_key.as_str(), h.revision),
            ("movies", fx.owner().as_str(), 1)
        );
    }
    running.shutdown().await.expect("clean stop");
    let m = tokio::time::timeout(Duration::from_secs(10), off.next())
        .await
        .expect("offline")
        .expect("msg");
    let h: natster_proto::catalog::Heartbeat = serde_json::from_slice(&m.payload).expect("json");
    assert!(!h.online);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_follow_adds_changes_removes_and_renames() {
    let fx = Fixture::new(&[("a.txt", b"one".to_vec()), ("b.bin", bytes(50_000, 1))]).await;
    let catalog_file = fx.out.path().join("movies.json");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut config = fx.config();
    config.watch = true;
    config.debounce = Duration::from_millis(200);
    config.catalog_path = Some(catalog_file.clone());
    config.events = Some(Arc::new(move |e| {
        let _ = tx.send(e.clone());
    }));
    let _running = fx.start(config).await;
    let reader = fx.reader().await;
    let root = fx.root.path();
    let mut revision = reader.contents().await.expect("get").revision;
    let is_update = |e: &ServeEvent| matches!(e, ServeEvent::Updated { .. });

    // Add.
    std::fs::write(root.join("c.txt"), b"three").expect("add");
    let ServeEvent::Updated {
        revision: r,
        report,
    } = next_event(&mut rx, is_update).await
    else {
        unreachable!()
    };
    assert!(r > revision);
    revision = r;
    assert_eq!(report.added, ["c.txt"]);
    let contents = reader.contents().await.expect("get");
    assert_eq!(contents.revision, revision);
    assert!(
        contents
            .entries
            .iter()
            .any(|e| e.path == "c.txt" && e.byte_size == 5)
    );
    // Saved atomically where asked.
    let saved = natster_catalog::Catalog::load(&catalog_file).expect("saved");
    assert_eq!(saved.revision, revision);

    // Change.
    std::fs::write(root.join("a.txt"), b"one, longer").expect("modify");
    let ServeEvent::Updated {
        revision: r,
        report,
    } = next_event(&mut rx, is_update).await
    else {
        unreachable!()
    };
    assert!(r > revision);
    revision = r;
    assert_eq!(report.changed, ["a.txt"]);
    assert_eq!(report.hashed_files, 1, "only the changed file is hashed");

    // Rename: no re-hash.
    std::fs::rename(root.join("b.bin"), root.join("d.bin")).expect("rename");
    let ServeEvent::Updated {
        revision: r,
        report,
    } = next_event(&mut rx, is_update).await
    else {
        unreachable!()
    };
    assert!(r > revision);
    revision = r;
    assert_eq!(report.renamed, [("b.bin".to_owned(), "d.bin".to_owned())]);
    assert_eq!(report.hashed_files, 0);

    // Remove.
    std::fs::remove_file(root.join("c.txt")).expect("remove");
    let ServeEvent::Updated {
        revision: r,
        report,
    } = next_event(&mut rx, is_update).await
    else {
        unreachable!()
    };
    assert!(r > revision);
    assert_eq!(report.removed, ["c.txt"]);
    let contents = reader.contents().await.expect("get");
    let mut paths: Vec<_> = contents.entries.iter().map(|e| e.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["a.txt", "d.bin"]);

    // And the changed file downloads with its new content.
    let a = contents
        .entries
        .iter()
        .find(|e| e.path == "a.txt")
        .expect("a");
    let out = fx.out("a.txt");
    reader
        .download(&a.hash, &out, DownloadOptions::default())
        .await
        .expect("download");
    assert_eq!(std::fs::read(out).expect("out"), b"one, longer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_account_downloads_through_private_exports() {
    let data = bytes(3 << 20, 77);
    let mut fx = Fixture::new(&[("film.bin", data.clone())]).await;
    let a = fx.owner();
    let mut bob = AccountFixture::new("bob");
    let b = bob.key();

    let mut service = Export::new(
        "movies",
        subjects::catalog_export(&a, "movies"),
        ExportType::Service,
    );
    service.token_req = true;
    service.response_type = Some(ResponseType::Singleton);
    let mut stream = Export::new(
        "movies-media",
        subjects::media_export(&a, "movies"),
        ExportType::Stream,
    );
    stream.token_req = true;
    fx.alice.claims.nats.exports.extend([service, stream]);

    for (subject, kind) in [
        (
            subjects::catalog_import(&b, &a, "movies"),
            ExportType::Service,
        ),
        (subjects::media_import(&b, &a, "movies"), ExportType::Stream),
    ] {
        let act = Claims::new(
            b.clone(),
            ActivationNats::new(subject.clone(), kind, a.clone()),
        );
        let mut import = Import::new("alice-movies", subject, a.clone(), kind);
        import.token = encode(&act, &fx.alice.signing).expect("activation");
        bob.claims.nats.imports.push(import);
    }
    fx.server.push_account(&fx.alice).await.expect("push alice");
    fx.server.push_account(&bob).await.expect("push bob");

    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut config = fx.config();
    let owner = a.clone();
    let friend = b.clone();
    config.access = Arc::new(move |caller, catalog| {
        catalog == "movies" && (caller == owner || caller == friend)
    });
    config.events = Some(Arc::new(move |e| {
        let _ = tx.send(e.clone());
    }));
    let client = fx
        .server_user
        .connect(&fx.server.url())
        .await
        .expect("server");
    let _running = start_on(client, config).await;

    // Bob's CLI user has only what an importer needs.
    let bob_user = bob.user("cli", |c| {
        c.nats.publish.allow = vec![format!("{b}.natster.catalog.>")];
        c.nats.subscribe.allow = vec!["_INBOX.>".into(), format!("{b}.natster.media.>")];
    });
    let bob_client = bob_user.connect(&fx.server.url()).await.expect("bob");
    // Chunks and credit on the transfer's own connection: the same
    // permissions hold there.
    let reader = CatalogClient::new(bob_client, &b, fx.alice.claims.clone(), "movies")
        .expect("client")
        .with_direct(common::direct_login(&fx.server.url(), &bob_user));
    let contents = reader.contents().await.expect("bob lists");
    assert_eq!(contents.entries.len(), 1);
    let out = fx.out("film.bin");
    let report = reader
        .download(
            &contents.entries[0].hash,
            &out,
            DownloadOptions {
                chunk_size: Some(256 << 10),
                ..Default::default()
            },
        )
        .await
        .expect("bob downloads");
    assert!(report.hash_verified);
    assert!(report.direct, "bob's own transfer connection was used");
    assert_eq!(std::fs::read(&out).expect("out"), data);
    let started = next_event(&mut rx, |e| matches!(e, ServeEvent::TransferStarted(_))).await;
    let ServeEvent::TransferStarted(info) = started else {
        unreachable!()
    };
    assert_eq!(info.caller, b, "the caller is bob, as nats-server says");

    // Bob cannot call as alice: the import does not cover that subject.
    let mut spoof = CatalogClient::new(
        bob_user.connect(&fx.server.url()).await.expect("bob"),
        &a,
        fx.alice.claims.clone(),
        "movies",
    )
    .expect("client");
    // nats-server drops the request; there is no answer to wait 10 s for.
    spoof.request_timeout = Duration::from_secs(2);
    assert!(spoof.contents().await.is_err());
}
