//! The receiving side: [`CatalogClient`] asks a catalog server for its
//! contents and downloads files.
//!
//! A download writes verified chunks, in order, to `.OUT.natster-part` next
//! to OUT, with a sidecar `.OUT.natster-part.json` naming what the part
//! belongs to. Only when the last chunk is in, the part fsynced and its
//! SHA-256 equal to the catalog's, is it renamed to OUT. Anything else
//! leaves OUT untouched; the part stays for `resume` unless its hash was
//! wrong (then it is deleted: resuming it could never succeed).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use natster_auth::claims::AccountClaims;
use natster_proto::ApiResponse;
use natster_proto::subjects;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::catalog::{check_hash, write_atomic};
use crate::error::{Error, Result};
use crate::transfer::crypto::{
    ChunkKind, HEADER_LEN, OneTimeKey, TransferKey, decode_key, decode_transfer_id, encode_key,
};
use crate::transfer::direct::{DirectLogin, MediaReader, MediaWriter, Unavailable};
use crate::transfer::part::{Chunk, DIRECT_ALIGN, aligned_slot, place_aligned, write_chunks};
use crate::transfer::{MAX_CHUNK, MAX_WINDOW, MIN_CHUNK, offer, total_chunks};
use natster_proto::catalog::{
    CatalogSummary, Credit, DownloadRequest, DownloadResponse, OP_CREDIT, OP_DOWNLOAD, OP_GET,
    Offer, PROTOCOL_VERSION,
};

/// Progress of a download: `(bytes in the output so far, bytes it will have)`.
pub type DownloadProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A byte range of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub offset: u64,
    /// Bytes from `offset`; `None`: to the end.
    pub length: Option<u64>,
}

/// How to download.
#[derive(Clone, Default)]
pub struct DownloadOptions {
    /// Continue a partial download of the same hash (and range) at OUT.
    pub resume: bool,
    /// Only these bytes. The catalog hash covers whole files, so a range is
    /// protected by the chunk AEAD and the signed offer, not the hash.
    pub range: Option<ByteRange>,
    /// Chunk size to ask for; the server clamps it.
    pub chunk_size: Option<u32>,
    /// Called as bytes are written.
    pub progress: Option<DownloadProgress>,
}

impl std::fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("resume", &self.resume)
            .field("range", &self.range)
            .field("chunk_size", &self.chunk_size)
            .finish_non_exhaustive()
    }
}

/// What a finished download did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadReport {
    /// The transfer's id.
    pub transfer_id: String,
    /// Bytes received in this transfer.
    pub received: u64,
    /// Bytes that were already in the partial file.
    pub resumed_from: u64,
    /// Size of OUT.
    pub size: u64,
    /// Whether the SHA-256 of OUT was checked against the catalog (whole files).
    pub hash_verified: bool,
    /// Whether the chunks came on the transfer's own connection (see
    /// [`CatalogClient::with_direct`]) rather than the shared client.
    pub direct: bool,
    /// The chunk size used.
    pub chunk_size: u32,
}

/// Talks to one catalog server, as one caller account.
#[derive(Clone)]
pub struct CatalogClient {
    client: async_nats::Client,
    caller: String,
    owner: AccountClaims,
    catalog: String,
    /// Longest wait for a `get` or `download` reply.
    pub request_timeout: Duration,
    /// Longest silence on the media subject before giving up.
    pub idle_timeout: Duration,
    /// How often the last credit is repeated while waiting, in case it was lost.
    pub credit_repeat: Duration,
    /// Log in again for each transfer's own connection (see
    /// [`crate::transfer::direct`]); `None`: chunks come through `client`.
    direct: Option<DirectLogin>,
}

impl std::fmt::Debug for CatalogClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogClient")
            .field("caller", &self.caller)
            .field("owner", &self.owner.sub)
            .field("catalog", &self.catalog)
            .finish_non_exhaustive()
    }
}

/// What the sidecar records about a partial download.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PartInfo {
    hash: String,
    owner: String,
    catalog: String,
    range_offset: u64,
    range_length: Option<u64>,
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

impl CatalogClient {
    /// A client for `catalog` of the account `owner` (whose claims the
    /// caller got from the hub and trusts), acting as account `caller`.
    pub fn new(
        client: async_nats::Client,
        caller: &str,
        owner: AccountClaims,
        catalog: &str,
    ) -> Result<Self> {
        natster_proto::names::check_catalog_name(catalog).map_err(Error::Invalid)?;
        for (what, k) in [("caller", caller), ("owner", owner.sub.as_str())] {
            natster_auth::keys::check_public_key(k, natster_auth::keys::KeyKind::Account)
                .map_err(|e| Error::Invalid(format!("{what}: {e}")))?;
        }
        Ok(Self {
            client,
            caller: caller.to_owned(),
            owner,
            catalog: catalog.to_owned(),
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            credit_repeat: Duration::from_secs(1),
            direct: None,
        })
    }

    /// Receives each transfer's chunks on a connection of its own, logged
    /// in as `login` (the same user as the client's), where the server
    /// allows it: less CPU per byte. See [`crate::transfer::direct`].
    pub fn with_direct(mut self, login: DirectLogin) -> Self {
        self.direct = Some(login);
        self
    }

    fn subject(&self, op: &str) -> String {
        subjects::catalog(&self.caller, &self.owner.sub, &self.catalog, op)
    }

    async fn request<T: serde::de::DeserializeOwned>(&self, op: &str, body: Vec<u8>) -> Result<T> {
        let msg = tokio::time::timeout(
            self.request_timeout,
            self.client.request(self.subject(op), body.into()),
        )
        .await
        .map_err(|_| Error::Timeout(format!("catalog {} did not answer {op}", self.catalog)))?
        .map_err(|e| match e.kind() {
            async_nats::RequestErrorKind::NoResponders => Error::NotFound(format!(
                "catalog {} of {} is offline or not shared with you (no responders)",
                self.catalog, self.owner.sub
            )),
            async_nats::RequestErrorKind::TimedOut => {
                Error::Timeout(format!("catalog {} did not answer {op}", self.catalog))
            }
            _ => Error::nats(e),
        })?;
        let resp: ApiResponse<T> = serde_json::from_slice(&msg.payload)
            .map_err(|e| Error::json(format!("{op} reply"), e))?;
        resp.into_result().map_err(|e| Error::Api {
            code: e.code,
            message: e.message,
        })
    }

    /// The catalog's contents (`get`).
    pub async fn contents(&self) -> Result<CatalogSummary> {
        self.request(OP_GET, Vec::new()).await
    }

    /// Downloads the file with `hash` to `out`. See the module doc for what
    /// is guaranteed on success and on failure.
    pub async fn download(
        &self,
        hash: &str,
        out: &Path,
        opts: DownloadOptions,
    ) -> Result<DownloadReport> {
        check_hash(hash)?;
        let (part, sidecar) = part_paths(out)?;
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
        let have = if opts.resume {
            resumable_len(&part, &sidecar, &info)
        } else {
            0
        };
        if have == 0 {
            let json = serde_json::to_vec(&info).map_err(|e| Error::json("part sidecar", e))?;
            write_atomic(&sidecar, &json)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .read(true)
            .truncate(false)
            .open(&part)
            .map_err(|e| Error::io(&part, e))?;
        // Drop anything past what we count on (a torn write at the tail),
        // and keep whole blocks only, so direct writes stay aligned.
        let have = have - have % DIRECT_ALIGN as u64;
        file.set_len(have).map_err(|e| Error::io(&part, e))?;
        let hasher = if whole {
            let p = part.clone();
            let (f, h) = tokio::task::spawn_blocking(move || hash_prefix(file, &p, have))
                .await
                .map_err(|e| Error::Invalid(format!("hashing task failed: {e}")))??;
            file = f;
            Some(h)
        } else {
            None
        };
        file.seek(SeekFrom::Start(have))
            .map_err(|e| Error::io(&part, e))?;

        let result = self
            .transfer(hash, &range, have, file, hasher, &part, &opts)
            .await;
        match result {
            Ok((report, digest)) => {
                if let Some(d) = digest {
                    let actual = crate::scan::hex(&d);
                    if actual != hash {
                        let _ = std::fs::remove_file(&part);
                        let _ = std::fs::remove_file(&sidecar);
                        return Err(Error::HashMismatch {
                            expected: hash.to_owned(),
                            actual,
                        });
                    }
                }
                std::fs::rename(&part, out).map_err(|e| Error::io(out, e))?;
                let _ = std::fs::remove_file(&sidecar);
                if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                    if let Ok(d) = std::fs::File::open(dir) {
                        let _ = d.sync_all();
                    }
                }
                Ok(report)
            }
            Err(e) => {
                // Nothing received: no partial file worth keeping for resume.
                if std::fs::metadata(&part).is_ok_and(|m| m.len() == 0) {
                    let _ = std::fs::remove_file(&part);
                    let _ = std::fs::remove_file(&sidecar);
                }
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn transfer(
        &self,
        hash: &str,
        range: &ByteRange,
        have: u64,
        file: std::fs::File,
        hasher: Option<Sha256>,
        part: &Path,
        opts: &DownloadOptions,
    ) -> Result<(DownloadReport, Option<Vec<u8>>)> {
        let key = OneTimeKey::generate()?;
        let receiver_pub = key.public();
        let req = DownloadRequest {
            hash: hash.to_owned(),
            receiver_pub: encode_key(&receiver_pub),
            offset: range.offset + have,
            length: range.length.map(|l| l.saturating_sub(have)),
            chunk_size: opts.chunk_size,
        };
        if let Some(l) = range.length {
            if have > l {
                return Err(Error::Invalid(format!(
                    "{} is longer than the range; download again without resume",
                    part.display()
                )));
            }
        }
        let body = serde_json::to_vec(&req).map_err(|e| Error::json("download request", e))?;
        let resp: DownloadResponse = self.request(OP_DOWNLOAD, body).await?;
        let offer = offer::verify(&resp, &self.owner)?;
        self.check_offer(&offer, &req, &receiver_pub)?;
        let sender_pub = decode_key(&offer.sender_pub, "sender_pub")?;
        let tid = decode_transfer_id(&offer.transfer_id)?;
        let tkey = key.agree(&sender_pub, &tid, &sender_pub, &receiver_pub)?;

        // The subscription must be in place before the first credit lets the
        // sender publish: the direct connection returns once the server has
        // confirmed it, and the shared client's flush does the same.
        let direct = self.open_direct(&offer.media_subject).await;
        let media = direct.as_ref().map(MediaReader::writer);
        let _close_media = media.clone().map(CloseOnDrop);
        let mut sub = match direct {
            Some(_) => None,
            None => {
                let sub = self
                    .client
                    .subscribe(offer.media_subject.clone())
                    .await
                    .map_err(Error::nats)?;
                self.client.flush().await.map_err(Error::nats)?;
                Some(sub)
            }
        };
        let credit_subject = self.subject(&format!("{OP_CREDIT}.{}", offer.transfer_id));
        // Until every chunk is in, leaving (an error, or this future being
        // dropped because our caller went away) tells the sender to stop.
        let mut stop_on_exit = StopOnExit {
            client: self.client.clone(),
            subject: Some(credit_subject.clone()),
        };
        let window = u64::from(offer.window);
        let mut granted = window.min(offer.total_chunks);
        self.grant(media.as_ref(), &credit_subject, granted).await?;

        let total_out = have + offer.length;
        let written = Arc::new(AtomicU64::new(0));
        let (tx, rx) = mpsc::channel::<Chunk>(offer.window as usize);
        let (chunks_tx, mut chunks_rx) = watch::channel(0u64);
        // Buffers come back here once written and hashed.
        let (recycle, pool) = std::sync::mpsc::channel::<Vec<u8>>();
        let writer = {
            let written = written.clone();
            let part = part.to_path_buf();
            std::thread::Builder::new()
                .name("natster-recv".into())
                .spawn(move || {
                    write_chunks(file, &part, hasher, rx, &written, &chunks_tx, &recycle)
                })
                .map_err(|e| Error::io("natster-recv thread", e))?
        };
        let progress = opts.progress.clone();
        let mut last_seen = Instant::now();
        let mut tick = tokio::time::interval(self.credit_repeat);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next = 0u64;
        let mut writer_gone = false;
        // Chunks from the direct connection: a thread of their own reads,
        // opens and hands them to the writer; here only credit and progress.
        let mut media_done = None;
        let mut tx = Some(tx);
        let tkey = Arc::new(tkey);
        let mut pool = Some(pool);
        if let Some(reader) = direct {
            if let (Some(chunks), Some(pool)) = (tx.take(), pool.take()) {
                let (done_tx, done_rx) = tokio::sync::oneshot::channel();
                let (offer, tkey) = (offer.clone(), tkey.clone());
                std::thread::Builder::new()
                    .name("natster-media".into())
                    .spawn(move || {
                        let _ = done_tx.send(receive_direct(reader, &tkey, &offer, &chunks, &pool));
                    })
                    .map_err(|e| Error::io("natster-media thread", e))?;
                media_done = Some(done_rx);
            }
        }
        let received: Result<()> = loop {
            tokio::select! {
                r = async {
                    match media_done.as_mut() {
                        Some(d) => d.await,
                        None => std::future::pending().await,
                    }
                }, if media_done.is_some() => {
                    match r {
                        Ok(Ok((n, gone))) => {
                            next = n;
                            writer_gone = gone;
                            break Ok(());
                        }
                        Ok(Err(e)) => break Err(e),
                        Err(_) => break Err(Error::Invalid("the transfer thread failed".into())),
                    }
                }
                msg = async {
                    match sub.as_mut() {
                        Some(s) => s.next().await,
                        None => std::future::pending().await,
                    }
                }, if tx.is_some() && sub.is_some() => {
                    let Some(msg) = msg else {
                        break Err(Error::Nats("the media subscription ended".into()));
                    };
                    last_seen = Instant::now();
                    // One copy, into a recycled buffer where the plaintext
                    // lands aligned for direct I/O; async-nats gets its
                    // buffer back at once.
                    let mut buf = pool.as_ref().and_then(|p| p.try_recv().ok()).unwrap_or_default();
                    let at = place_aligned(&mut buf, &msg.payload);
                    drop(msg);
                    let (chunk, last) = match open_chunk(&tkey, &offer, next, buf, at) {
                        Ok(c) => c,
                        Err(e) => break Err(e),
                    };
                    next += 1;
                    let Some(sender) = tx.as_ref() else { break Ok(()) };
                    if sender.send(chunk).await.is_err() {
                        writer_gone = true;
                        break Ok(());
                    }
                    if last {
                        // Closing the channel tells the writer to fsync and finish.
                        tx = None;
                    }
                }
                r = chunks_rx.changed() => {
                    if r.is_err() {
                        // The writer finished (or failed): done either way.
                        writer_gone = true;
                        if let (Some(done), Some(m)) = (media_done.take(), &media) {
                            // The chunk count is the media thread's. It
                            // answered before the writer's channel closed,
                            // unless the writer failed; then it may be
                            // waiting on the socket, which this ends.
                            m.close();
                            if let Ok(Ok((n, _))) = done.await {
                                next = n;
                            }
                        }
                        break Ok(());
                    }
                    let done = *chunks_rx.borrow();
                    if let Some(p) = &progress {
                        p(have + written.load(Ordering::Relaxed), total_out);
                    }
                    // Grant in batches of half a window: fewer messages, and
                    // the sender never runs dry while we write.
                    let want = (done + window).min(offer.total_chunks);
                    if want >= granted + window.div_ceil(2) || (want == offer.total_chunks && want > granted) {
                        granted = want;
                        if let Err(e) = self.grant(media.as_ref(), &credit_subject, granted).await {
                            break Err(e);
                        }
                    }
                }
                _ = tick.tick() => {
                    if tx.is_some() && last_seen.elapsed() > self.idle_timeout {
                        break Err(Error::Timeout(format!(
                            "no chunk for {} s (after chunk {next} of {})",
                            self.idle_timeout.as_secs(), offer.total_chunks
                        )));
                    }
                    // Repeat the grant: one lost across a reconnect would
                    // otherwise stall both sides.
                    if tx.is_some() {
                        let _ = self.grant(media.as_ref(), &credit_subject, granted).await;
                    }
                }
            }
        };
        drop(tx);
        if let Some(mut sub) = sub {
            let _ = sub.unsubscribe().await;
        }
        // A media thread still reading (the loop ended on an error) holds
        // the writer's channel open: end its connection before waiting for
        // the writer.
        if let Some(m) = &media {
            m.close();
        }
        let written_result = tokio::task::spawn_blocking(move || writer.join())
            .await
            .map_err(|e| Error::Invalid(format!("writer task failed: {e}")))?
            .map_err(|p| Error::panicked("part writer", p.as_ref()))?;
        received?;
        let (bytes, digest) = written_result?;
        if writer_gone && next < offer.total_chunks {
            return Err(Error::Integrity("the writer stopped early".into()));
        }
        if next != offer.total_chunks || bytes != offer.length {
            return Err(Error::Integrity(format!(
                "received {bytes} of {} bytes in {next} of {} chunks",
                offer.length, offer.total_chunks
            )));
        }
        stop_on_exit.subject = None;
        if let Some(p) = &progress {
            p(total_out, total_out);
        }
        Ok((
            DownloadReport {
                transfer_id: offer.transfer_id.clone(),
                received: bytes,
                resumed_from: have,
                size: total_out,
                hash_verified: digest.is_some(),
                direct: media.is_some(),
                chunk_size: offer.chunk_size,
            },
            digest,
        ))
    }

    /// Grants credit up to `granted`, on the transfer's own connection when
    /// it has one (so it follows the subscription through one socket).
    async fn grant(&self, media: Option<&MediaWriter>, subject: &str, granted: u64) -> Result<()> {
        let credit = Credit {
            granted,
            stop: false,
        };
        let body = serde_json::to_vec(&credit).map_err(|e| Error::json("credit", e))?;
        match media {
            Some(m) => m.publish(subject, &body),
            None => self
                .client
                .publish(subject.to_owned(), body.into())
                .await
                .map_err(Error::nats),
        }
    }

    /// The transfer's own connection, subscribed to `subject`; `None`: use
    /// the shared client (no login given, TLS, or it could not be set up).
    async fn open_direct(&self, subject: &str) -> Option<MediaReader> {
        let login = self.direct.clone()?;
        let (subject, idle) = (subject.to_owned(), self.idle_timeout);
        let opened =
            tokio::task::spawn_blocking(move || MediaReader::subscribe(&login, &subject, idle))
                .await;
        match opened {
            Ok(Ok(r)) => Some(r),
            Ok(Err(Unavailable::Unsupported(why))) => {
                tracing::debug!("chunks through the shared client: {why}");
                None
            }
            Ok(Err(Unavailable::Failed(e))) => {
                tracing::warn!("chunks through the shared client: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("chunks through the shared client: {e}");
                None
            }
        }
    }

    /// The offer must be for exactly what we asked, to us, on the subject
    /// derived from its own id, within limits that bound our memory.
    fn check_offer(&self, o: &Offer, req: &DownloadRequest, receiver_pub: &[u8; 32]) -> Result<()> {
        let bad = |what: &str| {
            Err(Error::Untrusted(format!(
                "the offer's {what} is not what we asked for"
            )))
        };
        if o.version != PROTOCOL_VERSION {
            return bad("version");
        }
        if o.owner != self.owner.sub || o.catalog != self.catalog || o.caller != self.caller {
            return bad("owner, catalog or caller");
        }
        if o.hash != req.hash || o.receiver_pub != encode_key(receiver_pub) {
            return bad("hash or receiver key");
        }
        let want_len = req.length.unwrap_or(o.size.saturating_sub(req.offset));
        if o.offset != req.offset
            || o.length != want_len
            || o.offset.checked_add(o.length).is_none_or(|e| e > o.size)
        {
            return bad("byte range");
        }
        if !(MIN_CHUNK..=MAX_CHUNK).contains(&o.chunk_size)
            || o.window == 0
            || o.window > MAX_WINDOW
        {
            return bad("chunk size or window");
        }
        if o.total_chunks != total_chunks(o.length, o.chunk_size) {
            return bad("chunk count");
        }
        if o.media_subject
            != subjects::media(&self.caller, &self.owner.sub, &self.catalog, &o.transfer_id)
        {
            return bad("media subject");
        }
        Ok(())
    }
}

/// Opens a frame, checks it is chunk `next` of `offer`, and returns the
/// chunk for the writer and whether it is the last.
fn open_chunk(
    tkey: &TransferKey,
    offer: &Offer,
    next: u64,
    mut buf: Vec<u8>,
    (start, end): (usize, usize),
) -> Result<(Chunk, bool)> {
    let opened = tkey.open(&mut buf[start..end])?;
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

/// The direct connection's thread: reads each frame into a recycled buffer
/// where its plaintext lands aligned, opens and checks it, and hands it to
/// the writer, until the final chunk. Returns the number of chunks, and
/// whether the writer stopped taking them (its own result says why).
fn receive_direct(
    mut reader: MediaReader,
    tkey: &TransferKey,
    offer: &Offer,
    chunks: &mpsc::Sender<Chunk>,
    pool: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<(u64, bool)> {
    let mut next = 0u64;
    loop {
        let mut buf = pool.try_recv().unwrap_or_default();
        let at = reader.next(&mut buf, aligned_slot)?;
        let (chunk, last) = open_chunk(tkey, offer, next, buf, at)?;
        next += 1;
        if chunks.blocking_send(chunk).is_err() {
            return Ok((next - 1, true));
        }
        if last {
            return Ok((next, false));
        }
    }
}

/// Closes the transfer's own connection when the download ends, however
/// it ends, so its thread never outlives it.
struct CloseOnDrop(MediaWriter);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Sends a stop on the credit subject when dropped while armed (a subject
/// is set). Drop cannot wait, so the publish runs as a task of its own.
struct StopOnExit {
    client: async_nats::Client,
    subject: Option<String>,
}

impl Drop for StopOnExit {
    fn drop(&mut self) {
        let (Some(subject), Ok(rt)) = (self.subject.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let client = self.client.clone();
        let body = serde_json::to_vec(&Credit {
            granted: 0,
            stop: true,
        })
        .unwrap_or_default();
        rt.spawn(async move {
            let _ = client.publish(subject, body.into()).await;
            let _ = client.flush().await;
        });
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
