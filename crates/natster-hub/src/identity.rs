//! The hub's own keys: the operator (identity and signing key) and the
//! well-known accounts it runs (system, hub control plane, global service,
//! web). These are the only seeds the hub holds; users' seeds never reach it.

use std::path::{Path, PathBuf};

use natster_auth::claims::{Claims, OperatorNats};
use natster_auth::jwt::encode;
use natster_auth::keys::{KeyKind, Seed};
use natster_auth::{KeyPair, creds::write_secret};
use natster_proto::hub::WellKnown;

use crate::error::HubError;
use crate::fsutil::private_dir;

/// An account the hub runs itself: identity key and a signing key.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    /// Display name.
    pub name: &'static str,
    /// Identity key.
    pub identity: KeyPair,
    /// Signing key (issues the hub's own users for this account).
    pub signing: KeyPair,
}

impl ServiceAccount {
    /// The account's public key.
    pub fn key(&self) -> String {
        self.identity.public_key()
    }

    /// Connects to `url` as a new user of this account, issued by its
    /// signing key; keeps trying until the server answers.
    pub async fn connect(
        &self,
        url: &str,
        name: &str,
    ) -> Result<async_nats::Client, async_nats::ConnectError> {
        natster_client::connect::as_new_user(url, &self.key(), &self.signing, name).await
    }
}

/// All keys the hub holds, loaded from (or created in) `<dir>/keys`.
#[derive(Debug, Clone)]
pub struct HubIdentity {
    /// Operator identity key: signs only the operator JWT.
    pub operator: KeyPair,
    /// Operator signing key: signs every account JWT (strict signing key usage).
    pub operator_signing: KeyPair,
    /// The system account.
    pub system: ServiceAccount,
    /// The hub control plane's account.
    pub hub: ServiceAccount,
    /// The global service's account.
    pub global: ServiceAccount,
    /// The web app's account.
    pub web: ServiceAccount,
}

impl HubIdentity {
    /// Loads the keys from `<dir>/keys`, creating any that are missing (first run).
    pub fn load_or_create(dir: &Path) -> Result<Self, HubError> {
        let keys = dir.join("keys");
        private_dir(&keys).map_err(|e| HubError::io(&keys, e))?;
        let key = |file: &str, kind: KeyKind| load_or_create_key(&keys.join(file), kind);
        let account = |name: &'static str| -> Result<ServiceAccount, HubError> {
            Ok(ServiceAccount {
                name,
                identity: key(&format!("{name}.seed"), KeyKind::Account)?,
                signing: key(&format!("{name}-signing.seed"), KeyKind::Account)?,
            })
        };
        Ok(Self {
            operator: key("operator.seed", KeyKind::Operator)?,
            operator_signing: key("operator-signing.seed", KeyKind::Operator)?,
            system: account("system")?,
            hub: account("hub")?,
            global: account("global")?,
            web: account("web")?,
        })
    }

    /// The well-known account keys.
    pub fn well_known(&self) -> WellKnown {
        WellKnown {
            system: self.system.key(),
            hub: self.hub.key(),
            global: self.global.key(),
            web: self.web.key(),
        }
    }

    /// The operator JWT: self-signed, one signing key, strict signing key
    /// usage (so the identity key can stay cold), the system account.
    pub fn operator_jwt(&self) -> Result<String, HubError> {
        let nats = OperatorNats {
            signing_keys: vec![self.operator_signing.public_key()],
            system_account: self.system.key(),
            strict_signing_key_usage: true,
            ..OperatorNats::default()
        };
        let claims = Claims::new(self.operator.public_key(), nats).with_name("natster-hub");
        Ok(encode(&claims, &self.operator)?)
    }
}

fn load_or_create_key(path: &PathBuf, kind: KeyKind) -> Result<KeyPair, HubError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let seed = Seed::parse(&text, kind).map_err(|source| HubError::Key {
                path: path.display().to_string(),
                source,
            })?;
            Ok(seed.key_pair()?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let kp = kind.generate();
            write_secret(path, Seed::of(&kp)?.expose().as_bytes())?;
            Ok(kp)
        }
        Err(e) => Err(HubError::io(path, e)),
    }
}
