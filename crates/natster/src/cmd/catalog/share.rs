//! `natster catalog share NAME ACCOUNT [--expires DURATION]`.
//!
//! The hub exports the catalog privately; this machine signs two activation
//! tokens (catalog service and media stream, narrowed to the target's key)
//! with the account signing key and deposits them at the hub; the global
//! service records the share so the target sees it in its inbox and feed.

use anyhow::{Result, anyhow, bail};
use clap::Args;
use natster_auth::claims::{AccountNats, ActivationNats, Claims, ExportType};
use natster_auth::jwt::{decode, encode, now};
use natster_auth::keys::{KeyKind, check_public_key};
use natster_hub::client::control;
use natster_proto::hub::{CatalogExportRequest, GrantRequest};
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

/// Checks that `target` is a valid account key, not `me`, registered at the hub.
pub(super) async fn check_target(ctx: &crate::context::Context, target: &str) -> Result<()> {
    check_public_key(target, KeyKind::Account).map_err(|e| anyhow!("{target:?}: {e}"))?;
    if target == ctx.info.account {
        bail!("that is your own account: a catalog cannot be shared with its owner");
    }
    if let Err(e) = ctx.account_claims(target).await {
        let msg = format!("{e:#}");
        if msg.contains("(404)") {
            bail!(
                "account {target} is not registered at the hub {}",
                ctx.info.hub_url
            );
        }
        return Err(e);
    }
    Ok(())
}

/// Runs it.
pub async fn run(a: ShareArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let me = ctx.info.account.clone();
    let expires_in = a
        .expires
        .as_deref()
        .map(crate::duration::parse)
        .transpose()
        .map_err(|e| anyhow!(e))?;
    if expires_in.is_some_and(|d| d.as_secs() == 0) {
        bail!("--expires must be at least 1s");
    }
    super::load(&ctx, &a.name)?;
    check_target(&ctx, &a.account).await?;
    let client = ctx.connect().await?;
    let jwt = control(
        &client,
        &me,
        hub_ops::EXPORT_ADD,
        &CatalogExportRequest {
            catalog: a.name.clone(),
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
            e.subject == subjects::catalog_export(&me, &a.name)
                || e.subject == subjects::media_export(&me, &a.name)
        })
        .filter_map(|e| e.revocations.get(&a.account).copied())
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
            a.account.clone(),
            ActivationNats::new(subject, kind, me.clone()),
        )
        .with_name(a.name.clone());
        c.exp = exp;
        encode(&c, &signing).map_err(|e| anyhow!("{e}"))
    };
    let grant = GrantRequest {
        catalog: a.name.clone(),
        account: a.account.clone(),
        service_token: token(
            subjects::catalog_import(&a.account, &me, &a.name),
            ExportType::Service,
        )?,
        stream_token: token(
            subjects::media_import(&a.account, &me, &a.name),
            ExportType::Stream,
        )?,
    };
    control(&client, &me, hub_ops::EXPORT_GRANT, &grant).await?;
    let event = json!({
        "type": "catalog_shared",
        "data": { "catalog": a.name, "target": a.account, "expires_at": exp },
    });
    let recorded: Result<serde_json::Value> =
        crate::global::call(&client, &me, "events.put", &event).await;
    if let Err(e) = recorded {
        eprintln!("warning: the share works but is not in the recipient's inbox yet: {e:#}");
    }
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
