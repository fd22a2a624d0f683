//! `natster init`: create this machine's identity and register it at a hub.
//!
//! Keys are generated here; the hub gets public keys and a signature of its
//! nonce, and returns the account JWT it signed. The CLI then signs its own
//! user JWT with the account signing key.

use anyhow::{Result, anyhow, bail};
use clap::Args;
use natster_auth::claims::{AccountNats, Claims, OperatorNats, UserNats};
use natster_auth::creds::Creds;
use natster_auth::jwt::{Verifier, decode, encode, now};
use natster_auth::keys::{KeyKind, Seed};
use natster_hub::client::HubHttp;
use natster_proto::names::check_display_name;

use crate::context::{Context, ContextInfo, NewContext, Selection};

/// Create an identity on this machine and register it at a hub.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The hub's URL, as `natster hub up` prints it.
    #[arg(long)]
    hub: String,
    /// Your display name (default: $USER).
    #[arg(long)]
    name: Option<String>,
    /// Invite code, when the hub is invite-only.
    #[arg(long)]
    invite: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `natster init`.
pub async fn run(args: InitArgs, sel: &Selection) -> Result<()> {
    let home = sel.home.clone();
    let ctx_name = sel.name.clone();
    let hub = HubHttp::new(&args.hub)?;
    if let Ok(existing) = Context::load(&home, &ctx_name) {
        if existing.info.hub_url.trim_end_matches('/') != hub.url() {
            bail!(
                "context {ctx_name:?} already belongs to hub {}; use --context OTHER for {}",
                existing.info.hub_url,
                hub.url()
            );
        }
        existing
            .connect()
            .await?
            .flush()
            .await
            .map_err(|e| anyhow!("NATS flush failed: {e}"))?;
        report(&existing, &args, true)?;
        return Ok(());
    }
    let name = args
        .name
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "natster-user".into());
    check_display_name(&name).map_err(|e| anyhow!(e))?;

    let account = KeyKind::Account.generate();
    let signing = KeyKind::Account.generate();
    let user = KeyKind::User.generate();
    let reg = hub
        .register_account(
            &account,
            &signing.public_key(),
            &name,
            args.invite.as_deref(),
        )
        .await?;

    // Trust on first use: the operator JWT must be self-signed and consistent
    // with the hub's info; the account JWT must be issued by one of its
    // signing keys, for our account, listing our signing key.
    let op = decode::<OperatorNats>(&reg.operator_jwt)
        .map_err(|e| anyhow!("hub sent a bad operator JWT: {e}"))?;
    if op.iss != op.sub || op.sub != reg.hub.operator {
        bail!("hub sent an operator JWT that does not match its operator key");
    }
    let acc = Verifier::new(op.nats.signing_keys.clone())
        .verify::<AccountNats>(&reg.account_jwt)
        .map_err(|e| anyhow!("hub sent a bad account JWT: {e}"))?;
    if acc.sub != account.public_key()
        || !acc
            .nats
            .signing_key_ids()
            .any(|k| k == signing.public_key())
    {
        bail!("hub sent an account JWT for another account or without our signing key");
    }

    let user_claims = Claims::new(
        user.public_key(),
        UserNats::for_account(account.public_key()),
    )
    .with_name(format!("{name} (cli)"));
    let user_jwt = encode(&user_claims, &signing).map_err(|e| anyhow!("{e}"))?;
    let creds = Creds::new(user_jwt, Seed::of(&user).map_err(|e| anyhow!("{e}"))?)
        .map_err(|e| anyhow!("{e}"))?;
    let info = ContextInfo {
        name: ctx_name,
        hub_url: hub.url().to_owned(),
        nats_urls: reg.hub.nats_urls.clone(),
        websocket_urls: reg.hub.websocket_urls.clone(),
        account: account.public_key(),
        account_name: name,
        signing_key: signing.public_key(),
        user: user.public_key(),
        operator: op.sub.clone(),
        well_known: reg.hub.accounts.clone(),
        created_at: now(),
    };
    let ctx = NewContext {
        info,
        account,
        signing,
        creds,
        account_jwt: reg.account_jwt,
        operator_jwt: reg.operator_jwt,
    }
    .write(&home)?;
    let client = ctx.connect().await?;
    client
        .flush()
        .await
        .map_err(|e| anyhow!("NATS flush failed: {e}"))?;
    report(&ctx, &args, false)
}

fn report(ctx: &Context, args: &InitArgs, existing: bool) -> Result<()> {
    let i = &ctx.info;
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "context": i.name, "account": i.account, "name": i.account_name, "hub": i.hub_url,
                "nats_urls": i.nats_urls, "creds": ctx.creds_path(), "already_initialized": existing,
            })
        );
    } else if existing {
        println!(
            "context {:?} is already initialized as {} ({}); connection works",
            i.name, i.account_name, i.account
        );
    } else {
        println!("initialized context {:?}", i.name);
        println!("  account:  {} ({})", i.account, i.account_name);
        println!("  hub:      {}", i.hub_url);
        println!("  NATS:     {}", i.nats_urls.join(", "));
        println!("  creds:    {}", ctx.creds_path().display());
        println!("connected to NATS as this account: it works");
    }
    Ok(())
}
