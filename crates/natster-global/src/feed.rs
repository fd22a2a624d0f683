//! The per-account feed: `<account>.natster.feed.<type>`, delivered through
//! the global account's stream export `*.natster.feed.>` (token 1 = the
//! account) to that account's import, and nowhere else.
//!
//! Feed messages are notifications (core NATS, best effort): anything that
//! must not be missed is in the log and readable through `my.shares`.

use natster_proto::feed::FeedEvent;

/// Sends `event` to `account`'s feed. A failure is logged, not returned:
/// the request that caused it has already been recorded.
pub(crate) async fn send(client: &async_nats::Client, account: &str, event: &FeedEvent) {
    let subject = natster_proto::subjects::feed(account, event.name());
    let payload = crate::json::to_bytes(event);
    if let Err(e) = client.publish(subject, payload).await {
        tracing::warn!("feed to {account} ({}): {e}", event.name());
    }
}

/// Sends `event` to each of `accounts`.
pub(crate) async fn send_all<'a>(
    client: &async_nats::Client,
    accounts: impl IntoIterator<Item = &'a str>,
    event: &FeedEvent,
) {
    for account in accounts {
        send(client, account, event).await;
    }
}
