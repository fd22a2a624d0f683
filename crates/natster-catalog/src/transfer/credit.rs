//! Flow control, both halves. Credits are cumulative: `{granted: n}` lets
//! the sender publish the chunks with index below `n`. The receiver decides
//! what to grant and when; the sender forwards the grants it receives on
//! the transfer's own credit subscription into what it may publish.

use futures_util::StreamExt;
use natster_proto::catalog::Credit;
use natster_proto::subjects::caller_token;
use tokio::sync::watch;

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
