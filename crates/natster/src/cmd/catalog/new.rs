//! `natster catalog new NAME DESCRIPTION PATH`.

use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use natster_catalog::scan;
use natster_client::Selection;

use crate::output::{json, say};
use crate::progress::{ScanBar, human_bytes};

/// Arguments.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Catalog name: lowercase letters, digits, '-' and '_', 1 to 64.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// The directory to catalog.
    pub path: PathBuf,
}

/// Runs it.
pub fn run(a: NewArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let out = ctx.catalog_path(&a.name)?;
    if out.exists() {
        bail!(
            "catalog {:?} already exists: use `natster catalog rescan {}`",
            a.name,
            a.name
        );
    }
    if !a.path.is_dir() {
        bail!("{} is not a directory", a.path.display());
    }
    let bar = ScanBar::new(format!("hashing {}", a.name));
    let (catalog, report) = scan::create(&a.name, &a.description, &a.path, &|p| bar.update(p))?;
    drop(bar);
    std::fs::create_dir_all(out.parent().unwrap_or(&out))
        .map_err(|e| anyhow!("cannot create catalogs dir: {e}"))?;
    catalog.save(&out)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if json() {
        say!(
            "{}",
            serde_json::json!({
                "name": catalog.name, "files": catalog.entries.len(), "bytes": catalog.total_bytes(),
                "revision": catalog.revision, "warnings": report.warnings, "path": out,
            })
        );
    } else {
        say!(
            "New catalog created: {} ({} files, {})",
            catalog.name,
            catalog.entries.len(),
            human_bytes(catalog.total_bytes())
        );
    }
    Ok(())
}
