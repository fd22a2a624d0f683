//! Projections: folds over the event log into KV, driven by the durable
//! consumer [`PROJECTOR_CONSUMER`] that every instance pulls from.
//!
//! Why they are exact:
//! - the consumer allows one unacknowledged event at a time across all
//!   instances, so events fold strictly in log order;
//! - each record keeps the stream sequence of the last event folded into it,
//!   and a redelivered event is skipped per record;
//! - writes are compare-and-set, so two instances folding the same event
//!   (a redelivery while the first is still working) cannot both apply it;
//! - an event touching several records writes the one its decisions are
//!   read from (the `out.` share key) last, so a fold cut short and
//!   redelivered decides the same way again;
//! - every time in a record is the event's own `time`, never the clock of
//!   the instance folding it, so a rebuild writes the same bytes.
//!
//! [`PROJECTOR_CONSUMER`]: crate::resources::PROJECTOR_CONSUMER
//!
//! The records and their keys are in `records`, the fold of each event in
//! `fold`; this file pulls events and hands them to the fold.

mod fold;
mod records;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::AckKind;
use futures_util::StreamExt;

use crate::consumer::{self, ConsumeError};
use crate::ctx::Ctx;
use crate::resources::PROJECTOR_CONSUMER;
use natster_proto::events::CloudEvent;

pub(crate) use records::{
    AccountRecord, CatalogRecord, EXPIRY_FILTER, ExpiryRecord, ShareRecord, StatsRecord,
    catalog_key, in_filter, out_filter, out_key,
};

/// Pulls events from the projector consumer and folds them, until the task
/// is dropped. Every instance runs this; the consumer hands each event to
/// one of them at a time.
pub(crate) async fn run(ctx: Arc<Ctx>) {
    consumer::forever("projector", || project(&ctx)).await;
}

async fn project(ctx: &Ctx) -> Result<(), ConsumeError> {
    let mut messages = consumer::messages(&ctx.store.events, PROJECTOR_CONSUMER, 64).await?;
    while let Some(msg) = messages.next().await {
        let msg = msg?;
        let seq = msg.info().map_err(ConsumeError::Info)?.stream_sequence;
        match serde_json::from_slice::<CloudEvent>(&msg.payload) {
            Ok(event) => {
                if let Err(e) = fold::apply(ctx, &event, seq).await {
                    // Storage trouble: try this event again shortly. Nothing
                    // else is delivered meanwhile (one in flight), so order holds.
                    tracing::warn!("projector: event {seq}: {e}");
                    let _ = msg
                        .ack_with(AckKind::Nak(Some(Duration::from_millis(500))))
                        .await;
                    continue;
                }
            }
            // Only this service writes the log, so this is a bug or a
            // foreign writer; skipping keeps the fold deterministic.
            Err(e) => tracing::error!("projector: event {seq} is not a CloudEvent: {e}"),
        }
        msg.ack().await.map_err(ConsumeError::Ack)?;
    }
    Ok(())
}
