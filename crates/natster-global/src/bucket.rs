//! KV buckets as the service uses them: reads that tell a value from a
//! removal marker, compare-and-set writes (with per-key TTLs), folds that
//! apply each event to a record exactly once, and listings by key filter.

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, kv, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::json::to_bytes;

/// Keys per round trip when listing.
const LIST_PAGE: usize = 1000;

/// A KV failure inside the service. Each keeps what JetStream or serde said;
/// the messages are the ones API callers see in a 503.
#[derive(Debug, thiserror::Error)]
pub(crate) enum KvError {
    /// Reading a key's last message failed.
    #[error(transparent)]
    Read(#[from] stream::DirectGetError),
    /// JetStream did not take a write: no answer, or refused.
    #[error(transparent)]
    Write(#[from] jetstream::context::PublishError),
    /// A listing could not subscribe to its replies.
    #[error(transparent)]
    Subscribe(#[from] async_nats::SubscribeError),
    /// A listing's request could not be sent.
    #[error(transparent)]
    Send(#[from] async_nats::PublishError),
    /// The server refused a page of a walk, which asks for no more than it allows.
    #[error("listing {filter}: page refused")]
    PageRefused {
        /// The key filter.
        filter: String,
    },
    /// The replies' subscription ended before the end-of-batch marker.
    #[error("listing: subscription closed")]
    ListingClosed,
    /// No reply for too long.
    #[error("listing {filter} timed out")]
    ListingTimedOut {
        /// The key filter.
        filter: String,
        /// The timer that ran out.
        #[source]
        source: tokio::time::error::Elapsed,
    },
    /// The server answered a listing with an error status.
    #[error("listing {filter}: status {code} {description}")]
    ListingStatus {
        /// The key filter.
        filter: String,
        /// The status code.
        code: u16,
        /// The server's description, if any.
        description: String,
    },
    /// A stored value is not the JSON we wrote.
    #[error("corrupt value at {key}: {source}")]
    Corrupt {
        /// The key.
        key: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// Someone else changed the key between our read and write, too often.
    #[error("kept losing races on {0}")]
    Contended(String),
}

/// A KV bucket and the JetStream context to write to it with headers
/// (compare-and-set, per-key TTL), which `kv::Store` does not offer for puts.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    pub(crate) kv: kv::Store,
    js: jetstream::Context,
}

impl Bucket {
    pub(crate) fn new(kv: kv::Store, js: jetstream::Context) -> Self {
        Self { kv, js }
    }

    /// The latest message on a key: its value (`None` when the latest is a
    /// delete/purge marker) and its stream sequence (for compare-and-set).
    pub(crate) async fn read(&self, key: &str) -> Result<Option<(Option<Bytes>, u64)>, KvError> {
        let kv = &self.kv;
        let subject = format!("{}{}", kv.prefix, key);
        match kv.stream.direct_get_last_for_subject(subject).await {
            Ok(msg) => {
                let removed = is_removal(&msg.headers);
                Ok(Some(((!removed).then_some(msg.payload), msg.sequence)))
            }
            Err(e) if matches!(e.kind(), stream::DirectGetErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The JSON value at `key`, if there is one.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, KvError> {
        match self.read(key).await? {
            Some((Some(bytes), _)) => parse(key, &bytes).map(Some),
            _ => Ok(None),
        }
    }
}

pub(crate) fn parse<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, KvError> {
    serde_json::from_slice(bytes).map_err(|source| KvError::Corrupt {
        key: key.to_owned(),
        source,
    })
}

impl Bucket {
    /// Writes `value` at `key` if the key's last sequence is still `expected`
    /// (0: the key has no message at all). `ttl` sets a per-key TTL. Returns
    /// `Ok(false)` when someone else wrote first.
    pub(crate) async fn put_if(
        &self,
        key: &str,
        value: Bytes,
        expected: u64,
        ttl: Option<Duration>,
    ) -> Result<bool, KvError> {
        let mut msg = PublishMessage::build()
            .payload(value)
            .expected_last_subject_sequence(expected);
        if let Some(ttl) = ttl {
            msg = msg.ttl(ttl);
        }
        self.publish_cas(key, msg).await
    }

    /// Deletes `key` if its last sequence is still `expected`.
    pub(crate) async fn delete_if(&self, key: &str, expected: u64) -> Result<bool, KvError> {
        let msg = PublishMessage::build()
            .header("KV-Operation", "DEL")
            .expected_last_subject_sequence(expected);
        self.publish_cas(key, msg).await
    }

    /// Purges `key` if its last sequence is still `expected`, leaving a purge
    /// marker that itself expires (buckets with per-key TTLs only): watchers see
    /// the removal once and the bucket does not keep a marker per key forever.
    pub(crate) async fn remove_if(&self, key: &str, expected: u64) -> Result<bool, KvError> {
        let msg = PublishMessage::build()
            .header("KV-Operation", "PURGE")
            .header("Nats-Rollup", "sub")
            .expected_last_subject_sequence(expected)
            .ttl(Duration::from_secs(60));
        self.publish_cas(key, msg).await
    }

    async fn publish_cas(&self, key: &str, msg: PublishMessage) -> Result<bool, KvError> {
        let kv = &self.kv;
        let subject = format!("{}{}", kv.put_prefix.as_ref().unwrap_or(&kv.prefix), key);
        let ack = self.js.send_publish(subject, msg).await?.await;
        match ack {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind(), PublishErrorKind::WrongLastSequence) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// A projection record: it remembers the last event applied to it.
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// Stream sequence of the last event folded into this record.
    fn seq(&self) -> u64;
}

/// What a fold does to one record.
#[derive(Debug)]
pub(crate) enum Change<T> {
    /// Store this.
    Put(T),
    /// Remove the key.
    Delete,
    /// Leave it.
    Keep,
}

impl Bucket {
    /// Applies event `seq` to the record at `key` exactly once: skipped when the
    /// record already holds `seq` (a redelivery), written with compare-and-set so
    /// two instances folding the same event cannot both apply it.
    pub(crate) async fn fold_key<T: Record>(
        &self,
        key: &str,
        seq: u64,
        mut f: impl FnMut(Option<T>) -> Change<T>,
    ) -> Result<(), KvError> {
        for _ in 0..16 {
            let (current, last) = match self.read(key).await? {
                Some((Some(bytes), last)) => (Some(parse::<T>(key, &bytes)?), last),
                Some((None, last)) => (None, last),
                None => (None, 0),
            };
            if current.as_ref().is_some_and(|r| r.seq() >= seq) {
                return Ok(());
            }
            let existed = current.is_some();
            let done = match f(current) {
                Change::Keep => return Ok(()),
                Change::Put(v) => self.put_if(key, to_bytes(&v), last, None).await?,
                Change::Delete if existed => self.delete_if(key, last).await?,
                Change::Delete => return Ok(()),
            };
            if done {
                return Ok(());
            }
        }
        Err(KvError::Contended(key.to_owned()))
    }

    /// Every live `(key, value)` whose key matches `filter` (KV wildcards),
    /// through JetStream direct batch gets (nats-server >= 2.11) rather than a
    /// consumer per call: an ordered consumer per request ran into the
    /// account's consumer limit under load.
    ///
    /// First one `multi_last` request (exactly the matching keys, one round
    /// trip). The server refuses it beyond about a thousand keys (413); then
    /// the bucket is walked in pages of [`LIST_PAGE`], filtered here.
    pub(crate) async fn list(&self, filter: &str) -> Result<Vec<(String, Bytes)>, KvError> {
        let request = serde_json::json!({
            "multi_last": [format!("{}{}", self.kv.prefix, filter)],
        });
        match self.direct_batch(filter, &request).await? {
            Batch::Done(found) => Ok(live(found)),
            Batch::TooMany => self.walk(filter).await,
        }
    }

    /// The paged walk behind [`Bucket::list`] for large results. The buckets
    /// keep one message per key (history 1), so walking all messages in
    /// sequence order visits each key once; a key rewritten during the walk can
    /// be seen twice, and the later copy wins.
    async fn walk(&self, filter: &str) -> Result<Vec<(String, Bytes)>, KvError> {
        let mut all = BTreeMap::new();
        let mut next = 1u64;
        loop {
            let request = serde_json::json!({
                "seq": next,
                "next_by_subject": format!("{}>", self.kv.prefix),
                "batch": LIST_PAGE,
            });
            let Batch::Done(page) = self.direct_batch(filter, &request).await? else {
                return Err(KvError::PageRefused {
                    filter: filter.to_owned(),
                });
            };
            let Some(last) = page.values().map(|(seq, _)| *seq).max() else {
                break;
            };
            let full = page.len() >= LIST_PAGE;
            for (key, (seq, value)) in page {
                if matches_filter(&key, filter) && all.get(&key).is_none_or(|(old, _)| *old < seq) {
                    all.insert(key, (seq, value));
                }
            }
            if !full {
                break;
            }
            next = last + 1;
        }
        Ok(live(all))
    }

    /// One direct batch request: every message until the end-of-batch marker,
    /// by key, with its sequence (`None` value for delete/purge markers).
    async fn direct_batch(
        &self,
        filter: &str,
        request: &serde_json::Value,
    ) -> Result<Batch, KvError> {
        let kv = &self.kv;
        let client = self.js.client();
        let inbox = client.new_inbox();
        let mut replies = client.subscribe(inbox.clone()).await?;
        client
            .publish_with_reply(
                format!("$JS.API.DIRECT.GET.{}", kv.stream_name),
                inbox,
                to_bytes(request),
            )
            .await?;
        let mut found = BTreeMap::new();
        loop {
            let msg = match tokio::time::timeout(Duration::from_secs(10), replies.next()).await {
                Ok(Some(m)) => m,
                Ok(None) => return Err(KvError::ListingClosed),
                Err(source) => {
                    return Err(KvError::ListingTimedOut {
                        filter: filter.to_owned(),
                        source,
                    });
                }
            };
            match msg.status.map(|s| s.as_u16()) {
                // End of the batch, or nothing matches.
                Some(204) | Some(404) => return Ok(Batch::Done(found)),
                Some(413) => return Ok(Batch::TooMany),
                Some(code) => {
                    return Err(KvError::ListingStatus {
                        filter: filter.to_owned(),
                        code,
                        description: msg.description.clone().unwrap_or_default(),
                    });
                }
                None => {}
            }
            let Some(headers) = msg.headers.as_ref() else {
                continue;
            };
            let seq = headers
                .get("Nats-Sequence")
                .and_then(|s| s.as_str().parse::<u64>().ok())
                .unwrap_or(0);
            let removed = is_removal(headers);
            if let Some(key) = headers
                .get("Nats-Subject")
                .and_then(|s| s.as_str().strip_prefix(kv.prefix.as_str()))
            {
                let value = (!removed).then(|| msg.payload.clone());
                found.insert(key.to_owned(), (seq, value));
            }
        }
    }
}

/// Whether a bucket message removes its key: a delete or a purge, or the
/// marker the server writes when a per-key TTL runs out.
pub(crate) fn is_removal(headers: &HeaderMap) -> bool {
    headers
        .get("KV-Operation")
        .is_some_and(|op| matches!(op.as_str(), "DEL" | "PURGE"))
        || headers.get("Nats-Marker-Reason").is_some()
}

/// What one direct batch request returned.
enum Batch {
    /// Every matching message, by key: (sequence, value or `None` if removed).
    Done(BTreeMap<String, (u64, Option<Bytes>)>),
    /// The server would return too many; walk in pages instead.
    TooMany,
}

fn live(found: BTreeMap<String, (u64, Option<Bytes>)>) -> Vec<(String, Bytes)> {
    found
        .into_iter()
        .filter_map(|(key, (_, value))| value.map(|v| (key, v)))
        .collect()
}

/// NATS subject matching of `key` against `filter` (`*` one token, `>` the rest).
fn matches_filter(key: &str, filter: &str) -> bool {
    let mut k = key.split('.');
    for f in filter.split('.') {
        match (f, k.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (f, Some(t)) if f == t => {}
            _ => return false,
        }
    }
    k.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::matches_filter;

    #[test]
    fn filters_match_like_nats_subjects() {
        assert!(matches_filter("out.A.c.B", "out.A.>"));
        assert!(matches_filter("out.A.c.B", "out.A.c.*"));
        assert!(!matches_filter("in.B.A.c", "out.A.>"));
        assert!(!matches_filter("out.A", "out.A.>"));
        assert!(!matches_filter("out.A.c.B.x", "out.A.c.*"));
        assert!(matches_filter("A.c", ">"));
    }
}
