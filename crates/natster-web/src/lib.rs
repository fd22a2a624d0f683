//! The Natster web app: browse catalogs shared with you, watch them come
//! online, preview, stream with seeking and download, acting for a person
//! with a delegated, scoped, expiring credential that their own CLI signed.
//! No seed of theirs reaches this server or the browser.
//!
//! - [`serve`] runs the server (`natster hub up` embeds it, `natster web
//!   serve` runs it alone) with a [`WebConfig`].
//! - [`login`] is the CLI's side: [`login::login`] (`natster login`),
//!   [`login::sessions_ls`] and [`login::sessions_revoke`]
//!   (`natster sessions ls|revoke`).
//! - The device-link protocol and the security model are in this crate's
//!   README.
//!
//! | module | does |
//! |---|---|
//! | `session` | the session store: pending, live, ended; the session's key and NATS connection |
//! | `link` | the server's side of the device link: redeem the code, verify the credential, go live |
//! | [`scope`] | what a session credential may do (signed by the CLI, checked by the server) |
//! | `security` | headers, Origin and CSRF checks, cookies |
//! | [`range`] | HTTP Range parsing |
//! | `sse` | the account's feed pushed to the browser |
//! | `state` | what every handler shares (`AppState`) |
//! | `catalog_cache` | catalog contents recently fetched, for the file route |
//! | `routes` | HTTP handlers, one file per area; the session extractor |
//! | `assets` | the embedded page, script and styles |
#![deny(missing_docs)]

mod accounts;
mod assets;
mod body;
mod catalog_cache;
mod config;
mod error;

mod link;
pub mod login;
pub mod phrase;
pub mod qr;
mod random;
pub mod range;
mod routes;
pub mod scope;
mod security;
mod session;
mod sse;
mod state;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use config::{WebConfig, WebCredential};
pub use error::WebError;

use crate::session::Sessions;
use crate::state::AppState;

/// Serves the web app on `listener` until `shutdown` completes; then every
/// session ends (keys and connections dropped).
///
/// Connects to NATS as the web account's user (to claim login codes) and
/// asks the hub for the operator's signing keys (to check accounts) first;
/// fails if either is unreachable.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: WebConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    config.validate()?;
    let web_account =
        natster_auth::jwt::decode::<natster_auth::claims::UserNats>(&config.credential.jwt)
            .map_err(|e| WebError::Config(format!("web credential: {e}")))
            .map(|c| {
                if c.nats.issuer_account.is_empty() {
                    c.iss
                } else {
                    c.nats.issuer_account
                }
            })?;
    let hub = natster_client::HubHttp::new(&config.hub_url)
        .map_err(|e| WebError::Config(e.to_string()))?;
    let info = hub
        .info()
        .await
        .map_err(|e| WebError::Config(format!("hub {}: {e}", config.hub_url)))?;
    let web = natster_client::connect::options(
        config.credential.jwt.clone(),
        config.credential.key.clone(),
        "natster-web",
    )
    .connect(config.nats_urls.join(",").as_str())
    .await
    .map_err(|e| WebError::Config(format!("connecting to NATS as the web account: {e}")))?;

    let sessions = Arc::new(Sessions::default());
    let state = AppState {
        config: Arc::new(config),
        sessions: sessions.clone(),
        web,
        web_account,
        accounts: Arc::new(accounts::Accounts::new(
            hub,
            info.info.operator_signing_keys,
        )),
        catalogs: Arc::new(catalog_cache::CatalogCache::default()),
    };
    let sweeper = {
        let sessions = sessions.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                sessions.sweep();
            }
        })
    };
    let app = routes::router(state);
    tracing::info!(addr = ?listener.local_addr().ok(), "natster web serving");
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    sessions.end_all();
    served.map_err(WebError::Io)
}

/// Binds `listen:port` and returns the listener and the URL people open
/// (`public_url`, else `http://LISTEN:PORT`, loopback for an unspecified
/// address).
pub async fn bind(
    listen: IpAddr,
    port: u16,
    public_url: Option<String>,
) -> Result<(tokio::net::TcpListener, String), WebError> {
    let addr = SocketAddr::new(listen, port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| WebError::Bind { addr, source: e })?;
    let local = listener.local_addr()?;
    let host = if listen.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        listen
    };
    let url =
        public_url.unwrap_or_else(|| format!("http://{}", SocketAddr::new(host, local.port())));
    Ok((listener, url))
}
