//! `natster catalog describe NAME HASH DESCRIPTION`.

use anyhow::Result;
use clap::Args;

use natster_client::Selection;

use crate::output::say;

/// Arguments.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Catalog name.
    pub name: String,
    /// SHA-256 of the file (as `catalog contents` shows it).
    pub hash: String,
    /// The new description.
    pub description: String,
}

/// Runs it.
pub fn run(a: DescribeArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let (mut catalog, path) = natster_catalog::own::load(&ctx, &a.name)?;
    catalog.describe(&a.hash, &a.description)?;
    catalog.save(&path)?;
    say!(
        "described {} in {} (revision {})",
        a.hash,
        a.name,
        catalog.revision
    );
    Ok(())
}
