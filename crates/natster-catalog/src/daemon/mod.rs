//! The catalog server as a daemon: what `natster catalog serve NAME` runs
//! on the owner's machine. Around the request handling of [`crate::server`]
//! it keeps the owner's view of who may read the catalog ([`access`]:
//! from the global service, followed live, cached on disk), answers the
//! owner's own `access`/`share`/`unshare` (`owner`), relays heartbeats to
//! the global service and says goodbye when it stops.
//!
//! [`Daemon::prepare`] loads the catalog and makes the server's one-time
//! user key; [`Daemon::connect`] connects as that user; [`run`] serves
//! until the shutdown future completes.

pub mod access;
mod heartbeats;
mod owner;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::claims::{Claims, UserNats};
use natster_auth::jwt::encode;
use natster_auth::keys::KeyKind;
use natster_client::{Context, Login};
use natster_proto::global::OfflineRequest;

use self::access::ShareView;
use self::heartbeats::{HEARTBEAT_SETTLE, Heartbeats};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::server::{DEFAULT_MAX_TRANSFERS, EventHook, ServeConfig, ServeEvent, serve};

pub(crate) use owner::chain;

/// A catalog of this machine's context, ready to serve.
pub struct Daemon {
    ctx: Context,
    catalog: Catalog,
    path: PathBuf,
    signer: KeyPair,
    signer_jwt: String,
    /// Seconds between heartbeats.
    pub heartbeat_interval: Duration,
    /// Transfers in flight at most.
    pub max_transfers: usize,
    /// Told what the server does (for the CLI's log lines).
    pub events: Option<EventHook>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("catalog", &self.catalog.name)
            .field("signer", &self.signer.public_key())
            .finish_non_exhaustive()
    }
}

impl Daemon {
    /// Loads `ctx`'s catalog `name` and makes the server's own one-time user
    /// key: its JWT, signed by the account signing key, is what downloaders
    /// check offers against.
    pub fn prepare(ctx: &Context, name: &str) -> Result<Self> {
        let (catalog, path) = crate::own::load(ctx, name)?;
        let signer = KeyKind::User.generate();
        let claims = Claims::new(
            signer.public_key(),
            UserNats::for_account(&ctx.info.account),
        )
        .with_name(format!("catalog server {name}"));
        let signer_jwt = encode(&claims, &ctx.signing_key()?)
            .map_err(|e| Error::Invalid(format!("cannot sign the server's user JWT: {e}")))?;
        Ok(Self {
            ctx: ctx.clone(),
            catalog,
            path,
            signer,
            signer_jwt,
            heartbeat_interval: Duration::from_secs(30),
            max_transfers: DEFAULT_MAX_TRANSFERS,
            events: None,
        })
    }

    /// The catalog as loaded.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Connects as the server's own user.
    pub async fn connect(&self) -> Result<async_nats::Client> {
        let login = Login::new(
            self.ctx.info.nats_urls.clone(),
            self.signer_jwt.clone(),
            self.signer.clone(),
        );
        Ok(login
            .connect(&format!("natster-catalog-{}", self.catalog.name))
            .await?)
    }
}

/// Serves `daemon`'s catalog on `client` (see [`Daemon::connect`]) until
/// `shutdown` completes; then the last heartbeat lands and the global
/// service hears the catalog went offline.
pub async fn run(
    client: async_nats::Client,
    daemon: Daemon,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let me = daemon.ctx.info.account.clone();
    let name = daemon.catalog.name.clone();
    let cache = daemon.path.with_extension("shares.json");
    let view = ShareView::load(&client, &me, &name, cache).await;
    let mut config = ServeConfig::new(daemon.catalog, &me, daemon.signer, &daemon.signer_jwt);
    let access = view.clone();
    config.access = Arc::new(move |caller: &str, _catalog: &str| access.allows(caller));
    let follower = tokio::spawn(view.clone().follow(client.clone(), config.control.clone()));
    config.ops = Some(owner::hook(
        daemon.ctx,
        client.clone(),
        &name,
        view,
        config.control.clone(),
    ));
    config.catalog_path = Some(daemon.path);
    config.heartbeat_interval = daemon.heartbeat_interval.max(Duration::from_secs(1));
    config.max_transfers = daemon.max_transfers;
    let (heartbeats, beats) = Heartbeats::start(client.clone(), me.clone());
    let events = daemon.events;
    config.events = Some(Arc::new(move |e: &ServeEvent| {
        // The server's last heartbeat on shutdown says `online: false`;
        // putting it would race the `heartbeats.offline` sent after `serve`
        // returns and could leave the catalog listed online.
        if let ServeEvent::Heartbeat(hb) = e {
            if hb.online {
                heartbeats.send(hb);
            }
        }
        if let Some(h) = &events {
            h(e);
        }
    }));
    let served = serve(client.clone(), config, shutdown).await;
    // `serve` dropped its event hook, and with it the heartbeat sender; the
    // last heartbeat must land before the offline call, or it would list the
    // catalog online again until it expired.
    beats.settle(HEARTBEAT_SETTLE).await;
    let global = natster_client::GlobalClient::new(client.clone(), &me);
    if let Err(e) = global.call(&OfflineRequest { catalog: name }).await {
        tracing::warn!("could not announce going offline: {}", chain(&e));
    }
    follower.abort();
    served
}
