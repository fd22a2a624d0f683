//! `natster catalog serve NAME`: answer `get` and `download` for one
//! catalog until Ctrl-C, with heartbeats to the global service and live
//! updates when files change; and, for the owner's own account (e.g. a web
//! session), `access`, `share` and `unshare` (see `owner_ops`).

use std::sync::Arc;

use anyhow::{Result, anyhow};
use clap::Args;
use natster_auth::claims::{Claims, UserNats};
use natster_auth::jwt::encode;
use natster_auth::keys::KeyKind;
use natster_catalog::{ServeConfig, ServeEvent, serve};
use serde_json::json;

use crate::context::Selection;

/// Arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Catalog name.
    pub name: String,
    /// Seconds between heartbeats.
    #[arg(long, default_value_t = 30, hide = true)]
    pub heartbeat_secs: u64,
}

/// Runs it.
pub async fn run(a: ServeArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let (catalog, path) = super::load(&ctx, &a.name)?;
    let me = ctx.info.account.clone();
    // The server gets its own one-time user key; its JWT, signed by the
    // account signing key, is what downloaders check offers against.
    let key = KeyKind::User.generate();
    let claims = Claims::new(key.public_key(), UserNats::for_account(me.clone()))
        .with_name(format!("catalog server {}", a.name));
    let jwt = encode(&claims, &ctx.signing_key()?).map_err(|e| anyhow!("{e}"))?;
    let urls = ctx.info.nats_urls.join(",");
    let client = natster_hub::connect::options(
        jwt.clone(),
        key.clone(),
        &format!("natster-catalog-{}", a.name),
    )
    .connect(urls.as_str())
    .await
    .map_err(|e| anyhow!("cannot connect to NATS at {urls}: {e}"))?;

    let files = catalog.entries.len();
    let cache = path.with_extension("shares.json");
    let view = super::shares::ShareView::load(&client, &me, &a.name, cache).await;
    let mut config = ServeConfig::new(catalog, &me, key, &jwt);
    let access = view.clone();
    config.access = Arc::new(move |caller: &str, _catalog: &str| access.allows(caller));
    let follower = tokio::spawn(view.clone().follow(client.clone(), config.control.clone()));
    config.ops = Some(super::owner_ops::hook(
        ctx,
        client.clone(),
        &a.name,
        view,
        config.control.clone(),
    ));
    config.catalog_path = Some(path);
    config.heartbeat_interval = std::time::Duration::from_secs(a.heartbeat_secs.max(1));
    let hb_client = client.clone();
    let hb_me = me.clone();
    config.events = Some(Arc::new(move |e: &ServeEvent| {
        report(e, &hb_client, &hb_me)
    }));

    println!(
        "serving catalog {} ({files} files) as {me}; Ctrl-C stops",
        a.name
    );
    serve(client.clone(), config, crate::cmd::hub::wait_for_signal())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    // Tell the global service at once instead of letting the heartbeat expire.
    let offline: Result<serde_json::Value> = crate::global::call(
        &client,
        &me,
        "heartbeats.offline",
        &json!({ "catalog": a.name }),
    )
    .await;
    if let Err(e) = offline {
        eprintln!("warning: could not announce going offline: {e:#}");
    }
    follower.abort();
    println!("stopped serving {}", a.name);
    Ok(())
}

fn report(e: &ServeEvent, client: &async_nats::Client, me: &str) {
    match e {
        // The server's last heartbeat on shutdown says `online: false`;
        // putting it would race the `heartbeats.offline` sent after `serve`
        // returns and could leave the catalog listed online.
        ServeEvent::Heartbeat(hb) if hb.online => {
            let client = client.clone();
            let subject = natster_proto::subjects::global(me, "heartbeats.put");
            let body = json!({ "catalog": hb.catalog, "revision": hb.revision }).to_string();
            tokio::spawn(async move {
                if let Err(e) = client.request(subject, body.into()).await {
                    tracing::warn!(error = %e, "heartbeat not delivered to the global service");
                }
            });
        }
        ServeEvent::Updated { revision, report } => eprintln!(
            "catalog updated to revision {revision}: {} added, {} changed, {} removed, {} renamed",
            report.added.len(),
            report.changed.len(),
            report.removed.len(),
            report.renamed.len()
        ),
        ServeEvent::Refused {
            caller,
            op,
            code,
            reason,
        } => eprintln!("refused {op} from {caller}: {code} {reason}"),
        ServeEvent::TransferStarted(t) => eprintln!("transfer {} started", t.transfer_id),
        ServeEvent::TransferFinished { info, bytes, error } => match error {
            None => eprintln!("transfer {} done: {bytes} bytes", info.transfer_id),
            Some(err) => eprintln!(
                "transfer {} failed after {bytes} bytes: {err}",
                info.transfer_id
            ),
        },
        ServeEvent::Warning(w) => eprintln!("warning: {w}"),
        _ => {}
    }
}
