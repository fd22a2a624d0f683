//! The claim types of NATS decentralized auth (JWT v2), as nats-server reads
//! them. Field names and their JSON spelling follow the reference Go library,
//! `github.com/nats-io/jwt/v2`, so tokens interoperate both ways; fields we do
//! not model yet are kept as raw JSON so a decode/encode round trip loses
//! nothing that matters to the server.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::keys::KeyKind;

/// "no limit" in every NATS limit field.
pub const NO_LIMIT: i64 = -1;

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}
fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}

/// Go's `omitempty` writes no zero timestamps; treat a zero read back as unset.
fn nonzero<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.filter(|v| *v != 0))
}

/// The standard claims every NATS JWT carries, around the type-specific
/// `nats` section `N`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claims<N> {
    /// Audience (unused by nats-server for these types).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub aud: String,
    /// Expiry, unix seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nonzero"
    )]
    pub exp: Option<i64>,
    /// Unique id: base32 of SHA-512/256 over the standard claims with an empty jti.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jti: String,
    /// Issued at, unix seconds. Zero when encoding means "now".
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub iat: i64,
    /// Issuer public key; set by the encoder from the signing key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub iss: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Not valid before, unix seconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nonzero"
    )]
    pub nbf: Option<i64>,
    /// Subject public key (what the claim is about).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sub: String,
    /// The type-specific part.
    pub nats: N,
}

impl<N: Nats> Claims<N> {
    /// Claims about `subject` with the given type-specific part.
    pub fn new(subject: impl Into<String>, nats: N) -> Self {
        Self {
            aud: String::new(),
            exp: None,
            jti: String::new(),
            iat: 0,
            iss: String::new(),
            name: String::new(),
            nbf: None,
            sub: subject.into(),
            nats,
        }
    }

    /// Sets the display name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the expiry (unix seconds).
    pub fn with_expiry(mut self, exp: i64) -> Self {
        self.exp = Some(exp);
        self
    }
}

/// The kind of claim, written to `nats.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimType {
    /// An operator (self-signed).
    Operator,
    /// An account, issued by an operator key.
    Account,
    /// A user, issued by an account key.
    User,
    /// An activation token for a private export, issued by the exporter.
    Activation,
}

impl ClaimType {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimType::Operator => "operator",
            ClaimType::Account => "account",
            ClaimType::User => "user",
            ClaimType::Activation => "activation",
        }
    }
}

/// What each `nats` section tells the encoder and verifier.
pub trait Nats: Serialize + DeserializeOwned + Clone {
    /// The claim type.
    const TYPE: ClaimType;
    /// The kind of key the subject must be.
    const SUBJECT: KeyKind;
    /// The kind of key that may issue it.
    const ISSUER: KeyKind;
    /// Sets `type` and `version` before encoding.
    fn stamp(&mut self);
    /// `type` as read.
    fn claim_type(&self) -> &str;
    /// `version` as read.
    fn version(&self) -> u32;
    /// `issuer_account`, for claims that a signing key issues on an account's behalf.
    fn issuer_account(&self) -> Option<&str> {
        None
    }
}

macro_rules! generic_fields {
    ($t:ty, $ct:expr, $sub:expr, $iss:expr) => {
        generic_fields!(@impl $t, $ct, $sub, $iss, {});
    };
    ($t:ty, $ct:expr, $sub:expr, $iss:expr, issuer_account) => {
        generic_fields!(@impl $t, $ct, $sub, $iss, {
            fn issuer_account(&self) -> Option<&str> {
                (!self.issuer_account.is_empty()).then_some(self.issuer_account.as_str())
            }
        });
    };
    (@impl $t:ty, $ct:expr, $sub:expr, $iss:expr, { $($extra:tt)* }) => {
        impl Nats for $t {
            const TYPE: ClaimType = $ct;
            const SUBJECT: KeyKind = $sub;
            const ISSUER: KeyKind = $iss;
            fn stamp(&mut self) {
                self.claim_type = $ct.as_str().to_owned();
                self.version = 2;
            }
            fn claim_type(&self) -> &str {
                &self.claim_type
            }
            fn version(&self) -> u32 {
                self.version
            }
            $($extra)*
        }
    };
}

/// An operator's `nats` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OperatorNats {
    /// Keys that may sign account JWTs for this operator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<String>,
    /// URL of an account server (unused with the full resolver).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account_server_url: String,
    /// URLs clients may connect to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_service_urls: Vec<String>,
    /// The system account's public key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub system_account: String,
    /// Minimum server version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assert_server_version: String,
    /// Only signing keys (never the identity key) may issue account JWTs.
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict_signing_key_usage: bool,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Always "operator".
    #[serde(default, rename = "type")]
    pub claim_type: String,
    /// Always 2.
    #[serde(default)]
    pub version: u32,
}
generic_fields!(
    OperatorNats,
    ClaimType::Operator,
    KeyKind::Operator,
    KeyKind::Operator
);

/// Account limits: core NATS, account, and JetStream limits in one object,
/// as nats-server reads them. Zero fields are omitted (Go `omitempty`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct AccountLimits {
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub subs: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub data: i64,
    /// Max message payload. Not advertised to clients: exceeding it kills the connection.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub payload: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub imports: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub exports: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub wildcards: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub disallow_bearer: bool,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub conn: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub leaf: i64,
    /// JetStream memory storage in bytes; 0 (absent) disables JetStream memory.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub mem_storage: i64,
    /// JetStream disk storage in bytes; 0 (absent) disables JetStream file storage.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub disk_storage: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub streams: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub consumer: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub max_ack_pending: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub mem_max_stream_bytes: i64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub disk_max_stream_bytes: i64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub max_bytes_required: bool,
    /// Per-tier JetStream limits (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiered_limits: Option<Value>,
}

impl AccountLimits {
    /// No core or account limits, wildcard exports allowed, no JetStream:
    /// what the reference library gives a new account.
    pub fn unlimited() -> Self {
        Self {
            subs: NO_LIMIT,
            data: NO_LIMIT,
            payload: NO_LIMIT,
            imports: NO_LIMIT,
            exports: NO_LIMIT,
            wildcards: true,
            conn: NO_LIMIT,
            leaf: NO_LIMIT,
            ..Self::default()
        }
    }
}

/// Whether an export or import carries a service (request/reply) or a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportType {
    /// Messages flow from exporter to importer.
    Stream,
    /// Importer requests, exporter replies.
    Service,
}

/// How many replies a service export lets through per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseType {
    /// Exactly one reply.
    Singleton,
    /// Any number of replies.
    Stream,
    /// Several replies forming one answer.
    Chunked,
}

/// An account's export of a subject to other accounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Exported subject (may hold wildcards).
    pub subject: String,
    /// Stream or service.
    #[serde(rename = "type")]
    pub kind: ExportType,
    /// Private: importers need an activation token.
    #[serde(default, skip_serializing_if = "is_false")]
    pub token_req: bool,
    /// Importer account key -> unix time: activations issued at or before it are revoked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    /// Service replies allowed per request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// Time a service reply may take, nanoseconds.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub response_threshold: i64,
    /// Latency tracking (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_latency: Option<Value>,
    /// Which subject token (from 1) must be the importer's account key.
    /// Never combine with `token_req`: nats-server then skips the token check.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub account_token_position: u32,
    /// Advertise to other accounts.
    #[serde(default, skip_serializing_if = "is_false")]
    pub advertise: bool,
    /// Allow message tracing across the export.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_trace: bool,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Info URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub info_url: String,
}

impl Export {
    /// An export of `subject` with nothing else set.
    pub fn new(name: impl Into<String>, subject: impl Into<String>, kind: ExportType) -> Self {
        Self {
            name: name.into(),
            subject: subject.into(),
            kind,
            token_req: false,
            revocations: BTreeMap::new(),
            response_type: None,
            response_threshold: 0,
            service_latency: None,
            account_token_position: 0,
            advertise: false,
            allow_trace: false,
            description: String::new(),
            info_url: String::new(),
        }
    }
}

/// An account's import of another account's export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Import {
    /// Display name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The subject as the exporter sees it.
    pub subject: String,
    /// The exporting account's public key.
    pub account: String,
    /// Activation token, for private exports.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// Deprecated remap field of JWT v1.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Local remap. Activation expiry is not enforced through a remap.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub local_subject: String,
    /// Stream or service.
    #[serde(rename = "type")]
    pub kind: ExportType,
    /// Share the importer's identity with the exporter (latency tracking).
    #[serde(default, skip_serializing_if = "is_false")]
    pub share: bool,
    /// Allow message tracing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_trace: bool,
}

impl Import {
    /// An import of `subject` from `account`.
    pub fn new(
        name: impl Into<String>,
        subject: impl Into<String>,
        account: impl Into<String>,
        kind: ExportType,
    ) -> Self {
        Self {
            name: name.into(),
            subject: subject.into(),
            account: account.into(),
            token: String::new(),
            to: String::new(),
            local_subject: String::new(),
            kind,
            share: false,
            allow_trace: false,
        }
    }
}

/// Publish or subscribe permissions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// Allowed subjects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Denied subjects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<String>,
}

/// Permission to reply to requests received.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsePermission {
    /// Replies allowed per request.
    pub max: i64,
    /// How long the reply subject stays open, nanoseconds.
    pub ttl: i64,
}

/// Publish, subscribe and response permissions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Publish permissions.
    #[serde(default, rename = "pub")]
    pub publish: Permission,
    /// Subscribe permissions.
    #[serde(default, rename = "sub")]
    pub subscribe: Permission,
    /// Response permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resp: Option<ResponsePermission>,
}

/// An account signing key: a plain key, or a scoped one (kept as JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SigningKey {
    /// An unscoped signing key.
    Key(String),
    /// A scoped signing key: `{"kind":"user_scope","key":..,"role":..,"template":..}`.
    Scoped(Value),
}

impl SigningKey {
    /// The public key, whether scoped or not.
    pub fn key(&self) -> Option<&str> {
        match self {
            SigningKey::Key(k) => Some(k),
            SigningKey::Scoped(v) => v.get("key").and_then(Value::as_str),
        }
    }
}

/// An account's `nats` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountNats {
    /// Imports from other accounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<Import>,
    /// Exports to other accounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<Export>,
    /// Limits.
    #[serde(default)]
    pub limits: AccountLimits,
    /// Keys that may issue user JWTs (and activations) for this account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<SigningKey>,
    /// Revoked users: user key (or `*`) -> unix time; user JWTs issued at or before it are refused.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    /// Permissions for users whose JWT sets none.
    #[serde(default)]
    pub default_permissions: Permissions,
    /// Subject mappings (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mappings: Option<Value>,
    /// External authorization (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Value>,
    /// Message tracing (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Value>,
    /// Cluster traffic account.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster_traffic: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Info URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub info_url: String,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Always "account".
    #[serde(default, rename = "type")]
    pub claim_type: String,
    /// Always 2.
    #[serde(default)]
    pub version: u32,
}
generic_fields!(
    AccountNats,
    ClaimType::Account,
    KeyKind::Account,
    KeyKind::Operator
);

impl AccountNats {
    /// A new account section with the reference library's default limits.
    pub fn new() -> Self {
        Self {
            limits: AccountLimits::unlimited(),
            ..Self::default()
        }
    }

    /// The public keys of the account's signing keys.
    pub fn signing_key_ids(&self) -> impl Iterator<Item = &str> {
        self.signing_keys.iter().filter_map(SigningKey::key)
    }
}

/// A user's `nats` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserNats {
    /// Publish permissions.
    #[serde(default, rename = "pub")]
    pub publish: Permission,
    /// Subscribe permissions.
    #[serde(default, rename = "sub")]
    pub subscribe: Permission,
    /// Response permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resp: Option<ResponsePermission>,
    /// Allowed source CIDRs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub src: Vec<String>,
    /// Allowed connect time ranges (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<Value>,
    /// Time zone of `times`.
    #[serde(
        default,
        rename = "times_location",
        skip_serializing_if = "String::is_empty"
    )]
    pub locale: String,
    /// Max subscriptions (-1: no limit).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub subs: i64,
    /// Max bytes (-1: no limit).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub data: i64,
    /// Max payload (-1: no limit).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub payload: i64,
    /// The JWT alone authenticates (no nonce signature). Natster never sets it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bearer_token: bool,
    /// Connection must come through a proxy.
    #[serde(default, skip_serializing_if = "is_false")]
    pub proxy_required: bool,
    /// Allowed connection types (STANDARD, WEBSOCKET, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_connection_types: Vec<String>,
    /// The account a signing key issued this user for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Always "user".
    #[serde(default, rename = "type")]
    pub claim_type: String,
    /// Always 2.
    #[serde(default)]
    pub version: u32,
}
generic_fields!(
    UserNats,
    ClaimType::User,
    KeyKind::User,
    KeyKind::Account,
    issuer_account
);

impl UserNats {
    /// A user with no limits and no permission restrictions beyond the account's defaults.
    pub fn new() -> Self {
        Self {
            subs: NO_LIMIT,
            data: NO_LIMIT,
            payload: NO_LIMIT,
            ..Self::default()
        }
    }

    /// Issued by a signing key of `account`.
    pub fn for_account(account: impl Into<String>) -> Self {
        Self {
            issuer_account: account.into(),
            ..Self::new()
        }
    }
}

/// An activation token's `nats` section: lets the subject account import
/// `subject` from the issuing account's private export.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivationNats {
    /// The subject granted (may be narrower than the export).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// Stream or service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ExportType>,
    /// The exporting account, when an account signing key issued the token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Always "activation".
    #[serde(default, rename = "type")]
    pub claim_type: String,
    /// Always 2.
    #[serde(default)]
    pub version: u32,
}
generic_fields!(
    ActivationNats,
    ClaimType::Activation,
    KeyKind::Account,
    KeyKind::Account,
    issuer_account
);

impl ActivationNats {
    /// A grant of `subject` of `kind`, issued for `exporter` by one of its signing keys.
    pub fn new(subject: impl Into<String>, kind: ExportType, exporter: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            kind: Some(kind),
            issuer_account: exporter.into(),
            ..Self::default()
        }
    }
}

/// Operator claims.
pub type OperatorClaims = Claims<OperatorNats>;
/// Account claims.
pub type AccountClaims = Claims<AccountNats>;
/// User claims.
pub type UserClaims = Claims<UserNats>;
/// Activation claims.
pub type ActivationClaims = Claims<ActivationNats>;
