//! A download as a stream of verified plaintext, for a reader that wants
//! the bytes rather than a file (the web app's player and downloads).
//!
//! Credit follows the reader: the sender may have at most `window` chunks
//! beyond what the reader has taken, so a stream holds a few chunks however
//! slowly it is read, and nothing is written to disk. For a whole file the
//! final chunk is handed out only once the SHA-256 of everything received
//! matches the catalog's hash; a failure ends the stream with an error
//! instead. Dropping the stream stops the transfer: the sender is told at
//! once and frees its slot.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::client::CatalogClient;
use super::options::ByteRange;
use super::session::{Ask, Session, Sink};
use crate::catalog::check_hash;
use crate::error::{Error, Result};
use crate::transfer::part::{Chunk, Hashing, Recycle};

impl CatalogClient {
    /// Streams the file with `hash` (or `opts.range` of it) as verified
    /// plaintext, chunk by chunk, without writing anything to disk.
    ///
    /// Errors before the first byte (no such file, busy, no access, a bad
    /// offer) are returned here. Then the stream grants credit only as its
    /// reader takes chunks, so it holds about `opts.window` chunks however
    /// slowly it is read; for a whole file the final chunk is withheld
    /// until the SHA-256 of the whole file matches `hash`, and any failure
    /// ends the stream with an error item. Dropping the stream stops the
    /// transfer (the sender is told at once and frees its slot).
    pub async fn stream(&self, hash: &str, opts: StreamOptions) -> Result<DownloadStream> {
        check_hash(hash)?;
        let range = opts.range.unwrap_or(ByteRange {
            offset: 0,
            length: None,
        });
        let ask = Ask {
            hash,
            offset: range.offset,
            length: range.length,
            chunk_size: opts.chunk_size,
            window: Some(opts.window.unwrap_or(STREAM_WINDOW)),
        };
        let session = Session::open(self, ask).await?;
        DownloadStream::start(session, hash)
    }
}

/// Default for [`StreamOptions::window`]: chunks the sender may have in
/// flight beyond what the reader has taken.
pub const STREAM_WINDOW: u32 = 4;

/// How to stream.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamOptions {
    /// Only these bytes; `None`: the whole file. A range is protected by
    /// the chunk AEAD and the signed offer; only a whole file can be
    /// checked against the catalog's hash.
    pub range: Option<ByteRange>,
    /// Chunk size to ask for; the server clamps it.
    pub chunk_size: Option<u32>,
    /// Chunks granted ahead of the reader (1 up to the server's window);
    /// `None`: [`STREAM_WINDOW`]. What the stream holds is about this many
    /// chunks, whatever the reader's pace.
    pub window: Option<u32>,
}

/// What a stream delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamInfo {
    /// The transfer's id.
    pub transfer_id: String,
    /// The file's size.
    pub size: u64,
    /// First byte of the stream in the file.
    pub offset: u64,
    /// Bytes the stream yields when it succeeds.
    pub length: u64,
    /// The chunk size used.
    pub chunk_size: u32,
    /// Whether the stream covers the whole file, so its final chunk waits
    /// for the SHA-256 check against the catalog's hash.
    pub hash_checked: bool,
    /// Whether the chunks come on the transfer's own connection.
    pub direct: bool,
}

/// The verified plaintext of a file or range, in order, one item per
/// chunk; see the module doc. Items are `Err` once, at most, and then the
/// stream ends.
#[derive(Debug)]
pub struct DownloadStream {
    info: StreamInfo,
    items: mpsc::Receiver<Result<Bytes>>,
    /// Chunks the reader has taken: the receive loop grants credit from it.
    taken: watch::Sender<u64>,
    task: JoinHandle<()>,
}

impl DownloadStream {
    /// What it delivers.
    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// Runs `session` in a task of its own, handing its chunks to the
    /// stream; for a whole file, the final chunk waits for `hash` to match.
    pub(super) fn start(session: Session, hash: &str) -> Result<Self> {
        let o = &session.offer;
        let hash_checked = o.offset == 0 && o.length == o.size;
        let info = StreamInfo {
            transfer_id: o.transfer_id.clone(),
            size: o.size,
            offset: o.offset,
            length: o.length,
            chunk_size: o.chunk_size,
            hash_checked,
            direct: session.direct(),
        };
        // The window bounds what is queued here (delivered, not yet taken);
        // one more place for the error that ends the stream.
        let (tx, items) = mpsc::channel(session.window() as usize + 1);
        let (taken, consumed) = watch::channel(0u64);
        let check = if hash_checked {
            Some((hash.to_owned(), Hashing::start(Sha256::new(), drop)?))
        } else {
            None
        };
        let sink = StreamSink {
            tx,
            recycle: session.recycle.clone(),
            check,
        };
        let task = tokio::spawn(run(session, sink, consumed));
        Ok(Self {
            info,
            items,
            taken,
            task,
        })
    }
}

impl futures_util::Stream for DownloadStream {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let item = std::task::ready!(this.items.poll_recv(cx));
        if let Some(Ok(_)) = &item {
            this.taken.send_modify(|n| *n += 1);
        }
        Poll::Ready(item)
    }
}

impl Drop for DownloadStream {
    /// Ends the transfer: the session, dropped before its last chunk,
    /// tells the sender to stop.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The stream's task: the receive loop, then the error if there is one.
async fn run(mut session: Session, mut sink: StreamSink, consumed: watch::Receiver<u64>) {
    let result = session.receive(&mut sink, consumed).await;
    if session.complete() {
        session.finished();
    }
    if let Err(e) = result {
        let _ = sink.tx.send(Err(e)).await;
    }
}

/// Hands chunks to the stream's reader.
struct StreamSink {
    tx: mpsc::Sender<Result<Bytes>>,
    recycle: Recycle,
    /// For a whole file: the catalog's hash, and the SHA-256 of what has
    /// come so far.
    check: Option<(String, Hashing<Bytes>)>,
}

impl StreamSink {
    /// Checks the whole file's SHA-256 against the catalog's hash.
    async fn verify(&mut self) -> Result<()> {
        let Some((hash, hashing)) = self.check.take() else {
            return Ok(());
        };
        let digest = tokio::task::spawn_blocking(move || hashing.finish())
            .await
            .map_err(|e| Error::Invalid(format!("hashing task failed: {e}")))??;
        let actual = crate::scan::hex(&digest);
        if actual != hash {
            return Err(Error::HashMismatch {
                expected: hash,
                actual,
            });
        }
        Ok(())
    }
}

impl Sink for StreamSink {
    async fn put(&mut self, chunk: Chunk, last: bool) -> Result<bool> {
        let bytes = chunk.into_bytes(self.recycle.clone());
        if let Some((_, hashing)) = &self.check {
            hashing.feed_async(bytes.clone()).await;
        }
        if last {
            self.verify().await?;
        }
        // An empty chunk (a zero-length range) has nothing to hand out.
        if !bytes.is_empty() && self.tx.send(Ok(bytes)).await.is_err() {
            // The reader went away.
            return Ok(false);
        }
        Ok(!last)
    }
}
