//! One Natster node: what `natster hub up` runs in one process. The hub
//! (operator keys, nats-server, account control plane), an instance of the
//! global service as a user of the global account, and the web app acting
//! for people with credentials their own CLI signed.
//!
//! [`Node::start`] binds the web app's port before anything else, so a
//! port clash is reported before the hub writes its `hub.json`; then it
//! starts the hub, the global service (waiting until it answers) and the
//! web app. [`Node::shutdown`] stops them in the reverse order.
#![deny(missing_docs)]

use std::net::IpAddr;
use std::time::Duration;

use natster_global::{GlobalConfig, Instance};
use natster_hub::identity::HubIdentity;
use natster_hub::{HubConfig, RunningHub};
use natster_proto::hub::HubInfo;
use natster_web::{WebConfig, WebCredential, WebError};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A node failed to start, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The hub did not start.
    #[error("the hub did not start")]
    Hub(#[from] natster_hub::HubError),
    /// The global service did not start, or stopped.
    #[error(transparent)]
    Global(#[from] natster_global::GlobalError),
    /// The web app could not bind its port, or stopped.
    #[error(transparent)]
    Web(#[from] WebError),
    /// The hub's data directory is not usable (no keys, no hub.json).
    #[error(transparent)]
    HubDir(natster_hub::HubError),
    /// Connecting the global service to nats-server failed.
    #[error("cannot connect the global service to NATS")]
    Connect(#[from] async_nats::ConnectError),
}

/// Where the web app listens.
#[derive(Debug, Clone)]
pub struct WebListen {
    /// Interface.
    pub listen: IpAddr,
    /// Port (0: any free port).
    pub port: u16,
    /// The URL people open (default: `http://LISTEN:PORT`).
    pub public_url: Option<String>,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The hub.
    pub hub: HubConfig,
    /// The web app.
    pub web: WebListen,
}

impl NodeConfig {
    /// A node in `dir` on loopback with every port picked free (tests, the demo).
    pub fn ephemeral(dir: std::path::PathBuf) -> Self {
        let hub = HubConfig::ephemeral(dir);
        Self {
            web: WebListen {
                listen: hub.listen,
                port: 0,
                public_url: None,
            },
            hub,
        }
    }
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    hub: RunningHub,
    global: Instance,
    web: JoinHandle<Result<(), WebError>>,
    stop_web: oneshot::Sender<()>,
    web_url: String,
}

/// The global service's configuration for a hub with `identity`, whose
/// login codes point at the web app at `web_url`.
pub fn global_config(identity: &HubIdentity, web_url: Option<&str>) -> GlobalConfig {
    GlobalConfig {
        web_account: Some(identity.web.key()),
        claim_url_base: web_url.map(|u| format!("{u}/link")),
        ..GlobalConfig::default()
    }
}

/// The web app's configuration for a hub with `identity` and `info`,
/// reached by people at `public_url`.
pub fn web_config(
    identity: &HubIdentity,
    info: &HubInfo,
    public_url: &str,
) -> Result<WebConfig, NodeError> {
    let credential = WebCredential::issue(&identity.web.key(), &identity.web.signing)?;
    Ok(WebConfig::new(
        info.hub_url.clone(),
        info.nats_urls.clone(),
        credential,
        public_url,
    ))
}

/// Connects a new user of `identity`'s global account and starts the
/// global service on it; returns once it answers.
pub async fn start_global(
    identity: &HubIdentity,
    nats_urls: &str,
    config: GlobalConfig,
) -> Result<Instance, NodeError> {
    let global = &identity.global;
    let client = global.connect(nats_urls, "natster-global").await?;
    Ok(Instance::start(client, config, &global.key()).await?)
}

impl Node {
    /// Starts everything; see the crate's documentation for the order.
    pub async fn start(mut config: NodeConfig) -> Result<Self, NodeError> {
        let needed = GlobalConfig::default().required_disk_bytes();
        config.hub.jetstream.disk = config.hub.jetstream.disk.max(needed);
        let w = &config.web;
        let (listener, web_url) = natster_web::bind(w.listen, w.port, w.public_url.clone()).await?;
        let hub = RunningHub::start(config.hub).await?;
        let urls = hub.info().nats_urls.join(",");
        let global_config = global_config(hub.identity(), Some(&web_url));
        let global = match start_global(hub.identity(), &urls, global_config).await {
            Ok(g) => g,
            Err(e) => {
                hub.shutdown().await;
                return Err(e);
            }
        };
        let web_config = web_config(hub.identity(), hub.info(), &web_url)?;
        let (stop_web, web_stopped) = oneshot::channel::<()>();
        let web = tokio::spawn(natster_web::serve(listener, web_config, async move {
            let _ = web_stopped.await;
        }));
        Ok(Self {
            hub,
            global,
            web,
            stop_web,
            web_url,
        })
    }

    /// The hub's URLs and keys.
    pub fn info(&self) -> &HubInfo {
        self.hub.info()
    }

    /// The hub.
    pub fn hub(&self) -> &RunningHub {
        &self.hub
    }

    /// Where people open the web app.
    pub fn web_url(&self) -> &str {
        &self.web_url
    }

    /// Completes if a part ends by itself (none should), with why.
    pub async fn ended(&mut self) -> NodeError {
        tokio::select! {
            e = self.global.ended() => e.into(),
            r = &mut self.web => match r {
                Ok(Err(e)) => e.into(),
                _ => WebError::Internal("the web app stopped".into()).into(),
            },
        }
    }

    /// Stops the web app, the global service and the hub, in that order.
    pub async fn shutdown(self) {
        let _ = self.stop_web.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.web).await;
        self.global.stop().await;
        self.hub.shutdown().await;
    }
}

/// Runs one more global-service instance for the hub whose data directory
/// is `dir` (it holds the global account's keys), against `nats_urls`
/// (default: the URLs in the hub's `hub.json`), until `shutdown`.
/// `on_ready` hears the URLs it connected to.
pub async fn serve_global(
    dir: &std::path::Path,
    nats_urls: Option<String>,
    on_ready: impl FnOnce(&str),
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), NodeError> {
    let dir = natster_hub::dir::HubDir::open(dir).map_err(NodeError::HubDir)?;
    let identity = dir.identity().map_err(NodeError::HubDir)?;
    let urls = match nats_urls {
        Some(u) => u,
        None => dir.info().map_err(NodeError::HubDir)?.nats_urls.join(","),
    };
    let client = identity.global.connect(&urls, "natster-global").await?;
    on_ready(&urls);
    natster_global::run(client, global_config(&identity, None), shutdown).await?;
    Ok(())
}

/// Runs one more web app for the hub whose data directory is `dir`, on
/// `web`, until `shutdown`. `on_ready` hears the URL people open.
pub async fn serve_web(
    dir: &std::path::Path,
    web: WebListen,
    on_ready: impl FnOnce(&str),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), NodeError> {
    let dir = natster_hub::dir::HubDir::open(dir).map_err(NodeError::HubDir)?;
    let info = dir.info().map_err(NodeError::HubDir)?;
    let (listener, url) = natster_web::bind(web.listen, web.port, web.public_url).await?;
    let identity = dir.identity().map_err(NodeError::HubDir)?;
    let config = web_config(&identity, &info, &url)?;
    on_ready(&url);
    natster_web::serve(listener, config, shutdown).await?;
    Ok(())
}
