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

mod control;
mod handlers;
mod identity;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_nats::service::Request;
use async_nats::service::Service;
use async_nats::service::endpoint::Endpoint;
use futures_util::StreamExt;
use natster_auth::KeyPair;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::ApiResponse;
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinHandle, JoinSet};

pub use control::{ServeControl, TransferInfo};

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::scan::{ScanReport, rescan};
use crate::transfer::sizes::{DEFAULT_CHUNK, DEFAULT_WINDOW, MAX_WINDOW};
use crate::watch::Watcher;
use natster_proto::catalog::Heartbeat;

/// Transfers in flight at most, unless configured.
pub const DEFAULT_MAX_TRANSFERS: usize = 4;

/// Decides whether `caller` (an account key) may read `catalog`.
pub type AccessHook = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;
/// Receives what the server does, for logs and UIs.
pub type EventHook = Arc<dyn Fn(&ServeEvent) + Send + Sync>;

/// A request for an operation beyond `get`, `download` and `credit`, from
/// the catalog's owner (the server has checked that).
#[derive(Clone, Debug)]
pub struct OpRequest {
    /// The caller: always the owner's account (another account is refused
    /// with 403 before the hook is called).
    pub caller: String,
    /// The catalog.
    pub catalog: String,
    /// The operation: the subject's tokens after the catalog, e.g. `share`.
    pub op: String,
    /// The request body as sent.
    pub body: bytes::Bytes,
}

/// Answers owner-only operations (the CLI's `catalog serve` answers
/// `access`, `share` and `unshare`, see [`natster_proto::catalog::OWNER_OPS`]) with the
/// envelope to send back; unknown operations should get 404. Each call runs
/// in its own task, so a slow one (signing a share asks the hub) does not
/// hold up `get` and `download`.
pub type OpsHook = Arc<
    dyn Fn(OpRequest) -> futures_util::future::BoxFuture<'static, ApiResponse<serde_json::Value>>
        + Send
        + Sync,
>;

/// Something the server did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServeEvent {
    /// Listening.
    Started {
        /// The catalog's revision.
        revision: u64,
    },
    /// A heartbeat was published (or would have been, with no subject set).
    Heartbeat(Heartbeat),
    /// Files changed under the root and the catalog was updated.
    Updated {
        /// The new revision.
        revision: u64,
        /// What changed.
        report: ScanReport,
    },
    /// A request was refused.
    Refused {
        /// The caller, when known.
        caller: String,
        /// The subject's operation.
        op: String,
        /// Status code.
        code: u16,
        /// Why.
        reason: String,
    },
    /// A transfer began.
    TransferStarted(TransferInfo),
    /// A transfer ended.
    TransferFinished {
        /// Which.
        info: TransferInfo,
        /// Plaintext bytes sent.
        bytes: u64,
        /// Why it failed, if it did.
        error: Option<String>,
    },
    /// Something went wrong that does not stop the server.
    Warning(String),
    /// Stopped after the shutdown future completed.
    Stopped,
}

/// How to serve a catalog.
pub struct ServeConfig {
    /// The catalog (its root is read; live updates change a copy held by the server).
    pub catalog: Catalog,
    /// Where live updates save the catalog; `None`: in memory only.
    pub catalog_path: Option<PathBuf>,
    /// The owner's account key (`A...`): token 4 of the subjects served.
    pub owner: String,
    /// The server's NATS user key, which signs transfer offers. Never printed.
    pub signer: KeyPair,
    /// That user's JWT, issued by the owner's account; sent with every offer.
    pub signer_jwt: String,
    /// Who may read: `(caller, catalog) -> bool`. Default: the owner only.
    pub access: AccessHook,
    /// Transfers in flight at most; more get 503 "busy".
    pub max_transfers: usize,
    /// Chunk size when the receiver states none.
    pub chunk_size: u32,
    /// Chunks in flight before waiting for credit.
    pub window: u32,
    /// A transfer whose receiver grants no credit for this long ends.
    pub credit_timeout: Duration,
    /// Where heartbeats go; `None`: only the event hook sees them.
    pub heartbeat_subject: Option<String>,
    /// How often.
    pub heartbeat_interval: Duration,
    /// Where the offline announcement goes on clean shutdown.
    pub offline_subject: Option<String>,
    /// Follow changes under the root.
    pub watch: bool,
    /// Quiet time before a burst of file changes is applied.
    pub debounce: Duration,
    /// Shared handle: revoke, current catalog, transfers.
    pub control: ServeControl,
    /// Optional observer.
    pub events: Option<EventHook>,
    /// Owner-only operations beyond get/download; `None`: they get 404.
    pub ops: Option<OpsHook>,
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeConfig")
            .field("catalog", &self.catalog.name)
            .field("owner", &self.owner)
            .field("signer", &self.signer.public_key())
            .field("max_transfers", &self.max_transfers)
            .field("chunk_size", &self.chunk_size)
            .field("window", &self.window)
            .field("heartbeat_subject", &self.heartbeat_subject)
            .field("offline_subject", &self.offline_subject)
            .field("watch", &self.watch)
            .field("ops", &self.ops.is_some())
            .finish_non_exhaustive()
    }
}

impl ServeConfig {
    /// Defaults: owner-only access, 4 transfers, 1 MiB chunks, window 8,
    /// 30 s credit timeout, heartbeats every 30 s to no subject, live
    /// updates on with 500 ms debounce.
    pub fn new(catalog: Catalog, owner: &str, signer: KeyPair, signer_jwt: &str) -> Self {
        let o = owner.to_owned();
        Self {
            catalog,
            catalog_path: None,
            owner: owner.to_owned(),
            signer,
            signer_jwt: signer_jwt.to_owned(),
            access: Arc::new(move |caller, _| caller == o),
            max_transfers: DEFAULT_MAX_TRANSFERS,
            chunk_size: DEFAULT_CHUNK,
            window: DEFAULT_WINDOW,
            credit_timeout: Duration::from_secs(30),
            heartbeat_subject: None,
            heartbeat_interval: Duration::from_secs(30),
            offline_subject: None,
            watch: true,
            debounce: Duration::from_millis(500),
            control: ServeControl::new(),
            events: None,
            ops: None,
        }
    }

    fn validate(&self) -> Result<()> {
        check_public_key(&self.owner, KeyKind::Account)
            .map_err(|e| Error::Invalid(format!("owner: {e}")))?;
        natster_proto::names::check_catalog_name(&self.catalog.name).map_err(Error::Invalid)?;
        if self.max_transfers == 0 || self.window == 0 || self.window > MAX_WINDOW {
            return Err(Error::Invalid(
                "max_transfers and window must be at least 1 (window at most 64)".into(),
            ));
        }
        Ok(())
    }
}

/// What request handlers share.
pub(crate) struct Shared {
    pub(crate) client: async_nats::Client,
    pub(crate) owner: String,
    pub(crate) catalog_name: String,
    pub(crate) signer: KeyPair,
    pub(crate) signer_jwt: String,
    pub(crate) access: AccessHook,
    pub(crate) chunk_size: u32,
    pub(crate) window: u32,
    pub(crate) credit_timeout: Duration,
    pub(crate) control: ServeControl,
    pub(crate) events: Option<EventHook>,
    pub(crate) ops: Option<OpsHook>,
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) max_transfers: usize,
}

impl Shared {
    pub(crate) fn emit(&self, e: ServeEvent) {
        if let Some(h) = &self.events {
            h(&e);
        }
    }
}

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
