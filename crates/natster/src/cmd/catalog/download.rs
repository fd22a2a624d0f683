//! `natster catalog download NAME HASH OUT [--owner ACCOUNT] [--resume]`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use natster_catalog::{ByteRange, CatalogClient, DownloadOptions};
use natster_client::Selection;

use crate::output::{json, say};
use crate::progress::{self, human_bytes};

/// Arguments.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Catalog name.
    pub name: String,
    /// SHA-256 of the file.
    pub hash: String,
    /// Where to write it (only once its hash verifies).
    pub out: PathBuf,
    /// The owner's account (default: your own).
    #[arg(long)]
    pub owner: Option<String>,
    /// Continue a partial download of the same file at OUT.
    #[arg(long)]
    pub resume: bool,
    /// Only bytes START-END (inclusive), e.g. 0-1023; not hash-verified as a whole.
    #[arg(long)]
    pub range: Option<String>,
}

/// Runs it.
pub async fn run(a: DownloadArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let range = a
        .range
        .as_deref()
        .map(str::parse::<ByteRange>)
        .transpose()?;
    let mut cc = CatalogClient::of_context(&ctx, a.owner.as_deref(), &a.name).await?;
    // A revoked share or a vanished server stops the flow silently (NATS
    // drops it): give up after 10 s without a chunk; `--resume` continues.
    cc.idle_timeout = std::time::Duration::from_secs(10);
    let bar = Arc::new(std::sync::OnceLock::<indicatif::ProgressBar>::new());
    let b = bar.clone();
    let label = a
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let opts = DownloadOptions {
        resume: a.resume,
        range,
        chunk_size: None,
        // The first report of a resumed download is where it resumed.
        progress: Some(Arc::new(move |done, total| {
            b.get_or_init(|| progress::bar(&label, total, done))
                .set_position(done);
        })),
    };
    let started = std::time::Instant::now();
    let result = cc.download(&a.hash, &a.out, opts).await;
    if let Some(b) = bar.get() {
        b.finish();
    }
    let report = result?;
    let secs = started.elapsed().as_secs_f64();
    if json() {
        say!(
            "{}",
            serde_json::json!({
                "out": a.out, "hash": a.hash, "bytes": report.received, "size": report.size,
                "resumed_from": report.resumed_from, "hash_verified": report.hash_verified,
                "seconds": (secs * 1000.0).round() / 1000.0, "transfer_id": report.transfer_id,
                "direct": report.direct,
            })
        );
    } else {
        let check = if report.hash_verified {
            "SHA-256 verified"
        } else {
            "range (not a whole-file hash check)"
        };
        say!(
            "downloaded {} to {} ({}, {check}{})",
            a.hash,
            a.out.display(),
            human_bytes(report.received),
            if report.resumed_from > 0 {
                format!(", resumed at {}", report.resumed_from)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
