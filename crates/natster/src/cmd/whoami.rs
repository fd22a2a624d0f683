//! `natster whoami`: who this context is, and whether NATS answers now.
//! Exits non-zero when it cannot connect.

use std::time::Duration;

use anyhow::{Result, bail};
use natster_client::{Selection, chain};

use crate::output::{json, say};

/// Runs `natster whoami`.
pub async fn run(sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let check = ctx.check(Duration::from_secs(6)).await;
    let i = &ctx.info;
    let rtt_ms = check
        .connected
        .as_ref()
        .ok()
        .map(|d| (d.as_secs_f64() * 1e4).round() / 10.0);
    let error = check.connected.as_ref().err().map(|e| chain(e));
    let global_error = check.initialized_at.as_ref().err().map(|e| chain(e));
    let initialized_at = check.initialized_at.ok();
    let creds = ctx.creds_path().display().to_string();
    if json() {
        let v = serde_json::json!({
            "context": i.name, "account": i.account, "name": i.account_name, "hub": i.hub_url,
            "nats_url": i.nats_urls.join(","), "creds": creds, "connected": rtt_ms.is_some(),
            "rtt_ms": rtt_ms, "error": error, "initialized_at": initialized_at,
            "global_error": global_error,
        });
        say!("{v}");
    } else {
        say!("{} ({})", i.account_name, i.name);
        say!("  account:    {}", i.account);
        say!("  hub:        {}", i.hub_url);
        say!("  NATS:       {}", i.nats_urls.join(","));
        say!("  creds:      {creds}");
        match (initialized_at, &global_error) {
            (Some(t), _) => say!("  initialized: {} (unix {t})", crate::progress::utc(t)),
            (None, e) => say!("  initialized: unknown ({})", e.as_deref().unwrap_or("")),
        }
        match (rtt_ms, &error) {
            (Some(ms), _) => say!("  connection: ok ({ms} ms)"),
            (None, e) => say!("  connection: FAILED: {}", e.as_deref().unwrap_or("")),
        }
    }
    if let Some(e) = error {
        bail!("cannot connect: {e}");
    }
    Ok(())
}
