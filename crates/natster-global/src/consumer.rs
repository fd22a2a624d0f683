//! The service's durable pull consumers (the projector on the log, the
//! online watch on the online bucket): how each instance reads one, and the
//! loop that reads it again after the server, the stream or the connection
//! went away.

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::consumer::{self, pull};
use async_nats::jetstream::stream;
use natster_client::Backoff;

/// Why reading a consumer stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConsumeError {
    /// The consumer could not be looked up (missing, or no answer).
    #[error("opening {name}: {source}")]
    Open {
        /// The durable consumer.
        name: &'static str,
        /// What JetStream said.
        #[source]
        source: async_nats::Error,
    },
    /// Pulling from it could not start.
    #[error(transparent)]
    Pull(#[from] consumer::StreamError),
    /// A pull failed (missed heartbeats, a lost connection).
    #[error(transparent)]
    Message(#[from] pull::MessagesError),
    /// A message carried no JetStream metadata.
    #[error(transparent)]
    Info(async_nats::Error),
    /// An acknowledgement did not go out.
    #[error(transparent)]
    Ack(async_nats::Error),
}

/// Messages of the durable consumer `name` on `stream`, up to `batch` per
/// pull. The idle heartbeat is what notices a dead server: then the stream
/// ends with an error and [`forever`] opens it again.
pub(crate) async fn messages(
    stream: &stream::Stream,
    name: &'static str,
    batch: usize,
) -> Result<pull::Stream, ConsumeError> {
    let consumer = stream
        .get_consumer::<pull::Config>(name)
        .await
        .map_err(|source| ConsumeError::Open { name, source })?;
    Ok(consumer
        .stream()
        .max_messages_per_batch(batch)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await?)
}

/// Runs `read` again and again, until the task is dropped; after a failure
/// waits 100 ms, doubling up to 5 s while failures follow each other.
pub(crate) async fn forever<F, Fut>(what: &str, mut read: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        match read().await {
            Ok(()) => backoff.reset(),
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!("{what}: {e}; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
            }
        }
    }
}
