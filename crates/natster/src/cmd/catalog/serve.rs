//! `natster catalog serve NAME`: the catalog server daemon
//! (`natster_catalog::daemon`) until Ctrl-C, with its events as log lines.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use natster_catalog::ServeEvent;
use natster_catalog::daemon::{self, Daemon};
use natster_client::Selection;

use crate::output::say;

/// Arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Catalog name.
    pub name: String,
    /// Seconds between heartbeats.
    #[arg(long, default_value_t = 30, hide = true)]
    pub heartbeat_secs: u64,
}

/// Runs it.
pub async fn run(a: ServeArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let mut server = Daemon::prepare(&ctx, &a.name)?;
    server.heartbeat_interval = Duration::from_secs(a.heartbeat_secs);
    server.events = Some(Arc::new(report));
    let files = server.catalog().entries.len();
    let client = server.connect().await?;
    say!(
        "serving catalog {} ({files} files) as {}; Ctrl-C stops",
        a.name,
        ctx.info.account
    );
    daemon::run(client, server, crate::signal::wait()).await?;
    say!("stopped serving {}", a.name);
    Ok(())
}

fn report(e: &ServeEvent) {
    match e {
        ServeEvent::Updated { revision, report } => eprintln!(
            "catalog updated to revision {revision}: {} added, {} changed, {} removed, {} renamed",
            report.added.len(),
            report.changed.len(),
            report.removed.len(),
            report.renamed.len()
        ),
        ServeEvent::Refused {
            caller,
            op,
            code,
            reason,
        } => eprintln!("refused {op} from {caller}: {code} {reason}"),
        ServeEvent::TransferStarted(t) => eprintln!("transfer {} started", t.transfer_id),
        ServeEvent::TransferFinished { info, bytes, error } => match error {
            None => eprintln!("transfer {} done: {bytes} bytes", info.transfer_id),
            Some(err) => eprintln!(
                "transfer {} failed after {bytes} bytes: {err}",
                info.transfer_id
            ),
        },
        ServeEvent::Warning(w) => eprintln!("warning: {w}"),
        _ => {}
    }
}
