//! The account authority: registers accounts and applies their changes.
//! One lock serializes changes, so `iat` order and store order agree; every
//! JWT is verified and persisted before it is pushed and acknowledged.

use natster_auth::claims::{AccountClaims, Claims};
use natster_auth::jwt::{encode, now};
use natster_proto::hub::WellKnown;
use tokio::sync::Mutex;

use crate::accounts;
use crate::error::HubError;
use crate::identity::HubIdentity;
use crate::policy::{Bounds, CatalogImport, Change, PolicyError, apply, check_tokens};
use crate::resolver::{PushError, Resolver};
use crate::store::{AccountStore, StoreError};

/// Why a registration or change failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    /// Refused by policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The account is not registered here.
    #[error("account {0} is not registered at this hub")]
    UnknownAccount(String),
    /// Already registered with other keys.
    #[error("account {0} is already registered with another signing key")]
    Conflict(String),
    /// Store refused (should not happen for JWTs we sign).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The JWT did not reach nats-server's resolver.
    #[error(transparent)]
    Resolver(#[from] PushError),
    /// Hub-side failure.
    #[error(transparent)]
    Hub(#[from] HubError),
}

impl AuthorityError {
    /// The API status code.
    pub fn code(&self) -> u16 {
        match self {
            AuthorityError::Policy(p) => p.code(),
            AuthorityError::UnknownAccount(_) => 404,
            AuthorityError::Conflict(_) => 409,
            AuthorityError::Store(_) | AuthorityError::Resolver(_) | AuthorityError::Hub(_) => 500,
        }
    }
}

/// Signs, stores and pushes account JWTs.
#[derive(Debug)]
pub struct Authority {
    identity: HubIdentity,
    store: AccountStore,
    grants: crate::grants::GrantStore,
    resolver: Resolver,
    bounds: Bounds,
    lock: Mutex<()>,
}

impl Authority {
    /// An authority over `store`, pushing through `resolver`.
    pub fn new(
        identity: HubIdentity,
        store: AccountStore,
        grants: crate::grants::GrantStore,
        resolver: Resolver,
    ) -> Self {
        Self {
            identity,
            store,
            grants,
            resolver,
            bounds: Bounds::default(),
            lock: Mutex::new(()),
        }
    }

    /// The store.
    pub fn store(&self) -> &AccountStore {
        &self.store
    }

    /// The well-known accounts.
    pub fn well_known(&self) -> WellKnown {
        self.identity.well_known()
    }

    /// Signs `claims` with an `iat` newer than stored, persists, pushes.
    async fn commit(&self, mut claims: AccountClaims) -> Result<String, AuthorityError> {
        claims.iat = self.store.next_iat(&claims.sub);
        let jwt = encode(&claims, &self.identity.operator_signing).map_err(HubError::from)?;
        self.store.put(&jwt)?;
        self.resolver.push(&jwt).await?;
        Ok(jwt)
    }

    /// Pushes every stored JWT (after a start, in case the resolver lost some).
    pub async fn push_all(&self) -> Result<usize, PushError> {
        let _g = self.lock.lock().await;
        let all = self.store.all();
        for a in &all {
            self.resolver.push(&a.jwt).await?;
        }
        Ok(all.len())
    }

    /// Registers `account` with `signing_key`. Registering the same keys
    /// again returns the JWT in force (a retried registration succeeds).
    pub async fn register(
        &self,
        account: &str,
        signing_key: &str,
        name: &str,
    ) -> Result<String, AuthorityError> {
        let _g = self.lock.lock().await;
        if let Some(existing) = self.store.get(account) {
            if existing
                .claims
                .nats
                .signing_key_ids()
                .any(|k| k == signing_key)
            {
                return Ok(existing.jwt);
            }
            return Err(AuthorityError::Conflict(account.to_owned()));
        }
        let wk = self.identity.well_known();
        if [&wk.system, &wk.hub, &wk.global, &wk.web].contains(&&account.to_owned()) {
            return Err(AuthorityError::Conflict(account.to_owned()));
        }
        let claims = accounts::registered(account, signing_key, name, &wk);
        self.commit(claims).await
    }

    /// The JWT in force for `account`.
    pub fn account_jwt(&self, account: &str) -> Option<String> {
        self.store.get(account).map(|a| a.jwt)
    }

    /// Applies `change` to `account`'s own JWT. For a new import, the owner's
    /// JWT is pushed again too: an importer's media subscription opened
    /// before a re-grant stays silent until the exporter's JWT is re-applied.
    pub async fn change(&self, account: &str, change: Change) -> Result<String, AuthorityError> {
        let _g = self.lock.lock().await;
        let current = self
            .store
            .get(account)
            .ok_or_else(|| AuthorityError::UnknownAccount(account.to_owned()))?;
        if self.is_well_known(account) {
            return Err(PolicyError::Forbidden(
                "well-known accounts are managed by the hub".into(),
            )
            .into());
        }
        let mut claims: Claims<_> = current.claims.clone();
        apply(&mut claims, &change, self.bounds)?;
        if claims.nats == current.claims.nats {
            return Ok(current.jwt);
        }
        let jwt = self.commit(claims).await?;
        if let Change::AddImport(import) = &change {
            if let Some(o) = self.store.get(&import.owner) {
                self.resolver.push(&o.jwt).await?;
            }
        }
        Ok(jwt)
    }

    /// Deposits `owner`'s activation tokens for `target` to import
    /// `catalog` with, after checking them as an import would.
    pub async fn grant(
        &self,
        owner: &str,
        catalog: &str,
        target: &str,
        grant: crate::grants::Grant,
    ) -> Result<String, AuthorityError> {
        let _g = self.lock.lock().await;
        natster_proto::names::check_catalog_name(catalog).map_err(PolicyError::BadRequest)?;
        natster_auth::keys::check_public_key(target, natster_auth::keys::KeyKind::Account)
            .map_err(PolicyError::InvalidKey)?;
        if target == owner {
            return Err(PolicyError::BadRequest(
                "a catalog cannot be shared with its owner".into(),
            )
            .into());
        }
        let current = self
            .store
            .get(owner)
            .ok_or_else(|| AuthorityError::UnknownAccount(owner.to_owned()))?;
        if self.store.get(target).is_none() || self.is_well_known(target) {
            return Err(AuthorityError::UnknownAccount(target.to_owned()));
        }
        check_tokens(
            target,
            &current.claims,
            catalog,
            &grant.service_token,
            &grant.stream_token,
            now(),
        )?;
        self.grants.put(target, owner, catalog, &grant)?;
        Ok(current.jwt)
    }

    /// The tokens `owner` deposited for `importer`, if any.
    pub fn deposited(
        &self,
        importer: &str,
        owner: &str,
        catalog: &str,
    ) -> Option<crate::grants::Grant> {
        natster_proto::names::check_catalog_name(catalog).ok()?;
        natster_auth::keys::check_public_key(owner, natster_auth::keys::KeyKind::Account).ok()?;
        self.grants.get(importer, owner, catalog)
    }

    /// Forgets a deposited grant (after an unshare).
    pub fn forget_grant(&self, importer: &str, owner: &str, catalog: &str) {
        if natster_proto::names::check_catalog_name(catalog).is_ok()
            && natster_auth::keys::check_public_key(importer, natster_auth::keys::KeyKind::Account)
                .is_ok()
        {
            self.grants.remove(importer, owner, catalog);
        }
    }

    /// An `AddImport` change with the owner's current claims filled in.
    pub fn import_change(
        &self,
        owner: &str,
        catalog: String,
        service_token: String,
        stream_token: String,
    ) -> Result<Change, AuthorityError> {
        let owner_claims = self
            .store
            .get(owner)
            .ok_or_else(|| AuthorityError::UnknownAccount(owner.to_owned()))?
            .claims;
        Ok(Change::AddImport(Box::new(CatalogImport {
            owner: owner.to_owned(),
            owner_claims,
            catalog,
            service_token,
            stream_token,
            now: now(),
        })))
    }

    fn is_well_known(&self, account: &str) -> bool {
        let wk = self.identity.well_known();
        [wk.system, wk.hub, wk.global, wk.web]
            .iter()
            .any(|k| k == account)
    }
}

/// (Re)issues the well-known accounts' JWTs, at every start so a newer hub
/// can change their exports. Stored like any other and returned for the
/// server's preload, since the server is not running yet.
pub fn issue_well_known(
    identity: &HubIdentity,
    store: &AccountStore,
    quota: accounts::JetStreamQuota,
) -> Result<Vec<(String, String)>, HubError> {
    let wk = identity.well_known();
    let mut out = Vec::new();
    for mut claims in [
        accounts::system(&identity.system),
        accounts::hub(&identity.hub),
        accounts::global(&identity.global, quota),
        accounts::web(&identity.web, &wk),
    ] {
        claims.iat = store.next_iat(&claims.sub);
        let jwt = encode(&claims, &identity.operator_signing)?;
        store.put(&jwt)?;
        out.push((claims.sub.clone(), jwt));
    }
    Ok(out)
}
