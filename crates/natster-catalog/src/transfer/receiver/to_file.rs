//! A download to a file: the part file and its sidecar, resume, the sink
//! that feeds the part writer, and the end (SHA-256 check, then the rename
//! to OUT).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use super::client::CatalogClient;
use super::options::{ByteRange, DownloadOptions, DownloadProgress, DownloadReport};
use super::session::{Ask, Session, Sink};
use crate::catalog::check_hash;
use crate::catalog::write_atomic;
use crate::error::{Error, Result};
use crate::transfer::part::{Chunk, DIRECT_ALIGN, write_chunks};

impl CatalogClient {
    /// Downloads the file with `hash` to `out`. See the module doc for what
    /// is guaranteed on success and on failure.
    pub async fn download(
        &self,
        hash: &str,
        out: &Path,
        opts: DownloadOptions,
    ) -> Result<DownloadReport> {
        check_hash(hash)?;
        let range = opts.range.unwrap_or(ByteRange {
            offset: 0,
            length: None,
        });
        let whole = range.offset == 0 && range.length.is_none();
        let info = PartInfo {
            hash: hash.to_owned(),
            owner: self.owner.sub.clone(),
            catalog: self.catalog.clone(),
            range_offset: range.offset,
            range_length: range.length,
        };
        let part = Part::open(out, &info, opts.resume, whole).await?;
        let (path, sidecar) = (part.path.clone(), part.sidecar.clone());
        let result = receive(self, hash, &range, part, &opts).await;
        Part::finish(&path, &sidecar, out, hash, result)
    }
}

/// What the sidecar records about a partial download.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PartInfo {
    pub(super) hash: String,
    pub(super) owner: String,
    pub(super) catalog: String,
    pub(super) range_offset: u64,
    pub(super) range_length: Option<u64>,
}

/// `(part, sidecar)` paths for OUT: hidden files in the same directory, so
/// the final rename never crosses file systems.
pub fn part_paths(out: &Path) -> Result<(PathBuf, PathBuf)> {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Invalid(format!("{} is not a file path", out.display())))?;
    let dir = out.parent().unwrap_or(Path::new(""));
    Ok((
        dir.join(format!(".{name}.natster-part")),
        dir.join(format!(".{name}.natster-part.json")),
    ))
}

/// A part file ready to be written at its end.
pub(super) struct Part {
    pub(super) path: PathBuf,
    pub(super) sidecar: PathBuf,
    file: std::fs::File,
    /// Bytes already in it, kept from an earlier attempt.
    pub(super) have: u64,
    /// SHA-256 of those bytes, for a whole file; `None`: a range, not hashed.
    hasher: Option<Sha256>,
}

impl Part {
    /// Opens (or creates) the part for OUT and keeps what `resume` may
    /// keep: a part whose sidecar says it is this very download, cut to
    /// whole blocks, so direct writes stay aligned. Anything else starts
    /// from zero with a fresh sidecar.
    pub(super) async fn open(
        out: &Path,
        info: &PartInfo,
        resume: bool,
        whole: bool,
    ) -> Result<Self> {
        let (path, sidecar) = part_paths(out)?;
        let have = if resume {
            resumable_len(&path, &sidecar, info)
        } else {
            0
        };
        if have == 0 {
            let json = serde_json::to_vec(info).map_err(|e| Error::json("part sidecar", e))?;
            write_atomic(&sidecar, &json)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .read(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        // Drop anything past what we count on (a torn write at the tail).
        let have = have - have % DIRECT_ALIGN as u64;
        file.set_len(have).map_err(|e| Error::io(&path, e))?;
        let mut hasher = None;
        if whole {
            let p = path.clone();
            let (f, h) = tokio::task::spawn_blocking(move || hash_prefix(file, &p, have))
                .await
                .map_err(|e| Error::Invalid(format!("hashing task failed: {e}")))??;
            file = f;
            hasher = Some(h);
        }
        file.seek(SeekFrom::Start(have))
            .map_err(|e| Error::io(&path, e))?;
        Ok(Self {
            path,
            sidecar,
            file,
            have,
            hasher,
        })
    }

    /// After the transfer: with its digest (whole files), the part must hash
    /// to `hash`, and then becomes OUT; a part that can never verify is
    /// deleted. On failure, a part with nothing in it goes too; anything
    /// else stays for resume.
    pub(super) fn finish(
        path: &Path,
        sidecar: &Path,
        out: &Path,
        hash: &str,
        result: Result<(DownloadReport, Option<Vec<u8>>)>,
    ) -> Result<DownloadReport> {
        let (report, digest) = match result {
            Ok(r) => r,
            Err(e) => {
                if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
                    let _ = std::fs::remove_file(path);
                    let _ = std::fs::remove_file(sidecar);
                }
                return Err(e);
            }
        };
        if let Some(d) = digest {
            let actual = crate::scan::hex(&d);
            if actual != hash {
                let _ = std::fs::remove_file(path);
                let _ = std::fs::remove_file(sidecar);
                return Err(Error::HashMismatch {
                    expected: hash.to_owned(),
                    actual,
                });
            }
        }
        std::fs::rename(path, out).map_err(|e| Error::io(out, e))?;
        let _ = std::fs::remove_file(sidecar);
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(report)
    }
}

/// Receives the rest of `range` (after what the part already has) into the
/// part. Returns the report and, for a whole file, the digest of the part.
pub(super) async fn receive(
    client: &CatalogClient,
    hash: &str,
    range: &ByteRange,
    part: Part,
    opts: &DownloadOptions,
) -> Result<(DownloadReport, Option<Vec<u8>>)> {
    let have = part.have;
    if range.length.is_some_and(|l| have > l) {
        return Err(Error::Invalid(format!(
            "{} is longer than the range; download again without resume",
            part.path.display()
        )));
    }
    let ask = Ask {
        hash,
        offset: range.offset + have,
        length: range.length.map(|l| l - have),
        chunk_size: opts.chunk_size,
        window: None,
    };
    let mut session = Session::open(client, ask).await?;
    let total_out = have + session.offer.length;
    let (mut sink, consumed, writer) = FileSink::start(part, &session, opts.progress.clone())?;
    let received = session.receive(&mut sink, consumed).await;
    let gone = sink.gone;
    // Closes the writer's channel, if the final chunk did not already.
    drop(sink);
    let written = tokio::task::spawn_blocking(move || writer.join())
        .await
        .map_err(|e| Error::Invalid(format!("writer task failed: {e}")))?
        .map_err(|p| Error::panicked("part writer", p.as_ref()))?;
    received?;
    let (bytes, digest) = written?;
    let offer = session.offer.clone();
    if gone && !session.complete() {
        return Err(Error::Integrity("the writer stopped early".into()));
    }
    if !session.complete() || bytes != offer.length {
        return Err(Error::Integrity(format!(
            "received {bytes} of {} bytes in {} of {} chunks",
            offer.length, session.received, offer.total_chunks
        )));
    }
    session.finished();
    if let Some(p) = &opts.progress {
        p(total_out, total_out);
    }
    let report = DownloadReport {
        transfer_id: offer.transfer_id.clone(),
        received: bytes,
        resumed_from: have,
        size: total_out,
        hash_verified: digest.is_some(),
        direct: session.direct(),
        chunk_size: offer.chunk_size,
    };
    Ok((report, digest))
}

type Writer = std::thread::JoinHandle<Result<(u64, Option<Vec<u8>>)>>;

/// Hands chunks to the part writer's thread; its consumer is that thread.
struct FileSink {
    /// Closed after the final chunk: the writer then fsyncs and finishes.
    tx: Option<mpsc::Sender<Chunk>>,
    /// The writer stopped taking chunks (its own result says why).
    gone: bool,
    written: Arc<AtomicU64>,
    progress: Option<DownloadProgress>,
    have: u64,
    total_out: u64,
}

impl FileSink {
    /// Starts the writer thread on `part`. Returns the sink, the count of
    /// chunks written (closed when the writer ends) and the thread.
    fn start(
        part: Part,
        session: &Session,
        progress: Option<DownloadProgress>,
    ) -> Result<(Self, watch::Receiver<u64>, Writer)> {
        let (tx, rx) = mpsc::channel::<Chunk>(session.offer.window as usize);
        let (chunks_tx, chunks_rx) = watch::channel(0u64);
        let written = Arc::new(AtomicU64::new(0));
        let have = part.have;
        let writer = {
            let (written, recycle) = (written.clone(), session.recycle.clone());
            let Part {
                path, file, hasher, ..
            } = part;
            std::thread::Builder::new()
                .name("natster-recv".into())
                .spawn(move || {
                    write_chunks(file, &path, hasher, rx, &written, &chunks_tx, &recycle)
                })
                .map_err(|e| Error::io("natster-recv thread", e))?
        };
        let sink = Self {
            tx: Some(tx),
            gone: false,
            written,
            progress,
            have,
            total_out: have + session.offer.length,
        };
        Ok((sink, chunks_rx, writer))
    }
}

impl Sink for FileSink {
    async fn put(&mut self, chunk: Chunk, last: bool) -> Result<bool> {
        let Some(tx) = &self.tx else {
            return Ok(false);
        };
        if tx.send(chunk).await.is_err() {
            self.gone = true;
            return Ok(false);
        }
        if last {
            self.tx = None;
        }
        Ok(true)
    }

    fn consumed(&mut self, _chunks: u64) {
        if let Some(p) = &self.progress {
            p(
                self.have + self.written.load(Ordering::Relaxed),
                self.total_out,
            );
        }
    }
}

/// The bytes a resumed download can keep: the part's length if the sidecar
/// says it belongs to this very download, else zero.
fn resumable_len(part: &Path, sidecar: &Path, want: &PartInfo) -> u64 {
    let ok = std::fs::read(sidecar)
        .ok()
        .and_then(|b| serde_json::from_slice::<PartInfo>(&b).ok())
        .is_some_and(|i| i == *want);
    if !ok {
        return 0;
    }
    std::fs::metadata(part).map(|m| m.len()).unwrap_or(0)
}

/// Hashes the first `len` bytes of the part, for a resumed whole-file download.
fn hash_prefix(mut f: std::fs::File, path: &Path, len: u64) -> Result<(std::fs::File, Sha256)> {
    let mut h = Sha256::new();
    f.seek(SeekFrom::Start(0)).map_err(|e| Error::io(path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = buf.len().min(left as usize);
        f.read_exact(&mut buf[..n])
            .map_err(|e| Error::io(path, e))?;
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok((f, h))
}
