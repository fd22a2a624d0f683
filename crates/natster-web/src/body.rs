//! Turning a ranged, encrypted catalog transfer into an HTTP body while it
//! arrives: the body is the catalog client's stream of verified plaintext
//! ([`CatalogClient::stream`]), read as the browser reads it. Nothing is
//! written to disk, and a body holds a few chunks however slowly the
//! browser reads: the transfer's credit follows the body's reads. When the
//! browser goes away (a seek drops the old request), the body and its
//! stream are dropped, which stops the transfer.
//!
//! The last bytes are held back until the transfer has finished
//! successfully, so a transfer that fails its checks (for a whole file:
//! the catalog's SHA-256) ends the body with an error instead of
//! completing it.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use natster_catalog::{ByteRange, CatalogClient, DownloadStream, StreamOptions};
use tokio::sync::watch;

use crate::session::Phase;

/// The transfer behind one body.
struct Body {
    /// What to open on the first read.
    open: Option<(CatalogClient, String, Option<ByteRange>)>,
    stream: Option<DownloadStream>,
    phase: watch::Receiver<Phase>,
    sent: u64,
    len: u64,
    done: bool,
}

/// Streams `range` (or the whole file) of `hash` as the body's stream of
/// exactly `len` bytes; the transfer starts on the body's first read.
pub(crate) fn stream(
    client: CatalogClient,
    hash: String,
    range: Option<ByteRange>,
    len: u64,
    phase: watch::Receiver<Phase>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + use<> {
    let body = Body {
        open: Some((client, hash, range)),
        stream: None,
        phase,
        sent: 0,
        len,
        done: false,
    };
    futures_util::stream::unfold(body, next)
}

fn io_err(msg: impl Into<String>) -> std::io::Error {
    std::io::Error::other(msg.into())
}

async fn next(mut b: Body) -> Option<(Result<Bytes, std::io::Error>, Body)> {
    if b.done {
        return None;
    }
    let item = tokio::select! {
        item = pull(&mut b.open, &mut b.stream) => item,
        () = session_ended(&mut b.phase) => Some(Err(io_err("the session ended"))),
    };
    let bytes = match item {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => return Some((Err(e), finish(b))),
        None if b.sent < b.len => {
            return Some((Err(io_err("the transfer ended early")), finish(b)));
        }
        None => return None,
    };
    b.sent += bytes.len() as u64;
    if b.sent > b.len {
        let e = io_err("the transfer is longer than the file's listed size");
        return Some((Err(e), finish(b)));
    }
    Some((Ok(bytes), b))
}

/// The next piece of the transfer, opening it on the first call.
async fn pull(
    open: &mut Option<(CatalogClient, String, Option<ByteRange>)>,
    stream: &mut Option<DownloadStream>,
) -> Option<Result<Bytes, std::io::Error>> {
    if let Some((client, hash, range)) = open.take() {
        let opts = StreamOptions {
            range,
            ..StreamOptions::default()
        };
        match client.stream(&hash, opts).await {
            Ok(s) => *stream = Some(s),
            Err(e) => return Some(Err(io_err(e.to_string()))),
        }
    }
    let item = stream.as_mut()?.next().await?;
    Some(item.map_err(|e| io_err(e.to_string())))
}

/// Returns once the session has ended (never, while it lasts).
async fn session_ended(phase: &mut watch::Receiver<Phase>) {
    if phase
        .wait_for(|p| matches!(p, Phase::Ended { .. }))
        .await
        .is_err()
    {
        std::future::pending::<()>().await;
    }
}

/// A body that ends at the next read (after an error item); its transfer
/// stops now.
fn finish(mut b: Body) -> Body {
    b.done = true;
    b.stream = None;
    b
}
