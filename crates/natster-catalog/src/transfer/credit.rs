//! Flow control, both halves. Credits are cumulative: `{granted: n}` lets
//! the sender publish the chunks with index below `n`. The receiver decides
//! what to grant and when; the sender forwards the grants it receives on
//! the transfer's own credit subscription into what it may publish.

use futures_util::StreamExt;
use natster_proto::catalog::Credit;
use natster_proto::subjects::caller_token;
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::transfer::direct::MediaWriter;

/// The sender's half: forwards the grants of `caller` (capped at `total`,
/// never backwards) into `credits`. Returns when the receiver asks to stop;
/// while the subscription lasts otherwise, and after it ends, it never
/// returns, so the sender's view of its credits stays alive until it
/// finishes (or times out waiting for more).
pub(crate) async fn forward(
    mut sub: async_nats::Subscriber,
    caller: String,
    total: u64,
    credits: watch::Sender<u64>,
) {
    while let Some(m) = sub.next().await {
        // Only the transfer's caller grants; anyone else who can publish
        // on the subject (other users of the owner's account) is ignored.
        if caller_token(&m.subject) != Some(caller.as_str()) {
            continue;
        }
        let Ok(c) = serde_json::from_slice::<Credit>(&m.payload) else {
            continue;
        };
        if c.stop {
            return;
        }
        let g = c.granted.min(total);
        credits.send_if_modified(|cur| {
            let more = g > *cur;
            if more {
                *cur = g;
            }
            more
        });
    }
    std::future::pending::<()>().await;
}

/// The receiver's half: what it has granted, and when to grant more.
///
/// It first grants a whole window, then, as its consumer (the part writer,
/// or whoever reads a stream) finishes chunks, `consumed + window` whenever
/// that is at least half a window more than last granted: fewer messages,
/// and the sender never runs dry while the consumer works. So the sender
/// never has more than a window of chunks beyond what was consumed.
pub(crate) struct Grants {
    client: async_nats::Client,
    /// The transfer's own connection, when it has one: grants follow the
    /// subscription through one socket.
    media: Option<MediaWriter>,
    subject: String,
    window: u64,
    total: u64,
    granted: u64,
}

impl Grants {
    pub(crate) fn new(
        client: async_nats::Client,
        media: Option<MediaWriter>,
        subject: String,
        window: u64,
        total: u64,
    ) -> Self {
        Self {
            client,
            media,
            subject,
            window: window.max(1),
            total,
            granted: 0,
        }
    }

    /// Chunks granted ahead of the consumer, at most.
    pub(crate) fn window(&self) -> u64 {
        self.window
    }

    /// Chunks granted so far.
    pub(crate) fn granted(&self) -> u64 {
        self.granted
    }

    /// The first grant: a whole window.
    pub(crate) async fn open(&mut self) -> Result<()> {
        self.granted = self.window.min(self.total);
        self.send().await
    }

    /// The consumer has finished `consumed` chunks: grants more if it is
    /// time. Returns whether it did.
    pub(crate) async fn consumed(&mut self, consumed: u64) -> Result<bool> {
        let want = (consumed + self.window).min(self.total);
        let batch = want >= self.granted + self.window.div_ceil(2);
        if want > self.granted && (batch || want == self.total) {
            self.granted = want;
            self.send().await?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Repeats the last grant: one lost across a reconnect would otherwise
    /// stall both sides.
    pub(crate) async fn repeat(&self) {
        let _ = self.send().await;
    }

    async fn send(&self) -> Result<()> {
        let credit = Credit {
            granted: self.granted,
            stop: false,
        };
        let body = serde_json::to_vec(&credit).map_err(|e| Error::json("credit", e))?;
        match &self.media {
            Some(m) => m.publish(&self.subject, &body),
            None => self
                .client
                .publish(self.subject.clone(), body.into())
                .await
                .map_err(Error::nats),
        }
    }
}

/// Tells the sender to stop (`{"granted": 0, "stop": true}`) when dropped
/// while armed: the download failed, or its caller went away, before every
/// chunk was in. The sender then frees its slot at once instead of waiting
/// out its credit timeout. Drop cannot wait, so the publish runs as a task
/// of its own.
pub(crate) struct StopOnDrop {
    client: async_nats::Client,
    subject: Option<String>,
}

impl StopOnDrop {
    pub(crate) fn new(client: async_nats::Client, subject: String) -> Self {
        Self {
            client,
            subject: Some(subject),
        }
    }

    /// Every chunk is in: nothing to stop.
    pub(crate) fn disarm(&mut self) {
        self.subject = None;
    }
}

impl Drop for StopOnDrop {
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
