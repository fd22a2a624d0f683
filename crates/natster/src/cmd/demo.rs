//! `natster demo`: see natster-demo; this binary tells the story.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

/// Arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the hub, both homes and the media go (default: a new temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Stop after the story instead of running until Ctrl-C.
    #[arg(long)]
    exit: bool,
}

/// Runs it.
pub async fn run(a: DemoArgs) -> Result<()> {
    let dir = a.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("natster-demo-{}", std::process::id()))
    });
    let exe = std::env::current_exe().context("cannot find the natster binary")?;
    natster_demo::run(exe, dir, a.exit, crate::signal::wait()).await
}
