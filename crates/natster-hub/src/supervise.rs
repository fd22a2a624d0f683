//! Keeping nats-server running: restart it with backoff when it dies, on the
//! same ports so clients reconnect by themselves; stop it cleanly on shutdown.

use std::path::PathBuf;
use std::time::Duration;

use natster_client::Backoff;
use tokio::sync::{oneshot, watch};

use crate::server::{NatsServerBinary, NatsServerProcess, Ports, ServerConfig, StartError};

/// Runs nats-server until `shutdown` turns true. Sends the ports (or the
/// first start's error) on `ready`, and the current pid on `pid`.
pub(crate) async fn supervise(
    binary: NatsServerBinary,
    mut config: ServerConfig,
    dir: PathBuf,
    ready: oneshot::Sender<Result<Ports, StartError>>,
    pid: watch::Sender<Option<u32>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ready = Some(ready);
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(8));
    loop {
        let started = tokio::time::Instant::now();
        let mut process =
            match NatsServerProcess::start(&binary, &config, &dir, Duration::from_secs(30)).await {
                Ok(p) => p,
                Err(e) => {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    tracing::error!(error = %e, "nats-server failed to restart");
                    if wait_or_shutdown(&mut shutdown, backoff.next_delay()).await {
                        return;
                    }
                    continue;
                }
            };
        let _ = pid.send(process.pid());
        if let Some(tx) = ready.take() {
            // Later restarts reuse the ports the first start picked.
            config.pin_ports(process.ports());
            let _ = tx.send(Ok(process.ports().clone()));
        } else {
            tracing::info!(pid = ?process.pid(), "nats-server restarted");
        }
        let exited = tokio::select! {
            status = process.wait() => Some(status),
            _ = shutdown.wait_for(|s| *s) => None,
        };
        let _ = pid.send(None);
        let Some(status) = exited else {
            process.stop(Duration::from_secs(10)).await;
            return;
        };
        tracing::warn!(?status, "nats-server exited; restarting");
        // A server that ran a while is not crash-looping: restart it fast.
        if started.elapsed() > Duration::from_secs(30) {
            backoff.reset();
        }
        if wait_or_shutdown(&mut shutdown, backoff.next_delay()).await {
            return;
        }
    }
}

/// Sleeps `d` unless shutdown comes first; true if shutting down.
async fn wait_or_shutdown(shutdown: &mut watch::Receiver<bool>, d: Duration) -> bool {
    let stopped = tokio::select! {
        _ = tokio::time::sleep(d) => None,
        _ = shutdown.wait_for(|s| *s) => Some(true),
    };
    stopped.unwrap_or_else(|| *shutdown.borrow())
}
