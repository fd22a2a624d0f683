//! The global service's wire types: API requests and responses, the
//! CloudEvents in the event log, and the per-account feed.
//!
//! These move to `natster-proto` once the global service's API settles; the
//! CLI, catalog server and web app will then share them from there. Serde
//! only, no I/O.
//!
//! Times are unix seconds (`*_at`), except the CloudEvents `time` attribute,
//! which the specification makes RFC 3339.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Operation names: a request for `op` goes to `<caller>.natster.global.<op>`
/// (see [`natster_proto::subjects::global`]).
pub mod ops {
    /// Record an event ([`super::EventPutRequest`]).
    pub const EVENTS_PUT: &str = "events.put";
    /// A catalog server says it is online ([`super::HeartbeatRequest`]).
    pub const HEARTBEATS_PUT: &str = "heartbeats.put";
    /// A catalog server stops cleanly ([`super::OfflineRequest`]).
    pub const HEARTBEATS_OFFLINE: &str = "heartbeats.offline";
    /// Totals ([`super::StatsResponse`]).
    pub const STATS: &str = "stats";
    /// Shares by and with the caller ([`super::MySharesResponse`]).
    pub const MY_SHARES: &str = "my.shares";
    /// The caller's own catalogs, shared or not ([`super::MyCatalogsResponse`]).
    pub const MY_CATALOGS: &str = "my.catalogs";
    /// The caller's account ([`super::WhoamiResponse`]).
    pub const WHOAMI: &str = "whoami";
    /// Check a catalog name ([`super::ValidateNameResponse`]).
    pub const VALIDATE_NAME: &str = "catalogs.validatename";
    /// A one-time login code for the caller ([`super::OtcGenerateResponse`]).
    pub const OTC_GENERATE: &str = "otc.generate";
    /// The web account redeems a code ([`super::OtcClaimResponse`]).
    pub const OTC_CLAIM: &str = "otc.claim";
    /// Record that the caller imported a share: `catalog_imported` alone,
    /// for callers (web sessions) whose credential does not reach
    /// [`EVENTS_PUT`] ([`super::ImportData`] in, [`super::EventPutResponse`] out).
    pub const IMPORTS_RECORD: &str = "imports.record";

    /// Every operation, for registering endpoints.
    pub const ALL: [&str; 11] = [
        EVENTS_PUT,
        HEARTBEATS_PUT,
        HEARTBEATS_OFFLINE,
        STATS,
        MY_SHARES,
        MY_CATALOGS,
        WHOAMI,
        VALIDATE_NAME,
        OTC_GENERATE,
        OTC_CLAIM,
        IMPORTS_RECORD,
    ];
}

// ---------------------------------------------------------------- events.put

/// `events.put` request: `{"type": "<event type>", "id": "<optional>", "data": {...}}`.
///
/// The caller is never named in the body: the service takes it from the
/// server-enforced subject token. Unknown fields are refused, so a body that
/// tries to name another origin gets a 400 instead of being half-read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPutRequest {
    /// One of [`EventType`]'s names, e.g. `catalog_shared`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Optional client id (1–64 of `A-Za-z0-9_-`): a retry with the same id
    /// within the duplicate window is stored once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The type's data ([`InitializeData`], [`ShareData`], ...).
    #[serde(default)]
    pub data: Value,
}

/// The event types a caller can put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// The caller starts using Natster ([`InitializeData`]). Once per account.
    AccountInitialized,
    /// The caller shares one of its catalogs ([`ShareData`]).
    CatalogShared,
    /// The caller takes a share back ([`UnshareData`]).
    CatalogUnshared,
    /// The caller imported a catalog shared with it ([`ImportData`]).
    CatalogImported,
    /// The caller bound a web session to its account ([`SessionBoundData`]).
    WebSessionBound,
    /// The caller ended a web session ([`SessionRevokedData`]).
    WebSessionRevoked,
}

impl EventType {
    /// Parses the `type` of an [`EventPutRequest`].
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }
}

/// `account_initialized` data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitializeData {
    /// Display name (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `catalog_shared` data: share the caller's `catalog` with `target`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareData {
    /// The caller's catalog.
    pub catalog: String,
    /// The account it is shared with (`A...`).
    pub target: String,
    /// When the share ends (unix seconds); none = until unshared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// `catalog_unshared` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnshareData {
    /// The caller's catalog.
    pub catalog: String,
    /// The account that loses it.
    pub target: String,
}

/// `catalog_imported` data: the caller imported `owner`'s `catalog`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportData {
    /// The catalog's owner.
    pub owner: String,
    /// The catalog.
    pub catalog: String,
}

/// `web_session_bound` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionBoundData {
    /// The session's user public key (`U...`); never a seed.
    pub session: String,
    /// When the session's credential expires (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// `web_session_revoked` data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRevokedData {
    /// The session's user public key.
    pub session: String,
}

/// `events.put` success data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPutResponse {
    /// The event id (CloudEvents `id`, also its `Nats-Msg-Id`).
    pub id: String,
    /// Its sequence in the event stream.
    pub seq: u64,
    /// True when this id was already stored (a retry): nothing new was recorded.
    pub duplicate: bool,
}

// ---------------------------------------------------------------- the log

/// A CloudEvents 1.0 envelope (JSON format), as stored in `NATSTER_EVENTS`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    /// Always `"1.0"`.
    pub specversion: String,
    /// Unique per source; also the JetStream `Nats-Msg-Id`.
    pub id: String,
    /// `/natster/accounts/<origin>`: the verified account that caused it;
    /// `/natster/global` for what the service records on its own (a share
    /// reaching its expiry).
    pub source: String,
    /// What it is: `io.natster.…` ([`Event`]) — carried with `data`.
    #[serde(flatten)]
    pub event: Event,
    /// When the service recorded it (RFC 3339, UTC).
    pub time: String,
    /// What it is about: `<owner>.<catalog>`, `<account>` or `<session>`.
    pub subject: String,
    /// Always `application/json`.
    pub datacontenttype: String,
}

/// The events in the log, with their CloudEvents `type`. The origin (the
/// verified caller) is written into the data, so a fold never parses `source`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// An account started using Natster.
    #[serde(rename = "io.natster.account.initialized")]
    AccountInitialized {
        /// The account.
        account: String,
        /// Display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// `owner` shared `catalog` with `target`.
    #[serde(rename = "io.natster.catalog.shared")]
    CatalogShared {
        /// The catalog's owner (the origin).
        owner: String,
        /// The catalog.
        catalog: String,
        /// The account it is shared with.
        target: String,
        /// When the share ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// `owner` took `catalog` back from `target`.
    #[serde(rename = "io.natster.catalog.unshared")]
    CatalogUnshared {
        /// The catalog's owner (the origin).
        owner: String,
        /// The catalog.
        catalog: String,
        /// The account that lost it.
        target: String,
    },
    /// The share of `owner`'s `catalog` with `target` reached its
    /// `expires_at`: the share ends as if unshared.
    ///
    /// Only the service appends this (its expiry sweep; `events.put` does
    /// not accept it), so its CloudEvents `source` is `/natster/global`.
    ///
    /// Why an event of its own and not the alternatives:
    /// - not a `catalog_unshared` written by the service: the log would then
    ///   claim the owner took the share back, and nobody reading it could
    ///   tell a decision from a deadline;
    /// - not a fold that drops the share when the clock passes its expiry:
    ///   a fold must not read the clock (a rebuild would differ), and
    ///   nothing in the log would say when the end was noticed, so the
    ///   feeds and the totals would have no event to follow.
    ///
    /// It is appended on condition that the last event on the share's
    /// subjects (`natster.events.<owner>.<target>.<catalog>.*`) is still the
    /// `catalog_shared` it ends, so an unshare or a re-share (with a new
    /// expiry) that lands first makes a stale attempt fail instead of ending
    /// the newer share; its id is derived from that `catalog_shared`'s
    /// sequence, so instances sweeping at once store it once.
    #[serde(rename = "io.natster.catalog.share_expired")]
    CatalogShareExpired {
        /// The catalog's owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// The account that lost it.
        target: String,
        /// The expiry that was reached (the `catalog_shared` event's).
        expires_at: i64,
    },
    /// `importer` imported `owner`'s `catalog`.
    #[serde(rename = "io.natster.catalog.imported")]
    CatalogImported {
        /// The importing account (the origin).
        importer: String,
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
    },
    /// A heartbeat reported a new revision of the catalog's contents.
    #[serde(rename = "io.natster.catalog.revised")]
    CatalogRevised {
        /// The owner (the origin).
        owner: String,
        /// The catalog.
        catalog: String,
        /// The new revision.
        revision: u64,
    },
    /// `account` bound a web session.
    #[serde(rename = "io.natster.websession.bound")]
    WebSessionBound {
        /// The account (the origin).
        account: String,
        /// The session's user public key.
        session: String,
        /// When its credential expires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// `account` ended a web session.
    #[serde(rename = "io.natster.websession.revoked")]
    WebSessionRevoked {
        /// The account (the origin).
        account: String,
        /// The session's user public key.
        session: String,
    },
}

// ---------------------------------------------------------------- heartbeats

/// `heartbeats.put` request. The owner is the caller, never a body field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    /// The caller's catalog.
    pub catalog: String,
    /// Revision of its contents (changes whenever the contents do).
    pub revision: u64,
}

/// `heartbeats.put` success data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    /// The catalog.
    pub catalog: String,
    /// True when this heartbeat brought the catalog online.
    pub came_online: bool,
    /// True when the revision differs from the previous heartbeat's.
    pub revision_changed: bool,
    /// Seconds the catalog stays online without another heartbeat.
    pub ttl_seconds: u64,
}

/// `heartbeats.offline` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfflineRequest {
    /// The caller's catalog.
    pub catalog: String,
}

/// `heartbeats.offline` success data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineResponse {
    /// The catalog.
    pub catalog: String,
    /// Whether it was online until now.
    pub was_online: bool,
}

// ---------------------------------------------------------------- queries

/// `stats` success data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsResponse {
    /// Accounts that sent `account_initialized`.
    pub accounts_initialized: u64,
    /// Catalogs with a live heartbeat.
    pub catalogs_online: u64,
    /// Shares recorded and neither taken back nor expired (an expiry counts
    /// once the service has recorded it, within seconds).
    pub active_shares: u64,
    /// Events in the log.
    pub events: u64,
}

/// One share, as `my.shares` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareSummary {
    /// The owner.
    pub from_account: String,
    /// The account it is shared with.
    pub to_account: String,
    /// The catalog.
    pub catalog: String,
    /// Whether the catalog's server is online now.
    pub catalog_online: bool,
    /// Latest revision known (from the live heartbeat, else the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// When the share was recorded.
    pub shared_at: i64,
    /// When it ends, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Whether the recipient recorded an import.
    pub imported: bool,
}

/// `my.shares` success data. Expired shares are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MySharesResponse {
    /// Shares of the caller's catalogs.
    pub out_shares: Vec<ShareSummary>,
    /// Catalogs shared with the caller.
    pub in_shares: Vec<ShareSummary>,
}

/// One of the caller's catalogs, as `my.catalogs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnCatalog {
    /// The catalog.
    pub catalog: String,
    /// Whether its server is online now.
    pub online: bool,
    /// Latest revision known (from the live heartbeat, else the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
}

/// `my.catalogs` success data: every catalog of the caller's that has come
/// online at least once (so the service knows it), shared or not, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCatalogsResponse {
    /// The catalogs, sorted by name.
    pub catalogs: Vec<OwnCatalog>,
}

/// A bound web session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The session's user public key.
    pub session: String,
    /// When it was bound.
    pub bound_at: i64,
    /// When its credential expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// `whoami` success data (404 when the caller never initialized).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoamiResponse {
    /// The caller's account key.
    pub account_key: String,
    /// When its `account_initialized` event was recorded.
    pub initialized_at: i64,
    /// Display name given at initialization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Web sessions bound and not revoked.
    pub web_sessions: Vec<SessionSummary>,
}

/// `catalogs.validatename` request: `{"name": "..."}` (a bare string body is
/// accepted too, as the original sent one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateNameRequest {
    /// The proposed catalog name.
    pub name: String,
}

/// `catalogs.validatename` success data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateNameResponse {
    /// Whether the name is usable.
    pub valid: bool,
    /// Why not, or `"ok"`.
    pub message: String,
}

// ---------------------------------------------------------------- one-time codes

/// `otc.generate` request (the body may also be empty). Never put a secret
/// in `payload`: it is stored as is, and anything shaped like an nkey seed
/// is refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtcGenerateRequest {
    /// Small JSON the claimer receives (e.g. requested session scopes), up to 1 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

/// `otc.generate` success data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtcGenerateResponse {
    /// 160 random bits, base32, lowercase (32 characters).
    pub code: String,
    /// Seconds it stays claimable.
    pub valid_seconds: u64,
    /// When it stops being claimable (unix seconds).
    pub expires_at: i64,
    /// Where to claim it, when the service knows the web app's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_url: Option<String>,
}

/// `otc.claim` request (web account only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtcClaimRequest {
    /// The code.
    pub code: String,
    /// The web session's user public key (`U...`), passed on to the
    /// account's feed so its CLI can sign a credential for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// `otc.claim` success data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtcClaimResponse {
    /// The account the code binds.
    pub account: String,
    /// The generator's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

// ---------------------------------------------------------------- feed

/// What the service tells one account on `<account>.natster.feed.<type>`,
/// `<type>` being the `type` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedEvent {
    /// To the target: `owner` shared `catalog` with you.
    ShareReceived {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// When the share ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// To the target: you lost `owner`'s `catalog` (taken back, or expired).
    ShareRevoked {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// Why.
        #[serde(default)]
        reason: ShareEnd,
    },
    /// To the owner: your `catalog` is now shared with `account`
    /// (keeps the owner's catalog servers' view of their shares current).
    ShareAdded {
        /// The catalog.
        catalog: String,
        /// The account.
        account: String,
        /// When the share ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// To the owner: `account` lost your `catalog` (you took it back, or it
    /// expired).
    ShareRemoved {
        /// The catalog.
        catalog: String,
        /// The account.
        account: String,
        /// Why.
        #[serde(default)]
        reason: ShareEnd,
    },
    /// A catalog you can see came online.
    CatalogOnline {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// Its revision.
        revision: u64,
    },
    /// A catalog you can see went offline (clean stop or missed heartbeats).
    CatalogOffline {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
    },
    /// A catalog you can see changed its contents.
    RevisionChanged {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// The new revision.
        revision: u64,
    },
    /// To the account that generated a code: the web app claimed it.
    LoginClaimed {
        /// The web session's user public key, when the web app gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
}

/// Why a share ended, in [`FeedEvent::ShareRevoked`] and
/// [`FeedEvent::ShareRemoved`] (`"reason"`). Consumers that predate it
/// ignore the field; a message without it reads as [`ShareEnd::Unshared`],
/// the only way a share ended before expiries were recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareEnd {
    /// The owner took it back (`catalog_unshared`).
    #[default]
    Unshared,
    /// It reached its `expires_at` (`catalog_share_expired`).
    Expired,
}

impl FeedEvent {
    /// The subject token: the `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            FeedEvent::ShareReceived { .. } => "share_received",
            FeedEvent::ShareRevoked { .. } => "share_revoked",
            FeedEvent::ShareAdded { .. } => "share_added",
            FeedEvent::ShareRemoved { .. } => "share_removed",
            FeedEvent::CatalogOnline { .. } => "catalog_online",
            FeedEvent::CatalogOffline { .. } => "catalog_offline",
            FeedEvent::RevisionChanged { .. } => "revision_changed",
            FeedEvent::LoginClaimed { .. } => "login_claimed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_event_shape_round_trips() {
        let ev = CloudEvent {
            specversion: "1.0".into(),
            id: "x1".into(),
            source: "/natster/accounts/AOWNER".into(),
            event: Event::CatalogShared {
                owner: "AOWNER".into(),
                catalog: "movies".into(),
                target: "ATARGET".into(),
                expires_at: None,
            },
            time: "2026-01-02T03:04:05Z".into(),
            subject: "AOWNER.movies".into(),
            datacontenttype: "application/json".into(),
        };
        let json: Value = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], "io.natster.catalog.shared");
        assert_eq!(json["data"]["target"], "ATARGET");
        assert_eq!(json["specversion"], "1.0");
        assert!(json["data"].get("expires_at").is_none());
        let back: CloudEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, ev);
    }

    #[test]
    fn feed_names_match_the_type_field() {
        let ev = FeedEvent::CatalogOffline {
            owner: "A".into(),
            catalog: "c".into(),
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], ev.name());
        let ev = FeedEvent::LoginClaimed { session: None };
        assert_eq!(serde_json::to_value(&ev).unwrap()["type"], ev.name());
    }

    #[test]
    fn share_end_reason_is_explicit_and_defaults_to_unshared() {
        let ev = FeedEvent::ShareRevoked {
            owner: "A".into(),
            catalog: "c".into(),
            reason: ShareEnd::Expired,
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], "share_revoked");
        assert_eq!(json["reason"], "expired");
        // What a service from before the field sent.
        let old: FeedEvent =
            serde_json::from_str(r#"{"type":"share_removed","catalog":"c","account":"B"}"#)
                .unwrap();
        assert_eq!(
            old,
            FeedEvent::ShareRemoved {
                catalog: "c".into(),
                account: "B".into(),
                reason: ShareEnd::Unshared,
            }
        );
    }

    #[test]
    fn the_expiry_event_is_not_one_a_caller_can_put() {
        assert_eq!(EventType::parse("catalog_share_expired"), None);
        assert_eq!(EventType::parse("share_expired"), None);
    }

    #[test]
    fn event_types_parse_by_name_only() {
        assert_eq!(
            EventType::parse("catalog_shared"),
            Some(EventType::CatalogShared)
        );
        assert_eq!(EventType::parse("natster_initialized"), None);
        assert_eq!(EventType::parse(""), None);
        let err = serde_json::from_str::<EventPutRequest>(
            r#"{"type":"catalog_shared","data":{},"origin":"AEVIL"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("origin"), "{err}");
    }
}
