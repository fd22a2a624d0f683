//! Turning a ranged, encrypted catalog transfer into an HTTP body while it
//! arrives: the catalog client writes the (decrypted, checked) bytes to a
//! spool file in this server's private directory, and the body reads that
//! file behind the writer. Nothing is kept: the spool file is removed when
//! the body ends or the browser goes away (a seek drops the old request,
//! which stops its transfer).
//!
//! The last byte is held back until the transfer has finished successfully,
//! so a transfer that fails its checks (for a whole file: the catalog's
//! SHA-256) ends the body with an error instead of completing it.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use natster_catalog::transfer::receiver::part_paths;
use natster_catalog::{ByteRange, CatalogClient, DownloadOptions};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::WebError;
use crate::session::Phase;

/// Largest piece of the body read at once.
const READ_CHUNK: u64 = 256 << 10;

/// Removes the spool files and stops the transfer when the body is dropped.
struct Guard {
    out: PathBuf,
    task: JoinHandle<Result<(), String>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.out);
        if let Ok((part, sidecar)) = part_paths(&self.out) {
            let _ = std::fs::remove_file(part);
            let _ = std::fs::remove_file(sidecar);
        }
    }
}

struct Tail {
    guard: Guard,
    written: watch::Receiver<u64>,
    phase: watch::Receiver<Phase>,
    file: Option<tokio::fs::File>,
    sent: u64,
    len: u64,
    finished: bool,
}

/// Starts downloading `range` (or the whole file) of `hash` and returns the
/// body's stream of exactly `len` bytes.
pub(crate) fn stream(
    spool: &std::path::Path,
    client: CatalogClient,
    hash: String,
    range: Option<ByteRange>,
    len: u64,
    phase: watch::Receiver<Phase>,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<>, WebError> {
    let out = spool.join(format!("dl-{}", crate::random::token()?));
    let (tx, written) = watch::channel(0u64);
    let opts = DownloadOptions {
        resume: false,
        range,
        chunk_size: None,
        // `done` counts bytes of the output file: from the range's start.
        progress: Some(Arc::new(move |done: u64, _total: u64| {
            tx.send_replace(done);
        })),
    };
    let task_out = out.clone();
    let task = tokio::spawn(async move {
        client
            .download(&hash, &task_out, opts)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    let tail = Tail {
        guard: Guard { out, task },
        written,
        phase,
        file: None,
        sent: 0,
        len,
        finished: false,
    };
    Ok(futures_util::stream::unfold(tail, next))
}

fn io_err(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::other(msg.into())
}

async fn next(mut t: Tail) -> Option<(Result<Bytes, std::io::Error>, Tail)> {
    if t.sent >= t.len {
        return None;
    }
    loop {
        if matches!(*t.phase.borrow(), Phase::Ended { .. }) {
            return Some((Err(io_err("the session ended")), finish(t)));
        }
        let written = (*t.written.borrow()).min(t.len);
        // Hold the last byte back until the transfer has passed its checks.
        let available = if t.finished {
            written
        } else {
            written.min(t.len - 1)
        };
        if available > t.sent {
            if t.file.is_none() {
                let path = if t.finished {
                    t.guard.out.clone()
                } else {
                    match part_paths(&t.guard.out) {
                        Ok((part, _)) => part,
                        Err(e) => return Some((Err(io_err(e.to_string())), finish(t))),
                    }
                };
                match tokio::fs::File::open(&path).await {
                    Ok(f) => t.file = Some(f),
                    Err(e) => return Some((Err(e), finish(t))),
                }
            }
            let want = (available - t.sent).min(READ_CHUNK);
            let sent = t.sent;
            let Some(file) = t.file.as_mut() else {
                return Some((Err(io_err("spool file missing")), finish(t)));
            };
            let mut buf = vec![0u8; want as usize];
            let read = async {
                file.seek(SeekFrom::Start(sent)).await?;
                file.read_exact(&mut buf).await?;
                Ok::<_, std::io::Error>(())
            }
            .await;
            return match read {
                Ok(()) => {
                    t.sent += want;
                    Some((Ok(Bytes::from(buf)), t))
                }
                Err(e) => Some((Err(e), finish(t))),
            };
        }
        if t.finished {
            return Some((Err(io_err("the transfer ended early")), finish(t)));
        }
        tokio::select! {
            changed = t.written.changed() => {
                if changed.is_err() {
                    // The progress sender is gone: the task ended; learn how.
                    t = match wait_task(t).await {
                        Ok(t) => t,
                        Err((e, t)) => return Some((Err(e), finish(t))),
                    };
                }
            }
            _ = t.phase.changed() => {}
            res = &mut t.guard.task => {
                match res {
                    Ok(Ok(())) => t.finished = true,
                    Ok(Err(e)) => return Some((Err(io_err(e)), finish(t))),
                    Err(e) => return Some((Err(io_err(e.to_string())), finish(t))),
                }
            }
        }
    }
}

async fn wait_task(mut t: Tail) -> Result<Tail, (std::io::Error, Tail)> {
    match (&mut t.guard.task).await {
        Ok(Ok(())) => {
            t.finished = true;
            Ok(t)
        }
        Ok(Err(e)) => Err((io_err(e), t)),
        Err(e) => Err((io_err(e.to_string()), t)),
    }
}

/// A stream state that ends at the next poll (after an error item).
fn finish(mut t: Tail) -> Tail {
    t.sent = t.len;
    t
}
