//! Writing a new context: all of it or nothing.

use std::path::Path;

use natster_auth::KeyPair;
use natster_auth::creds::{Creds, write_secret};
use natster_auth::keys::Seed;

use super::local::{Context, ContextInfo, contexts_dir};
use crate::error::{Error, Result};

/// Everything `init` writes for a new context.
#[derive(Debug)]
pub struct NewContext {
    /// Public data.
    pub info: ContextInfo,
    /// Account identity key.
    pub account: KeyPair,
    /// Account signing key.
    pub signing: KeyPair,
    /// CLI user creds.
    pub creds: Creds,
    /// Account JWT.
    pub account_jwt: String,
    /// Operator JWT.
    pub operator_jwt: String,
}

impl NewContext {
    /// Writes the context into a temp dir and renames it into place, so a
    /// failure leaves no half-written context behind.
    pub fn write(&self, home: &Path) -> Result<Context> {
        let contexts = contexts_dir(home);
        private_dir(&contexts, true)?;
        restrict(home)?;
        restrict(&contexts)?;
        let dir = contexts.join(&self.info.name);
        let tmp = contexts.join(format!(".{}.{}.tmp", self.info.name, std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        private_dir(&tmp, false)?;
        let written = self.write_files(&tmp).and_then(|()| {
            std::fs::rename(&tmp, &dir)
                .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))
        });
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        written?;
        Ok(Context {
            dir,
            info: self.info.clone(),
        })
    }

    fn write_files(&self, dir: &Path) -> Result<()> {
        let write = |file: &str, bytes: &[u8]| -> Result<()> {
            write_secret(&dir.join(file), bytes)
                .map_err(|e| Error::invalid(format!("cannot write {file}"), e))
        };
        let seed = |kp: &KeyPair| Seed::of(kp).map_err(|e| Error::invalid("unusable key", e));
        write("account.seed", seed(&self.account)?.expose().as_bytes())?;
        write(
            "account-signing.seed",
            seed(&self.signing)?.expose().as_bytes(),
        )?;
        self.creds
            .write(&dir.join("user.creds"))
            .map_err(|e| Error::invalid("cannot write user.creds", e))?;
        write("account.jwt", self.account_jwt.as_bytes())?;
        write("operator.jwt", self.operator_jwt.as_bytes())?;
        let json = serde_json::to_vec_pretty(&self.info)
            .map_err(|e| Error::invalid("cannot encode context.json", e))?;
        write("context.json", &json)
    }
}

fn private_dir(dir: &Path, recursive: bool) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(recursive)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))
}

fn restrict(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("cannot set permissions of {}", dir.display()), e))
}
