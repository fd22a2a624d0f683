//! `natster catalog ls`: your catalogs, who they are shared with, and what
//! is shared with you, with online dots.

use anyhow::Result;

use natster_client::Selection;

use crate::output::{json, say};

fn dot(online: bool) -> &'static str {
    if online { "●" } else { "○" }
}

/// Runs it.
pub async fn run(sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let client = ctx.connect().await?;
    let all = ctx.overview(&client).await?;
    if json() {
        say!("{}", serde_json::to_string(&all)?);
        return Ok(());
    }
    say!("My catalogs ({})", ctx.info.account_name);
    if all.mine.is_empty() {
        say!("  (none: `natster catalog new NAME DESCRIPTION PATH`)");
    }
    for c in &all.mine {
        let shared = match c.shared_with.as_slice() {
            [] => "not shared".to_owned(),
            to => format!("shared with {}", to.join(", ")),
        };
        say!("  {} {:<24} {shared}", dot(c.online), c.catalog);
    }
    say!("Shared with me");
    if all.shared_with_me.is_empty() {
        say!("  (none)");
    }
    for s in &all.shared_with_me {
        let state = if s.imported {
            "imported".to_owned()
        } else {
            format!(
                "not imported: natster catalog import {} {}",
                s.catalog, s.owner
            )
        };
        let (dot, name, owner) = (dot(s.online), &s.catalog, &s.owner);
        say!("  {dot} {name:<24} from {owner}  {state}");
    }
    Ok(())
}
