//! Streaming downloads against a real nats-server: the bytes, the window
//! that holds a reader's sender back, the hash check that holds back the
//! end, and the slot a dropped stream gives back.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{Fixture, bytes};
use futures_util::StreamExt;
use natster_catalog::{ByteRange, DownloadOptions, DownloadStream, Error, StreamOptions};

const CHUNK: u32 = 64 << 10;

/// Everything a stream yields: the bytes before the first error, and it.
async fn drain(mut s: DownloadStream) -> (Vec<u8>, Option<Error>) {
    let mut got = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(b) => got.extend_from_slice(&b),
            Err(e) => {
                assert!(s.next().await.is_none(), "nothing after the error");
                return (got, Some(e));
            }
        }
    }
    (got, None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_file_or_range_is_exactly_the_source_bytes() {
    let data = bytes(3 * (1 << 20) + 7, 41);
    let fx = Fixture::new(&[("a.bin", data.clone()), ("empty.bin", vec![])]).await;
    let _running = fx.start(fx.config()).await;
    for (direct, reader) in [(true, fx.reader().await), (false, fx.reader_shared().await)] {
        let whole = StreamOptions {
            chunk_size: Some(CHUNK),
            ..StreamOptions::default()
        };
        let s = reader
            .stream(&fx.hash_of("a.bin"), whole)
            .await
            .expect("stream");
        assert!(s.info().hash_checked, "a whole file is checked");
        assert_eq!(s.info().direct, direct, "the path asked for");
        assert_eq!(s.info().length, data.len() as u64);
        let (got, err) = drain(s).await;
        assert!(err.is_none(), "direct {direct}: {err:?}");
        assert!(got == data, "direct {direct}: the whole file");

        let range = StreamOptions {
            range: Some(ByteRange {
                offset: 1000,
                length: Some(200_000),
            }),
            chunk_size: Some(CHUNK),
            ..StreamOptions::default()
        };
        let s = reader
            .stream(&fx.hash_of("a.bin"), range)
            .await
            .expect("range");
        assert!(!s.info().hash_checked, "a range cannot be hash-checked");
        let (got, err) = drain(s).await;
        assert!(err.is_none(), "direct {direct}: {err:?}");
        assert!(got == data[1000..201_000], "direct {direct}: the range");

        let s = reader
            .stream(&fx.hash_of("empty.bin"), StreamOptions::default())
            .await
            .expect("empty");
        let (got, err) = drain(s).await;
        assert!(got.is_empty() && err.is_none(), "{err:?}");
    }

    // Refusals come before the stream: an unknown hash, a range past the end.
    let reader = fx.reader().await;
    let err = reader
        .stream(&"ab".repeat(32), StreamOptions::default())
        .await
        .expect_err("unknown");
    assert!(matches!(err, Error::Api { code: 404, .. }), "{err}");
    let past = StreamOptions {
        range: Some(ByteRange {
            offset: data.len() as u64,
            length: Some(1),
        }),
        ..StreamOptions::default()
    };
    let err = reader
        .stream(&fx.hash_of("a.bin"), past)
        .await
        .expect_err("past the end");
    assert!(matches!(err, Error::Api { code: 400, .. }), "{err}");
}

/// A whole file whose bytes changed on disk (same size) since it was
/// indexed: everything but the final chunk is handed out, and then the
/// stream ends with the hash mismatch instead of the last bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_file_stream_withholds_its_end_until_the_hash_matches() {
    let data = bytes(300 << 10, 42);
    let fx = Fixture::new(&[("a.bin", data.clone())]).await;
    let _running = fx.start(fx.config()).await;
    let mut other = data.clone();
    other[1000] ^= 0xff;
    std::fs::write(fx.root.path().join("a.bin"), &other).expect("rewrite");
    for reader in [fx.reader().await, fx.reader_shared().await] {
        let opts = StreamOptions {
            chunk_size: Some(CHUNK),
            ..StreamOptions::default()
        };
        let s = reader
            .stream(&fx.hash_of("a.bin"), opts)
            .await
            .expect("stream");
        let (got, err) = drain(s).await;
        match err {
            Some(Error::HashMismatch { expected, .. }) => {
                assert_eq!(expected, fx.hash_of("a.bin"));
            }
            other => panic!("expected a hash mismatch, got {other:?}"),
        }
        let last_chunk = data.len() % CHUNK as usize;
        assert_eq!(
            got.len(),
            data.len() - last_chunk,
            "all but the final chunk"
        );
        assert!(got == other[..got.len()], "what came is what was sent");
    }
}

/// A reader that takes one chunk and then stops reading: the sender stays
/// at the window beyond it (nothing piles up anywhere), the transfer stays
/// alive, and once the reader goes on the rest comes as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_holds_the_sender_at_the_window() {
    const WINDOW: u32 = 2;
    let data = bytes(2 << 20, 43);
    let fx = Fixture::new(&[("a.bin", data.clone())]).await;
    let running = fx.start(fx.config()).await;
    for reader in [fx.reader().await, fx.reader_shared().await] {
        // Another user of the owner's account sees every chunk published.
        let spy = fx
            .alice
            .user("spy", |_| {})
            .connect(&fx.server.url())
            .await
            .expect("spy");
        let mut media = spy
            .subscribe(format!("{}.natster.media.>", fx.owner()))
            .await
            .expect("sub");
        spy.flush().await.expect("flush");
        let published = Arc::new(AtomicU64::new(0));
        let counter = {
            let published = published.clone();
            tokio::spawn(async move {
                while media.next().await.is_some() {
                    published.fetch_add(1, Ordering::SeqCst);
                }
            })
        };

        let opts = StreamOptions {
            chunk_size: Some(16 << 10),
            window: Some(WINDOW),
            ..StreamOptions::default()
        };
        let mut s = reader
            .stream(&fx.hash_of("a.bin"), opts)
            .await
            .expect("stream");
        let mut got = s.next().await.expect("a chunk").expect("ok").to_vec();
        // Taken: 1. The sender may publish up to 1 + WINDOW, no more.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let held = settled(&published).await;
        assert!(
            (1..=1 + u64::from(WINDOW)).contains(&held),
            "the sender published {held} chunks for a reader that took 1"
        );
        assert_eq!(running.control.transfers().len(), 1, "still in flight");

        while let Some(item) = s.next().await {
            got.extend_from_slice(&item.expect("the rest"));
        }
        assert!(got == data, "everything, in order");
        assert_eq!(settled(&published).await, 128, "each chunk once");
        counter.abort();
    }
}

/// The spy's count once it has not moved for half a second (it sees the
/// chunks on a connection of its own, a little after the reader).
async fn settled(count: &AtomicU64) -> u64 {
    let mut last = count.load(Ordering::SeqCst);
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = count.load(Ordering::SeqCst);
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("the count never settled: {last}");
}

/// Dropping a stream mid-transfer (a player that seeks drops its request)
/// tells the sender to stop: the only slot is free again at once, not after
/// the 30 s credit timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_frees_the_server_slot() {
    let fx = Fixture::new(&[("a.bin", bytes(8 << 20, 44)), ("b.bin", bytes(10, 45))]).await;
    let mut config = fx.config();
    config.max_transfers = 1;
    config.credit_timeout = Duration::from_secs(30);
    let running = fx.start(config).await;
    for reader in [fx.reader().await, fx.reader_shared().await] {
        let opts = StreamOptions {
            chunk_size: Some(16 << 10),
            ..StreamOptions::default()
        };
        let mut s = reader
            .stream(&fx.hash_of("a.bin"), opts)
            .await
            .expect("stream");
        s.next().await.expect("a chunk").expect("ok");
        assert_eq!(running.control.transfers().len(), 1);
        drop(s);

        let since = std::time::Instant::now();
        let out = fx.out("b.bin");
        let report = loop {
            match reader
                .download(&fx.hash_of("b.bin"), &out, DownloadOptions::default())
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
        assert!(running.control.transfers().is_empty());
        std::fs::remove_file(&out).expect("rm");
    }
}
