//! Attacks and refusals: rogue publishers on the transfer subject, forged
//! offers, access denied, busy, revocation in flight.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Fixture, assert_nothing_at, bytes, gate};
use futures_util::StreamExt;
use natster_catalog::{DownloadOptions, Error};
use natster_testkit::AccountFixture;

const CHUNK: u32 = 64 << 10;

/// What the rogue does with the chunks it sees.
#[derive(Clone, Copy, Debug)]
enum Rogue {
    /// Publishes random bytes shaped like a frame.
    Inject,
    /// Publishes chunk 0 again.
    Replay,
    /// Publishes chunk 0 relabelled as chunk 3 (out of order).
    Reorder,
}

/// The attack against chunks on the transfer's own connection, then
/// through the shared client.
async fn rogue_case(mode: Rogue) {
    rogue_attack(mode, true).await;
    rogue_attack(mode, false).await;
}

async fn rogue_attack(mode: Rogue, direct: bool) {
    let data = bytes(2 << 20, 21);
    let fx = Fixture::new(&[("a.bin", data)]).await;
    let _running = fx.start(fx.config()).await;
    let reader = fx.reader_with(direct).await;
    // Another user of the owner's account sees every media subject.
    let rogue = fx
        .alice
        .user("rogue", |_| {})
        .connect(&fx.server.url())
        .await
        .expect("rogue");
    let mut spy = rogue
        .subscribe(format!("{}.natster.media.>", fx.owner()))
        .await
        .expect("spy");
    rogue.flush().await.expect("flush");
    let (published_tx, published_rx) = std::sync::mpsc::channel::<()>();
    let published_rx = Arc::new(std::sync::Mutex::new(published_rx));
    // The rogue's connection must outlive the download. async-nats's flush
    // only empties the socket buffer; a client dropped with unread messages
    // in its socket is closed with a reset, and the server may discard the
    // rogue's frame unread (about 1 run in 15 here, before this).
    let rogue_kept = rogue.clone();
    tokio::spawn(async move {
        let Some(first) = spy.next().await else {
            return;
        };
        let mut frame = first.payload.to_vec();
        match mode {
            Rogue::Inject => frame = bytes(frame.len(), 99),
            Rogue::Replay => {}
            Rogue::Reorder => frame[2..10].copy_from_slice(&3u64.to_be_bytes()),
        }
        if let Rogue::Inject = mode {
            // Keep a valid-looking header so only the tag can catch it.
            frame[0] = 1;
            frame[1] = 0;
            frame[2..10].copy_from_slice(&1u64.to_be_bytes());
        }
        let frame = bytes::Bytes::from(frame);
        rogue
            .publish(first.subject.clone(), frame.clone())
            .await
            .expect("rogue publish");
        // Release the receiver only once nats-server has routed the frame
        // (the spy sees it come back): from then on it is queued ahead of
        // any chunk the next credit lets the sender publish. `flush` only
        // empties the rogue's socket buffer, so a release after it could
        // come before the server has read the frame.
        while let Some(m) = spy.next().await {
            if m.payload == frame {
                break;
            }
        }
        let _ = published_tx.send(());
    });
    let out = fx.out("a.bin");
    let opts = DownloadOptions {
        chunk_size: Some(CHUNK),
        progress: Some(Arc::new(move |_, _| {
            // Hold the receiver (and so the sender, by credit) until the
            // rogue's frame is on its way: the attack lands mid-transfer.
            // Off the runtime's worker: see `common::Gate`.
            tokio::task::block_in_place(|| {
                let _ = published_rx
                    .lock()
                    .expect("lock")
                    .recv_timeout(Duration::from_secs(10));
            });
        })),
        ..DownloadOptions::default()
    };
    let err = reader
        .download(&fx.hash_of("a.bin"), &out, opts)
        .await
        .expect_err("the attack is detected");
    drop(rogue_kept);
    assert!(
        matches!(err, Error::Integrity(_)),
        "{mode:?} (direct: {direct}): {err}"
    );
    assert_nothing_at(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_chunk_is_detected() {
    rogue_case(Rogue::Inject).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_chunk_is_detected() {
    rogue_case(Rogue::Replay).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reordered_chunk_is_detected() {
    rogue_case(Rogue::Reorder).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_offers_are_rejected() {
    let fx = Fixture::new(&[("a.bin", bytes(1000, 1))]).await;
    let reader = fx.reader().await;
    let hash = fx.hash_of("a.bin");

    // 1. The offer signed by a key other than the one the JWT names.
    let mut config = fx.config();
    config.signer = natster_auth::KeyPair::new_user();
    let running = fx.start(config).await;
    let out = fx.out("a.bin");
    let err = reader
        .download(&hash, &out, DownloadOptions::default())
        .await
        .expect_err("wrong signer");
    assert!(matches!(err, Error::Untrusted(_)), "{err}");
    assert_nothing_at(&out);
    running.shutdown().await.expect("stop");

    // 2. A signer JWT issued by a key that is not the owner's signing key.
    let stranger = AccountFixture {
        signing: natster_auth::KeyPair::new_account(),
        ..fx.alice.clone()
    };
    let forged = stranger.user("forger", |_| {});
    let mut config = fx.config();
    config.signer = forged.key.clone();
    config.signer_jwt = forged.jwt.clone();
    let _running = fx.start(config).await;
    let err = reader
        .download(&hash, &out, DownloadOptions::default())
        .await
        .expect_err("foreign JWT");
    assert!(matches!(err, Error::Untrusted(_)), "{err}");
    assert_nothing_at(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_gets_403_and_no_media() {
    let fx = Fixture::new(&[("a.bin", bytes(100_000, 2))]).await;
    let mut config = fx.config();
    config.access = Arc::new(|_, _| false);
    let _running = fx.start(config).await;
    let watcher = fx
        .alice
        .user("watcher", |_| {})
        .connect(&fx.server.url())
        .await
        .expect("watcher");
    let mut media = watcher.subscribe("*.natster.media.>").await.expect("sub");
    watcher.flush().await.expect("flush");
    let reader = fx.reader().await;
    let err = reader.contents().await.expect_err("get refused");
    assert!(matches!(err, Error::Api { code: 403, .. }), "{err}");
    let out = fx.out("a.bin");
    let err = reader
        .download(&fx.hash_of("a.bin"), &out, DownloadOptions::default())
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Api { code: 403, .. }), "{err}");
    assert_nothing_at(&out);
    // Round trip through the server so anything published would have arrived.
    watcher.flush().await.expect("flush");
    let got = tokio::time::timeout(Duration::from_millis(300), media.next()).await;
    assert!(got.is_err(), "no media was published: {got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_then_revoke_in_flight() {
    let fx = Fixture::new(&[("a.bin", bytes(2 << 20, 3)), ("b.bin", bytes(10, 4))]).await;
    let mut config = fx.config();
    config.max_transfers = 1;
    let running = fx.start(config).await;
    let control = running.control.clone();
    let reader = fx.reader().await;
    let out = fx.out("a.bin");
    let (g, ctl) = gate();
    let opts = DownloadOptions {
        chunk_size: Some(CHUNK),
        progress: Some(Arc::new(move |_, _| g.arrive())),
        ..DownloadOptions::default()
    };
    let first = {
        let (reader, hash, out) = (reader.clone(), fx.hash_of("a.bin"), out.clone());
        tokio::spawn(async move { reader.download(&hash, &out, opts).await })
    };
    ctl.wait().await;

    // The only slot is taken.
    let err = reader
        .download(
            &fx.hash_of("b.bin"),
            &fx.out("b.bin"),
            DownloadOptions::default(),
        )
        .await
        .expect_err("busy");
    assert!(matches!(err, Error::Api { code: 503, .. }), "{err}");
    assert_nothing_at(&fx.out("b.bin"));
    let (part, sidecar) =
        natster_catalog::transfer::receiver::part_paths(&fx.out("b.bin")).expect("paths");
    assert!(
        !part.exists() && !sidecar.exists(),
        "a refused download leaves no partial file"
    );

    // Revoke the caller while its transfer is paused: it ends at the next chunk.
    assert_eq!(control.transfers().len(), 1);
    assert_eq!(control.revoke(&fx.owner()), 1);
    ctl.release();
    let err = first.await.expect("join").expect_err("revoked");
    assert!(
        matches!(err, Error::Aborted(ref m) if m.contains("revoked")),
        "{err}"
    );
    assert_nothing_at(&out);
}

/// A receiver that goes away mid-transfer (a video player seeking drops its
/// request, and with it the download) tells the sender to stop: the slot
/// is free again at once, not after the 30 s credit timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_download_frees_its_slot_at_once() {
    let fx = Fixture::new(&[("a.bin", bytes(8 << 20, 5)), ("b.bin", bytes(10, 6))]).await;
    let mut config = fx.config();
    config.max_transfers = 1;
    config.credit_timeout = Duration::from_secs(30);
    let running = fx.start(config).await;
    let control = running.control.clone();
    let reader = fx.reader().await;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = std::sync::Mutex::new(Some(started_tx));
    let opts = DownloadOptions {
        chunk_size: Some(16 << 10),
        progress: Some(Arc::new(move |_, _| {
            if let Some(tx) = started_tx.lock().expect("lock").take() {
                let _ = tx.send(());
            }
        })),
        ..DownloadOptions::default()
    };
    let first = {
        let (reader, hash, out) = (reader.clone(), fx.hash_of("a.bin"), fx.out("a.bin"));
        tokio::spawn(async move { reader.download(&hash, &out, opts).await })
    };
    started_rx.await.expect("the first download starts");
    first.abort();
    assert!(
        first.await.expect_err("aborted").is_cancelled(),
        "the first download was dropped, not finished"
    );

    let since = std::time::Instant::now();
    let report = loop {
        match reader
            .download(
                &fx.hash_of("b.bin"),
                &fx.out("b.bin"),
                DownloadOptions::default(),
            )
            .await
        {
            Ok(r) => break r,
            Err(Error::Api { code: 503, .. }) if since.elapsed() < Duration::from_secs(2) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the slot is still taken after {:?}: {e}", since.elapsed()),
        }
    };
    assert!(report.hash_verified);
    assert!(control.transfers().is_empty());
    assert_nothing_at(&fx.out("a.bin"));
}
