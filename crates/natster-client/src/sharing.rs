//! Sharing a catalog, taking a share back, importing one: what
//! `natster catalog share|unshare|import` and the owner's catalog server
//! (for a web session of the owner) do.
//!
//! A share is two private exports of the owner's account (the hub adds
//! them), two activation tokens signed here by the account signing key and
//! narrowed to the target's key (deposited at the hub, which checks them as
//! nats-server would), and a `catalog_shared` event so the target's inbox
//! and feed show it. An unshare is a revocation on both exports: nats-server
//! cuts the account off at once.

use std::time::Duration;

use natster_auth::claims::{AccountNats, ActivationNats, Claims, ExportType};
use natster_auth::jwt::{decode, encode, now};
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::global::{EventPutRequest, ImportData, NewEvent, ShareData, UnshareData};
use natster_proto::hub::{ExportAddRequest, GrantRequest, ImportAddRequest, RevokeRequest};
use natster_proto::names::check_catalog_name;
use natster_proto::subjects;

use crate::context::Context;
use crate::error::{Error, Result};

/// What [`share`] did.
#[derive(Debug)]
pub struct Shared {
    /// When the share ends (unix seconds), if it does.
    pub expires_at: Option<i64>,
    /// Set when the share works but the global service did not record it
    /// (then it is not in the target's inbox yet).
    pub record_error: Option<Error>,
}

/// What [`unshare`] and [`import`] did.
#[derive(Debug)]
pub struct Done {
    /// Set when the change works but the global service did not record it.
    pub record_error: Option<Error>,
}

/// Shares `ctx`'s `catalog` with `target` until unshared, or for
/// `expires_in`, over `client` (any user of the account).
pub async fn share(
    ctx: &Context,
    client: &async_nats::Client,
    catalog: &str,
    target: &str,
    expires_in: Option<Duration>,
) -> Result<Shared> {
    if expires_in.is_some_and(|d| d.as_secs() == 0) {
        return Err(Error::bad_request("--expires must be at least 1s"));
    }
    if !ctx.catalog_path(catalog)?.exists() {
        return Err(Error::not_found(format!(
            "no catalog {catalog:?} in context {:?}: create it with `natster catalog new`",
            ctx.info.name
        )));
    }
    check_target(ctx, target).await?;
    let hub = ctx.hub(client);
    let jwt = hub
        .call(&ExportAddRequest {
            catalog: catalog.to_owned(),
        })
        .await?
        .jwt;
    wait_out_revocation(&ctx.info.account, &jwt, catalog, target).await?;
    let exp = expires_in.map(|d| now() + d.as_secs() as i64);
    hub.call(&grant(ctx, catalog, target, exp)?).await?;
    let event = NewEvent::CatalogShared(ShareData {
        catalog: catalog.to_owned(),
        target: target.to_owned(),
        expires_at: exp,
    });
    Ok(Shared {
        expires_at: exp,
        record_error: record(ctx, client, event).await,
    })
}

/// Takes `catalog` back from `target` over `client` (any user of `ctx`'s
/// account): nats-server cuts the account off at once; the global service
/// records it, and the catalog servers' share views follow its feed.
pub async fn unshare(
    ctx: &Context,
    client: &async_nats::Client,
    catalog: &str,
    target: &str,
) -> Result<Done> {
    check_catalog_name(catalog).map_err(Error::bad_request)?;
    check_public_key(target, KeyKind::Account)
        .map_err(|e| Error::bad_request(format!("{target:?}: {e}")))?;
    if target == ctx.info.account {
        return Err(Error::bad_request(
            "that is your own account: an owner always reads their own catalogs",
        ));
    }
    ctx.hub(client)
        .call(&RevokeRequest {
            catalog: catalog.to_owned(),
            account: target.to_owned(),
        })
        .await?;
    let event = NewEvent::CatalogUnshared(UnshareData {
        catalog: catalog.to_owned(),
        target: target.to_owned(),
    });
    Ok(Done {
        record_error: record(ctx, client, event).await,
    })
}

/// Imports `owner`'s `catalog`, shared with `ctx`'s account, with the
/// tokens the owner deposited (no `local_subject` remap, so nats-server
/// enforces the share's expiry).
pub async fn import(
    ctx: &Context,
    client: &async_nats::Client,
    owner: &str,
    catalog: &str,
) -> Result<Done> {
    check_catalog_name(catalog).map_err(Error::bad_request)?;
    check_public_key(owner, KeyKind::Account)
        .map_err(|e| Error::bad_request(format!("{owner:?}: {e}")))?;
    ctx.hub(client)
        .call(&ImportAddRequest {
            owner: owner.to_owned(),
            catalog: catalog.to_owned(),
            service_token: String::new(),
            stream_token: String::new(),
        })
        .await?;
    let event = NewEvent::CatalogImported(ImportData {
        owner: owner.to_owned(),
        catalog: catalog.to_owned(),
    });
    Ok(Done {
        record_error: record(ctx, client, event).await,
    })
}

/// Checks that `target` is a valid account key, not our own, registered at
/// the hub.
async fn check_target(ctx: &Context, target: &str) -> Result<()> {
    check_public_key(target, KeyKind::Account)
        .map_err(|e| Error::bad_request(format!("{target:?}: {e}")))?;
    if target == ctx.info.account {
        return Err(Error::bad_request(
            "that is your own account: a catalog cannot be shared with its owner",
        ));
    }
    match ctx.account_claims(target).await {
        Err(e) if e.code() == Some(404) => Err(Error::not_found(format!(
            "account {target} is not registered at the hub {}",
            ctx.info.hub_url
        ))),
        Err(e) => Err(e),
        Ok(_) => Ok(()),
    }
}

/// A token issued in the second of an earlier revocation of `target` on
/// this catalog would still be revoked: wait until that second has passed.
async fn wait_out_revocation(me: &str, jwt: &str, catalog: &str, target: &str) -> Result<()> {
    let claims = decode::<AccountNats>(jwt)
        .map_err(|e| Error::invalid("the hub answered with an unreadable account JWT", e))?;
    let revoked_at = claims
        .nats
        .exports
        .iter()
        .filter(|e| {
            e.subject == subjects::catalog_export(me, catalog)
                || e.subject == subjects::media_export(me, catalog)
        })
        .filter_map(|e| e.revocations.get(target).copied())
        .max();
    if let Some(t) = revoked_at {
        while now() <= t {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

/// The two activation tokens, signed here by the account signing key
/// (`issuer_account` = the owner), narrowed to `target`'s key.
fn grant(ctx: &Context, catalog: &str, target: &str, exp: Option<i64>) -> Result<GrantRequest> {
    let me = &ctx.info.account;
    let signing = ctx.signing_key()?;
    let token = |subject: String, kind: ExportType| -> Result<String> {
        let mut c = Claims::new(
            target.to_owned(),
            ActivationNats::new(subject, kind, me.clone()),
        )
        .with_name(catalog.to_owned());
        c.exp = exp;
        encode(&c, &signing).map_err(|e| Error::invalid("cannot sign an activation token", e))
    };
    Ok(GrantRequest {
        catalog: catalog.to_owned(),
        account: target.to_owned(),
        service_token: token(
            subjects::catalog_import(target, me, catalog),
            ExportType::Service,
        )?,
        stream_token: token(
            subjects::media_import(target, me, catalog),
            ExportType::Stream,
        )?,
    })
}

/// Records `event` with the global service; the error, if it did not.
async fn record(ctx: &Context, client: &async_nats::Client, event: NewEvent) -> Option<Error> {
    ctx.global(client)
        .call(&EventPutRequest::from(event))
        .await
        .err()
}
