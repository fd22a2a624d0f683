//! Contexts: one identity per directory under `$NATSTER_HOME/contexts/<name>`
//! (default home `~/.natster`). The directory is 0700; seeds and the creds
//! file are 0600 and never leave this machine.

mod local;
mod login;
mod new;

use std::path::PathBuf;

use natster_proto::names::check_context_name;

pub use local::{Context, ContextInfo};
pub use login::Login;
pub use new::NewContext;

use crate::error::{Error, Result};

/// Env var naming the home directory.
pub const ENV_HOME: &str = "NATSTER_HOME";
/// Env var naming the context.
pub const ENV_CONTEXT: &str = "NATSTER_CONTEXT";

/// Which home and context a command works on.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The natster home directory.
    pub home: PathBuf,
    /// The context name.
    pub name: String,
}

impl Selection {
    /// From the `--context` flag and the environment.
    pub fn from_env(flag: Option<&str>) -> Result<Self> {
        Ok(Self {
            home: home()?,
            name: selected(flag)?,
        })
    }

    /// Loads the selected context.
    pub fn load(&self) -> Result<Context> {
        Context::load(&self.home, &self.name)
    }
}

/// The natster home directory.
pub fn home() -> Result<PathBuf> {
    if let Some(h) = std::env::var_os(ENV_HOME).filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    let user_home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            Error::bad_request(format!(
                "cannot find a home directory: set {ENV_HOME} or HOME"
            ))
        })?;
    Ok(PathBuf::from(user_home).join(".natster"))
}

/// The context name to use: the flag, else `$NATSTER_CONTEXT`, else `default`.
pub fn selected(flag: Option<&str>) -> Result<String> {
    let name = flag
        .map(str::to_owned)
        .or_else(|| std::env::var(ENV_CONTEXT).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "default".into());
    check_context_name(&name).map_err(Error::bad_request)?;
    Ok(name)
}
