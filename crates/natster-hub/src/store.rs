//! The hub's authoritative store of account JWTs, `<dir>/accounts/<key>.jwt`.
//!
//! nats-server's resolver accepts JWTs signed by untrusted keys and older
//! JWTs over newer ones, so the hub checks both before anything reaches it:
//! every JWT stored here was issued by our operator signing key, and each
//! account's `iat` only ever increases. A JWT is persisted (fsynced) before
//! the change is acknowledged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use natster_auth::claims::{AccountClaims, AccountNats};
use natster_auth::jwt::{Verifier, decode, now};
use natster_auth::keys::{KeyKind, check_public_key};

use crate::fsutil::{private_dir, write_atomic};

/// One stored account.
#[derive(Debug, Clone)]
pub struct StoredAccount {
    /// The JWT in force.
    pub jwt: String,
    /// Its decoded claims.
    pub claims: AccountClaims,
}

/// Why a JWT was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Not issued by our operator signing key, or otherwise invalid.
    #[error("account JWT not accepted: {0}")]
    Invalid(#[from] natster_auth::Error),
    /// Not newer than the stored one.
    #[error("account JWT for {account} is not newer than the stored one (iat {iat} <= {stored})")]
    NotNewer {
        /// Account.
        account: String,
        /// Offered iat.
        iat: i64,
        /// Stored iat.
        stored: i64,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A stored JWT does not verify (tampered, or from another operator).
    #[error("corrupt hub state: {path}: {source}")]
    Corrupt {
        /// The file.
        path: String,
        /// Cause.
        source: natster_auth::Error,
    },
}

impl StoreError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The account store.
#[derive(Debug)]
pub struct AccountStore {
    dir: PathBuf,
    verifier: Verifier,
    cache: Mutex<HashMap<String, StoredAccount>>,
}

impl AccountStore {
    /// Opens `dir`, loading and re-verifying every stored JWT.
    pub fn open(dir: PathBuf, operator_signing_key: &str) -> Result<Self, StoreError> {
        private_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let verifier = Verifier::new([operator_signing_key.to_owned()]);
        let mut cache = HashMap::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "jwt") {
                continue;
            }
            let jwt = std::fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
            let claims = decode::<AccountNats>(jwt.trim())
                .and_then(|c| verifier.check(&c).map(|_| c))
                .map_err(|source| StoreError::Corrupt {
                    path: path.display().to_string(),
                    source,
                })?;
            cache.insert(
                claims.sub.clone(),
                StoredAccount {
                    jwt: jwt.trim().to_owned(),
                    claims,
                },
            );
        }
        Ok(Self {
            dir,
            verifier,
            cache: Mutex::new(cache),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoredAccount>> {
        // A panic elsewhere while holding the lock leaves the map intact.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored account, if any.
    pub fn get(&self, account: &str) -> Option<StoredAccount> {
        self.lock().get(account).cloned()
    }

    /// Every stored account.
    pub fn all(&self) -> Vec<StoredAccount> {
        self.lock().values().cloned().collect()
    }

    /// How many accounts are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no account is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An `iat` strictly newer than the stored JWT's, and not before now.
    pub fn next_iat(&self, account: &str) -> i64 {
        let stored = self.lock().get(account).map(|s| s.claims.iat).unwrap_or(0);
        now().max(stored + 1)
    }

    /// Verifies and persists `jwt`; it must be newer than what is stored.
    pub fn put(&self, jwt: &str) -> Result<AccountClaims, StoreError> {
        let claims = self.verifier.verify::<AccountNats>(jwt)?;
        check_public_key(&claims.sub, KeyKind::Account)?;
        let mut cache = self.lock();
        if let Some(old) = cache.get(&claims.sub) {
            if claims.iat <= old.claims.iat {
                return Err(StoreError::NotNewer {
                    account: claims.sub.clone(),
                    iat: claims.iat,
                    stored: old.claims.iat,
                });
            }
        }
        let path = self.dir.join(format!("{}.jwt", claims.sub));
        write_atomic(&path, jwt.as_bytes(), 0o600).map_err(|e| StoreError::io(&path, e))?;
        cache.insert(
            claims.sub.clone(),
            StoredAccount {
                jwt: jwt.to_owned(),
                claims: claims.clone(),
            },
        );
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use natster_auth::KeyPair;
    use natster_auth::claims::Claims;
    use natster_auth::jwt::encode;

    #[test]
    fn refuses_untrusted_and_older_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let op = KeyPair::new_operator();
        let store = AccountStore::open(dir.path().join("accounts"), &op.public_key()).unwrap();
        let acc = KeyPair::new_account();
        let mut c = Claims::new(acc.public_key(), AccountNats::new()).with_name("a");
        c.iat = 1000;
        store.put(&encode(&c, &op).unwrap()).unwrap();

        let stranger = KeyPair::new_operator();
        c.iat = 2000;
        let err = store.put(&encode(&c, &stranger).unwrap()).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");

        c.iat = 1000;
        let err = store.put(&encode(&c, &op).unwrap()).unwrap_err();
        assert!(
            matches!(err, StoreError::NotNewer { stored: 1000, .. }),
            "{err}"
        );
        assert!(store.next_iat(&acc.public_key()) > 1000);

        c.iat = 3000;
        store.put(&encode(&c, &op).unwrap()).unwrap();
        let reopened = AccountStore::open(dir.path().join("accounts"), &op.public_key()).unwrap();
        assert_eq!(reopened.get(&acc.public_key()).unwrap().claims.iat, 3000);
        assert_eq!(reopened.len(), 1);
    }
}
