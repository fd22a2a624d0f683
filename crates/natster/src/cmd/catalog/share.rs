//! `natster catalog share NAME ACCOUNT [--expires DURATION]`.
//!
//! The hub exports the catalog privately; this machine signs two activation
//! tokens (catalog service and media stream, narrowed to the target's key)
//! with the account signing key and deposits them at the hub; the global
//! service records the share so the target sees it in its inbox and feed.

use anyhow::{Result, anyhow};
use clap::Args;
use natster_auth::claims::{AccountNats, ActivationNats, Claims, ExportType};
use natster_auth::jwt::{decode, encode, now};
use natster_auth::keys::{KeyKind, check_public_key};
use natster_hub::client::control;
use natster_proto::hub::{ExportAddRequest, GrantRequest};
use natster_proto::subjects::{self, hub_ops};
use serde_json::json;

use crate::context::Selection;

/// Arguments.
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// Your catalog.
    pub name: String,
    /// The account to share it with (`A...`, as their `natster whoami` shows).
    pub account: String,
    /// End the share after this long (e.g. 1h, 7d); NATS itself enforces it.
    #[arg(long)]
    pub expires: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// A request that cannot be done as asked (a malformed, unknown or own
/// account key, a bad expiry, no such catalog): the person can fix it.
/// `code` is what `catalog serve` answers over NATS (400 or 404).
#[derive(Debug)]
pub(crate) struct Refused {
    pub(crate) code: u16,
    pub(crate) message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Refused {}

fn refused(code: u16, message: impl Into<String>) -> anyhow::Error {
    Refused {
        code,
        message: message.into(),
    }
    .into()
}

/// Checks that `target` is a valid account key, not `me`, registered at the hub.
async fn check_target(ctx: &crate::context::Context, target: &str) -> Result<()> {
    check_public_key(target, KeyKind::Account)
        .map_err(|e| refused(400, format!("{target:?}: {e}")))?;
    if target == ctx.info.account {
        return Err(refused(
            400,
            "that is your own account: a catalog cannot be shared with its owner",
        ));
    }
    if let Err(e) = ctx.account_claims(target).await {
        let msg = format!("{e:#}");
        if msg.contains("(404)") {
            return Err(refused(
                404,
                format!(
                    "account {target} is not registered at the hub {}",
                    ctx.info.hub_url
                ),
            ));
        }
        return Err(e);
    }
    Ok(())
}

/// What [`share`] did.
#[derive(Debug)]
pub(crate) struct Shared {
    /// When the share ends.
    pub(crate) expires_at: Option<i64>,
    /// Set when the share works but the global service did not record it
    /// (then it is not in the target's inbox yet).
    pub(crate) record_error: Option<String>,
}

/// Shares this context's `catalog` with `target`, for `expires` (as
/// `--expires` writes it) or until unshared, over `client` (any user of
/// the account): the hub exports the catalog, this machine signs the two
/// activation tokens with the account signing key and deposits them, the
/// global service records the share. `natster catalog share` and the
/// `share` operation of `natster catalog serve` both call this.
pub(crate) async fn share(
    ctx: &crate::context::Context,
    client: &async_nats::Client,
    catalog: &str,
    target: &str,
    expires: Option<&str>,
) -> Result<Shared> {
    let me = ctx.info.account.clone();
    let expires_in = expires
        .map(crate::duration::parse)
        .transpose()
        .map_err(|e| refused(400, format!("expires: {e}")))?;
    if expires_in.is_some_and(|d| d.as_secs() == 0) {
        return Err(refused(400, "--expires must be at least 1s"));
    }
    if !ctx
        .catalog_path(catalog)
        .map_err(|e| refused(400, format!("{e:#}")))?
        .exists()
    {
        return Err(refused(
            404,
            format!(
                "no catalog {catalog:?} in context {:?}: create it with `natster catalog new`",
                ctx.info.name
            ),
        ));
    }
    check_target(ctx, target).await?;
    let jwt = control(
        client,
        &me,
        hub_ops::EXPORT_ADD,
        &ExportAddRequest {
            catalog: catalog.to_owned(),
        },
    )
    .await?;

    // A token issued in the second of an earlier revocation is still revoked.
    let claims = decode::<AccountNats>(&jwt).map_err(|e| anyhow!("{e}"))?;
    let revoked_at = claims
        .nats
        .exports
        .iter()
        .filter(|e| {
            e.subject == subjects::catalog_export(&me, catalog)
                || e.subject == subjects::media_export(&me, catalog)
        })
        .filter_map(|e| e.revocations.get(target).copied())
        .max();
    if let Some(t) = revoked_at {
        while now() <= t {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    let exp = expires_in.map(|d| now() + d.as_secs() as i64);
    let signing = ctx.signing_key()?;
    let token = |subject: String, kind: ExportType| -> Result<String> {
        let mut c = Claims::new(
            target.to_owned(),
            ActivationNats::new(subject, kind, me.clone()),
        )
        .with_name(catalog.to_owned());
        c.exp = exp;
        encode(&c, &signing).map_err(|e| anyhow!("{e}"))
    };
    let grant = GrantRequest {
        catalog: catalog.to_owned(),
        account: target.to_owned(),
        service_token: token(
            subjects::catalog_import(target, &me, catalog),
            ExportType::Service,
        )?,
        stream_token: token(
            subjects::media_import(target, &me, catalog),
            ExportType::Stream,
        )?,
    };
    control(client, &me, hub_ops::EXPORT_GRANT, &grant).await?;
    let event = json!({
        "type": "catalog_shared",
        "data": { "catalog": catalog, "target": target, "expires_at": exp },
    });
    let recorded: Result<serde_json::Value> =
        crate::global::call(client, &me, "events.put", &event).await;
    Ok(Shared {
        expires_at: exp,
        record_error: recorded.err().map(|e| format!("{e:#}")),
    })
}

/// Runs it.
pub async fn run(a: ShareArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let me = ctx.info.account.clone();
    super::load(&ctx, &a.name)?;
    let client = ctx.connect().await?;
    let done = share(&ctx, &client, &a.name, &a.account, a.expires.as_deref()).await?;
    if let Some(e) = &done.record_error {
        eprintln!("warning: the share works but is not in the recipient's inbox yet: {e}");
    }
    let exp = done.expires_at;
    if a.json {
        println!(
            "{}",
            json!({ "catalog": a.name, "account": a.account, "expires_at": exp })
        );
    } else {
        let until = exp
            .map(|t| format!(" until {}", crate::progress::utc(t)))
            .unwrap_or_default();
        println!(
            "shared {} with {}{until}; they can now `natster catalog import {} {me}`",
            a.name, a.account, a.name
        );
    }
    Ok(())
}
