//! What `natster catalog serve` answers to its owner beyond `get` and
//! `download`: `access` (who may read the catalog), `share` and `unshare`.
//!
//! Signing a share needs the account signing key, which only the owner's
//! machines hold; this process runs there and loads it exactly as
//! `natster catalog share` does (the same functions do the work), so a web
//! session of the same account can share without ever holding a seed. The
//! catalog server lets only the owner's own users reach these operations,
//! and a web session's credential denies `share`/`unshare` unless the
//! person logged in with `--allow-sharing`: nats-server refuses the rest.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use natster_catalog::wire::{
    AccessEntry, AccessResponse, OP_ACCESS, OP_SHARE, OP_UNSHARE, ShareRequest, ShareResponse,
    UnshareRequest, UnshareResponse,
};
use natster_catalog::{OpRequest, OpsHook, ServeControl};
use natster_proto::ApiResponse;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::share::{Refused, share};
use super::shares::ShareView;
use super::unshare::unshare;
use crate::context::Context;

/// Account names looked up at the hub at once for `access`.
const NAME_LOOKUPS: usize = 8;
/// How long one name lookup may take; then the entry has no name.
const NAME_TIMEOUT: Duration = Duration::from_secs(3);

/// What the hook needs: the context (signing key, hub), the server's own
/// connection (a user of the account), the live share view and the
/// server's control (to stop transfers on unshare).
struct Owner {
    ctx: Context,
    client: async_nats::Client,
    catalog: String,
    view: ShareView,
    control: ServeControl,
}

/// The hook for [`natster_catalog::ServeConfig::ops`].
pub(super) fn hook(
    ctx: Context,
    client: async_nats::Client,
    catalog: &str,
    view: ShareView,
    control: ServeControl,
) -> OpsHook {
    let owner = Arc::new(Owner {
        ctx,
        client,
        catalog: catalog.to_owned(),
        view,
        control,
    });
    Arc::new(move |req: OpRequest| {
        let owner = owner.clone();
        Box::pin(async move { owner.answer(req).await })
    })
}

fn body<T: DeserializeOwned>(req: &OpRequest) -> Result<T, ApiResponse<Value>> {
    serde_json::from_slice(&req.body)
        .map_err(|e| ApiResponse::err(400, format!("invalid {} request: {e}", req.op)))
}

fn ok<T: Serialize>(data: T) -> ApiResponse<Value> {
    match serde_json::to_value(data) {
        Ok(v) => ApiResponse::ok(v),
        Err(e) => ApiResponse::err(500, e.to_string()),
    }
}

/// A failure as the envelope: the person's mistakes keep their 4xx, the
/// rest (hub, global service) is a bad gateway.
fn failed(e: &anyhow::Error) -> ApiResponse<Value> {
    match e.downcast_ref::<Refused>() {
        Some(r) => ApiResponse::err(r.code, r.message.clone()),
        None => ApiResponse::err(502, format!("{e:#}")),
    }
}

impl Owner {
    async fn answer(&self, req: OpRequest) -> ApiResponse<Value> {
        match req.op.as_str() {
            OP_ACCESS => ok(self.access().await),
            OP_SHARE => {
                let r: ShareRequest = match body(&req) {
                    Ok(r) => r,
                    Err(e) => return e,
                };
                self.share(r).await
            }
            OP_UNSHARE => {
                let r: UnshareRequest = match body(&req) {
                    Ok(r) => r,
                    Err(e) => return e,
                };
                self.unshare(r).await
            }
            other => ApiResponse::err(404, format!("unknown operation {other:?}")),
        }
    }

    async fn access(&self) -> AccessResponse {
        let shares = futures_util::stream::iter(self.view.current())
            .map(|(account, expires_at)| async move {
                let name = tokio::time::timeout(NAME_TIMEOUT, self.ctx.account_claims(&account))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|c| c.name)
                    .filter(|n| !n.is_empty());
                AccessEntry {
                    account,
                    name,
                    expires_at,
                }
            })
            .buffered(NAME_LOOKUPS)
            .collect()
            .await;
        AccessResponse {
            catalog: self.catalog.clone(),
            shares,
        }
    }

    async fn share(&self, r: ShareRequest) -> ApiResponse<Value> {
        let done = match share(
            &self.ctx,
            &self.client,
            &self.catalog,
            &r.account,
            r.expires.as_deref(),
        )
        .await
        {
            Ok(d) => d,
            Err(e) => return failed(&e),
        };
        // Serve the new share now rather than when the feed confirms it.
        self.view.add(&r.account, done.expires_at);
        eprintln!(
            "shared {} with {} (asked by a user of your account)",
            self.catalog, r.account
        );
        if let Some(e) = &done.record_error {
            eprintln!("warning: the share works but is not in the recipient's inbox yet: {e}");
        }
        ok(ShareResponse {
            catalog: self.catalog.clone(),
            account: r.account,
            expires_at: done.expires_at,
            recorded: done.record_error.is_none(),
        })
    }

    async fn unshare(&self, r: UnshareRequest) -> ApiResponse<Value> {
        let done = match unshare(
            &self.ctx.info.account,
            &self.client,
            &self.catalog,
            &r.account,
        )
        .await
        {
            Ok(d) => d,
            Err(e) => return failed(&e),
        };
        // nats-server has cut the account off; stop what it still has in
        // flight here too, without waiting for the feed.
        let stopped = self.view.remove(&r.account, &self.control);
        eprintln!(
            "unshared {} from {} (asked by a user of your account); {stopped} transfers stopped",
            self.catalog, r.account
        );
        if let Some(e) = &done.record_error {
            eprintln!("warning: revoked, but not recorded with the global service: {e}");
        }
        ok(UnshareResponse {
            catalog: self.catalog.clone(),
            account: r.account,
            transfers_stopped: stopped,
            recorded: done.record_error.is_none(),
        })
    }
}
