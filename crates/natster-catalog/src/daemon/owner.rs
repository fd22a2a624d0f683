//! What the catalog server answers to its owner beyond `get` and
//! `download`: `access` (who may read the catalog), `share` and `unshare`.
//!
//! Signing a share needs the account signing key, which only the owner's
//! machines hold; the catalog server runs there and loads it exactly as
//! `natster catalog share` does (natster-client's `sharing` does the work), so a web
//! session of the same account can share without ever holding a seed. The
//! catalog server lets only the owner's own users reach these operations,
//! and a web session's credential denies `share`/`unshare` unless the
//! person logged in with `--allow-sharing`: nats-server refuses the rest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use natster_client::{Context, Error as ClientError, sharing};
use natster_proto::ApiResponse;
use natster_proto::catalog::{
    AccessEntry, AccessResponse, OP_ACCESS, OP_SHARE, OP_UNSHARE, ShareRequest, ShareResponse,
    UnshareRequest, UnshareResponse,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::access::ShareView;
use crate::server::{OpRequest, OpsHook, ServeControl};

/// Account names looked up at the hub at once for `access`.
const NAME_LOOKUPS: usize = 8;
/// How long one name lookup may take; then the entry has no name.
const NAME_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a name found at the hub is reused; names rarely change.
const NAME_TTL: Duration = Duration::from_secs(300);
/// How long a failed lookup is remembered, so a hub that is down costs one
/// timeout per account per minute rather than one per page view.
const NO_NAME_TTL: Duration = Duration::from_secs(60);

/// What the hook needs: the context (signing key, hub), the server's own
/// connection (a user of the account), the live share view and the
/// server's control (to stop transfers on unshare).
struct Owner {
    ctx: Context,
    client: async_nats::Client,
    catalog: String,
    view: ShareView,
    control: ServeControl,
    names: NameCache,
}

/// Account names from the hub, kept for a while: the web page asks for
/// `access` on every view, and each name is a hub round trip.
#[derive(Default)]
struct NameCache(std::sync::Mutex<std::collections::HashMap<String, (Option<String>, Instant)>>);

impl NameCache {
    /// The cached name of `account`, else what `lookup` finds (`None`: no
    /// name, or the lookup failed).
    async fn get<F>(&self, account: &str, lookup: F) -> Option<String>
    where
        F: std::future::Future<Output = Result<Option<String>, ()>>,
    {
        let now = Instant::now();
        if let Some((name, until)) = self.lock().get(account) {
            if *until > now {
                return name.clone();
            }
        }
        let (name, ttl) = match lookup.await {
            Ok(name) => (name, NAME_TTL),
            Err(()) => (None, NO_NAME_TTL),
        };
        let mut names = self.lock();
        names.retain(|_, (_, until)| *until > now);
        names.insert(account.to_owned(), (name.clone(), now + ttl));
        name
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (Option<String>, Instant)>>
    {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The hook for [`crate::ServeConfig::ops`].
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
        names: NameCache::default(),
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
fn failed(e: &ClientError) -> ApiResponse<Value> {
    match e {
        ClientError::Refused { code, message } => ApiResponse::err(*code, message.clone()),
        other => ApiResponse::err(502, chain(other)),
    }
}

/// An error and its sources, one line.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
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
                let lookup = async {
                    match tokio::time::timeout(NAME_TIMEOUT, self.ctx.account_claims(&account))
                        .await
                    {
                        Ok(Ok(c)) => Ok(Some(c.name).filter(|n| !n.is_empty())),
                        _ => Err(()),
                    }
                };
                let name = self.names.get(&account, lookup).await;
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
        let expires = match r.expires.as_deref().map(natster_client::duration::parse) {
            Some(Err(e)) => return ApiResponse::err(400, format!("expires: {e}")),
            Some(Ok(d)) => Some(d),
            None => None,
        };
        let done = match sharing::share(&self.ctx, &self.client, &self.catalog, &r.account, expires)
            .await
        {
            Ok(d) => d,
            Err(e) => return failed(&e),
        };
        // Serve the new share now rather than when the feed confirms it.
        self.view.add(&r.account, done.expires_at);
        tracing::info!(
            "shared {} with {} (asked by a user of your account)",
            self.catalog,
            r.account
        );
        if let Some(e) = &done.record_error {
            tracing::warn!(
                "the share works but is not in the recipient's inbox yet: {}",
                chain(e)
            );
        }
        ok(ShareResponse {
            catalog: self.catalog.clone(),
            account: r.account,
            expires_at: done.expires_at,
            recorded: done.record_error.is_none(),
        })
    }

    async fn unshare(&self, r: UnshareRequest) -> ApiResponse<Value> {
        let done = match sharing::unshare(&self.ctx, &self.client, &self.catalog, &r.account).await
        {
            Ok(d) => d,
            Err(e) => return failed(&e),
        };
        // nats-server has cut the account off; stop what it still has in
        // flight here too, without waiting for the feed.
        let stopped = self.view.remove(&r.account, &self.control);
        tracing::info!(
            "unshared {} from {} (asked by a user of your account); {stopped} transfers stopped",
            self.catalog,
            r.account
        );
        if let Some(e) = &done.record_error {
            tracing::warn!(
                "revoked, but not recorded with the global service: {}",
                chain(e)
            );
        }
        ok(UnshareResponse {
            catalog: self.catalog.clone(),
            account: r.account,
            transfers_stopped: stopped,
            recorded: done.record_error.is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A name is looked up once and then reused; a failed lookup is
    /// remembered as "no name" too, so it does not cost a timeout per view.
    #[tokio::test]
    async fn names_are_looked_up_once() {
        let cache = NameCache::default();
        let polled = AtomicU32::new(0);
        let found = |name: &'static str| {
            let polled = &polled;
            async move {
                polled.fetch_add(1, Ordering::Relaxed);
                Ok(Some(name.to_owned()))
            }
        };
        let failed = || async {
            polled.fetch_add(1, Ordering::Relaxed);
            Err(())
        };
        assert_eq!(cache.get("A1", found("bob")).await.as_deref(), Some("bob"));
        assert_eq!(
            cache.get("A1", found("other")).await.as_deref(),
            Some("bob")
        );
        assert_eq!(
            cache.get("A2", found("carol")).await.as_deref(),
            Some("carol")
        );
        assert_eq!(cache.get("A3", failed()).await, None);
        assert_eq!(cache.get("A3", found("dave")).await, None, "failure cached");
        // Only the three lookups that were needed ran.
        assert_eq!(polled.load(Ordering::Relaxed), 3);
    }
}
