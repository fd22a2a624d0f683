//! Server push: a live session subscribes to its account's feed from the
//! global service (`<A>.natster.feed.>`: shares received, catalogs going
//! online or offline, revisions) and fans each event out to the browser's
//! Server-Sent Events streams (`GET /api/events`). When the session ends,
//! the stream sends `ended` and closes.

use std::convert::Infallible;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use natster_proto::subjects;
use tokio::sync::{broadcast, watch};

use crate::session::{Phase, Session};

/// Largest feed event passed on; the feed's events are small.
const MAX_EVENT_BYTES: usize = 16 << 10;

/// Copies the account's feed into the session's broadcast until the
/// session goes away or the subscription ends.
pub(crate) async fn forward_feed(
    session: Weak<Session>,
    client: async_nats::Client,
    account: String,
) {
    let mut sub = match client.subscribe(subjects::feed_import(&account)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%account, "web session cannot follow its feed: {e}");
            return;
        }
    };
    while let Some(msg) = sub.next().await {
        let Some(s) = session.upgrade() else { return };
        if msg.payload.len() > MAX_EVENT_BYTES {
            continue;
        }
        // Only well-formed JSON objects with a type reach the page.
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&msg.payload) else {
            continue;
        };
        if v.get("type").and_then(|t| t.as_str()).is_none() {
            continue;
        }
        let _ = s.feed.send(v.to_string());
    }
}

enum Next {
    Feed(String),
    Lagged,
    Phase(Phase),
    Done,
}

/// The SSE stream for one page of `session`.
pub(crate) fn stream(
    session: &Arc<Session>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let feed = session.feed.subscribe();
    let phase = session.watch();
    let first = Event::default()
        .event("phase")
        .data(serde_json::to_string(&session.phase()).unwrap_or_default());
    type St = (broadcast::Receiver<String>, watch::Receiver<Phase>, bool);
    let rest = futures_util::stream::unfold(
        (feed, phase, false) as St,
        |(mut feed, mut phase, done)| async move {
            if done {
                return None;
            }
            let next = tokio::select! {
                m = feed.recv() => match m {
                    Ok(text) => Next::Feed(text),
                    Err(broadcast::error::RecvError::Lagged(_)) => Next::Lagged,
                    Err(broadcast::error::RecvError::Closed) => Next::Done,
                },
                changed = phase.changed() => match changed {
                    Ok(()) => Next::Phase(phase.borrow_and_update().clone()),
                    Err(_) => Next::Done,
                },
            };
            let (event, done) = match next {
                Next::Feed(text) => (Event::default().event("feed").data(text), false),
                // The page re-reads everything when it missed events.
                Next::Lagged => (Event::default().event("resync").data("{}"), false),
                Next::Phase(p) => {
                    let ended = matches!(p, Phase::Ended { .. });
                    let data = serde_json::to_string(&p).unwrap_or_default();
                    (Event::default().event("phase").data(data), ended)
                }
                Next::Done => (
                    Event::default()
                        .event("phase")
                        .data(r#"{"state":"ended","reason":"session ended"}"#),
                    true,
                ),
            };
            Some((Ok(event), (feed, phase, done)))
        },
    );
    let all = futures_util::stream::once(async move { Ok(first) }).chain(rest);
    Sse::new(all).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
