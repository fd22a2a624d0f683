//! `natster init`: create this machine's identity and register it at a hub.
//!
//! Keys are generated here; the hub gets public keys and a signature of its
//! nonce, and returns the account JWT it signed. The CLI then signs its own
//! user JWT with the account signing key.

use crate::output::say;
use anyhow::{Context as _, Result, bail};
use clap::Args;
use natster_client::register::{Registration, initialized_event, register};
use natster_client::{Context, HubHttp, Selection};

/// Create an identity on this machine and register it at a hub.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The hub's URL, as `natster hub up` prints it.
    #[arg(long)]
    pub hub: String,
    /// Your display name (default: $USER).
    #[arg(long)]
    pub name: Option<String>,
    /// Invite code, when the hub is invite-only.
    #[arg(long)]
    pub invite: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `natster init`.
pub async fn run(args: InitArgs, sel: &Selection) -> Result<()> {
    let hub = HubHttp::new(&args.hub)?;
    if let Ok(existing) = Context::load(&sel.home, &sel.name) {
        if existing.info.hub_url.trim_end_matches('/') != hub.url() {
            bail!(
                "context {:?} already belongs to hub {}; use --context OTHER for {}",
                sel.name,
                existing.info.hub_url,
                hub.url()
            );
        }
        let client = existing.connect().await?;
        client.flush().await.context("NATS flush failed")?;
        // Idempotent: repairs a start the global service missed.
        record_initialized(&client, &existing).await;
        return report(&existing, &args, true);
    }
    let name = args
        .name
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "natster-user".into());
    let registration = Registration {
        home: &sel.home,
        context: &sel.name,
        name: &name,
        invite: args.invite.as_deref(),
    };
    let ctx = register(&hub, &registration).await?;
    let client = ctx.connect().await?;
    client.flush().await.context("NATS flush failed")?;
    record_initialized(&client, &ctx).await;
    report(&ctx, &args, false)
}

/// Records the start with the global service (once: the event id is fixed,
/// so a repeat is a duplicate, and a second start a 409); a hub without one
/// still works.
async fn record_initialized(client: &async_nats::Client, ctx: &Context) {
    match ctx.global(client).call(&initialized_event(ctx)).await {
        Ok(_) => {}
        Err(e) if e.code() == Some(409) => {}
        Err(e) => eprintln!(
            "warning: not recorded with the global service: {:#}",
            anyhow::Error::from(e)
        ),
    }
}

fn report(ctx: &Context, args: &InitArgs, existing: bool) -> Result<()> {
    let i = &ctx.info;
    if args.json {
        say!(
            "{}",
            serde_json::json!({
                "context": i.name, "account": i.account, "name": i.account_name, "hub": i.hub_url,
                "nats_urls": i.nats_urls, "creds": ctx.creds_path(), "already_initialized": existing,
            })
        );
    } else if existing {
        say!(
            "context {:?} is already initialized as {} ({}); connection works",
            i.name,
            i.account_name,
            i.account
        );
    } else {
        say!("initialized context {:?}", i.name);
        say!("  account:  {} ({})", i.account, i.account_name);
        say!("  hub:      {}", i.hub_url);
        say!("  NATS:     {}", i.nats_urls.join(", "));
        say!("  creds:    {}", ctx.creds_path().display());
        say!("connected to NATS as this account: it works");
    }
    Ok(())
}
