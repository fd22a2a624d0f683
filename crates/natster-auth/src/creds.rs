//! Standard NATS `.creds` files: a user JWT and the user's seed between
//! armour lines, readable by every NATS client and tool.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use crate::claims::UserNats;
use crate::error::{Error, ErrorKind, Result};
use crate::jwt;
use crate::keys::{KeyKind, Seed};

/// A user JWT and its seed. `Debug` never shows the seed.
#[derive(Clone)]
pub struct Creds {
    /// The user JWT.
    pub jwt: String,
    /// The user seed.
    pub seed: Seed,
}

impl fmt::Debug for Creds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Creds")
            .field("jwt", &self.jwt)
            .field("seed", &self.seed)
            .finish()
    }
}

impl Creds {
    /// Pairs a user JWT with its seed, checking that they belong together.
    pub fn new(jwt: String, seed: Seed) -> Result<Self> {
        let claims = jwt::decode::<UserNats>(&jwt)?;
        let kp = seed.key_pair()?;
        if kp.public_key() != claims.sub {
            return Err(Error::new(
                ErrorKind::CredsFormat,
                "the seed is not the JWT's user",
            ));
        }
        Ok(Self { jwt, seed })
    }

    /// The standard text form.
    pub fn to_text(&self) -> String {
        format!(
            "-----BEGIN NATS USER JWT-----\n{}\n------END NATS USER JWT------\n\n\
             ************************* IMPORTANT *************************\n\
             NKEY Seed printed below can be used to sign and prove identity.\n\
             NKEYs are sensitive and should be treated as secrets.\n\n\
             -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n\n\
             *************************************************************\n",
            self.jwt,
            self.seed.expose()
        )
    }

    /// Parses the standard text form: the first armoured block is the JWT,
    /// the second the seed.
    pub fn parse(text: &str) -> Result<Self> {
        let mut blocks = Vec::with_capacity(2);
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            if line.starts_with("---") && line.contains("BEGIN") {
                let value = lines.by_ref().find(|l| !l.is_empty()).unwrap_or_default();
                blocks.push(value.to_owned());
                if blocks.len() == 2 {
                    break;
                }
            }
        }
        let [jwt, seed] = <[String; 2]>::try_from(blocks).map_err(|_| {
            Error::new(
                ErrorKind::CredsFormat,
                "not a creds file: expected a JWT block and a seed block",
            )
        })?;
        let seed = Seed::parse(&seed, KeyKind::User)?;
        Self::new(jwt, seed)
    }

    /// Reads a creds file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Self::parse(&text)
    }

    /// Writes the creds file with mode 0600, atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_secret(path, self.to_text().as_bytes())
    }
}

/// Writes `data` to `path` with mode 0600, atomically; see [`write_atomic`].
pub fn write_secret(path: &Path, data: &[u8]) -> Result<()> {
    write_atomic(path, data, 0o600).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// Writes `data` to `path` with `mode`: into a fresh temp file beside it,
/// fsynced, renamed over `path`, then the directory fsynced, so readers see
/// all or nothing and the rename survives a crash.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
