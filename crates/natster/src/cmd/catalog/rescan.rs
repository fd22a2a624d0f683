//! `natster catalog rescan NAME`.

use anyhow::{Result, anyhow};
use clap::Args;
use natster_catalog::scan;

use crate::progress::Progress;
use natster_client::Selection;

/// Arguments.
#[derive(Debug, Args)]
pub struct RescanArgs {
    /// Catalog name.
    pub name: String,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
}

/// Runs it.
pub fn run(a: RescanArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let (mut catalog, path) = super::load(&ctx, &a.name)?;
    let bar = std::sync::Mutex::new(None::<Progress>);
    let report = scan::rescan(&mut catalog, &|p| {
        let mut b = bar.lock().unwrap_or_else(|e| e.into_inner());
        b.get_or_insert_with(|| Progress::new(format!("rescanning {}", a.name), p.bytes_total))
            .update(p.bytes_done);
    })
    .map_err(|e| anyhow!("{e}"))?;
    if let Some(b) = bar.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        b.finish();
    }
    if report.changed_anything() {
        catalog.save(&path).map_err(|e| anyhow!("{e}"))?;
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "name": catalog.name, "revision": catalog.revision, "added": report.added,
                "changed": report.changed, "removed": report.removed, "renamed": report.renamed,
                "hashed_files": report.hashed_files, "hashed_bytes": report.hashed_bytes,
            })
        );
    } else {
        println!(
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
