//! Invite codes: single-use, expiring, stored as hashes in `<dir>/invites`
//! so `natster hub invite` can mint one while the hub runs, and a leaked
//! data dir does not leak usable codes.

use std::path::{Path, PathBuf};

use data_encoding::{BASE32_NOPAD, HEXLOWER};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::HubError;
use crate::fsutil::{private_dir, write_atomic};

#[derive(Serialize, Deserialize)]
struct Invite {
    expires_at: i64,
}

/// Why an invite was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// No such code (or already used).
    #[error("invite code is not valid (unknown or already used)")]
    Unknown,
    /// Past its expiry.
    #[error("invite code has expired")]
    Expired,
}

fn dir_of(hub_dir: &Path) -> PathBuf {
    hub_dir.join("invites")
}

fn file_of(hub_dir: &Path, code: &str) -> PathBuf {
    let code = code.trim().to_ascii_uppercase();
    dir_of(hub_dir).join(HEXLOWER.encode(&Sha256::digest(code.as_bytes())))
}

/// Mints a code valid until `expires_at` (unix seconds).
pub fn create(hub_dir: &Path, expires_at: i64) -> Result<String, HubError> {
    let dir = dir_of(hub_dir);
    private_dir(&dir).map_err(|e| HubError::io(&dir, e))?;
    let mut bytes = [0u8; 20];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| HubError::NoRandomness)?;
    let code = BASE32_NOPAD.encode(&bytes);
    let path = file_of(hub_dir, &code);
    let body = serde_json::to_vec(&Invite { expires_at }).unwrap_or_default();
    write_atomic(&path, &body, 0o600).map_err(|e| HubError::io(&path, e))?;
    Ok(code)
}

/// Uses up `code`: exactly one caller wins, even under concurrency.
pub fn consume(hub_dir: &Path, code: &str, now: i64) -> Result<(), InviteError> {
    let path = file_of(hub_dir, code);
    let claimed = path.with_extension(format!("used-{}", std::process::id()));
    // rename is atomic: only one concurrent claimer finds the file.
    std::fs::rename(&path, &claimed).map_err(|_| InviteError::Unknown)?;
    let invite: Option<Invite> = std::fs::read(&claimed)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let _ = std::fs::remove_file(&claimed);
    match invite {
        Some(i) if i.expires_at >= now => Ok(()),
        Some(_) => Err(InviteError::Expired),
        None => Err(InviteError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_use_and_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let code = create(dir.path(), 100).unwrap();
        assert!(code.len() >= 32);
        assert_eq!(
            consume(dir.path(), "nonsense", 50),
            Err(InviteError::Unknown)
        );
        assert_eq!(consume(dir.path(), &code.to_lowercase(), 50), Ok(()));
        assert_eq!(consume(dir.path(), &code, 50), Err(InviteError::Unknown));
        let old = create(dir.path(), 10).unwrap();
        assert_eq!(consume(dir.path(), &old, 50), Err(InviteError::Expired));
        // The code itself is not stored.
        for e in std::fs::read_dir(dir.path().join("invites")).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap_or_default();
            assert!(!text.contains(&code));
        }
    }
}
