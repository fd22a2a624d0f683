//! `natster hub up`: everything the hub runs, started in order and stopped
//! in reverse.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use natster_proto::hub::HubInfo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::accounts::JetStreamQuota;
use crate::authority::{Authority, issue_well_known};
use crate::error::HubError;
use crate::fsutil::{private_dir, write_atomic};
use crate::grants::GrantStore;
use crate::http::{HttpState, Registration};
use crate::identity::HubIdentity;
use crate::resolver::Resolver;
use crate::server::{JetStreamConfig, NatsServerBinary, Ports, RANDOM_PORT, ServerConfig};
use crate::store::AccountStore;
use crate::supervise::supervise;
use crate::{control, http};

/// How to run the hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Data directory (created 0700).
    pub dir: PathBuf,
    /// Interface for every listener.
    pub listen: IpAddr,
    /// NATS client port (0: any free port).
    pub nats_port: u16,
    /// Hub HTTP port (0: any free port).
    pub http_port: u16,
    /// NATS websocket port (0: any free port).
    pub ws_port: u16,
    /// Who may register; `None`: open on loopback, invite-only otherwise.
    pub registration: Option<Registration>,
    /// JetStream for the global service's account.
    pub jetstream: JetStreamQuota,
    /// nats-server to run; `None`: discover it (`NATSTER_NATS_SERVER`, else `PATH`).
    pub nats_server: Option<PathBuf>,
}

impl HubConfig {
    /// Defaults for `dir`: loopback, standard ports.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            listen: IpAddr::from([127, 0, 0, 1]),
            nats_port: 4222,
            http_port: 7222,
            ws_port: 4223,
            registration: None,
            jetstream: JetStreamQuota {
                disk: 1 << 30,
                memory: 64 << 20,
            },
            nats_server: None,
        }
    }

    /// Who may register: as configured, else open on loopback and
    /// invite-only on any other interface.
    fn registration(&self) -> Registration {
        self.registration.unwrap_or(if self.listen.is_loopback() {
            Registration::Open
        } else {
            Registration::InviteOnly
        })
    }

    /// Test defaults: loopback, every port picked free.
    pub fn ephemeral(dir: PathBuf) -> Self {
        Self {
            nats_port: 0,
            http_port: 0,
            ws_port: 0,
            ..Self::new(dir)
        }
    }
}

fn port(p: u16) -> i32 {
    if p == 0 { RANDOM_PORT } else { i32::from(p) }
}

/// A running hub.
#[derive(Debug)]
pub struct RunningHub {
    info: HubInfo,
    identity: HubIdentity,
    authority: Arc<Authority>,
    shutdown: watch::Sender<bool>,
    nats_pid: watch::Receiver<Option<u32>>,
    supervisor: JoinHandle<()>,
    tasks: Vec<JoinHandle<()>>,
    dir: PathBuf,
}

impl RunningHub {
    /// Starts the hub: keys, nats-server (supervised), control plane, HTTP.
    pub async fn start(config: HubConfig) -> Result<Self, HubError> {
        let binary = nats_server_binary(&config)?;
        let dir = config.dir.clone();
        private_dir(&dir).map_err(|e| HubError::io(&dir, e))?;
        let identity = HubIdentity::load_or_create(&dir)?;
        let (operator_jwt, operator_jwt_path) = write_operator_jwt(&dir, &identity)?;
        let store = AccountStore::open(
            dir.join("accounts"),
            &identity.operator_signing.public_key(),
        )?;
        // The server is not running yet: its config preloads these.
        let preload = issue_well_known(&identity, &store, config.jetstream)?;
        let nats_dir = dir.join("nats");
        private_dir(&nats_dir).map_err(|e| HubError::io(&nats_dir, e))?;
        let server_config =
            server_config(&config, &nats_dir, operator_jwt_path, &identity, preload);

        let (shutdown, shutdown_rx) = watch::channel(false);
        let server = supervise_server(binary, server_config, nats_dir, shutdown_rx.clone()).await?;
        let url = server.ports.nats.first().cloned().unwrap_or_default();
        let authority = authority(&identity, store, &dir, &url).await?;
        let control = spawn_control_plane(&identity, &url, authority.clone()).await?;

        let (listener, http_addr) = bind(SocketAddr::new(config.listen, config.http_port)).await?;
        let info = hub_info(&config, http_addr, &server.ports, &identity);
        let state = HttpState::new(
            authority.clone(),
            info.clone(),
            operator_jwt,
            config.registration(),
            dir.clone(),
        );
        let http = spawn_http(listener, state, shutdown_rx);
        write_hub_json(&dir, &info)?;
        Ok(Self {
            info,
            identity,
            authority,
            shutdown,
            nats_pid: server.pid,
            supervisor: server.supervisor,
            tasks: vec![control, http],
            dir,
        })
    }

    /// URLs and keys of this hub (also in `<dir>/hub.json`).
    pub fn info(&self) -> &HubInfo {
        &self.info
    }

    /// The hub's own keys (for running its well-known services).
    pub fn identity(&self) -> &HubIdentity {
        &self.identity
    }

    /// The account authority.
    pub fn authority(&self) -> &Arc<Authority> {
        &self.authority
    }

    /// The data directory.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The pid of the running nats-server, if it runs.
    pub fn nats_pid(&self) -> Option<u32> {
        *self.nats_pid.borrow()
    }

    /// Waits until nats-server runs with a pid other than `old`.
    pub async fn wait_for_new_nats_pid(&mut self, old: u32, timeout: Duration) -> Option<u32> {
        let fut = self.nats_pid.wait_for(|p| p.is_some_and(|p| p != old));
        tokio::time::timeout(timeout, fut)
            .await
            .ok()?
            .ok()
            .and_then(|p| *p)
    }

    /// Stops everything: HTTP, control plane, then nats-server.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
        let _ = self.supervisor.await;
        let _ = std::fs::remove_file(self.dir.join("hub.json"));
    }
}

fn nats_server_binary(config: &HubConfig) -> Result<NatsServerBinary, HubError> {
    Ok(match &config.nats_server {
        Some(path) => NatsServerBinary::check(path)?,
        None => NatsServerBinary::discover()?,
    })
}

/// Writes the operator JWT where nats-server's config points; returns it
/// and its path.
fn write_operator_jwt(dir: &Path, identity: &HubIdentity) -> Result<(String, PathBuf), HubError> {
    let jwt = identity.operator_jwt()?;
    let path = dir.join("operator.jwt");
    write_atomic(&path, jwt.as_bytes(), 0o644).map_err(|e| HubError::io(&path, e))?;
    Ok((jwt, path))
}

fn server_config(
    config: &HubConfig,
    nats_dir: &Path,
    operator_jwt: PathBuf,
    identity: &HubIdentity,
    preload: Vec<(String, String)>,
) -> ServerConfig {
    let mut sc = ServerConfig::loopback(nats_dir, operator_jwt, identity.system.key());
    sc.name = "natster-hub".into();
    sc.host = config.listen.to_string();
    sc.port = port(config.nats_port);
    sc.websocket_port = Some(port(config.ws_port));
    sc.preload = preload.into_iter().collect();
    sc.jetstream = Some(JetStreamConfig {
        store_dir: nats_dir.join("jetstream"),
        max_memory: config.jetstream.memory as u64,
        max_file: config.jetstream.disk as u64,
    });
    sc
}

/// nats-server under its supervisor, once it first listens.
struct SupervisedServer {
    ports: Ports,
    pid: watch::Receiver<Option<u32>>,
    supervisor: JoinHandle<()>,
}

/// Starts the supervisor and waits for the server's first start. The
/// supervisor stops the server when `shutdown` turns true or its sender is
/// dropped (as when a later step of the start fails).
async fn supervise_server(
    binary: NatsServerBinary,
    config: ServerConfig,
    nats_dir: PathBuf,
    shutdown: watch::Receiver<bool>,
) -> Result<SupervisedServer, HubError> {
    let (pid_tx, pid) = watch::channel(None);
    let (ready_tx, ready_rx) = oneshot::channel();
    let supervisor = tokio::spawn(supervise(
        binary, config, nats_dir, ready_tx, pid_tx, shutdown,
    ));
    let ports = match ready_rx.await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err(HubError::SupervisorStopped),
    };
    Ok(SupervisedServer {
        ports,
        pid,
        supervisor,
    })
}

/// The account authority, pushing through a system-account connection,
/// after pushing every stored JWT (the resolver may have lost some).
async fn authority(
    identity: &HubIdentity,
    store: AccountStore,
    dir: &Path,
    url: &str,
) -> Result<Arc<Authority>, HubError> {
    let system = identity.system.connect(url, "natster-hub-system").await?;
    let grants = GrantStore::open(dir.join("grants"))?;
    let authority = Arc::new(Authority::new(
        identity.clone(),
        store,
        grants,
        Resolver::new(system),
    ));
    authority.push_all().await?;
    Ok(authority)
}

async fn spawn_control_plane(
    identity: &HubIdentity,
    url: &str,
    authority: Arc<Authority>,
) -> Result<JoinHandle<()>, HubError> {
    let client = identity.hub.connect(url, "natster-hub-control").await?;
    Ok(tokio::spawn(async move {
        if let Err(e) = control::serve(client, authority).await {
            tracing::error!(error = %e, "control plane stopped");
        }
    }))
}

/// The HTTP listener and the address it got (the port may have been 0).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), HubError> {
    let bind_err = |source| HubError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    Ok((listener, local))
}

fn hub_info(
    config: &HubConfig,
    http_addr: SocketAddr,
    ports: &Ports,
    identity: &HubIdentity,
) -> HubInfo {
    // Clients cannot dial 0.0.0.0: tell them loopback.
    let host = if config.listen.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        config.listen
    };
    HubInfo {
        hub_url: format!("http://{}", SocketAddr::new(host, http_addr.port())),
        nats_urls: ports.nats.clone(),
        websocket_urls: ports.websocket.clone(),
        operator: identity.operator.public_key(),
        operator_signing_keys: vec![identity.operator_signing.public_key()],
        accounts: identity.well_known(),
    }
}

fn spawn_http(
    listener: TcpListener,
    state: HttpState,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let serve = axum::serve(listener, http::router(Arc::new(state))).with_graceful_shutdown(
            async move {
                let _ = shutdown.wait_for(|s| *s).await;
            },
        );
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "hub HTTP stopped");
        }
    })
}

fn write_hub_json(dir: &Path, info: &HubInfo) -> Result<(), HubError> {
    let path = dir.join("hub.json");
    let text = serde_json::to_vec_pretty(info).unwrap_or_default();
    write_atomic(&path, &text, 0o644).map_err(|e| HubError::io(&path, e))
}
