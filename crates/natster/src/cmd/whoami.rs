//! `natster whoami`: who this context is, and whether NATS answers now.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Args;
use serde::Serialize;

use crate::output::say;
use natster_client::Selection;
use natster_proto::global::WhoamiRequest;

/// Show the account of this context and whether it can connect.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Whoami<'a> {
    context: &'a str,
    account: &'a str,
    name: &'a str,
    hub: &'a str,
    nats_url: String,
    creds: String,
    connected: bool,
    rtt_ms: Option<f64>,
    error: Option<String>,
    initialized_at: Option<i64>,
    global_error: Option<String>,
}

/// Runs `natster whoami`.
pub async fn run(args: WhoamiArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let started = Instant::now();
    let probe = async {
        let client = ctx.connect().await?;
        client.flush().await.context("flush")?;
        Ok::<_, anyhow::Error>(client)
    };
    let outcome = match tokio::time::timeout(Duration::from_secs(6), probe).await {
        Ok(Ok(client)) => Ok((started.elapsed(), client)),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(_) => Err("no answer within 6 s".to_owned()),
    };
    let i = &ctx.info;
    // When the global service recorded this account's start, if it did.
    let initialized_at = match &outcome {
        Ok((_, client)) => ctx
            .global(client)
            .call(&WhoamiRequest {})
            .await
            .map(|w| w.initialized_at)
            .map_err(|e| format!("{:#}", anyhow::Error::from(e))),
        Err(_) => Err("not connected".into()),
    };
    let (initialized_at, global_error) = match initialized_at {
        Ok(t) => (Some(t), None),
        Err(e) => (None, Some(e)),
    };
    let outcome = outcome.map(|(d, _)| d);
    let w = Whoami {
        context: &i.name,
        account: &i.account,
        name: &i.account_name,
        hub: &i.hub_url,
        nats_url: i.nats_urls.join(","),
        creds: ctx.creds_path().display().to_string(),
        connected: outcome.is_ok(),
        rtt_ms: outcome
            .as_ref()
            .ok()
            .map(|d| (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0),
        error: outcome.as_ref().err().cloned(),
        initialized_at,
        global_error,
    };
    if args.json {
        say!("{}", serde_json::to_string(&w)?);
    } else {
        say!("{} ({})", w.name, w.context);
        say!("  account:    {}", w.account);
        say!("  hub:        {}", w.hub);
        say!("  NATS:       {}", w.nats_url);
        say!("  creds:      {}", w.creds);
        match w.initialized_at {
            Some(t) => say!("  initialized: {} (unix {t})", crate::progress::utc(t)),
            None => say!(
                "  initialized: unknown ({})",
                w.global_error.as_deref().unwrap_or("")
            ),
        }
        match (&w.rtt_ms, &w.error) {
            (Some(ms), _) => say!("  connection: ok ({ms} ms)"),
            (_, Some(e)) => say!("  connection: FAILED: {e}"),
            _ => {}
        }
    }
    Ok(())
}
