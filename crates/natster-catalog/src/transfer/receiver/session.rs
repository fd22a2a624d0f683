//! One transfer on the receiving side: asking for it, checking the signed
//! offer, agreeing the key, subscribing to its chunks, and the one receive
//! loop that hands them to a [`Sink`] in order while granting credit as
//! the sink's consumer gets through them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use natster_proto::catalog::{
    DownloadRequest, DownloadResponse, OP_CREDIT, OP_DOWNLOAD, Offer, PROTOCOL_VERSION,
};
use natster_proto::subjects;
use tokio::sync::watch;
use tokio::time::Instant;

use super::client::CatalogClient;
use super::source::ChunkSource;
use crate::error::{Error, Result};
use crate::transfer::credit::{Grants, StopOnDrop};
use crate::transfer::crypto::{
    OneTimeKey, TransferKey, decode_key, decode_transfer_id, encode_key,
};
use crate::transfer::direct::{MediaReader, Unavailable};
use crate::transfer::offer;
use crate::transfer::part::{Chunk, Recycle};
use crate::transfer::sizes::{MAX_CHUNK, MAX_WINDOW, MIN_CHUNK, total_chunks};

/// What to ask the catalog server for.
pub(crate) struct Ask<'a> {
    pub(crate) hash: &'a str,
    pub(crate) offset: u64,
    /// `None`: to the end of the file.
    pub(crate) length: Option<u64>,
    pub(crate) chunk_size: Option<u32>,
    /// Grant at most this many chunks ahead of the consumer (never more
    /// than the offer's window); `None`: the offer's window.
    pub(crate) window: Option<u32>,
}

/// Where the receive loop hands chunks.
pub(crate) trait Sink: Send {
    /// Takes the next chunk (`last`: the final one). `Ok(false)`: it takes
    /// no more (the writer stopped, the consumer went away, or it is done),
    /// and the loop ends.
    fn put(&mut self, chunk: Chunk, last: bool) -> impl Future<Output = Result<bool>> + Send;

    /// Its consumer has finished `chunks` chunks in all.
    fn consumed(&mut self, _chunks: u64) {}
}

/// A transfer whose offer checked out, subscribed and ready to receive.
pub(crate) struct Session {
    pub(crate) offer: Arc<Offer>,
    source: ChunkSource,
    /// Where the sink hands buffers back to the source.
    pub(crate) recycle: Recycle,
    grants: Grants,
    /// Armed until every chunk is in.
    stop: StopOnDrop,
    /// Chunks received.
    pub(crate) received: u64,
    idle_timeout: Duration,
    credit_repeat: Duration,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("transfer_id", &self.offer.transfer_id)
            .field("source", &self.source)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Asks for the transfer, checks the offer, and subscribes to its
    /// chunks. No credit is granted yet: [`Session::receive`] does.
    pub(crate) async fn open(client: &CatalogClient, ask: Ask<'_>) -> Result<Self> {
        let key = OneTimeKey::generate()?;
        let receiver_pub = key.public();
        let req = DownloadRequest {
            hash: ask.hash.to_owned(),
            receiver_pub: encode_key(&receiver_pub),
            offset: ask.offset,
            length: ask.length,
            chunk_size: ask.chunk_size,
        };
        let body = serde_json::to_vec(&req).map_err(|e| Error::json("download request", e))?;
        let resp: DownloadResponse = client.request(OP_DOWNLOAD, body).await?;
        let offer = offer::verify(&resp, &client.owner)?;
        check_offer(client, &offer, &req, &receiver_pub)?;
        let sender_pub = decode_key(&offer.sender_pub, "sender_pub")?;
        let tid = decode_transfer_id(&offer.transfer_id)?;
        let tkey = Arc::new(key.agree(&sender_pub, &tid, &sender_pub, &receiver_pub)?);
        let offer = Arc::new(offer);
        let (source, recycle) = subscribe(client, tkey, offer.clone()).await?;
        let credit_subject = client.subject(&format!("{OP_CREDIT}.{}", offer.transfer_id));
        let window = ask
            .window
            .map_or(offer.window, |w| w.clamp(1, offer.window));
        let grants = Grants::new(
            client.client.clone(),
            source.media(),
            credit_subject.clone(),
            u64::from(window),
            offer.total_chunks,
        );
        Ok(Self {
            // Until every chunk is in, leaving (an error, or the caller
            // going away) tells the sender to stop.
            stop: StopOnDrop::new(client.client.clone(), credit_subject),
            offer,
            source,
            recycle,
            grants,
            received: 0,
            idle_timeout: client.idle_timeout,
            credit_repeat: client.credit_repeat,
        })
    }

    /// Chunks granted ahead of the consumer, at most.
    pub(crate) fn window(&self) -> u64 {
        self.grants.window()
    }

    /// Whether the chunks come on the transfer's own connection.
    pub(crate) fn direct(&self) -> bool {
        matches!(self.source, ChunkSource::Direct { .. })
    }

    /// Whether every chunk is in.
    pub(crate) fn complete(&self) -> bool {
        self.received == self.offer.total_chunks
    }

    /// Every chunk is in and checked: leaving no longer stops the sender.
    pub(crate) fn finished(&mut self) {
        self.stop.disarm();
    }

    /// The receive loop: grants a window, then hands each chunk to `sink`
    /// in order and grants more as `consumed` (the chunks the sink's
    /// consumer has finished) grows. Returns when the sink takes no more
    /// or its consumer is gone (`consumed` closed); the caller looks at
    /// [`Session::complete`] and the sink's own result. Errors: a chunk
    /// that fails its checks, an abort from the sender, no chunk for
    /// `idle_timeout` while the sender owes some.
    pub(crate) async fn receive(
        &mut self,
        sink: &mut impl Sink,
        mut consumed: watch::Receiver<u64>,
    ) -> Result<()> {
        self.grants.open().await?;
        let mut tick = tokio::time::interval(self.credit_repeat);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_seen = Instant::now();
        let total = self.offer.total_chunks;
        loop {
            tokio::select! {
                opened = self.source.next(), if self.received < total => {
                    let (chunk, last) = opened?;
                    last_seen = Instant::now();
                    self.received += 1;
                    if !sink.put(chunk, last).await? {
                        return Ok(());
                    }
                }
                changed = consumed.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    let done = *consumed.borrow_and_update();
                    sink.consumed(done);
                    if self.grants.consumed(done).await? {
                        // Waiting starts now: a consumer that paused held
                        // the sender back, the sender did not go silent.
                        last_seen = Instant::now();
                    }
                }
                _ = tick.tick(), if self.received < total => {
                    if self.received < self.grants.granted()
                        && last_seen.elapsed() > self.idle_timeout
                    {
                        return Err(Error::Timeout(format!(
                            "no chunk for {} s (after chunk {} of {total})",
                            self.idle_timeout.as_secs(),
                            self.received
                        )));
                    }
                    self.grants.repeat().await;
                }
            }
        }
    }
}

/// Subscribes to the offer's media subject. The subscription must be in
/// place before the first credit lets the sender publish: the transfer's
/// own connection returns once the server has confirmed it, and the shared
/// client's flush does the same.
async fn subscribe(
    client: &CatalogClient,
    key: Arc<TransferKey>,
    offer: Arc<Offer>,
) -> Result<(ChunkSource, Recycle)> {
    if let Some(reader) = open_direct(client, &offer.media_subject).await {
        return ChunkSource::direct(reader, key, offer);
    }
    let sub = client
        .client
        .subscribe(offer.media_subject.clone())
        .await
        .map_err(Error::nats)?;
    client.client.flush().await.map_err(Error::nats)?;
    Ok(ChunkSource::shared(sub, key, offer))
}

/// The transfer's own connection, subscribed to `subject`; `None`: use
/// the shared client (no login given, TLS, or it could not be set up). It
/// waits for chunks without a timeout of its own: the receive loop knows
/// when chunks are owed, and ends the connection when they do not come.
async fn open_direct(client: &CatalogClient, subject: &str) -> Option<MediaReader> {
    let login = client.direct.clone()?;
    let subject = subject.to_owned();
    let opened =
        tokio::task::spawn_blocking(move || MediaReader::subscribe(&login, &subject, None)).await;
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
fn check_offer(
    client: &CatalogClient,
    o: &Offer,
    req: &DownloadRequest,
    receiver_pub: &[u8; 32],
) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::Untrusted(format!(
            "the offer's {what} is not what we asked for"
        )))
    };
    if o.version != PROTOCOL_VERSION {
        return bad("version");
    }
    if o.owner != client.owner.sub || o.catalog != client.catalog || o.caller != client.caller {
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
    if !(MIN_CHUNK..=MAX_CHUNK).contains(&o.chunk_size) || o.window == 0 || o.window > MAX_WINDOW {
        return bad("chunk size or window");
    }
    if o.total_chunks != total_chunks(o.length, o.chunk_size) {
        return bad("chunk count");
    }
    let media = subjects::media(
        &client.caller,
        &client.owner.sub,
        &client.catalog,
        &o.transfer_id,
    );
    if o.media_subject != media {
        return bad("media subject");
    }
    Ok(())
}
