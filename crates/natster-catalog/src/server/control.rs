//! A handle on a running catalog server: revoke an account's transfers,
//! read the current catalog, list transfers in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;

use crate::catalog::Catalog;

/// A transfer in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferInfo {
    /// Its id.
    pub transfer_id: String,
    /// The account receiving it.
    pub caller: String,
    /// The file's hash.
    pub hash: String,
}

struct Active {
    info: TransferInfo,
    cancel: watch::Sender<Option<String>>,
}

#[derive(Default)]
struct Inner {
    transfers: Mutex<HashMap<String, Active>>,
    catalog: RwLock<Option<Arc<Catalog>>>,
}

/// Shared between [`crate::server::serve`] and whoever runs it. Cheap to clone.
#[derive(Clone, Default)]
pub struct ServeControl {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ServeControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeControl")
            .field("transfers", &self.transfers().len())
            .finish()
    }
}

impl ServeControl {
    /// A new control, to put in a [`crate::server::ServeConfig`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops every transfer in flight to `account` before its next chunk;
    /// returns how many. New requests are up to the access hook: update what
    /// it reads first, then call this.
    pub fn revoke(&self, account: &str) -> usize {
        self.cancel_where(
            |i| i.caller == account,
            "access to this catalog was revoked",
        )
    }

    /// Transfers in flight.
    pub fn transfers(&self) -> Vec<TransferInfo> {
        match self.inner.transfers.lock() {
            Ok(t) => t.values().map(|a| a.info.clone()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The catalog as currently served (after live updates); `None` before `serve` starts.
    pub fn catalog(&self) -> Option<Arc<Catalog>> {
        self.inner.catalog.read().ok().and_then(|c| c.clone())
    }

    pub(crate) fn set_catalog(&self, c: Catalog) {
        if let Ok(mut slot) = self.inner.catalog.write() {
            *slot = Some(Arc::new(c));
        }
    }

    pub(crate) fn register(&self, info: TransferInfo) -> watch::Receiver<Option<String>> {
        let (tx, rx) = watch::channel(None);
        if let Ok(mut t) = self.inner.transfers.lock() {
            t.insert(info.transfer_id.clone(), Active { info, cancel: tx });
        }
        rx
    }

    pub(crate) fn unregister(&self, transfer_id: &str) {
        if let Ok(mut t) = self.inner.transfers.lock() {
            t.remove(transfer_id);
        }
    }

    pub(crate) fn cancel_all(&self, reason: &str) -> usize {
        self.cancel_where(|_| true, reason)
    }

    fn cancel_where(&self, pred: impl Fn(&TransferInfo) -> bool, reason: &str) -> usize {
        let Ok(t) = self.inner.transfers.lock() else {
            return 0;
        };
        let mut n = 0;
        for a in t.values().filter(|a| pred(&a.info)) {
            a.cancel.send_replace(Some(reason.to_owned()));
            n += 1;
        }
        n
    }
}
