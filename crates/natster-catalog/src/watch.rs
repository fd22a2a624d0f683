//! Watching a catalog's root for changes, debounced.
//!
//! The watcher only says *that* something changed; the server then runs an
//! incremental [`crate::scan::rescan`], which hashes only files whose size
//! or mtime changed and follows renames. That keeps one code path for
//! "what changed" (the walk) instead of trusting each platform's event
//! stream to be complete: inotify drops events on overflow, and a directory
//! moved in arrives as a single event.

use std::path::Path;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::error::{Error, Result};
use crate::scan::is_our_temp;

/// A recursive watch on a directory.
pub struct Watcher {
    // Kept alive for as long as we want events.
    _inner: notify::RecommendedWatcher,
    rx: mpsc::UnboundedReceiver<()>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watcher")
    }
}

impl Watcher {
    /// Starts watching `root` and everything under it.
    pub fn new(root: &Path) -> Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut inner = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let relevant = match res {
                // Reads (our own downloads among them) change nothing.
                Ok(ev) => {
                    !matches!(ev.kind, EventKind::Access(_))
                        && (ev.paths.is_empty() || !ev.paths.iter().all(|p| ours(p)))
                }
                // An overflow or backend error: rescan to be safe.
                Err(_) => true,
            };
            if relevant {
                let _ = tx.send(());
            }
        })
        .map_err(|e| Error::Watch(e.to_string()))?;
        inner
            .watch(root, RecursiveMode::Recursive)
            .map_err(|e| Error::Watch(format!("{}: {e}", root.display())))?;
        Ok(Self { _inner: inner, rx })
    }

    /// Waits for a change, then until nothing more happened for `quiet`;
    /// `None` if the watcher stopped.
    pub async fn next_batch(&mut self, quiet: Duration) -> Option<()> {
        self.rx.recv().await?;
        loop {
            match tokio::time::timeout(quiet, self.rx.recv()).await {
                Ok(Some(())) => continue,
                Ok(None) => return None,
                Err(_) => return Some(()),
            }
        }
    }
}

fn ours(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_our_temp)
}
