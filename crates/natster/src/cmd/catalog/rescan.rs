//! `natster catalog rescan NAME`.

use anyhow::Result;
use clap::Args;
use natster_catalog::scan;
use natster_client::Selection;

use crate::output::{json, say};
use crate::progress::ScanBar;

/// Arguments.
#[derive(Debug, Args)]
pub struct RescanArgs {
    /// Catalog name.
    pub name: String,
}

/// Runs it.
pub fn run(a: RescanArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let (mut catalog, path) = natster_catalog::own::load(&ctx, &a.name)?;
    let bar = ScanBar::new(format!("rescanning {}", a.name));
    let report = scan::rescan(&mut catalog, &|p| bar.update(p))?;
    drop(bar);
    if report.changed_anything() {
        catalog.save(&path)?;
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if json() {
        say!(
            "{}",
            serde_json::json!({
                "name": catalog.name, "revision": catalog.revision, "added": report.added,
                "changed": report.changed, "removed": report.removed, "renamed": report.renamed,
                "hashed_files": report.hashed_files, "hashed_bytes": report.hashed_bytes,
            })
        );
    } else {
        say!(
            "{}: {} added, {} changed, {} removed, {} renamed; {} files re-hashed; revision {}",
            catalog.name,
            report.added.len(),
            report.changed.len(),
            report.removed.len(),
            report.renamed.len(),
            report.hashed_files,
            catalog.revision
        );
    }
    Ok(())
}
