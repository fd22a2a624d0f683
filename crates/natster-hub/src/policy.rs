//! What an account may ask of the hub, as pure functions over claims.
//!
//! Every change builds Natster-shaped subjects itself from a validated
//! catalog name and account keys, so a request can never smuggle a wildcard
//! or another account's subject space into an account JWT. Activation tokens
//! are checked here because nats-server would either drop a bad import
//! silently or reject the importer's whole account JWT.

use natster_auth::claims::{
    AccountClaims, AccountNats, ActivationNats, Claims, Export, ExportType, Import, ResponseType,
};
use natster_auth::jwt::{Verifier, decode};
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::names::check_catalog_name;
use natster_proto::subjects;

/// Bounds on what one account may hold.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Catalogs exported (each is a service + stream export).
    pub max_catalogs: usize,
    /// Catalogs imported (each is a service + stream import).
    pub max_imports: usize,
    /// Revoked accounts per export.
    pub max_revocations: usize,
    /// Revoked users of the account.
    pub max_user_revocations: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_catalogs: 256,
            max_imports: 512,
            max_revocations: 4096,
            max_user_revocations: 4096,
        }
    }
}

/// A refused change, with the API code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Malformed input (400).
    #[error("{0}")]
    BadRequest(String),
    /// A request body that is not the JSON of its operation (400).
    #[error("invalid request JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// Not a public key of the kind asked for (400).
    #[error(transparent)]
    InvalidKey(natster_auth::Error),
    /// An activation token that does not decode (400).
    #[error("{what} activation: {source}")]
    UnreadableActivation {
        /// `service` or `stream`.
        what: &'static str,
        /// Cause.
        source: natster_auth::Error,
    },
    /// An activation token that is not valid for the owner now: bad
    /// signature, untrusted signer, expired (403).
    #[error("{what} activation: {source}")]
    InvalidActivation {
        /// `service` or `stream`.
        what: &'static str,
        /// Cause.
        source: natster_auth::Error,
    },
    /// Not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// Refers to something that does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// Over a bound (409).
    #[error("{0}")]
    Limit(String),
}

impl PolicyError {
    /// The API status code.
    pub fn code(&self) -> u16 {
        match self {
            PolicyError::BadRequest(_)
            | PolicyError::InvalidJson(_)
            | PolicyError::InvalidKey(_)
            | PolicyError::UnreadableActivation { .. } => 400,
            PolicyError::Forbidden(_) | PolicyError::InvalidActivation { .. } => 403,
            PolicyError::NotFound(_) => 404,
            PolicyError::Limit(_) => 409,
        }
    }
}

fn bad(msg: impl Into<String>) -> PolicyError {
    PolicyError::BadRequest(msg.into())
}

/// A change an account asks for its own JWT.
#[derive(Debug, Clone)]
pub enum Change {
    /// Export `catalog` (service + media stream), private (activation required).
    AddCatalog {
        /// Catalog name.
        catalog: String,
    },
    /// Stop exporting `catalog`.
    RemoveCatalog {
        /// Catalog name.
        catalog: String,
    },
    /// Revoke `account`'s activations for `catalog` issued at or before `at`.
    Revoke {
        /// Catalog name.
        catalog: String,
        /// Importer.
        account: String,
        /// Unix seconds.
        at: i64,
    },
    /// Import `owner`'s `catalog` with activation tokens.
    AddImport {
        /// Owner account.
        owner: String,
        /// Owner's current claims (to check the tokens' signer and the exports).
        owner_claims: Box<AccountClaims>,
        /// Catalog name.
        catalog: String,
        /// Service activation.
        service_token: String,
        /// Stream activation.
        stream_token: String,
        /// Unix seconds, for expiry checks.
        now: i64,
    },
    /// Remove the import of `owner`'s `catalog`.
    RemoveImport {
        /// Owner account.
        owner: String,
        /// Catalog name.
        catalog: String,
    },
    /// Refuse user JWTs of this account's `user` issued at or before `at`.
    RevokeUser {
        /// User key.
        user: String,
        /// Unix seconds.
        at: i64,
    },
}

fn catalog_exports(owner: &str, catalog: &str) -> [Export; 2] {
    let mut service = Export::new(
        format!("catalog:{catalog}"),
        subjects::catalog_export(owner, catalog),
        ExportType::Service,
    );
    service.token_req = true;
    service.response_type = Some(ResponseType::Singleton);
    let mut media = Export::new(
        format!("media:{catalog}"),
        subjects::media_export(owner, catalog),
        ExportType::Stream,
    );
    media.token_req = true;
    [service, media]
}

fn is_catalog_export(e: &Export, owner: &str, catalog: &str) -> bool {
    e.subject == subjects::catalog_export(owner, catalog)
        || e.subject == subjects::media_export(owner, catalog)
}

fn is_catalog_import(i: &Import, me: &str, owner: &str, catalog: &str) -> bool {
    i.account == owner
        && (i.subject == subjects::catalog_import(me, owner, catalog)
            || i.subject == subjects::media_import(me, owner, catalog))
}

/// Applies `change` to `claims` (the caller's own account), within `bounds`.
pub fn apply(
    claims: &mut AccountClaims,
    change: &Change,
    bounds: Bounds,
) -> Result<(), PolicyError> {
    let me = claims.sub.clone();
    let nats = &mut claims.nats;
    match change {
        Change::AddCatalog { catalog } => {
            check_catalog_name(catalog).map_err(bad)?;
            if nats
                .exports
                .iter()
                .any(|e| is_catalog_export(e, &me, catalog))
            {
                return Ok(()); // already exported: idempotent
            }
            let catalogs = nats
                .exports
                .iter()
                .filter(|e| e.kind == ExportType::Service)
                .count();
            if catalogs >= bounds.max_catalogs {
                return Err(PolicyError::Limit(format!(
                    "at most {} catalogs can be exported",
                    bounds.max_catalogs
                )));
            }
            nats.exports.extend(catalog_exports(&me, catalog));
        }
        Change::RemoveCatalog { catalog } => {
            check_catalog_name(catalog).map_err(bad)?;
            let before = nats.exports.len();
            nats.exports.retain(|e| !is_catalog_export(e, &me, catalog));
            if nats.exports.len() == before {
                return Err(PolicyError::NotFound(format!(
                    "catalog {catalog} is not exported"
                )));
            }
        }
        Change::Revoke {
            catalog,
            account,
            at,
        } => {
            check_catalog_name(catalog).map_err(bad)?;
            check_public_key(account, KeyKind::Account).map_err(PolicyError::InvalidKey)?;
            let mut found = false;
            for e in nats
                .exports
                .iter_mut()
                .filter(|e| is_catalog_export(e, &me, catalog))
            {
                found = true;
                if !e.revocations.contains_key(account)
                    && e.revocations.len() >= bounds.max_revocations
                {
                    return Err(PolicyError::Limit(format!(
                        "at most {} revocations per catalog",
                        bounds.max_revocations
                    )));
                }
                e.revocations.insert(account.clone(), *at);
            }
            if !found {
                return Err(PolicyError::NotFound(format!(
                    "catalog {catalog} is not exported"
                )));
            }
        }
        Change::AddImport {
            owner,
            owner_claims,
            catalog,
            service_token,
            stream_token,
            now,
        } => {
            check_catalog_name(catalog).map_err(bad)?;
            check_public_key(owner, KeyKind::Account).map_err(PolicyError::InvalidKey)?;
            if *owner == me {
                return Err(bad("an account cannot import its own catalog"));
            }
            if owner_claims.sub != *owner {
                return Err(bad("owner claims do not match the owner"));
            }
            let service_subject = subjects::catalog_import(&me, owner, catalog);
            let media_subject = subjects::media_import(&me, owner, catalog);
            check_activation(
                service_token,
                &me,
                owner_claims,
                &service_subject,
                ExportType::Service,
                *now,
            )?;
            check_activation(
                stream_token,
                &me,
                owner_claims,
                &media_subject,
                ExportType::Stream,
                *now,
            )?;
            nats.imports
                .retain(|i| !is_catalog_import(i, &me, owner, catalog));
            let imported = nats
                .imports
                .iter()
                .filter(|i| i.kind == ExportType::Service)
                .count();
            if imported >= bounds.max_imports {
                return Err(PolicyError::Limit(format!(
                    "at most {} catalogs can be imported",
                    bounds.max_imports
                )));
            }
            let mut service = Import::new(
                format!("catalog:{owner}:{catalog}"),
                service_subject,
                owner.clone(),
                ExportType::Service,
            );
            service.token = service_token.clone();
            let mut media = Import::new(
                format!("media:{owner}:{catalog}"),
                media_subject,
                owner.clone(),
                ExportType::Stream,
            );
            media.token = stream_token.clone();
            nats.imports.push(service);
            nats.imports.push(media);
        }
        Change::RemoveImport { owner, catalog } => {
            check_catalog_name(catalog).map_err(bad)?;
            check_public_key(owner, KeyKind::Account).map_err(PolicyError::InvalidKey)?;
            let before = nats.imports.len();
            nats.imports
                .retain(|i| !is_catalog_import(i, &me, owner, catalog));
            if nats.imports.len() == before {
                return Err(PolicyError::NotFound(format!(
                    "{catalog} of {owner} is not imported"
                )));
            }
        }
        Change::RevokeUser { user, at } => {
            check_public_key(user, KeyKind::User).map_err(PolicyError::InvalidKey)?;
            if !nats.revocations.contains_key(user)
                && nats.revocations.len() >= bounds.max_user_revocations
            {
                return Err(PolicyError::Limit(format!(
                    "at most {} user revocations",
                    bounds.max_user_revocations
                )));
            }
            nats.revocations.insert(user.clone(), *at);
        }
    }
    Ok(())
}

/// Checks an activation token before it goes into an import: it must grant
/// exactly `subject` of `kind` to `importer`, be issued by one of the owner's
/// signing keys with `issuer_account` = owner (strict mode does not stop
/// tokens signed by the identity key, so we do), be in its validity window,
/// and match an export of the owner that requires a token.
pub fn check_activation(
    token: &str,
    importer: &str,
    owner: &Claims<AccountNats>,
    subject: &str,
    kind: ExportType,
    now: i64,
) -> Result<(), PolicyError> {
    let what = if kind == ExportType::Service {
        "service"
    } else {
        "stream"
    };
    let act = decode::<ActivationNats>(token)
        .map_err(|source| PolicyError::UnreadableActivation { what, source })?;
    if act.sub != importer {
        return Err(PolicyError::Forbidden(format!(
            "{what} activation was issued to another account"
        )));
    }
    if act.nats.issuer_account != owner.sub || act.iss == owner.sub {
        return Err(PolicyError::Forbidden(format!(
            "{what} activation must be signed by a signing key of {} with issuer_account",
            owner.sub
        )));
    }
    Verifier::for_account(owner)
        .at(now)
        .check(&act)
        .map_err(|source| PolicyError::InvalidActivation { what, source })?;
    if act.nats.subject != subject || act.nats.kind != Some(kind) {
        return Err(PolicyError::Forbidden(format!(
            "{what} activation does not grant {subject}"
        )));
    }
    // The export is the granted subject with `*` for the importer's token.
    let export_subject = subject.replacen(importer, "*", 1);
    let exported = owner
        .nats
        .exports
        .iter()
        .any(|e| e.subject == export_subject && e.kind == kind && e.token_req);
    if !exported {
        return Err(PolicyError::NotFound(format!(
            "{} does not export {export_subject}",
            owner.sub
        )));
    }
    if let Some(t) = owner
        .nats
        .exports
        .iter()
        .find(|e| e.subject == export_subject)
        .and_then(|e| e.revocations.get(importer))
    {
        if act.iat <= *t {
            return Err(PolicyError::Forbidden(format!(
                "{what} activation was revoked"
            )));
        }
    }
    Ok(())
}
