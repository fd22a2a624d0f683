//! The event log: CloudEvents appended to `NATSTER_EVENTS` with a JetStream
//! acknowledgement and a `Nats-Msg-Id`, optionally on condition of what the
//! log holds, and point reads of the last event on a subject (what
//! validation asks: "is this share live?").
//!
//! The original wrote events with a core publish, so a success reply could
//! name an event that was never stored. Here a success means JetStream
//! stored it; a retry with the same id is stored once.

use std::time::Duration;

use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::{DirectGetError, DirectGetErrorKind};
use async_nats::jetstream::{self, stream};
use natster_client::Backoff;

use crate::clock;
use crate::json::to_bytes;
use natster_proto::events::{CloudEvent, Event};

/// Fills a subject slot that does not apply to an event.
pub(crate) const NONE: &str = "none";

/// What the log must hold for an append to go through. JetStream checks it
/// atomically with the write, so instances racing to record conflicting
/// events cannot both succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Nothing: append unconditionally.
    Anything,
    /// The event's own subject holds no event yet.
    FirstOnSubject,
    /// The last event on any subject matching `filter` (wildcards allowed)
    /// is still the one at sequence `seq`.
    LastOn {
        /// A subject filter over the event stream.
        filter: String,
        /// The sequence read before deciding to append.
        seq: u64,
    },
}

/// Why an append failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AppendError {
    /// What [`Expect`] asked for did not hold (e.g. the account is already
    /// initialized, or the share changed since it was read).
    #[error("the log no longer holds what the append expected")]
    Conflict,
    /// JetStream did not answer in time, even after retries.
    #[error("the event log is unavailable: {0}")]
    Unavailable(#[source] PublishError),
    /// JetStream refused the event (e.g. the log is full).
    #[error("the event log refused the event: {0}")]
    Rejected(#[source] PublishError),
}

/// Why a read of the log failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// JetStream did not answer, or refused.
    #[error(transparent)]
    Get(#[from] DirectGetError),
    /// The stored event is not a CloudEvent we can read.
    #[error("event {seq} in the log is not readable: {source}")]
    Unreadable {
        /// Its stream sequence.
        seq: u64,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The stream's info (its size) could not be read.
    #[error(transparent)]
    Info(#[from] stream::InfoError),
}

/// Appends to and reads from the event stream.
#[derive(Debug, Clone)]
pub(crate) struct EventLog {
    js: jetstream::Context,
    stream: stream::Stream,
    retry_for: Duration,
}

/// A stored event and its stream sequence.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) event: CloudEvent,
    pub(crate) seq: u64,
}

/// Where one share stands in the log.
#[derive(Debug, Clone)]
pub(crate) enum ShareState {
    /// Its `catalog_shared` is the latest event of its life: shared, and
    /// neither unshared nor expired since. It may be past its `expires_at`
    /// with the expiry not recorded yet.
    Live(Box<Stored>),
    /// Its `catalog_share_expired` is the latest event of its life.
    Expired,
    /// Never shared, or unshared since.
    Absent,
}

/// The short name of an event's type, used as the subject's last token.
pub(crate) fn short_type(event: &Event) -> &'static str {
    match event {
        Event::AccountInitialized { .. } => "account_initialized",
        Event::CatalogShared { .. } => "catalog_shared",
        Event::CatalogUnshared { .. } => "catalog_unshared",
        Event::CatalogShareExpired { .. } => "catalog_share_expired",
        Event::CatalogImported { .. } => "catalog_imported",
        Event::CatalogRevised { .. } => "catalog_revised",
        Event::WebSessionBound { .. } => "web_session_bound",
        Event::WebSessionRevoked { .. } => "web_session_revoked",
    }
}

/// `natster.events.<origin>.<target>.<catalog>.<type>`: the slots let
/// validation find the last event about one share or one account with a
/// single direct get, and let a consumer filter by origin or type.
pub(crate) fn subject(event: &Event) -> String {
    let (origin, target, catalog) = match event {
        Event::AccountInitialized { account, .. } => (account.as_str(), NONE, NONE),
        Event::CatalogShared {
            owner,
            catalog,
            target,
            ..
        }
        | Event::CatalogUnshared {
            owner,
            catalog,
            target,
        }
        | Event::CatalogShareExpired {
            owner,
            catalog,
            target,
            ..
        } => (owner.as_str(), target.as_str(), catalog.as_str()),
        Event::CatalogImported {
            importer,
            owner,
            catalog,
        } => (importer.as_str(), owner.as_str(), catalog.as_str()),
        Event::CatalogRevised { owner, catalog, .. } => (owner.as_str(), NONE, catalog.as_str()),
        Event::WebSessionBound {
            account, session, ..
        }
        | Event::WebSessionRevoked { account, session } => {
            (account.as_str(), session.as_str(), NONE)
        }
    };
    event_subject(origin, target, catalog, short_type(event))
}

/// The subject for explicit slots (what validation looks up).
pub(crate) fn event_subject(origin: &str, target: &str, catalog: &str, kind: &str) -> String {
    format!("natster.events.{origin}.{target}.{catalog}.{kind}")
}

/// Every subject a share's life is written on: `catalog_shared`,
/// `catalog_unshared` and `catalog_share_expired` of (owner, target,
/// catalog). It may also match a `catalog_imported` (its slots are
/// importer, owner, catalog: `owner` importing `target`'s catalog of the
/// same name); readers must allow for that.
pub(crate) fn share_subjects(owner: &str, target: &str, catalog: &str) -> String {
    event_subject(owner, target, catalog, "*")
}

/// The CloudEvents `source`: the account that caused an event, or the
/// service itself for what no request caused.
fn source(event: &Event) -> String {
    let account = match event {
        Event::AccountInitialized { account, .. }
        | Event::WebSessionBound { account, .. }
        | Event::WebSessionRevoked { account, .. } => account,
        Event::CatalogShared { owner, .. }
        | Event::CatalogUnshared { owner, .. }
        | Event::CatalogRevised { owner, .. } => owner,
        Event::CatalogImported { importer, .. } => importer,
        Event::CatalogShareExpired { .. } => return "/natster/global".to_owned(),
    };
    format!("/natster/accounts/{account}")
}

/// The CloudEvents `subject`: what the event is about.
fn about(event: &Event) -> String {
    match event {
        Event::AccountInitialized { account, .. } => account.clone(),
        Event::CatalogShared { owner, catalog, .. }
        | Event::CatalogUnshared { owner, catalog, .. }
        | Event::CatalogShareExpired { owner, catalog, .. }
        | Event::CatalogImported { owner, catalog, .. }
        | Event::CatalogRevised { owner, catalog, .. } => format!("{owner}.{catalog}"),
        Event::WebSessionBound { session, .. } | Event::WebSessionRevoked { session, .. } => {
            session.clone()
        }
    }
}

/// Wraps `event` in its CloudEvents envelope, timed now.
pub(crate) fn envelope(id: String, event: Event) -> CloudEvent {
    CloudEvent {
        specversion: "1.0".into(),
        source: source(&event),
        subject: about(&event),
        id,
        time: clock::now_rfc3339(),
        datacontenttype: "application/json".into(),
        event,
    }
}

impl EventLog {
    pub(crate) fn new(js: jetstream::Context, stream: stream::Stream, retry_for: Duration) -> Self {
        Self {
            js,
            stream,
            retry_for,
        }
    }

    /// Appends `event` with id `id` (also its `Nats-Msg-Id`) if the log
    /// still holds what `expect` says. [`Expect::FirstOnSubject`] makes
    /// "initialize once" atomic across instances and beyond the duplicate
    /// window; [`Expect::LastOn`] makes "expire this share" lose to anything
    /// that changed the share after it was read.
    pub(crate) async fn append(
        &self,
        id: String,
        event: Event,
        expect: Expect,
    ) -> Result<(CloudEvent, jetstream::publish::PublishAck), AppendError> {
        let subject = subject(&event);
        let cloud = envelope(id, event);
        let mut msg = PublishMessage::build()
            .payload(to_bytes(&cloud))
            .message_id(&cloud.id)
            .header("Content-Type", "application/cloudevents+json");
        match expect {
            Expect::Anything => {}
            Expect::FirstOnSubject => msg = msg.expected_last_subject_sequence(0),
            Expect::LastOn { filter, seq } => {
                // nats-server >= 2.11: the check applies to the last message
                // on `filter` instead of on the message's own subject.
                msg = msg.expected_last_subject_sequence(seq).header(
                    "Nats-Expected-Last-Subject-Sequence-Subject",
                    filter.as_str(),
                );
            }
        }
        let deadline = tokio::time::Instant::now() + self.retry_for;
        let mut backoff = Backoff::new(Duration::from_millis(25), Duration::from_secs(1));
        loop {
            let attempt = match self.js.send_publish(subject.clone(), msg.clone()).await {
                Ok(ack) => ack.await,
                Err(e) => Err(e),
            };
            let err = match attempt {
                Ok(ack) => return Ok((cloud, ack)),
                Err(e) => e,
            };
            match err.kind() {
                PublishErrorKind::WrongLastSequence => return Err(AppendError::Conflict),
                // No responders (no stream leader yet), a lost ack, a broken
                // connection: the same Nats-Msg-Id makes a retry safe.
                PublishErrorKind::StreamNotFound
                | PublishErrorKind::TimedOut
                | PublishErrorKind::BrokenPipe
                | PublishErrorKind::MaxAckPending => {
                    let delay = backoff.next_delay();
                    if tokio::time::Instant::now() + delay > deadline {
                        return Err(AppendError::Unavailable(err));
                    }
                    tracing::debug!("event append retry after {delay:?}: {err}");
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(AppendError::Rejected(err)),
            }
        }
    }

    /// The last event on `subject` (a filter: wildcards allowed), if any.
    pub(crate) async fn last(&self, subject: &str) -> Result<Option<Stored>, ReadError> {
        match self.stream.direct_get_last_for_subject(subject).await {
            Ok(msg) => {
                let event: CloudEvent = serde_json::from_slice(&msg.payload).map_err(|source| {
                    ReadError::Unreadable {
                        seq: msg.sequence,
                        source,
                    }
                })?;
                Ok(Some(Stored {
                    event,
                    seq: msg.sequence,
                }))
            }
            Err(e) if matches!(e.kind(), DirectGetErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Where (owner, target, catalog)'s share stands. One read per kind of
    /// event rather than one on [`share_subjects`]: that could also match
    /// an unrelated `catalog_imported`.
    pub(crate) async fn share(
        &self,
        owner: &str,
        target: &str,
        catalog: &str,
    ) -> Result<ShareState, ReadError> {
        let at = |kind: &str| event_subject(owner, target, catalog, kind);
        let subjects = [
            at("catalog_shared"),
            at("catalog_unshared"),
            at("catalog_share_expired"),
        ];
        let (shared, unshared, expired) = tokio::try_join!(
            self.last(&subjects[0]),
            self.last(&subjects[1]),
            self.last(&subjects[2]),
        )?;
        // Sequences order them; 0 for an event that never happened.
        let seq = |s: &Option<Stored>| s.as_ref().map_or(0, |s| s.seq);
        let (s, u, e) = (seq(&shared), seq(&unshared), seq(&expired));
        Ok(match shared {
            Some(shared) if s > u.max(e) => ShareState::Live(Box::new(shared)),
            _ if e > u.max(s) => ShareState::Expired,
            _ => ShareState::Absent,
        })
    }

    /// Whether `account` bound `session` and has not revoked it since.
    pub(crate) async fn session_bound(
        &self,
        account: &str,
        session: &str,
    ) -> Result<bool, ReadError> {
        let at = |kind: &str| event_subject(account, session, NONE, kind);
        let bound = self.last(&at("web_session_bound")).await?;
        let revoked = self.last(&at("web_session_revoked")).await?;
        Ok(match (bound, revoked) {
            (Some(b), Some(r)) => b.seq > r.seq,
            (Some(_), None) => true,
            (None, _) => false,
        })
    }

    /// Whether `account` has an `account_initialized` event.
    pub(crate) async fn initialized(&self, account: &str) -> Result<Option<Stored>, ReadError> {
        self.last(&event_subject(account, NONE, NONE, "account_initialized"))
            .await
    }

    /// Number of events in the log.
    pub(crate) async fn count(&self) -> Result<u64, ReadError> {
        Ok(self.stream.get_info().await?.state.messages)
    }
}
