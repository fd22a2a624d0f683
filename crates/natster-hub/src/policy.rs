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
    /// Import another account's catalog with activation tokens.
    AddImport(Box<CatalogImport>),
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

/// An import of `owner`'s `catalog`, with the tokens that grant it.
#[derive(Debug, Clone)]
pub struct CatalogImport {
    /// Owner account.
    pub owner: String,
    /// Owner's current claims (to check the tokens' signer and the exports).
    pub owner_claims: AccountClaims,
    /// Catalog name.
    pub catalog: String,
    /// Service activation.
    pub service_token: String,
    /// Stream activation.
    pub stream_token: String,
    /// Unix seconds, for expiry checks.
    pub now: i64,
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
    let me = claims.sub.as_str();
    let nats = &mut claims.nats;
    match change {
        Change::AddCatalog { catalog } => add_catalog(nats, me, catalog, bounds),
        Change::RemoveCatalog { catalog } => remove_catalog(nats, me, catalog),
        Change::Revoke {
            catalog,
            account,
            at,
        } => revoke(nats, me, catalog, account, *at, bounds),
        Change::AddImport(import) => add_import(nats, me, import, bounds),
        Change::RemoveImport { owner, catalog } => remove_import(nats, me, owner, catalog),
        Change::RevokeUser { user, at } => revoke_user(nats, user, *at, bounds),
    }
}

fn add_catalog(
    nats: &mut AccountNats,
    me: &str,
    catalog: &str,
    bounds: Bounds,
) -> Result<(), PolicyError> {
    check_catalog_name(catalog).map_err(bad)?;
    if nats
        .exports
        .iter()
        .any(|e| is_catalog_export(e, me, catalog))
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
    nats.exports.extend(catalog_exports(me, catalog));
    Ok(())
}

fn remove_catalog(nats: &mut AccountNats, me: &str, catalog: &str) -> Result<(), PolicyError> {
    check_catalog_name(catalog).map_err(bad)?;
    let before = nats.exports.len();
    nats.exports.retain(|e| !is_catalog_export(e, me, catalog));
    if nats.exports.len() == before {
        return Err(not_exported(catalog));
    }
    Ok(())
}

fn not_exported(catalog: &str) -> PolicyError {
    PolicyError::NotFound(format!("catalog {catalog} is not exported"))
}

fn revoke(
    nats: &mut AccountNats,
    me: &str,
    catalog: &str,
    account: &str,
    at: i64,
    bounds: Bounds,
) -> Result<(), PolicyError> {
    check_catalog_name(catalog).map_err(bad)?;
    check_public_key(account, KeyKind::Account).map_err(PolicyError::InvalidKey)?;
    let mut found = false;
    for e in nats
        .exports
        .iter_mut()
        .filter(|e| is_catalog_export(e, me, catalog))
    {
        found = true;
        if !e.revocations.contains_key(account) && e.revocations.len() >= bounds.max_revocations {
            return Err(PolicyError::Limit(format!(
                "at most {} revocations per catalog",
                bounds.max_revocations
            )));
        }
        e.revocations.insert(account.to_owned(), at);
    }
    if !found {
        return Err(not_exported(catalog));
    }
    Ok(())
}

fn add_import(
    nats: &mut AccountNats,
    me: &str,
    import: &CatalogImport,
    bounds: Bounds,
) -> Result<(), PolicyError> {
    let CatalogImport {
        owner,
        owner_claims,
        catalog,
        ..
    } = import;
    check_catalog_name(catalog).map_err(bad)?;
    check_public_key(owner, KeyKind::Account).map_err(PolicyError::InvalidKey)?;
    if owner == me {
        return Err(bad("an account cannot import its own catalog"));
    }
    if owner_claims.sub != *owner {
        return Err(bad("owner claims do not match the owner"));
    }
    check_tokens(
        me,
        owner_claims,
        catalog,
        &import.service_token,
        &import.stream_token,
        import.now,
    )?;
    nats.imports
        .retain(|i| !is_catalog_import(i, me, owner, catalog));
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
    nats.imports.extend(catalog_imports(me, import));
    Ok(())
}

/// The service and media imports of `import`, each with its token.
fn catalog_imports(me: &str, import: &CatalogImport) -> [Import; 2] {
    let CatalogImport { owner, catalog, .. } = import;
    let mut service = Import::new(
        format!("catalog:{owner}:{catalog}"),
        subjects::catalog_import(me, owner, catalog),
        owner.clone(),
        ExportType::Service,
    );
    service.token = import.service_token.clone();
    let mut media = Import::new(
        format!("media:{owner}:{catalog}"),
        subjects::media_import(me, owner, catalog),
        owner.clone(),
        ExportType::Stream,
    );
    media.token = import.stream_token.clone();
    [service, media]
}

fn remove_import(
    nats: &mut AccountNats,
    me: &str,
    owner: &str,
    catalog: &str,
) -> Result<(), PolicyError> {
    check_catalog_name(catalog).map_err(bad)?;
    check_public_key(owner, KeyKind::Account).map_err(PolicyError::InvalidKey)?;
    let before = nats.imports.len();
    nats.imports
        .retain(|i| !is_catalog_import(i, me, owner, catalog));
    if nats.imports.len() == before {
        return Err(PolicyError::NotFound(format!(
            "{catalog} of {owner} is not imported"
        )));
    }
    Ok(())
}

fn revoke_user(
    nats: &mut AccountNats,
    user: &str,
    at: i64,
    bounds: Bounds,
) -> Result<(), PolicyError> {
    check_public_key(user, KeyKind::User).map_err(PolicyError::InvalidKey)?;
    if !nats.revocations.contains_key(user) && nats.revocations.len() >= bounds.max_user_revocations
    {
        return Err(PolicyError::Limit(format!(
            "at most {} user revocations",
            bounds.max_user_revocations
        )));
    }
    nats.revocations.insert(user.to_owned(), at);
    Ok(())
}

/// Checks the two activation tokens that grant `importer` the `owner`'s
/// `catalog`: one for the catalog service, one for its media stream.
pub fn check_tokens(
    importer: &str,
    owner: &AccountClaims,
    catalog: &str,
    service_token: &str,
    stream_token: &str,
    now: i64,
) -> Result<(), PolicyError> {
    let service = subjects::catalog_import(importer, &owner.sub, catalog);
    check_activation(
        service_token,
        importer,
        owner,
        &service,
        ExportType::Service,
        now,
    )?;
    let media = subjects::media_import(importer, &owner.sub, catalog);
    check_activation(
        stream_token,
        importer,
        owner,
        &media,
        ExportType::Stream,
        now,
    )
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::error::Error as _;

    use natster_auth::KeyPair;

    use super::*;

    fn account() -> AccountClaims {
        Claims::new(KeyPair::new_account().public_key(), AccountNats::new())
    }

    fn catalog(name: &str) -> Change {
        Change::AddCatalog {
            catalog: name.into(),
        }
    }

    #[test]
    fn exports_are_idempotent_bounded_and_removable() {
        let mut c = account();
        let bounds = Bounds {
            max_catalogs: 1,
            ..Bounds::default()
        };
        apply(&mut c, &catalog("movies"), bounds).unwrap();
        apply(&mut c, &catalog("movies"), bounds).unwrap();
        assert_eq!(c.nats.exports.len(), 2, "service + media, once");
        let e = apply(&mut c, &catalog("music"), bounds).unwrap_err();
        assert_eq!(e.code(), 409, "{e}");
        let remove = Change::RemoveCatalog {
            catalog: "movies".into(),
        };
        apply(&mut c, &remove, bounds).unwrap();
        assert!(c.nats.exports.is_empty());
        assert_eq!(apply(&mut c, &remove, bounds).unwrap_err().code(), 404);
    }

    #[test]
    fn a_revocation_needs_the_export_and_an_account_key() {
        let mut c = account();
        let bounds = Bounds::default();
        let revoke = |account: &str| Change::Revoke {
            catalog: "movies".into(),
            account: account.into(),
            at: 7,
        };
        let bob = KeyPair::new_account().public_key();
        assert_eq!(
            apply(&mut c, &revoke(&bob), bounds).unwrap_err().code(),
            404
        );
        apply(&mut c, &catalog("movies"), bounds).unwrap();
        apply(&mut c, &revoke(&bob), bounds).unwrap();
        assert!(c.nats.exports.iter().all(|e| e.revocations[&bob] == 7));

        let user = KeyPair::new_user().public_key();
        let e = apply(&mut c, &revoke(&user), bounds).unwrap_err();
        assert_eq!(e.code(), 400, "{e}");
        assert!(
            matches!(&e, PolicyError::InvalidKey(k) if k.kind() == natster_auth::ErrorKind::InvalidKey),
            "the key error is kept: {e:?}"
        );
    }

    #[test]
    fn user_revocations_are_bounded_and_need_a_user_key() {
        let mut c = account();
        let bounds = Bounds {
            max_user_revocations: 1,
            ..Bounds::default()
        };
        let revoke = |user: String| Change::RevokeUser { user, at: 1 };
        let first = KeyPair::new_user().public_key();
        apply(&mut c, &revoke(first.clone()), bounds).unwrap();
        apply(&mut c, &revoke(first), bounds).unwrap();
        let e = apply(&mut c, &revoke(KeyPair::new_user().public_key()), bounds).unwrap_err();
        assert_eq!(e.code(), 409, "{e}");
        let e = apply(&mut c, &revoke("U-not-a-key".into()), bounds).unwrap_err();
        assert_eq!(e.code(), 400, "{e}");
    }

    #[test]
    fn an_import_needs_valid_tokens_from_another_account() {
        let mut me = account();
        let mut owner = account();
        apply(&mut owner, &catalog("movies"), Bounds::default()).unwrap();
        let import = |owner_claims: &AccountClaims, token: &str| {
            Change::AddImport(Box::new(CatalogImport {
                owner: owner_claims.sub.clone(),
                owner_claims: owner_claims.clone(),
                catalog: "movies".into(),
                service_token: token.into(),
                stream_token: token.into(),
                now: 0,
            }))
        };
        let e = apply(&mut me, &import(&owner, "garbage"), Bounds::default()).unwrap_err();
        assert_eq!(e.code(), 400, "{e}");
        assert_eq!(e.to_string().split(':').next(), Some("service activation"));
        assert!(e.source().is_some(), "the decode error is kept: {e:?}");
        let own = me.clone();
        let e = apply(&mut me, &import(&own, "garbage"), Bounds::default()).unwrap_err();
        assert_eq!(e.to_string(), "an account cannot import its own catalog");
        assert!(me.nats.imports.is_empty());
    }
}
