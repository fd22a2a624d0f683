//! `natster demo`: see natster-demo; this binary tells the story.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

/// Arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the hub, both homes and the media go (default: a temp dir,
    /// removed at the end unless --keep).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the temp dir at the end.
    #[arg(long)]
    keep: bool,
    /// Stop after the story instead of running until Ctrl-C.
    #[arg(long)]
    exit: bool,
}

/// Runs it.
pub async fn run(a: DemoArgs) -> Result<()> {
    let temp = a.dir.is_none() && !a.keep;
    let dir = a.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("natster-demo-{}", std::process::id()))
    });
    let exe = std::env::current_exe().context("cannot find the natster binary")?;
    let told = natster_demo::run(exe, dir.clone(), a.exit, crate::signal::wait()).await;
    if temp {
        let _ = std::fs::remove_dir_all(&dir);
    }
    told
}
