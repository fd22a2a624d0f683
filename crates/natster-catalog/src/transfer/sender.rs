//! The sending side of one transfer.
//!
//! A reader thread reads and seals chunks ahead of the network by at most
//! two chunks; the async side publishes a chunk only when the receiver's
//! cumulative credit allows it. So at most `window` chunks are ever in
//! flight (in nats-server or the receiver's buffers), the sender's memory
//! stays at a few chunks whatever the file size, and a stalled receiver
//! stalls the sender instead of losing chunks. No credit for
//! `credit_timeout` ends the transfer.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::transfer::credit;
use crate::transfer::crypto::{ChunkKind, PlainFrame, SealedFrame, TransferKey};
use crate::transfer::part::Recycled;

/// Everything one transfer needs.
pub(crate) struct Outgoing {
    pub(crate) client: async_nats::Client,
    /// The account receiving: the only one whose credits count.
    pub(crate) caller: String,
    pub(crate) media_subject: String,
    pub(crate) key: Arc<TransferKey>,
    pub(crate) path: PathBuf,
    pub(crate) offset: u64,
    pub(crate) length: u64,
    pub(crate) chunk_size: u32,
    pub(crate) total_chunks: u64,
    /// Set to a reason to stop: revoked access, shutdown.
    pub(crate) cancel: watch::Receiver<Option<String>>,
    pub(crate) first_credit_by: Instant,
    pub(crate) credit_timeout: Duration,
}

/// Sends the transfer as the receiver's credits on `credit_sub` allow;
/// returns the plaintext bytes sent. A receiver that asks to stop ends it
/// at once (no abort frame: nobody is listening).
pub(crate) async fn send(o: Outgoing, credit_sub: async_nats::Subscriber) -> Result<u64> {
    let (grants, credits) = watch::channel(0u64);
    let forward = credit::forward(credit_sub, o.caller.clone(), o.total_chunks, grants);
    tokio::select! {
        r = send_chunks(o, credits) => r,
        () = forward => Err(Error::Aborted("the receiver stopped the transfer".into())),
    }
}

/// Sends the chunks; on any failure the receiver gets a sealed abort frame
/// with the reason, so it fails at once instead of waiting out its timeout.
async fn send_chunks(mut o: Outgoing, mut credits: watch::Receiver<u64>) -> Result<u64> {
    let (tx, mut rx) = mpsc::channel::<Result<SealedFrame>>(2);
    // Frame buffers come back here once async-nats has written them.
    let (recycle, pool) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = {
        let (key, path) = (o.key.clone(), o.path.clone());
        let (offset, length, chunk, total) = (o.offset, o.length, o.chunk_size, o.total_chunks);
        std::thread::Builder::new()
            .name("natster-send".into())
            .spawn(move || read_and_seal(&key, &path, offset, length, chunk, total, &tx, &pool))
            .map_err(|e| Error::io("natster-send thread", e))?
    };
    let result = pump(&mut o, &mut credits, &mut rx, &recycle).await;
    // Dropping the receiver makes a blocked reader's send fail, so it exits.
    drop(rx);
    let _ = tokio::task::spawn_blocking(move || reader.join()).await;
    if let Err(e) = &result {
        let reason = e.to_string();
        let index = o.total_chunks;
        if let Ok(frame) = o.key.seal(
            index,
            ChunkKind::Abort,
            PlainFrame::from_plaintext(reason.as_bytes()),
        ) {
            let _ = o
                .client
                .publish(o.media_subject.clone(), Bytes::from(frame.0))
                .await;
            let _ = o.client.flush().await;
        }
    }
    result
}

async fn pump(
    o: &mut Outgoing,
    credits: &mut watch::Receiver<u64>,
    rx: &mut mpsc::Receiver<Result<SealedFrame>>,
    recycle: &std::sync::mpsc::Sender<Vec<u8>>,
) -> Result<u64> {
    let mut sent = 0u64;
    let mut deadline = o.first_credit_by;
    for index in 0..o.total_chunks {
        loop {
            if let Some(reason) = o.cancel.borrow().clone() {
                return Err(Error::Aborted(reason));
            }
            if *credits.borrow() > index {
                break;
            }
            tokio::select! {
                r = credits.changed() => {
                    if r.is_err() {
                        return Err(Error::Nats("the credit subscription ended".into()));
                    }
                    deadline = Instant::now() + o.credit_timeout;
                }
                r = o.cancel.changed() => {
                    if r.is_err() {
                        return Err(Error::Aborted("the catalog server stopped".into()));
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(Error::Timeout(format!(
                        "no credit from the receiver for chunk {index}"
                    )));
                }
            }
        }
        let frame = match rx.recv().await {
            Some(Ok(f)) => f,
            Some(Err(e)) => return Err(e),
            None => return Err(Error::Aborted("the file reader stopped".into())),
        };
        let n =
            frame.0.len() - crate::transfer::crypto::HEADER_LEN - crate::transfer::crypto::TAG_LEN;
        // The frame's buffer goes back to the reader thread once
        // async-nats has written it.
        o.client
            .publish(
                o.media_subject.clone(),
                Bytes::from_owner(Recycled {
                    buf: frame.0,
                    pool: recycle.clone(),
                }),
            )
            .await
            .map_err(Error::nats)?;
        sent += n as u64;
    }
    o.client.flush().await.map_err(Error::nats)?;
    Ok(sent)
}

#[allow(clippy::too_many_arguments)]
fn read_and_seal(
    key: &TransferKey,
    path: &std::path::Path,
    offset: u64,
    length: u64,
    chunk: u32,
    total: u64,
    tx: &mpsc::Sender<Result<SealedFrame>>,
    pool: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let run = || -> Result<()> {
        let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(path, e))?;
        let mut remaining = length;
        for index in 0..total {
            let n = remaining.min(u64::from(chunk)) as usize;
            let mut frame = match pool.try_recv() {
                Ok(buf) => PlainFrame::reuse(buf, n),
                Err(_) => PlainFrame::with_capacity(n),
            };
            let buf = frame.buffer();
            // `read_to_end` fills the spare capacity without zeroing it first
            // (a memset of every byte sent, otherwise).
            let got = (&mut f)
                .take(n as u64)
                .read_to_end(buf)
                .map_err(|e| Error::io(path, e))?;
            if got < n {
                return Err(Error::Aborted(format!(
                    "{} shrank while being sent",
                    path.display()
                )));
            }
            remaining -= n as u64;
            let kind = if index + 1 == total {
                ChunkKind::Final
            } else {
                ChunkKind::Data
            };
            let sealed = key.seal(index, kind, frame)?;
            if tx.blocking_send(Ok(sealed)).is_err() {
                return Ok(());
            }
        }
        Ok(())
    };
    if let Err(e) = run() {
        let _ = tx.blocking_send(Err(e));
    }
}
