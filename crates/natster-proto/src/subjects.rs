//! Subject builders. A reader finds a subject's handler by grepping the
//! function name here.
//!
//! | subject | kind | who answers |
//! |---|---|---|
//! | `<caller>.natster.hub.<op>` | service | hub control plane (hub account) |
//! | `<caller>.natster.global.<op>` | service | global service (global account) |
//! | `<account>.natster.feed.<event>` | stream | global service -> one account |
//! | `<caller>.natster.catalog.<owner>.<catalog>.<op>` | service | owner's catalog server |
//! | `<caller>.natster.media.<owner>.<catalog>.<transfer>` | stream | owner's catalog server -> caller |
//!
//! Exports use `*` in token 1; a caller imports (or, in its own account,
//! simply uses) the subject with its own key there.

/// Operations of the hub control plane.
pub mod hub_ops {
    /// Read the caller's account JWT.
    pub const ACCOUNT_GET: &str = "account.get";
    /// Add a catalog's exports.
    pub const EXPORT_ADD: &str = "exports.add";
    /// Remove a catalog's exports.
    pub const EXPORT_REMOVE: &str = "exports.remove";
    /// Revoke an account on a catalog's exports (and drop its stored grant).
    pub const EXPORT_REVOKE: &str = "exports.revoke";
    /// Deposit activation tokens for an account, for it to import with.
    pub const EXPORT_GRANT: &str = "exports.grant";
    /// Add a catalog import with its activation tokens.
    pub const IMPORT_ADD: &str = "imports.add";
    /// Remove a catalog import.
    pub const IMPORT_REMOVE: &str = "imports.remove";
    /// Revoke a user of the caller's account (web sessions).
    pub const USER_REVOKE: &str = "users.revoke";
}

/// `<caller>.natster.hub.<op>`: a request to the hub control plane.
pub fn hub(caller: &str, op: &str) -> String {
    format!("{caller}.natster.hub.{op}")
}

/// `*.natster.hub.>`: the hub account's export.
pub const HUB_EXPORT: &str = "*.natster.hub.>";

/// `<caller>.natster.hub.>`: what each account imports from the hub.
pub fn hub_import(caller: &str) -> String {
    format!("{caller}.natster.hub.>")
}

/// `<caller>.natster.global.<op>`: a request to the global service.
pub fn global(caller: &str, op: &str) -> String {
    format!("{caller}.natster.global.{op}")
}

/// `*.natster.global.>`: the global account's service export.
pub const GLOBAL_EXPORT: &str = "*.natster.global.>";

/// `<caller>.natster.global.>`: what each account imports from the global service.
pub fn global_import(caller: &str) -> String {
    format!("{caller}.natster.global.>")
}

/// `<account>.natster.feed.<event>`: the global service's per-account feed.
pub fn feed(account: &str, event: &str) -> String {
    format!("{account}.natster.feed.{event}")
}

/// `*.natster.feed.>`: the global account's feed export.
pub const FEED_EXPORT: &str = "*.natster.feed.>";

/// `<account>.natster.feed.>`: what each account imports (and subscribes to).
pub fn feed_import(account: &str) -> String {
    format!("{account}.natster.feed.>")
}

/// `<caller>.natster.catalog.<owner>.<catalog>.<op>`: a request to a catalog server.
pub fn catalog(caller: &str, owner: &str, catalog: &str, op: &str) -> String {
    format!("{caller}.natster.catalog.{owner}.{catalog}.{op}")
}

/// `*.natster.catalog.<owner>.<catalog>.>`: what a catalog server listens on,
/// and the service export of that catalog.
pub fn catalog_export(owner: &str, catalog: &str) -> String {
    format!("*.natster.catalog.{owner}.{catalog}.>")
}

/// `<importer>.natster.catalog.<owner>.<catalog>.>`: a catalog import and its activation subject.
pub fn catalog_import(importer: &str, owner: &str, catalog: &str) -> String {
    format!("{importer}.natster.catalog.{owner}.{catalog}.>")
}

/// `<caller>.natster.media.<owner>.<catalog>.<transfer>`: one transfer's chunks.
pub fn media(caller: &str, owner: &str, catalog: &str, transfer: &str) -> String {
    format!("{caller}.natster.media.{owner}.{catalog}.{transfer}")
}

/// `*.natster.media.<owner>.<catalog>.>`: the stream export of a catalog's media.
pub fn media_export(owner: &str, catalog: &str) -> String {
    format!("*.natster.media.{owner}.{catalog}.>")
}

/// `<importer>.natster.media.<owner>.<catalog>.>`: a media import and its activation subject.
pub fn media_import(importer: &str, owner: &str, catalog: &str) -> String {
    format!("{importer}.natster.media.{owner}.{catalog}.>")
}

/// The parts of a catalog request subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogSubject<'a> {
    /// Token 1: the caller's account (enforced by the server for imports).
    pub caller: &'a str,
    /// The owner's account.
    pub owner: &'a str,
    /// The catalog.
    pub catalog: &'a str,
    /// The operation (may contain dots).
    pub op: &'a str,
}

/// Splits `<caller>.natster.catalog.<owner>.<catalog>.<op...>`.
pub fn parse_catalog(subject: &str) -> Option<CatalogSubject<'_>> {
    let mut it = subject.splitn(6, '.');
    let caller = it.next()?;
    (it.next()? == "natster").then_some(())?;
    (it.next()? == "catalog").then_some(())?;
    let owner = it.next()?;
    let catalog = it.next()?;
    let op = it.next()?;
    (!caller.is_empty() && !owner.is_empty() && !catalog.is_empty() && !op.is_empty()).then_some(
        CatalogSubject {
            caller,
            owner,
            catalog,
            op,
        },
    )
}

/// Token 1 of any Natster subject: the caller's account key.
pub fn caller_token(subject: &str) -> Option<&str> {
    subject.split('.').next().filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_subjects_round_trip() {
        let s = catalog("B", "A", "movies", "download");
        assert_eq!(s, "B.natster.catalog.A.movies.download");
        let p = parse_catalog(&s).unwrap();
        assert_eq!(
            (p.caller, p.owner, p.catalog, p.op),
            ("B", "A", "movies", "download")
        );
        assert_eq!(
            parse_catalog("B.natster.catalog.A.movies.credit.t1")
                .unwrap()
                .op,
            "credit.t1"
        );
        for bad in [
            "B.natster.catalog.A.movies",
            "B.other.catalog.A.m.get",
            "",
            ".natster.catalog.A.m.get",
        ] {
            assert!(parse_catalog(bad).is_none(), "{bad}");
        }
        assert_eq!(catalog_import("B", "A", "m"), "B.natster.catalog.A.m.>");
        assert_eq!(media("B", "A", "m", "t"), "B.natster.media.A.m.t");
        assert_eq!(caller_token("X.natster.global.whoami"), Some("X"));
    }
}
