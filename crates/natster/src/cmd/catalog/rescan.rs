//! `natster catalog rescan NAME`.

use anyhow::Result;
use clap::Args;
use natster_catalog::scan;

use crate::output::say;
use crate::progress;
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
    let (mut catalog, path) = natster_catalog::own::load(&ctx, &a.name)?;
    let label = format!("rescanning {}", a.name);
    let bar = std::sync::OnceLock::new();
    let report = scan::rescan(&mut catalog, &|p| {
        bar.get_or_init(|| progress::bar(&label, p.bytes_total, 0))
            .set_position(p.bytes_done);
    })?;
    if let Some(b) = bar.get() {
        b.finish();
    }
    if report.changed_anything() {
        catalog.save(&path)?;
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    if a.json {
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
