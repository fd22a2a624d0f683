//! `natster init`: create this machine's identity and register it at a hub.
//!
//! Keys are generated here; the hub gets public keys and a signature of its
//! nonce, and returns the account JWT it signed. The CLI then signs its own
//! user JWT with the account signing key.

use anyhow::Result;
use clap::Args;
use natster_client::register::{Registration, init};
use natster_client::{Context, HubHttp, Selection, chain};

use crate::output::{json, say};

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
}

/// Runs `natster init`.
pub async fn run(args: InitArgs, sel: &Selection) -> Result<()> {
    let hub = HubHttp::new(&args.hub)?;
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
    let done = init(&hub, &registration).await?;
    if let Some(e) = &done.record_error {
        eprintln!(
            "warning: not recorded with the global service: {}",
            chain(e)
        );
    }
    report(&done.ctx, done.existing)
}

fn report(ctx: &Context, existing: bool) -> Result<()> {
    let i = &ctx.info;
    if json() {
        let v = serde_json::json!({
            "context": i.name, "account": i.account, "name": i.account_name, "hub": i.hub_url,
            "nats_urls": i.nats_urls, "creds": ctx.creds_path(), "already_initialized": existing,
        });
        say!("{v}");
    } else if existing {
        let (name, who, key) = (&i.name, &i.account_name, &i.account);
        say!("context {name:?} is already initialized as {who} ({key}); connection works");
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
