//! `natster catalog contents NAME [--owner ACCOUNT]`.

use anyhow::Result;
use clap::Args;
use natster_catalog::CatalogClient;
use natster_client::Selection;

use crate::output::{json, say};
use crate::progress::human_bytes;

/// Arguments.
#[derive(Debug, Args)]
pub struct ContentsArgs {
    /// Catalog name.
    pub name: String,
    /// The owner's account (default: your own).
    #[arg(long)]
    pub owner: Option<String>,
}

/// Runs it.
pub async fn run(a: ContentsArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let cc = CatalogClient::of_context(&ctx, a.owner.as_deref(), &a.name).await?;
    let summary = cc.contents().await?;
    if json() {
        say!("{}", serde_json::to_string(&summary)?);
        return Ok(());
    }
    let (name, revision) = (&summary.name, summary.revision);
    say!(
        "Items in catalog {name} (revision {revision}): {}",
        summary.description
    );
    for e in &summary.entries {
        let (path, size, mime, hash) = (&e.path, human_bytes(e.byte_size), &e.mime_type, &e.hash);
        say!("  {path:<48} {size:>10}  {mime:<24} {hash}");
    }
    say!("{} files", summary.entries.len());
    Ok(())
}
