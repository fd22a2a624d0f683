//! Contexts: one identity per directory under `$NATSTER_HOME/contexts/<name>`
//! (default home `~/.natster`). The directory is 0700; seeds and the creds
//! file are 0600 and never leave this machine.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use natster_auth::KeyPair;
use natster_auth::creds::{Creds, write_secret};
use natster_auth::keys::Seed;
use natster_proto::hub::WellKnown;
use natster_proto::names::check_context_name;
use serde::{Deserialize, Serialize};

/// Env var naming the home directory.
pub const ENV_HOME: &str = "NATSTER_HOME";
/// Env var naming the context.
pub const ENV_CONTEXT: &str = "NATSTER_CONTEXT";

/// What a context remembers (public data only; seeds are separate files).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContextInfo {
    /// Context name.
    pub name: String,
    /// Hub HTTP URL.
    pub hub_url: String,
    /// NATS client URLs.
    pub nats_urls: Vec<String>,
    /// NATS websocket URLs.
    #[serde(default)]
    pub websocket_urls: Vec<String>,
    /// Account public key.
    pub account: String,
    /// Account display name.
    pub account_name: String,
    /// Account signing public key.
    pub signing_key: String,
    /// CLI user public key.
    pub user: String,
    /// Operator public key.
    pub operator: String,
    /// Well-known accounts.
    pub well_known: WellKnown,
    /// When this context was created (unix seconds).
    pub created_at: i64,
}

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
        .ok_or_else(|| anyhow!("cannot find a home directory: set {ENV_HOME} or HOME"))?;
    Ok(PathBuf::from(user_home).join(".natster"))
}

/// The context name to use: the flag, else `$NATSTER_CONTEXT`, else `default`.
pub fn selected(flag: Option<&str>) -> Result<String> {
    let name = flag
        .map(str::to_owned)
        .or_else(|| std::env::var(ENV_CONTEXT).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "default".into());
    check_context_name(&name).map_err(|e| anyhow!(e))?;
    Ok(name)
}

/// A context on disk.
#[derive(Debug)]
pub struct Context {
    /// Its directory.
    pub dir: PathBuf,
    /// Its public data.
    pub info: ContextInfo,
}

fn contexts_dir(home: &Path) -> PathBuf {
    home.join("contexts")
}

impl Context {
    /// The directory of context `name`.
    pub fn dir_of(home: &Path, name: &str) -> PathBuf {
        contexts_dir(home).join(name)
    }

    /// Loads context `name`, or explains how to create it.
    pub fn load(home: &Path, name: &str) -> Result<Self> {
        let dir = Self::dir_of(home, name);
        let path = dir.join("context.json");
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!(
                    "no context {name:?} in {}: run `natster init --hub URL` first",
                    home.display()
                )
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let info: ContextInfo = serde_json::from_slice(&text)
            .with_context(|| format!("{} is corrupt", path.display()))?;
        Ok(Self { dir, info })
    }

    /// Every context under `home`, sorted by name.
    pub fn list(home: &Path) -> Result<Vec<Self>> {
        let dir = contexts_dir(home);
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if check_context_name(&name).is_ok() && e.path().join("context.json").is_file() {
                out.push(Self::load(home, &name)?);
            }
        }
        out.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        Ok(out)
    }

    /// The creds file path.
    pub fn creds_path(&self) -> PathBuf {
        self.dir.join("user.creds")
    }

    /// The CLI user's creds.
    pub fn creds(&self) -> Result<Creds> {
        Creds::read(&self.creds_path()).map_err(|e| anyhow!("{e}"))
    }

    /// The account signing key (signs user JWTs and activations).
    pub fn signing_key(&self) -> Result<KeyPair> {
        let path = self.dir.join("account-signing.seed");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Seed::parse(&text, natster_auth::keys::KeyKind::Account)
            .and_then(|s| s.key_pair())
            .map_err(|e| anyhow!("{}: {e}", path.display()))
    }

    /// Where this context keeps catalog `name`.
    pub fn catalog_path(&self, name: &str) -> Result<PathBuf> {
        natster_proto::names::check_catalog_name(name).map_err(|e| anyhow!(e))?;
        Ok(self.dir.join("catalogs").join(format!("{name}.json")))
    }

    /// Names of this context's catalogs.
    pub fn catalog_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.join("catalogs"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_suffix(".json")
                    .map(str::to_owned)
            })
            .filter(|n| natster_proto::names::check_catalog_name(n).is_ok())
            .collect();
        names.sort();
        names
    }

    /// The operator signing keys this context trusts (from the operator JWT
    /// it got at init).
    pub fn operator_signing_keys(&self) -> Result<Vec<String>> {
        let path = self.dir.join("operator.jwt");
        let jwt = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let op = natster_auth::jwt::decode::<natster_auth::claims::OperatorNats>(jwt.trim())
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(op.nats.signing_keys)
    }

    /// Any account's current claims, from the hub, verified against the
    /// operator this context trusts.
    pub async fn account_claims(
        &self,
        account: &str,
    ) -> Result<natster_auth::claims::AccountClaims> {
        natster_auth::keys::check_public_key(account, natster_auth::keys::KeyKind::Account)
            .map_err(|e| anyhow!("{e}"))?;
        let hub = natster_hub::client::HubHttp::new(&self.info.hub_url)?;
        let jwt = hub.account_jwt(account).await?;
        natster_auth::jwt::Verifier::new(self.operator_signing_keys()?)
            .verify::<natster_auth::claims::AccountNats>(&jwt)
            .map_err(|e| anyhow!("the hub's JWT for {account} does not verify: {e}"))
    }

    /// Connects to NATS as the CLI user.
    pub async fn connect(&self) -> Result<async_nats::Client> {
        let creds = self.creds()?;
        let key = creds.seed.key_pair().map_err(|e| anyhow!("{e}"))?;
        let urls = self.info.nats_urls.join(",");
        let opts = natster_client::connect::options(creds.jwt.clone(), key, "natster-cli")
            .connection_timeout(Duration::from_secs(5));
        opts.connect(urls.as_str())
            .await
            .map_err(|e| anyhow!("cannot connect to NATS at {urls}: {e}"))
    }

    /// The CLI user's login for each download's own connection (see
    /// `natster_catalog::transfer::direct`): the same user as [`Self::connect`].
    pub fn direct_login(&self) -> Result<natster_catalog::transfer::direct::DirectLogin> {
        let creds = self.creds()?;
        let key = creds.seed.key_pair().map_err(|e| anyhow!("{e}"))?;
        Ok(natster_catalog::transfer::direct::DirectLogin {
            urls: self.info.nats_urls.clone(),
            jwt: creds.jwt.clone(),
            key: std::sync::Arc::new(key),
        })
    }
}

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
        use std::os::unix::fs::DirBuilderExt;
        let contexts = contexts_dir(home);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&contexts)
            .with_context(|| format!("cannot create {}", contexts.display()))?;
        restrict(home)?;
        restrict(&contexts)?;
        let dir = contexts.join(&self.info.name);
        let tmp = contexts.join(format!(".{}.{}.tmp", self.info.name, std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let result = (|| -> Result<()> {
            let secret = |file: &str, kp: &KeyPair| -> Result<()> {
                let seed = Seed::of(kp).map_err(|e| anyhow!("{e}"))?;
                write_secret(&tmp.join(file), seed.expose().as_bytes()).map_err(|e| anyhow!("{e}"))
            };
            secret("account.seed", &self.account)?;
            secret("account-signing.seed", &self.signing)?;
            self.creds
                .write(&tmp.join("user.creds"))
                .map_err(|e| anyhow!("{e}"))?;
            write_secret(&tmp.join("account.jwt"), self.account_jwt.as_bytes())
                .map_err(|e| anyhow!("{e}"))?;
            write_secret(&tmp.join("operator.jwt"), self.operator_jwt.as_bytes())
                .map_err(|e| anyhow!("{e}"))?;
            let json = serde_json::to_vec_pretty(&self.info)?;
            write_secret(&tmp.join("context.json"), &json).map_err(|e| anyhow!("{e}"))?;
            std::fs::rename(&tmp, &dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result?;
        Ok(Context {
            dir,
            info: self.info.clone(),
        })
    }
}

fn restrict(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot set permissions of {}", dir.display()))
}
