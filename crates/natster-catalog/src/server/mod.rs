//! The catalog server: a NATS micro-service (so `$SRV.PING/INFO/STATS`
//! find it) on `*.natster.catalog.<owner>.<catalog>.>` in a queue group,
//! answering `get` and `download`, sending transfers, heartbeats, and
//! following changes under the root. Owner-only operations (`access`,
//! `share`, `unshare`: see [`OpsHook`]) arrive on the same endpoint, so one
//! queue group answers everything for the catalog.
//!
//! Embed it with [`serve`]: the caller brings the connection, the config and
//! a shutdown future; [`ServeControl`] (in the config) revokes transfers and
//! reads the current catalog while it runs.

mod config;
mod control;
mod handlers;
mod identity;
mod shared;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_nats::service::Request;
use async_nats::service::Service;
use async_nats::service::endpoint::Endpoint;
use futures_util::StreamExt;
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinHandle, JoinSet};

pub use config::{
    AccessHook, DEFAULT_MAX_TRANSFERS, EventHook, OpRequest, OpsHook, ServeConfig, ServeEvent,
};
pub use control::{ServeControl, TransferInfo};
use shared::Shared;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::scan::{ScanReport, rescan};
use crate::watch::Watcher;
use natster_proto::catalog::Heartbeat;

/// Serves `config.catalog` on `client` until `shutdown` completes, then
/// stops transfers (the receivers get an abort), lets owner operations in
/// progress finish (5 s at most), announces offline and
/// returns. Dropping the future instead (a crash, a killed task) stops
/// everything without the announcement; receivers then time out and can
/// resume.
pub async fn serve(
    client: async_nats::Client,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    config.validate()?;
    let (mut server, catalog) = Server::new(client, config)?;
    let catalog = server.catch_up(catalog).await?;
    server.shared.control.set_catalog(catalog);
    let (service, mut endpoint) = server.start_service().await?;
    server.wait_until_reachable(&service).await?;
    server.shared.emit(ServeEvent::Started {
        revision: server.shared.control.catalog().map_or(0, |c| c.revision),
    });
    server.run(&mut endpoint, shutdown).await?;
    server.shut_down(endpoint, service).await;
    Ok(())
}

/// A rescan's result, with the catalog it updated.
type Rescanned = (Catalog, Result<ScanReport>);

/// Rescans `catalog` on a blocking thread (hashing reads whole files).
fn rescan_in_background(mut catalog: Catalog) -> JoinHandle<Rescanned> {
    tokio::task::spawn_blocking(move || {
        let r = rescan(&mut catalog, &|_| {});
        (catalog, r)
    })
}

/// What the serving loop holds beyond what request handlers share.
struct Server {
    shared: Arc<Shared>,
    catalog_path: Option<PathBuf>,
    heartbeat_subject: Option<String>,
    heartbeat_interval: Duration,
    offline_subject: Option<String>,
    debounce: Duration,
    /// Follows changes under the root; `None` when not watching, or when the
    /// watcher stopped.
    watcher: Option<Watcher>,
    /// The rescan in progress after a batch of changes: at most one.
    rescanning: Option<JoinHandle<Rescanned>>,
    /// Transfers and owner operations in progress.
    tasks: JoinSet<()>,
}

impl Server {
    /// The server for `config`, and the catalog it starts from (shared only
    /// after the catch-up rescan).
    fn new(client: async_nats::Client, config: ServeConfig) -> Result<(Self, Catalog)> {
        let ServeConfig {
            catalog,
            catalog_path,
            owner,
            signer,
            signer_jwt,
            access,
            max_transfers,
            chunk_size,
            window,
            credit_timeout,
            heartbeat_subject,
            heartbeat_interval,
            offline_subject,
            watch,
            debounce,
            control,
            events,
            ops,
        } = config;
        let shared = Arc::new(Shared {
            client,
            owner,
            catalog_name: catalog.name.clone(),
            signer,
            signer_jwt,
            access,
            chunk_size,
            window,
            credit_timeout,
            control,
            events,
            ops,
            slots: Arc::new(Semaphore::new(max_transfers)),
            max_transfers,
        });
        // Watching starts before the catch-up rescan, so that no change made
        // while it runs goes unnoticed.
        let watcher = if watch {
            Some(Watcher::new(&catalog.root_dir)?)
        } else {
            None
        };
        let server = Self {
            shared,
            catalog_path,
            heartbeat_subject,
            heartbeat_interval,
            offline_subject,
            debounce,
            watcher,
            rescanning: None,
            tasks: JoinSet::new(),
        };
        Ok((server, catalog))
    }

    /// Catches up with changes made while nobody was serving, and learns
    /// the inodes that rename detection needs (when watching).
    async fn catch_up(&self, catalog: Catalog) -> Result<Catalog> {
        if self.watcher.is_none() {
            return Ok(catalog);
        }
        let (catalog, report) = rescan_in_background(catalog)
            .await
            .map_err(|e| Error::Invalid(format!("rescan task failed: {e}")))?;
        let report = report?;
        if report.changed_anything() {
            save(&catalog, self.catalog_path.as_ref(), &self.shared);
            self.shared.emit(ServeEvent::Updated {
                revision: catalog.revision,
                report,
            });
        }
        Ok(catalog)
    }

    /// The NATS micro-service and its one endpoint, on the catalog's
    /// export subject in the catalog servers' queue group.
    async fn start_service(&self) -> Result<(Service, Endpoint)> {
        let shared = &self.shared;
        let service = async_nats::service::ServiceExt::service_builder(&shared.client)
            .description(format!("Natster catalog {}", shared.catalog_name))
            .metadata(
                [
                    ("owner".to_owned(), shared.owner.clone()),
                    ("catalog".to_owned(), shared.catalog_name.clone()),
                ]
                .into_iter()
                .collect(),
            )
            .queue_group("natster-catalog")
            .start("natster-catalog", env!("CARGO_PKG_VERSION"))
            .await
            .map_err(Error::nats)?;
        let endpoint = service
            .endpoint_builder()
            .name("catalog")
            .add(natster_proto::subjects::catalog_export(
                &shared.owner,
                &shared.catalog_name,
            ))
            .await
            .map_err(Error::nats)?;
        Ok((service, endpoint))
    }

    /// async-nats's flush only empties our socket buffer; a round trip to
    /// our own service's PING, sent after its subscriptions on this
    /// connection, returns once nats-server has them all. So `Started`
    /// means reachable. Best effort: a user not allowed `$SRV` subjects just
    /// skips the wait.
    async fn wait_until_reachable(&self, service: &Service) -> Result<()> {
        let client = &self.shared.client;
        client.flush().await.map_err(Error::nats)?;
        let ping = format!("$SRV.PING.natster-catalog.{}", service.info().await.id);
        let _ = tokio::time::timeout(Duration::from_secs(2), client.request(ping, "".into())).await;
        Ok(())
    }

    /// Answers requests, beats and follows changes until `shutdown`
    /// completes (`Ok`) or the service's subscription ends (`Err`).
    async fn run(
        &mut self,
        endpoint: &mut Endpoint,
        shutdown: impl Future<Output = ()>,
    ) -> Result<()> {
        let mut heartbeat = tokio::time::interval(self.heartbeat_interval);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                req = endpoint.next() => self.request(req).await?,
                _ = heartbeat.tick() => self.heartbeat().await,
                // One rescan at a time: changes meanwhile wait in the watcher.
                batch = next_batch(&mut self.watcher, self.debounce),
                    if self.watcher.is_some() && self.rescanning.is_none() =>
                {
                    self.files_changed(batch);
                }
                done = rescan_done(&mut self.rescanning), if self.rescanning.is_some() => {
                    self.rescanned(done).await;
                }
                Some(_) = self.tasks.join_next(), if !self.tasks.is_empty() => {}
            }
        }
    }

    async fn request(&mut self, req: Option<Request>) -> Result<()> {
        let Some(req) = req else {
            return Err(Error::Nats("the service subscription ended".into()));
        };
        handlers::handle(&self.shared, req, &mut self.tasks).await;
        Ok(())
    }

    async fn heartbeat(&self) {
        send_heartbeat(&self.shared, self.heartbeat_subject.as_deref(), true).await;
    }

    /// A batch of file changes (`None`: the watcher stopped): rescan a copy
    /// of the current catalog.
    fn files_changed(&mut self, batch: Option<()>) {
        if batch.is_none() {
            self.shared.emit(ServeEvent::Warning(
                "the file watcher stopped; live updates are off".into(),
            ));
            self.watcher = None;
            return;
        }
        if let Some(current) = self.shared.control.catalog() {
            self.rescanning = Some(rescan_in_background((*current).clone()));
        }
    }

    /// A rescan ended: serve (and save, and announce) the catalog it
    /// updated, if anything changed.
    async fn rescanned(&mut self, done: std::result::Result<Rescanned, JoinError>) {
        self.rescanning = None;
        match done {
            Ok((c, Ok(report))) if report.changed_anything() => {
                save(&c, self.catalog_path.as_ref(), &self.shared);
                let revision = c.revision;
                self.shared.control.set_catalog(c);
                self.shared.emit(ServeEvent::Updated { revision, report });
                self.heartbeat().await;
            }
            Ok((_, Ok(_))) => {}
            Ok((_, Err(e))) => self
                .shared
                .emit(ServeEvent::Warning(format!("rescan failed: {e}"))),
            Err(e) => self
                .shared
                .emit(ServeEvent::Warning(format!("rescan task failed: {e}"))),
        }
    }

    /// Clean shutdown: no new requests, abort transfers, then say goodbye.
    async fn shut_down(mut self, mut endpoint: Endpoint, service: Service) {
        let _ = endpoint.stop().await;
        self.shared
            .control
            .cancel_all("the catalog server is shutting down");
        let drained = tokio::time::timeout(Duration::from_secs(5), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            self.tasks.shutdown().await;
        }
        send_heartbeat(&self.shared, self.offline_subject.as_deref(), false).await;
        let _ = service.stop().await;
        let _ = self.shared.client.flush().await;
        self.shared.emit(ServeEvent::Stopped);
    }
}

/// The watcher's next batch; never ready without a watcher.
async fn next_batch(watcher: &mut Option<Watcher>, debounce: Duration) -> Option<()> {
    match watcher.as_mut() {
        Some(w) => w.next_batch(debounce).await,
        None => None,
    }
}

/// The rescan's end; never ready without a rescan.
async fn rescan_done(
    rescanning: &mut Option<JoinHandle<Rescanned>>,
) -> std::result::Result<Rescanned, JoinError> {
    match rescanning.as_mut() {
        Some(h) => h.await,
        None => std::future::pending().await,
    }
}

fn save(c: &Catalog, path: Option<&PathBuf>, shared: &Shared) {
    if let Some(p) = path {
        if let Err(e) = c.save(p) {
            shared.emit(ServeEvent::Warning(format!("cannot save the catalog: {e}")));
        }
    }
}

async fn send_heartbeat(shared: &Shared, subject: Option<&str>, online: bool) {
    let Some(c) = shared.control.catalog() else {
        return;
    };
    let hb = Heartbeat {
        catalog: c.name.clone(),
        account_key: shared.owner.clone(),
        revision: c.revision,
        last_modified: c.last_modified,
        online,
    };
    if let Some(s) = subject {
        if let Ok(body) = serde_json::to_vec(&hb) {
            if let Err(e) = shared.client.publish(s.to_owned(), body.into()).await {
                shared.emit(ServeEvent::Warning(format!("heartbeat to {s} failed: {e}")));
            }
            if !online {
                let _ = shared.client.flush().await;
            }
        }
    }
    shared.emit(ServeEvent::Heartbeat(hb));
}
