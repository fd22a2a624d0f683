//! `natster catalog contents NAME [--owner ACCOUNT]`.

use anyhow::Result;
use clap::Args;
use natster_catalog::CatalogClient;

use crate::output::say;
use crate::progress::human_bytes;
use natster_client::Selection;

/// Arguments.
#[derive(Debug, Args)]
pub struct ContentsArgs {
    /// Catalog name.
    pub name: String,
    /// The owner's account (default: your own).
    #[arg(long)]
    pub owner: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs it.
pub async fn run(a: ContentsArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let owner = a.owner.clone().unwrap_or_else(|| ctx.info.account.clone());
    let owner_claims = ctx.account_claims(&owner).await?;
    let client = ctx.connect().await?;
    let cc = CatalogClient::new(client, &ctx.info.account, owner_claims, &a.name)?;
    let summary = cc.contents().await?;
    if a.json {
        say!("{}", serde_json::to_string(&summary)?);
        return Ok(());
    }
    say!(
        "Items in catalog {} (revision {}): {}",
        summary.name,
        summary.revision,
        summary.description
    );
    for e in &summary.entries {
        say!(
            "  {:<48} {:>10}  {:<24} {}",
            e.path,
            human_bytes(e.byte_size),
            e.mime_type,
            e.hash
        );
    }
    say!("{} files", summary.entries.len());
    Ok(())
}
