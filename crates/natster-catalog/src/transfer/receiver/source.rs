//! Where a transfer's chunks come from: the transfer's own connection, read
//! by a thread of its own, or the shared client's subscription. Either way
//! each frame lands in a recycled buffer where its plaintext is aligned for
//! direct I/O, is opened there and checked against the offer, and comes out
//! as the next [`Chunk`], in order.

use std::sync::Arc;

use futures_util::StreamExt;
use natster_proto::catalog::Offer;
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::transfer::crypto::{ChunkKind, HEADER_LEN, TransferKey};
use crate::transfer::direct::{MediaReader, MediaWriter};
use crate::transfer::part::{Chunk, Recycle, aligned_slot, place_aligned};

type Pool = std::sync::mpsc::Receiver<Vec<u8>>;

/// An opened, checked chunk, and whether it is the last.
type Opened = (Chunk, bool);

/// The chunks of one transfer, in order.
pub(crate) enum ChunkSource {
    /// From the transfer's own connection: a thread reads each frame
    /// straight from the socket into place and opens it there (see
    /// [`crate::transfer::direct`]).
    Direct {
        chunks: mpsc::Receiver<Result<Opened>>,
        /// Closing it ends the thread's blocking read.
        media: MediaWriter,
    },
    /// Through the shared client: one copy from async-nats's buffer into place.
    Shared {
        sub: async_nats::Subscriber,
        key: Arc<TransferKey>,
        offer: Arc<Offer>,
        pool: Pool,
        next: u64,
    },
}

impl std::fmt::Debug for ChunkSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChunkSource::Direct { .. } => "ChunkSource::Direct",
            ChunkSource::Shared { .. } => "ChunkSource::Shared",
        })
    }
}

impl ChunkSource {
    /// Reads the chunks from `reader` (already subscribed) on a thread of
    /// its own. Returns the source and where to hand buffers back.
    pub(crate) fn direct(
        reader: MediaReader,
        key: Arc<TransferKey>,
        offer: Arc<Offer>,
    ) -> Result<(Self, Recycle)> {
        let media = reader.writer();
        let (recycle, pool) = std::sync::mpsc::channel();
        // Two in hand at most: the window bounds the rest (in nats-server,
        // the socket, or the consumer's queue).
        let (tx, chunks) = mpsc::channel(2);
        std::thread::Builder::new()
            .name("natster-media".into())
            .spawn(move || read_direct(reader, &key, &offer, &tx, &pool))
            .map_err(|e| Error::io("natster-media thread", e))?;
        Ok((ChunkSource::Direct { chunks, media }, recycle))
    }

    /// Opens the chunks arriving on `sub`. Returns the source and where to
    /// hand buffers back.
    pub(crate) fn shared(
        sub: async_nats::Subscriber,
        key: Arc<TransferKey>,
        offer: Arc<Offer>,
    ) -> (Self, Recycle) {
        let (recycle, pool) = std::sync::mpsc::channel();
        let source = ChunkSource::Shared {
            sub,
            key,
            offer,
            pool,
            next: 0,
        };
        (source, recycle)
    }

    /// The transfer's own connection, to send credits on; `None`: the
    /// shared client's.
    pub(crate) fn media(&self) -> Option<MediaWriter> {
        match self {
            ChunkSource::Direct { media, .. } => Some(media.clone()),
            ChunkSource::Shared { .. } => None,
        }
    }

    /// The next chunk, opened and checked; an error ends the transfer.
    /// Cancel-safe: a chunk is never lost by dropping the future.
    pub(crate) async fn next(&mut self) -> Result<Opened> {
        match self {
            ChunkSource::Direct { chunks, .. } => chunks.recv().await.unwrap_or_else(|| {
                Err(Error::Nats(
                    "the transfer connection's reader stopped".into(),
                ))
            }),
            ChunkSource::Shared {
                sub,
                key,
                offer,
                pool,
                next,
            } => {
                let Some(msg) = sub.next().await else {
                    return Err(Error::Nats("the media subscription ended".into()));
                };
                // One copy, into a recycled buffer where the plaintext lands
                // aligned for direct I/O; async-nats gets its buffer back at once.
                let mut buf = pool.try_recv().unwrap_or_default();
                let at = place_aligned(&mut buf, &msg.payload);
                drop(msg);
                let opened = open_chunk(key, offer, *next, buf, at)?;
                *next += 1;
                Ok(opened)
            }
        }
    }
}

impl Drop for ChunkSource {
    /// The thread reading the transfer's own connection never outlives it.
    fn drop(&mut self) {
        if let ChunkSource::Direct { media, .. } = self {
            media.close();
        }
    }
}

/// The thread of the transfer's own connection: reads each frame into a
/// recycled buffer where its plaintext lands aligned, opens and checks it,
/// and hands it on, until the final chunk, an error, or nobody takes them.
fn read_direct(
    mut reader: MediaReader,
    key: &TransferKey,
    offer: &Offer,
    out: &mpsc::Sender<Result<Opened>>,
    pool: &Pool,
) {
    let mut next = 0u64;
    loop {
        let mut buf = pool.try_recv().unwrap_or_default();
        let opened = reader
            .next(&mut buf, aligned_slot)
            .and_then(|at| open_chunk(key, offer, next, buf, at));
        let more = matches!(opened, Ok((_, false)));
        if out.blocking_send(opened).is_err() || !more {
            return;
        }
        next += 1;
    }
}

/// Opens a frame, checks it is chunk `next` of `offer`, and returns the
/// chunk and whether it is the last.
pub(crate) fn open_chunk(
    key: &TransferKey,
    offer: &Offer,
    next: u64,
    mut buf: Vec<u8>,
    (start, end): (usize, usize),
) -> Result<Opened> {
    let opened = key.open(&mut buf[start..end])?;
    let (index, kind, len) = (opened.index, opened.kind, opened.plaintext.len());
    if kind == ChunkKind::Abort {
        return Err(Error::Aborted(
            String::from_utf8_lossy(opened.plaintext).into_owned(),
        ));
    }
    check_chunk(offer, next, index, kind, len as u64)?;
    let chunk = Chunk {
        buf,
        start: start + HEADER_LEN,
        end: start + HEADER_LEN + len,
    };
    Ok((chunk, kind == ChunkKind::Final))
}

/// Checks one opened chunk against the offer: the next index, the right
/// kind for its position, the right size.
fn check_chunk(o: &Offer, expected: u64, index: u64, kind: ChunkKind, len: u64) -> Result<()> {
    if index != expected {
        return Err(Error::Integrity(format!(
            "chunk {index} arrived where chunk {expected} was due: chunks were lost, replayed, reordered or injected"
        )));
    }
    let last = index + 1 == o.total_chunks;
    let want_len = if last {
        o.length - u64::from(o.chunk_size) * index
    } else {
        u64::from(o.chunk_size)
    };
    match (kind, last) {
        (ChunkKind::Final, true) | (ChunkKind::Data, false) if len == want_len => Ok(()),
        (ChunkKind::Final, false) => Err(Error::Integrity(format!(
            "chunk {index} claims to be the last of {}: truncation",
            o.total_chunks
        ))),
        (ChunkKind::Data, true) => Err(Error::Integrity(format!(
            "chunk {index} should be the last one"
        ))),
        _ => Err(Error::Integrity(format!(
            "chunk {index} has {len} bytes, expected {want_len}"
        ))),
    }
}
