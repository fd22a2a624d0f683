//! A context on disk and what it knows: its keys (read when needed, never
//! sent), its hub, the accounts it has learned.

use std::path::{Path, PathBuf};

use natster_auth::KeyPair;
use natster_auth::claims::{AccountClaims, AccountNats, OperatorNats};
use natster_auth::creds::Creds;
use natster_auth::jwt::{Verifier, decode};
use natster_auth::keys::{KeyKind, Seed, check_public_key};
use natster_proto::hub::WellKnown;
use natster_proto::names::{check_catalog_name, check_context_name};
use serde::{Deserialize, Serialize};

use super::login::Login;
use crate::error::{Error, Result};
use crate::global::GlobalClient;
use crate::hub::{HubClient, HubHttp};

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

/// A context on disk.
#[derive(Debug, Clone)]
pub struct Context {
    /// Its directory.
    pub dir: PathBuf,
    /// Its public data.
    pub info: ContextInfo,
}

pub(super) fn contexts_dir(home: &Path) -> PathBuf {
    home.join("contexts")
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
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
                return Err(Error::not_found(format!(
                    "no context {name:?} in {}: run `natster init --hub URL` first",
                    home.display()
                )));
            }
            Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
        };
        let info: ContextInfo = serde_json::from_slice(&text)
            .map_err(|e| Error::invalid(format!("{} is corrupt", path.display()), e))?;
        Ok(Self { dir, info })
    }

    /// Every context under `home`, sorted by name.
    pub fn list(home: &Path) -> Result<Vec<Self>> {
        let dir = contexts_dir(home);
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(format!("cannot read {}", dir.display()), e)),
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
        let path = self.creds_path();
        Creds::read(&path).map_err(|e| Error::invalid(path.display().to_string(), e))
    }

    /// The account signing key (signs user JWTs and activations).
    pub fn signing_key(&self) -> Result<KeyPair> {
        let path = self.dir.join("account-signing.seed");
        let text = String::from_utf8(read_file(&path)?)
            .map_err(|e| Error::invalid(path.display().to_string(), e))?;
        Seed::parse(&text, KeyKind::Account)
            .and_then(|s| s.key_pair())
            .map_err(|e| Error::invalid(path.display().to_string(), e))
    }

    /// Where this context keeps catalog `name`.
    pub fn catalog_path(&self, name: &str) -> Result<PathBuf> {
        check_catalog_name(name).map_err(Error::bad_request)?;
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
            .filter(|n| check_catalog_name(n).is_ok())
            .collect();
        names.sort();
        names
    }

    /// The operator signing keys this context trusts (from the operator JWT
    /// it got at init).
    pub fn operator_signing_keys(&self) -> Result<Vec<String>> {
        let path = self.dir.join("operator.jwt");
        let jwt = String::from_utf8(read_file(&path)?)
            .map_err(|e| Error::invalid(path.display().to_string(), e))?;
        let op = decode::<OperatorNats>(jwt.trim())
            .map_err(|e| Error::invalid(path.display().to_string(), e))?;
        Ok(op.nats.signing_keys)
    }

    /// Any account's current claims, from the hub, verified against the
    /// operator this context trusts.
    pub async fn account_claims(&self, account: &str) -> Result<AccountClaims> {
        check_public_key(account, KeyKind::Account)
            .map_err(|e| Error::bad_request(format!("{account:?}: {e}")))?;
        let jwt = self.hub_http()?.account_jwt(account).await?;
        Verifier::new(self.operator_signing_keys()?)
            .verify::<AccountNats>(&jwt)
            .map_err(|e| Error::invalid(format!("the hub's JWT for {account} does not verify"), e))
    }

    /// Connects to NATS as the CLI user.
    pub async fn connect(&self) -> Result<async_nats::Client> {
        self.login()?.connect("natster-cli").await
    }

    /// The CLI user's login: what a second connection of the same user
    /// needs (a download's own connection).
    pub fn login(&self) -> Result<Login> {
        let creds = self.creds()?;
        let key = creds
            .seed
            .key_pair()
            .map_err(|e| Error::invalid("the creds file's seed is unusable", e))?;
        Ok(Login::new(
            self.info.nats_urls.clone(),
            creds.jwt.clone(),
            key,
        ))
    }

    /// The hub control plane for this account, over `client`.
    pub fn hub(&self, client: &async_nats::Client) -> HubClient {
        HubClient::new(client.clone(), &self.info.account)
    }

    /// The global service for this account, over `client`.
    pub fn global(&self, client: &async_nats::Client) -> GlobalClient {
        GlobalClient::new(client.clone(), &self.info.account)
    }

    /// The hub's HTTP API.
    pub fn hub_http(&self) -> Result<HubHttp> {
        HubHttp::new(&self.info.hub_url)
    }
}
