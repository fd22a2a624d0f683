//! A hub's data directory, for the commands that work on one without
//! starting it (`hub invite`, `global serve`, `web serve`).

use std::path::{Path, PathBuf};

use natster_proto::hub::HubInfo;

use crate::error::HubError;
use crate::identity::HubIdentity;

/// Env var naming the hub's data directory.
pub const ENV_HUB_DIR: &str = "NATSTER_HUB_DIR";

/// The data directory `hub up` uses when given none: `~/.natster-hub`.
pub fn default_dir() -> Result<PathBuf, HubError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".natster-hub"))
        .ok_or(HubError::NoDir)
}

/// A directory `hub up` has run in: it holds the hub's keys.
#[derive(Debug, Clone)]
pub struct HubDir(PathBuf);

impl HubDir {
    /// `dir`, which must hold a hub's keys.
    pub fn open(dir: &Path) -> Result<Self, HubError> {
        if dir.join("keys").is_dir() {
            Ok(Self(dir.to_owned()))
        } else {
            Err(HubError::NotAHub(dir.display().to_string()))
        }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The hub's keys.
    pub fn identity(&self) -> Result<HubIdentity, HubError> {
        HubIdentity::load_or_create(&self.0)
    }

    /// What the running hub wrote to `hub.json` (its URLs and keys).
    pub fn info(&self) -> Result<HubInfo, HubError> {
        let path = self.0.join("hub.json");
        let text = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(HubError::NotRunning(self.0.display().to_string()));
            }
            r => r.map_err(|e| HubError::io(&path, e))?,
        };
        serde_json::from_slice(&text).map_err(|source| HubError::Json {
            path: path.display().to_string(),
            source,
        })
    }
}
