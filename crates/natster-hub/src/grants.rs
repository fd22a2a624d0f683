//! Activation tokens an owner deposited for an account to import with:
//! `<dir>/grants/<importer>/<owner>.<catalog>.json`. Tokens are not secret
//! (they only work for the importer they name), but they let an import
//! happen while the owner is offline.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::HubError;
use crate::fsutil::{private_dir, write_atomic};

/// One deposited grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Activation for the catalog service.
    pub service_token: String,
    /// Activation for the media stream.
    pub stream_token: String,
}

/// The grant store.
#[derive(Debug)]
pub struct GrantStore {
    dir: PathBuf,
}

impl GrantStore {
    /// Opens (creating) `dir`.
    pub fn open(dir: PathBuf) -> Result<Self, HubError> {
        private_dir(&dir).map_err(|e| HubError::io(&dir, e))?;
        Ok(Self { dir })
    }

    // Callers pass validated account keys and catalog names only, so these
    // are plain file names.
    fn path(&self, importer: &str, owner: &str, catalog: &str) -> PathBuf {
        self.dir
            .join(importer)
            .join(format!("{owner}.{catalog}.json"))
    }

    /// Stores (replaces) a grant.
    pub fn put(
        &self,
        importer: &str,
        owner: &str,
        catalog: &str,
        grant: &Grant,
    ) -> Result<(), HubError> {
        let path = self.path(importer, owner, catalog);
        if let Some(parent) = path.parent() {
            private_dir(parent).map_err(|e| HubError::io(parent, e))?;
        }
        let body = serde_json::to_vec(grant).unwrap_or_default();
        write_atomic(&path, &body, 0o600).map_err(|e| HubError::io(&path, e))
    }

    /// The grant, if one is deposited.
    pub fn get(&self, importer: &str, owner: &str, catalog: &str) -> Option<Grant> {
        let bytes = std::fs::read(self.path(importer, owner, catalog)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Drops a grant (after an unshare).
    pub fn remove(&self, importer: &str, owner: &str, catalog: &str) {
        let _ = std::fs::remove_file(self.path(importer, owner, catalog));
    }
}
