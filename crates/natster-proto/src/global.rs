//! The global service's API: requests and replies on
//! `<caller>.natster.global.<op>`, wrapped in [`crate::ApiResponse`].
//! The service (natster-global), the client library and the web app all
//! use these types. The events in the log are in [`crate::events`], what
//! the service tells each account in [`crate::feed`].
//!
//! Times are unix seconds (`*_at`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::request::{Global, bind};

/// Operation names: a request for `op` goes to `<caller>.natster.global.<op>`
/// (see [`crate::subjects::global`]).
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

    /// The `type` of an [`EventPutRequest`].
    pub fn name(self) -> &'static str {
        match self {
            EventType::AccountInitialized => "account_initialized",
            EventType::CatalogShared => "catalog_shared",
            EventType::CatalogUnshared => "catalog_unshared",
            EventType::CatalogImported => "catalog_imported",
            EventType::WebSessionBound => "web_session_bound",
            EventType::WebSessionRevoked => "web_session_revoked",
        }
    }
}

/// An event a caller records, with its data typed; `EventPutRequest::from`
/// turns it into the request the service reads.
#[derive(Debug, Clone, PartialEq)]
pub enum NewEvent {
    /// `account_initialized`.
    AccountInitialized(InitializeData),
    /// `catalog_shared`.
    CatalogShared(ShareData),
    /// `catalog_unshared`.
    CatalogUnshared(UnshareData),
    /// `catalog_imported`.
    CatalogImported(ImportData),
    /// `web_session_bound`.
    WebSessionBound(SessionBoundData),
    /// `web_session_revoked`.
    WebSessionRevoked(SessionRevokedData),
}

impl From<NewEvent> for EventPutRequest {
    fn from(event: NewEvent) -> Self {
        // Serializing these plain structs cannot fail (string keys only).
        fn value<T: Serialize>(data: T) -> Value {
            serde_json::to_value(data).unwrap_or_default()
        }
        let (kind, data) = match event {
            NewEvent::AccountInitialized(d) => (EventType::AccountInitialized, value(d)),
            NewEvent::CatalogShared(d) => (EventType::CatalogShared, value(d)),
            NewEvent::CatalogUnshared(d) => (EventType::CatalogUnshared, value(d)),
            NewEvent::CatalogImported(d) => (EventType::CatalogImported, value(d)),
            NewEvent::WebSessionBound(d) => (EventType::WebSessionBound, value(d)),
            NewEvent::WebSessionRevoked(d) => (EventType::WebSessionRevoked, value(d)),
        };
        EventPutRequest {
            kind: kind.name().to_owned(),
            id: None,
            data,
        }
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

// ---------------------------------------------------------------- bodies of queries

/// `stats` request: no fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsRequest {}

/// `my.shares` request: no fields (the caller is the subject's account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MySharesRequest {}

/// `my.catalogs` request: no fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyCatalogsRequest {}

/// `whoami` request: no fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoamiRequest {}

/// `imports.record` request: the import to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImportRecordRequest(pub ImportData);

bind!(Global:
    EventPutRequest => ops::EVENTS_PUT, EventPutResponse;
    HeartbeatRequest => ops::HEARTBEATS_PUT, HeartbeatResponse;
    OfflineRequest => ops::HEARTBEATS_OFFLINE, OfflineResponse;
    StatsRequest => ops::STATS, StatsResponse;
    MySharesRequest => ops::MY_SHARES, MySharesResponse;
    MyCatalogsRequest => ops::MY_CATALOGS, MyCatalogsResponse;
    WhoamiRequest => ops::WHOAMI, WhoamiResponse;
    ValidateNameRequest => ops::VALIDATE_NAME, ValidateNameResponse;
    OtcGenerateRequest => ops::OTC_GENERATE, OtcGenerateResponse;
    OtcClaimRequest => ops::OTC_CLAIM, OtcClaimResponse;
    ImportRecordRequest => ops::IMPORTS_RECORD, EventPutResponse;
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_events_serialize_as_the_service_reads_them() {
        let req = EventPutRequest::from(NewEvent::CatalogShared(ShareData {
            catalog: "movies".into(),
            target: "B".into(),
            expires_at: None,
        }));
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "catalog_shared", "data": {"catalog": "movies", "target": "B"}})
        );
        for kind in [
            EventType::AccountInitialized,
            EventType::CatalogShared,
            EventType::CatalogUnshared,
            EventType::CatalogImported,
            EventType::WebSessionBound,
            EventType::WebSessionRevoked,
        ] {
            assert_eq!(EventType::parse(kind.name()), Some(kind));
        }
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
