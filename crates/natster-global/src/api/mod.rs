//! The NATS service: one endpoint per operation on `*.natster.global.<op>`,
//! queue group [`QUEUE_GROUP`], discoverable through `$SRV`. Errors become
//! the API envelope here, in one place.

mod catalogs;
mod events;
mod shares;
mod stats;
mod whoami;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::service::ServiceExt;
use bytes::Bytes;
use futures_util::StreamExt;
use natster_proto::ApiResponse;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use crate::caller::caller;
use crate::ctx::Ctx;
use crate::error::{ApiFailure, GlobalError};
use crate::json::to_bytes;
use crate::{heartbeats, otc};
use natster_proto::global::ops;

/// Queue group every instance joins: each request goes to one of them.
pub const QUEUE_GROUP: &str = "natster-global";
/// The service's name in `$SRV` discovery.
pub const SERVICE_NAME: &str = "natster-global";

/// Serves requests until `shutdown` completes, then lets requests in flight
/// finish (up to a few seconds).
pub(crate) async fn serve(
    ctx: Arc<Ctx>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), GlobalError> {
    let service = ctx
        .client
        .service_builder()
        .description("Natster global service: event log, shares, online status, login codes")
        .queue_group(QUEUE_GROUP)
        .start(SERVICE_NAME, env!("CARGO_PKG_VERSION"))
        .await
        .map_err(GlobalError::Service)?;
    let mut endpoints = Vec::new();
    for op in ops::ALL {
        let endpoint = service
            .endpoint_builder()
            .name(op.replace('.', "-"))
            .add(format!("*.natster.global.{op}"))
            .await
            .map_err(GlobalError::Service)?;
        endpoints.push(endpoint.map(move |r| (op, r)).boxed());
    }
    let mut requests = futures_util::stream::select_all(endpoints);
    let limit = ctx.config.max_in_flight;
    let permits = Arc::new(Semaphore::new(limit));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            next = requests.next() => {
                let Some((op, request)) = next else { break };
                // Waiting here leaves further requests in NATS instead of
                // piling up tasks; a closed semaphore cannot happen (never closed).
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    let reply = handle(&ctx, op, &request.message).await;
                    // A plain publish (no reply subject) gets no answer; that is fine.
                    let _ = request.respond(Ok(reply)).await;
                    drop(permit);
                });
            }
        }
    }
    drop(requests);
    let _ = service.stop().await;
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), permits.acquire_many(limit)).await;
    Ok(())
}

/// One request, start to finish: always an envelope, never a panic.
async fn handle(ctx: &Ctx, op: &str, msg: &async_nats::Message) -> Bytes {
    match dispatch(ctx, op, msg).await {
        Ok(bytes) => bytes,
        Err(failure) => {
            tracing::debug!("{op} on {}: {failure}", msg.subject);
            to_bytes(&failure.into_response::<()>())
        }
    }
}

async fn dispatch(ctx: &Ctx, op: &str, msg: &async_nats::Message) -> Result<Bytes, ApiFailure> {
    let max = ctx.config.max_request_bytes;
    if msg.payload.len() > max {
        return Err(ApiFailure::too_large(format!(
            "the request is {} bytes; at most {max} are accepted",
            msg.payload.len()
        )));
    }
    let caller = caller(msg.subject.as_str(), msg.headers.as_ref())?;
    let body = &msg.payload;
    match op {
        ops::EVENTS_PUT => ok(events::put(ctx, &caller, json(body)?).await?),
        ops::HEARTBEATS_PUT => ok(heartbeats::put(ctx, &caller, json(body)?).await?),
        ops::HEARTBEATS_OFFLINE => ok(heartbeats::offline(ctx, &caller, json(body)?).await?),
        ops::STATS => ok(stats::stats(ctx).await?),
        ops::MY_SHARES => ok(shares::my_shares(ctx, &caller).await?),
        ops::MY_CATALOGS => ok(catalogs::my_catalogs(ctx, &caller).await?),
        ops::WHOAMI => ok(whoami::whoami(ctx, &caller).await?),
        ops::VALIDATE_NAME => ok(whoami::validate_name(body)?),
        ops::OTC_GENERATE => ok(otc::generate(ctx, &caller, json_or_default(body)?).await?),
        ops::OTC_CLAIM => ok(otc::claim(ctx, &caller, json(body)?).await?),
        ops::IMPORTS_RECORD => ok(events::import(ctx, &caller, json(body)?).await?),
        _ => Err(ApiFailure::not_found(format!("unknown operation {op:?}"))),
    }
}

fn ok<T: Serialize>(data: T) -> Result<Bytes, ApiFailure> {
    Ok(to_bytes(&ApiResponse::ok(data)))
}

/// The body as `T`, or a 400 saying what is wrong with it.
fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiFailure::bad_request(
            "empty request; a JSON object is expected",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiFailure::bad_request(format!("malformed request: {e}")))
}

/// Like [`json`], but an empty body means `T::default()`.
fn json_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        json(body)
    }
}
