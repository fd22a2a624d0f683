//! Writing the part file of a download: decrypted chunks in order, whole
//! aligned blocks with direct I/O, SHA-256 on its own thread, buffers
//! recycled for the next chunks, and a background flusher. The protocol
//! side is in [`super::receiver`].

use std::io::Seek;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use crate::error::{Error, Result};
use crate::transfer::crypto::HEADER_LEN;

pub(crate) type WriteResult = Result<(u64, Option<Vec<u8>>)>;

/// Buffered bytes written between two nudges to the flusher.
const FLUSH_EVERY: u64 = 32 << 20;

/// Writes chunks in order while a second thread hashes them; on the
/// channel's close, fsyncs. Also fsyncs after a failure elsewhere, so
/// `resume` can count on every byte before the part's length.
///
/// SHA-256 costs about as much CPU as the network; on its own thread it
/// overlaps the writes instead of adding to them. Writes that had to go
/// through the page cache (see [`PartWriter`]) are fsynced by a flusher
/// thread while chunks keep arriving, so their writeback overlaps the
/// transfer and the final fsync only waits for the tail: one fsync of a
/// whole 1 GiB file at the end took about as long as the transfer itself.
pub(crate) fn write_chunks(
    file: std::fs::File,
    part: &Path,
    hasher: Option<Sha256>,
    mut rx: mpsc::Receiver<Chunk>,
    written: &AtomicU64,
    chunks: &watch::Sender<u64>,
    recycle: &std::sync::mpsc::Sender<Vec<u8>>,
) -> WriteResult {
    let hashing = hasher
        .map(|h| Hashing::start(h, recycling(recycle.clone())))
        .transpose()?;
    let flusher = Flusher::start(&file);
    let mut out = PartWriter::new(file, part)?;
    let mut bytes = 0u64;
    let mut count = 0u64;
    let mut nudged = 0u64;
    let mut result = Ok(());
    while let Some(chunk) = rx.blocking_recv() {
        if let Err(e) = out.write(chunk.data()) {
            result = Err(Error::io(part, e));
            break;
        }
        bytes += chunk.data().len() as u64;
        count += 1;
        match &hashing {
            Some(h) => h.feed(chunk),
            None => {
                let _ = recycle.send(chunk.buf);
            }
        }
        written.store(bytes, Ordering::Relaxed);
        let _ = chunks.send(count);
        if out.buffered - nudged >= FLUSH_EVERY {
            nudged = out.buffered;
            flusher.nudge();
        }
    }
    flusher.stop();
    let digest = hashing.map(Hashing::finish).transpose();
    result?;
    let digest = digest?;
    out.file.sync_all().map_err(|e| Error::io(part, e))?;
    Ok((bytes, digest))
}

/// Alignment of direct writes: buffer address, file offset and length.
pub(crate) const DIRECT_ALIGN: usize = 4096;

/// A decrypted chunk: the plaintext is `buf[start..end]`.
pub(crate) struct Chunk {
    pub(crate) buf: Vec<u8>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Chunk {
    fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// The plaintext as `Bytes`, without a copy; the buffer goes back to
    /// `pool` once every clone is dropped.
    pub(crate) fn into_bytes(self, pool: Recycle) -> Bytes {
        let (start, end) = (self.start, self.end);
        Bytes::from_owner(Recycled {
            buf: self.buf,
            pool,
        })
        .slice(start..end)
    }
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        self.data()
    }
}

/// Where used buffers go back for reuse, so a transfer allocates (and the
/// kernel zero-fills) a window of buffers once instead of one per chunk.
pub(crate) type Recycle = std::sync::mpsc::Sender<Vec<u8>>;

/// What to do with a chunk that has been hashed: recycle its buffer.
fn recycling(pool: Recycle) -> impl FnMut(Chunk) + Send + 'static {
    move |c: Chunk| {
        let _ = pool.send(c.buf);
    }
}

/// A buffer lent out as `Bytes` (to async-nats, to a stream's reader); it
/// goes back to its pool when the last clone is dropped.
pub(crate) struct Recycled {
    pub(crate) buf: Vec<u8>,
    pub(crate) pool: Recycle,
}

impl AsRef<[u8]> for Recycled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Recycled {
    fn drop(&mut self) {
        let _ = self.pool.send(std::mem::take(&mut self.buf));
    }
}

/// Copies a sealed frame into `buf` (grown if needed) so that its plaintext,
/// which follows the header, starts on a [`DIRECT_ALIGN`] boundary; returns
/// where the frame lies in `buf`. Safe code cannot ask the allocator for
/// alignment, so the buffer has room to skip ahead.
pub(crate) fn place_aligned(buf: &mut Vec<u8>, frame: &[u8]) -> (usize, usize) {
    let (start, end) = aligned_slot(buf, frame.len());
    buf[start..end].copy_from_slice(frame);
    (start, end)
}

/// Where in `buf` (grown if needed) a frame of `len` bytes goes so that
/// its plaintext starts on a [`DIRECT_ALIGN`] boundary.
pub(crate) fn aligned_slot(buf: &mut Vec<u8>, len: usize) -> (usize, usize) {
    let need = len + DIRECT_ALIGN;
    if buf.len() < need {
        *buf = vec![0u8; need];
    }
    let misaligned = (buf.as_ptr().addr() + HEADER_LEN) % DIRECT_ALIGN;
    let start = (DIRECT_ALIGN - misaligned) % DIRECT_ALIGN;
    (start, start + len)
}

/// Writes the part at its end. Whole aligned blocks (address, length and
/// offset: what `place_aligned` produces) go through a second descriptor
/// opened with `O_DIRECT`: straight from our buffer to the disk, with no
/// copy into the page cache and no writeback left for the final fsync.
/// That copy cost about half a CPU second per GiB, on a machine whose two
/// cores the transfer already keeps busy. Anything else (the unaligned tail
/// of the last chunk, file systems without `O_DIRECT` such as tmpfs) takes
/// the buffered descriptor; Linux keeps the two coherent.
struct PartWriter {
    file: std::fs::File,
    direct: Option<std::fs::File>,
    pos: u64,
    /// Bytes written through the page cache so far.
    buffered: u64,
}

impl PartWriter {
    fn new(mut file: std::fs::File, part: &Path) -> Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let pos = file.stream_position().map_err(|e| Error::io(part, e))?;
        let direct = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32)
            .open(part)
            .ok();
        Ok(Self {
            file,
            direct,
            pos,
            buffered: 0,
        })
    }

    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let aligned = data.len() % DIRECT_ALIGN == 0
            && data.as_ptr().addr() % DIRECT_ALIGN == 0
            && self.pos % DIRECT_ALIGN as u64 == 0;
        if let (Some(direct), true, false) = (&self.direct, aligned, data.is_empty()) {
            match direct.write_all_at(data, self.pos) {
                Ok(()) => {
                    self.pos += data.len() as u64;
                    return Ok(());
                }
                // Refused by this file system after all: buffered from now on.
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                    self.direct = None;
                }
                Err(e) => return Err(e),
            }
        }
        self.file.write_all_at(data, self.pos)?;
        self.pos += data.len() as u64;
        self.buffered += data.len() as u64;
        Ok(())
    }
}

/// SHA-256 on its own thread, fed chunks in order; `done` gets each one
/// back afterwards (to recycle its buffer). The feed is bounded, so a slow
/// hasher slows whoever feeds it (the part writer, a stream), which slows
/// the credit granted.
pub(crate) struct Hashing<T> {
    feed: mpsc::Sender<T>,
    thread: std::thread::JoinHandle<Vec<u8>>,
}

impl<T: AsRef<[u8]> + Send + 'static> Hashing<T> {
    pub(crate) fn start(mut h: Sha256, mut done: impl FnMut(T) + Send + 'static) -> Result<Self> {
        let (feed, mut items) = mpsc::channel::<T>(4);
        let thread = std::thread::Builder::new()
            .name("natster-hash".into())
            .spawn(move || {
                while let Some(item) = items.blocking_recv() {
                    h.update(item.as_ref());
                    done(item);
                }
                h.finalize().to_vec()
            })
            .map_err(|e| Error::io("natster-hash thread", e))?;
        Ok(Self { feed, thread })
    }

    /// Feeds from a thread (not a task).
    pub(crate) fn feed(&self, item: T) {
        let _ = self.feed.blocking_send(item);
    }

    /// Feeds from a task.
    pub(crate) async fn feed_async(&self, item: T) {
        let _ = self.feed.send(item).await;
    }

    /// The digest of everything fed. A panic on the hashing thread is an
    /// error of its own: taken for an empty digest, it would read as a
    /// hash mismatch and delete a part that is fine.
    pub(crate) fn finish(self) -> Result<Vec<u8>> {
        drop(self.feed);
        self.thread
            .join()
            .map_err(|p| Error::panicked("SHA-256", p.as_ref()))
    }
}

/// Background `fdatasync` of a file being written. Best effort: its errors
/// are ignored, because the final `sync_all` reports any that matter.
struct Flusher {
    nudge: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flusher {
    fn start(file: &std::fs::File) -> Self {
        let Ok(clone) = file.try_clone() else {
            return Self {
                nudge: None,
                thread: None,
            };
        };
        // One pending nudge at most: nudges that arrive while a sync runs
        // fold into the next one.
        let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("natster-flush".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    let _ = clone.sync_data();
                }
            })
            .ok();
        Self {
            nudge: Some(tx),
            thread,
        }
    }

    fn nudge(&self) {
        if let Some(tx) = &self.nudge {
            let _ = tx.try_send(());
        }
    }

    fn stop(mut self) {
        self.nudge = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Aligned blocks, an unaligned tail, then blocks at an unaligned
    /// offset: whatever path each write takes, the file holds the bytes in
    /// order, and the hash thread sees the same bytes.
    #[test]
    fn part_writer_mixes_direct_and_buffered_writes_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .read(true)
            .open(&path)
            .unwrap();
        let sizes = [
            2 * DIRECT_ALIGN,
            DIRECT_ALIGN,
            100,
            DIRECT_ALIGN,
            0,
            3 * DIRECT_ALIGN + 7,
        ];
        let mut expected = Vec::new();
        let mut w = PartWriter::new(file, &path).unwrap();
        let (recycle, pool) = std::sync::mpsc::channel();
        let mut hashing = Hashing::start(Sha256::new(), recycling(recycle.clone())).unwrap();
        for (i, n) in sizes.iter().enumerate() {
            let plain: Vec<u8> = (0..*n).map(|j| (i * 31 + j) as u8).collect();
            // Every other chunk placed as the receiver places them, the
            // rest wherever the allocator put them.
            let chunk = if i % 2 == 0 {
                let mut frame = vec![0u8; HEADER_LEN];
                frame.extend_from_slice(&plain);
                let mut buf = Vec::new();
                let (start, end) = place_aligned(&mut buf, &frame);
                assert_eq!(buf[start + HEADER_LEN..].as_ptr().addr() % DIRECT_ALIGN, 0);
                Chunk {
                    buf,
                    start: start + HEADER_LEN,
                    end,
                }
            } else {
                Chunk {
                    end: plain.len(),
                    buf: plain.clone(),
                    start: 0,
                }
            };
            w.write(chunk.data()).unwrap();
            hashing.feed(chunk);
            expected.extend_from_slice(&plain);
        }
        w.file.sync_all().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        // Where the file system takes O_DIRECT, the first (aligned) chunk
        // went around the page cache; everything else went through it.
        if w.direct.is_some() {
            assert_eq!(w.buffered, (expected.len() - 2 * DIRECT_ALIGN) as u64);
        } else {
            assert_eq!(w.buffered, expected.len() as u64);
        }
        assert_eq!(
            hashing.finish().unwrap(),
            Sha256::digest(&expected).to_vec()
        );
        // Every buffer came back for reuse.
        assert_eq!(pool.try_iter().count(), sizes.len());
        hashing = Hashing::start(Sha256::new(), recycling(recycle)).unwrap();
        assert_eq!(hashing.finish().unwrap(), Sha256::digest(b"").to_vec());
    }

    /// A panic on the hashing thread (here: a chunk whose range is past its
    /// buffer) is reported as such, not as the digest of nothing, which the
    /// receiver would take for a hash mismatch.
    #[test]
    fn a_panic_while_hashing_is_its_own_error() {
        let (recycle, _pool) = std::sync::mpsc::channel();
        let hashing = Hashing::start(Sha256::new(), recycling(recycle)).unwrap();
        hashing.feed(Chunk {
            buf: vec![0u8; 4],
            start: 0,
            end: 8,
        });
        match hashing.finish() {
            Err(Error::ThreadPanicked { thread, message }) => {
                assert_eq!(thread, "SHA-256");
                assert!(message.contains("out of range"), "{message}");
            }
            other => panic!("expected the hashing thread's panic, got {other:?}"),
        }
    }
}
