//! How a catalog server is configured, and what it tells its observer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::ApiResponse;
use natster_proto::catalog::Heartbeat;

use super::control::{ServeControl, TransferInfo};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::scan::ScanReport;
use crate::transfer::sizes::{DEFAULT_CHUNK, DEFAULT_WINDOW, MAX_WINDOW};

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

    pub(super) fn validate(&self) -> Result<()> {
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
