//! The shapes of account JWTs the hub issues: its well-known service
//! accounts and the accounts people register.

use natster_auth::claims::{
    AccountClaims, AccountNats, Claims, Export, ExportType, Import, ResponseType, SigningKey,
};
use natster_proto::hub::WellKnown;
use natster_proto::subjects;

use crate::identity::ServiceAccount;

/// JetStream resources reserved for the global service's account.
#[derive(Clone, Copy, Debug)]
pub struct JetStreamQuota {
    /// File storage, bytes.
    pub disk: i64,
    /// Memory storage, bytes.
    pub memory: i64,
}

fn base(account: &ServiceAccount) -> AccountClaims {
    let mut nats = AccountNats::new();
    nats.signing_keys
        .push(SigningKey::Key(account.signing.public_key()));
    Claims::new(account.key(), nats).with_name(account.name)
}

/// The system account.
pub fn system(account: &ServiceAccount) -> AccountClaims {
    base(account)
}

/// The hub control plane's account: exports `*.natster.hub.>` with the
/// caller's key enforced in token 1.
pub fn hub(account: &ServiceAccount) -> AccountClaims {
    let mut c = base(account);
    let mut e = Export::new("natster-hub", subjects::HUB_EXPORT, ExportType::Service);
    e.account_token_position = 1;
    e.response_type = Some(ResponseType::Singleton);
    c.nats.exports.push(e);
    c
}

/// The global service's account: the only one with JetStream; exports the
/// service `*.natster.global.>` and the per-account feed `*.natster.feed.>`,
/// each with the account's key enforced in token 1.
pub fn global(account: &ServiceAccount, quota: JetStreamQuota) -> AccountClaims {
    let mut c = base(account);
    let mut service = Export::new(
        "natster-global",
        subjects::GLOBAL_EXPORT,
        ExportType::Service,
    );
    service.account_token_position = 1;
    service.response_type = Some(ResponseType::Singleton);
    let mut feed = Export::new("natster-feed", subjects::FEED_EXPORT, ExportType::Stream);
    feed.account_token_position = 1;
    c.nats.exports.extend([service, feed]);
    let l = &mut c.nats.limits;
    l.disk_storage = quota.disk;
    l.mem_storage = quota.memory;
    l.streams = -1;
    l.consumer = -1;
    c
}

/// The web app's account: a person's web session acts in their own account
/// (with a credential they sign); this account only runs the web server's
/// own connection, importing the global service like everyone.
pub fn web(account: &ServiceAccount, wk: &WellKnown) -> AccountClaims {
    let mut c = base(account);
    c.nats.imports.extend(standard_imports(&account.key(), wk));
    c
}

/// The imports every registered account gets: the hub control plane, the
/// global service and its own feed.
pub fn standard_imports(me: &str, wk: &WellKnown) -> Vec<Import> {
    vec![
        Import::new(
            "natster-hub",
            subjects::hub_import(me),
            wk.hub.clone(),
            ExportType::Service,
        ),
        Import::new(
            "natster-global",
            subjects::global_import(me),
            wk.global.clone(),
            ExportType::Service,
        ),
        Import::new(
            "natster-feed",
            subjects::feed_import(me),
            wk.global.clone(),
            ExportType::Stream,
        ),
    ]
}

/// A newly registered account: its signing key and the standard imports.
pub fn registered(account: &str, signing_key: &str, name: &str, wk: &WellKnown) -> AccountClaims {
    let mut nats = AccountNats::new();
    nats.signing_keys
        .push(SigningKey::Key(signing_key.to_owned()));
    nats.imports = standard_imports(account, wk);
    Claims::new(account.to_owned(), nats).with_name(name)
}
