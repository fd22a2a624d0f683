//! Downloads against a real nats-server: sizes at chunk boundaries, ranges,
//! resume after the catalog server or nats-server restarts.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{Fixture, assert_nothing_at, bytes, gate};
use natster_catalog::{ByteRange, DownloadOptions, Error};

const CHUNK: u32 = 64 << 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_at_chunk_boundaries_come_out_byte_identical() {
    let c = CHUNK as usize;
    let files = vec![
        ("empty.bin", vec![]),
        ("one.bin", bytes(1, 1)),
        ("chunk.bin", bytes(c, 2)),
        ("chunk-plus-one.bin", bytes(c + 1, 3)),
        ("dir/multi.bin", bytes(5 * (1 << 20) + 7, 4)),
    ];
    let fx = Fixture::new(&files).await;
    let running = fx.start(fx.config()).await;
    // Chunks on the transfer's own connection, and through the shared client.
    for (direct, reader) in [(true, fx.reader().await), (false, fx.reader_shared().await)] {
        let contents = reader.contents().await.expect("get");
        assert_eq!(contents.entries.len(), files.len());
        assert_eq!(contents.owner, fx.owner());
        check_boundary_files(&fx, &reader, &files, direct).await;
    }
    running.shutdown().await.expect("clean stop");
}

async fn check_boundary_files(
    fx: &Fixture,
    reader: &natster_catalog::CatalogClient,
    files: &[(&str, Vec<u8>)],
    direct: bool,
) {
    for (name, data) in files {
        let out = fx.out(&format!("{direct}-{}", name.replace('/', "_")));
        let last = Arc::new(AtomicU64::new(u64::MAX));
        let l = last.clone();
        let opts = DownloadOptions {
            // The big file uses the server's default chunk size.
            chunk_size: (data.len() < (1 << 20)).then_some(CHUNK),
            progress: Some(Arc::new(move |done, total| {
                assert!(done <= total);
                l.store(done, Ordering::Relaxed);
            })),
            ..DownloadOptions::default()
        };
        let report = reader
            .download(&fx.hash_of(name), &out, opts)
            .await
            .unwrap_or_else(|e| panic!("{name} (direct: {direct}): {e}"));
        assert_eq!(std::fs::read(&out).expect("out"), *data, "{name}");
        assert!(report.hash_verified);
        assert_eq!(report.direct, direct, "{name}: the path asked for");
        assert_eq!(report.size, data.len() as u64);
        assert_eq!(
            last.load(Ordering::Relaxed),
            data.len() as u64,
            "progress reaches the end"
        );
        let (part, sidecar) = natster_catalog::transfer::receiver::part_paths(&out).expect("paths");
        assert!(
            !part.exists() && !sidecar.exists(),
            "no leftovers for {name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byte_range_is_exactly_those_bytes() {
    let data = bytes(300_000, 9);
    let fx = Fixture::new(&[("a.bin", data.clone())]).await;
    let _running = fx.start(fx.config()).await;
    let reader = fx.reader().await;
    let out = fx.out("range.bin");
    let opts = DownloadOptions {
        range: Some(ByteRange {
            offset: 1000,
            length: Some(100_000),
        }),
        chunk_size: Some(CHUNK),
        ..DownloadOptions::default()
    };
    let report = reader
        .download(&fx.hash_of("a.bin"), &out, opts)
        .await
        .expect("range");
    assert!(
        !report.hash_verified,
        "a range cannot be checked against the whole-file hash"
    );
    assert_eq!(std::fs::read(&out).expect("out"), &data[1000..101_000]);

    // A range past the end is a clear 400, and nothing is written.
    let out2 = fx.out("bad-range.bin");
    let opts = DownloadOptions {
        range: Some(ByteRange {
            offset: 299_999,
            length: Some(2),
        }),
        ..DownloadOptions::default()
    };
    let err = reader
        .download(&fx.hash_of("a.bin"), &out2, opts)
        .await
        .expect_err("past the end");
    assert!(matches!(err, Error::Api { code: 400, .. }), "{err}");
    assert_nothing_at(&out2);

    // An unknown hash is a 404.
    let err = reader
        .download(&"ab".repeat(32), &out2, DownloadOptions::default())
        .await
        .expect_err("unknown");
    assert!(matches!(err, Error::Api { code: 404, .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_server_killed_mid_transfer_then_resume_completes() {
    let data = bytes(4 << 20, 11);
    let fx = Fixture::new(&[("big.bin", data.clone())]).await;
    let running = fx.start(fx.config()).await;
    let reader = fx.reader().await;
    let out = fx.out("big.bin");
    let (g, ctl) = gate();
    let opts = DownloadOptions {
        chunk_size: Some(CHUNK),
        progress: Some(Arc::new(move |done, _| {
            if done >= 1 << 20 {
                g.arrive();
            }
        })),
        ..DownloadOptions::default()
    };
    let hash = fx.hash_of("big.bin");
    let download = {
        let (reader, hash, out) = (reader.clone(), hash.clone(), out.clone());
        tokio::spawn(async move { reader.download(&hash, &out, opts).await })
    };
    ctl.wait().await;
    running.kill().await;
    ctl.release();
    let err = download.await.expect("join").expect_err("the sender died");
    assert!(err.is_resumable(), "{err}");
    assert_nothing_at(&out);
    let (part, _) = natster_catalog::transfer::receiver::part_paths(&out).expect("paths");
    let kept = std::fs::metadata(&part).expect("part kept").len();
    assert!(kept >= 1 << 20, "the verified prefix is kept: {kept}");

    let _again = fx.start(fx.config()).await;
    let opts = DownloadOptions {
        resume: true,
        chunk_size: Some(CHUNK),
        ..DownloadOptions::default()
    };
    let report = reader.download(&hash, &out, opts).await.expect("resume");
    assert_eq!(report.resumed_from, kept);
    assert_eq!(report.received, data.len() as u64 - kept);
    assert!(report.hash_verified);
    assert_eq!(std::fs::read(&out).expect("out"), data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_server_restart_mid_transfer_completes_or_resumes() {
    let data = bytes(4 << 20, 12);
    let mut fx = Fixture::new(&[("big.bin", data.clone())]).await;
    let _running = fx.start(fx.config()).await;
    let reader = fx.reader().await;
    let out = fx.out("big.bin");
    let (g, ctl) = gate();
    let opts = DownloadOptions {
        chunk_size: Some(CHUNK),
        progress: Some(Arc::new(move |done, _| {
            if done >= 1 << 20 {
                g.arrive();
            }
        })),
        ..DownloadOptions::default()
    };
    let hash = fx.hash_of("big.bin");
    let download = {
        let (reader, hash, out) = (reader.clone(), hash.clone(), out.clone());
        tokio::spawn(async move { reader.download(&hash, &out, opts).await })
    };
    ctl.wait().await;
    fx.server.restart().await;
    ctl.release();
    match download.await.expect("join") {
        Ok(report) => assert!(report.hash_verified),
        Err(e) => {
            assert!(e.is_resumable(), "a clear, resumable error: {e}");
            assert_nothing_at(&out);
            // Clients reconnect on their own; the catalog server keeps serving.
            let mut last = None;
            for _ in 0..20 {
                let opts = DownloadOptions {
                    resume: true,
                    chunk_size: Some(CHUNK),
                    ..DownloadOptions::default()
                };
                match reader.download(&hash, &out, opts).await {
                    Ok(r) => {
                        assert!(r.hash_verified);
                        last = None;
                        break;
                    }
                    Err(e) => {
                        last = Some(e);
                        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                    }
                }
            }
            assert!(last.is_none(), "resume failed: {last:?}");
        }
    }
    assert_eq!(std::fs::read(&out).expect("out"), data);
}

/// A file that changed after it was indexed: a new size is refused up
/// front (409); the same size with other bytes is caught by the receiver's
/// SHA-256, and neither leaves anything at OUT or a part to resume.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_since_indexing_never_reaches_out() {
    let data = bytes(300 << 10, 31);
    let same = bytes(300 << 10, 32);
    let fx = Fixture::new(&[("grown.bin", data.clone()), ("same.bin", same.clone())]).await;
    let _running = fx.start(fx.config()).await;
    let reader = fx.reader().await;
    let root = fx.root.path();

    let mut grown = data.clone();
    grown.push(0);
    std::fs::write(root.join("grown.bin"), &grown).expect("grow");
    let out = fx.out("grown.bin");
    let err = reader
        .download(&fx.hash_of("grown.bin"), &out, DownloadOptions::default())
        .await
        .expect_err("changed size");
    assert!(matches!(err, Error::Api { code: 409, .. }), "{err}");
    assert_nothing_at(&out);

    let mut other = same.clone();
    other[1000] ^= 0xff;
    std::fs::write(root.join("same.bin"), &other).expect("rewrite");
    let out = fx.out("same.bin");
    let opts = DownloadOptions {
        chunk_size: Some(CHUNK),
        ..DownloadOptions::default()
    };
    let err = reader
        .download(&fx.hash_of("same.bin"), &out, opts)
        .await
        .expect_err("other bytes");
    match &err {
        Error::HashMismatch { expected, actual } => {
            assert_eq!(*expected, fx.hash_of("same.bin"));
            assert_ne!(actual, expected);
        }
        other => panic!("expected a hash mismatch, got {other}"),
    }
    assert_nothing_at(&out);
    let (part, sidecar) = natster_catalog::transfer::receiver::part_paths(&out).expect("paths");
    assert!(
        !part.exists() && !sidecar.exists(),
        "a part that can never verify is not kept for resume"
    );
}

/// When the transfer's own connection cannot be made (here nats-server
/// refuses its login: the JWT and the signing key do not match), the
/// download goes through the shared client instead, and still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_own_connection_a_download_uses_the_shared_client() {
    let data = bytes(300 << 10, 31);
    let fx = Fixture::new(&[("a.bin", data.clone())]).await;
    let _running = fx.start(fx.config()).await;
    let user = fx.alice.user("cli", |_| {});
    let other = fx.alice.user("other", |_| {});
    let client = user.connect(&fx.server.url()).await.expect("connect");
    let mut login = common::direct_login(&fx.server.url(), &user);
    login.key = Arc::new(other.key.clone());
    let reader =
        natster_catalog::CatalogClient::new(client, &fx.owner(), fx.alice.claims.clone(), "movies")
            .expect("client")
            .with_direct(login);
    let out = fx.out("a.bin");
    let report = reader
        .download(&fx.hash_of("a.bin"), &out, DownloadOptions::default())
        .await
        .expect("download");
    assert!(!report.direct, "the refused connection was not used");
    assert!(report.hash_verified);
    assert_eq!(std::fs::read(&out).expect("out"), data);
}
