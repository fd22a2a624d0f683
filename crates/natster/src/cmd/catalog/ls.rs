//! `natster catalog ls`: your catalogs, who they are shared with, and what
//! is shared with you, with online dots.

use anyhow::Result;
use clap::Args;
use natster_proto::global::{MySharesRequest, ShareSummary};
use serde_json::json;

use crate::output::say;
use natster_client::Selection;

/// Arguments.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn dot(online: bool) -> &'static str {
    if online { "●" } else { "○" }
}

/// Runs it.
pub async fn run(a: LsArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let me = ctx.info.account.clone();
    let client = ctx.connect().await?;
    let shares = ctx.global(&client).call(&MySharesRequest {}).await?;
    let local = ctx.catalog_names();
    let online_of = |catalog: &str| {
        shares
            .out_shares
            .iter()
            .any(|s| s.catalog == catalog && s.catalog_online)
    };
    if a.json {
        let mine: Vec<_> = local
            .iter()
            .map(|n| {
                let to: Vec<&str> = shares
                    .out_shares
                    .iter()
                    .filter(|s| &s.catalog == n)
                    .map(|s| s.to_account.as_str())
                    .collect();
                json!({ "catalog": n, "owner": me, "online": online_of(n), "shared_with": to })
            })
            .collect();
        let with_me: Vec<_> = shares.in_shares.iter().map(share_json).collect();
        say!("{}", json!({ "mine": mine, "shared_with_me": with_me }));
        return Ok(());
    }
    say!("My catalogs ({})", ctx.info.account_name);
    if local.is_empty() {
        say!("  (none: `natster catalog new NAME DESCRIPTION PATH`)");
    }
    for n in &local {
        let to: Vec<&str> = shares
            .out_shares
            .iter()
            .filter(|s| &s.catalog == n)
            .map(|s| s.to_account.as_str())
            .collect();
        let shared = if to.is_empty() {
            "not shared".to_owned()
        } else {
            format!("shared with {}", to.join(", "))
        };
        say!("  {} {n:<24} {shared}", dot(online_of(n)));
    }
    say!("Shared with me");
    if shares.in_shares.is_empty() {
        say!("  (none)");
    }
    for s in &shares.in_shares {
        let state = if s.imported {
            "imported"
        } else {
            "not imported: natster catalog import"
        };
        say!(
            "  {} {:<24} from {}  {state}",
            dot(s.catalog_online),
            s.catalog,
            s.from_account
        );
    }
    Ok(())
}

fn share_json(s: &ShareSummary) -> serde_json::Value {
    json!({
        "catalog": s.catalog, "owner": s.from_account, "online": s.catalog_online,
        "revision": s.revision, "imported": s.imported, "expires_at": s.expires_at,
    })
}
