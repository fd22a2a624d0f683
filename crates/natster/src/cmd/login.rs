//! `natster login`: bind a browser session to this account by a device
//! link. The web server makes the session's key; this machine signs its
//! scoped, expiring credential. No seed of the account reaches the browser
//! or the web server.

use std::time::Duration;

use anyhow::Result;
use clap::Args;
use natster_client::{Selection, duration};
use natster_web::login::{LoginOptions, TerminalPrompt, login};

use crate::output::{json, say};

/// Arguments.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Also print the link as a QR code.
    #[arg(long)]
    qr: bool,
    /// Let the session share and unshare your catalogs.
    #[arg(long)]
    allow_sharing: bool,
    /// How long the session's credential lasts (e.g. 12h, 7d).
    #[arg(long, default_value = "12h", value_parser = duration::parse)]
    ttl: Duration,
    /// Do not ask to confirm the phrase the browser shows.
    #[arg(long)]
    yes: bool,
    /// The web app's URL (default: as the global service knows it).
    #[arg(long)]
    web: Option<String>,
}

/// Runs it.
pub async fn run(a: LoginArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let client = ctx.connect().await?;
    let opts = LoginOptions {
        web_url: a.web.clone(),
        ttl: a.ttl,
        allow_sharing: a.allow_sharing,
        ..LoginOptions::default()
    };
    let mut prompt = TerminalPrompt {
        qr: a.qr,
        yes: a.yes,
    };
    let out = login(
        &client,
        &ctx.info.account,
        &ctx.signing_key()?,
        &opts,
        &mut prompt,
    )
    .await?;
    if let Some(e) = &out.record_error {
        eprintln!("warning: the session works but is not recorded with the global service: {e}");
    }
    if json() {
        say!(
            "{}",
            serde_json::json!({
                "session": out.session, "expires_at": out.expires_at,
                "can_share": out.can_share, "web_url": out.web_url,
            })
        );
    } else {
        say!(
            "logged in: session {} until {} ({})",
            out.session,
            crate::progress::utc(out.expires_at),
            if out.can_share {
                "may share"
            } else {
                "read only"
            }
        );
    }
    Ok(())
}
