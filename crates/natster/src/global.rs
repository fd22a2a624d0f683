//! Calling the global service from the CLI: `<me>.natster.global.<op>`.

use std::time::Duration;

use anyhow::{Result, anyhow};
use natster_proto::{ApiResponse, subjects};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Sends `body` to the global service's `op` as account `me`.
pub async fn call<B: Serialize, T: DeserializeOwned>(
    client: &async_nats::Client,
    me: &str,
    op: &str,
    body: &B,
) -> Result<T> {
    let payload = serde_json::to_vec(body)?;
    let req = client.request(subjects::global(me, op), payload.into());
    let msg = tokio::time::timeout(Duration::from_secs(10), req)
        .await
        .map_err(|_| anyhow!("the global service did not answer {op} within 10 s"))?
        .map_err(|e| match e.kind() {
            async_nats::RequestErrorKind::NoResponders => {
                anyhow!("the global service is not running (no responders for {op})")
            }
            _ => anyhow!("global {op}: {e}"),
        })?;
    let resp: ApiResponse<T> = serde_json::from_slice(&msg.payload)
        .map_err(|e| anyhow!("global {op}: unreadable answer: {e}"))?;
    resp.into_result().map_err(|e| anyhow!("global {op}: {e}"))
}
