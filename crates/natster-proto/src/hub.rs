//! The hub's API: registration over HTTP, account changes over NATS.

use serde::{Deserialize, Serialize};

use crate::request::{Hub, bind};
use crate::subjects::hub_ops;

/// `GET /api/v1/nonce`: a single-use nonce to sign for registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceResponse {
    /// Random, base64url; sign its UTF-8 bytes with the account identity key.
    pub nonce: String,
    /// Seconds it stays valid.
    pub expires_in: u64,
}

/// `POST /api/v1/register`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    /// Account identity public key (`A...`).
    pub account: String,
    /// Account signing public key (`A...`), different from the identity key.
    pub signing_key: String,
    /// Display name.
    pub name: String,
    /// The nonce from `/api/v1/nonce`.
    pub nonce: String,
    /// base64url Ed25519 signature of the nonce by the identity key.
    pub signature: String,
    /// Invite code, when the hub is invite-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// Public keys of the accounts every Natster account works with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WellKnown {
    /// The system account.
    pub system: String,
    /// The hub's control-plane account.
    pub hub: String,
    /// The global service's account.
    pub global: String,
    /// The web app's account.
    pub web: String,
}

/// What a client needs to reach the hub and its NATS.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubInfo {
    /// The hub's HTTP URL.
    pub hub_url: String,
    /// NATS client URLs.
    pub nats_urls: Vec<String>,
    /// NATS websocket URLs.
    pub websocket_urls: Vec<String>,
    /// The operator's identity public key.
    pub operator: String,
    /// The operator's signing keys.
    pub operator_signing_keys: Vec<String>,
    /// Well-known accounts.
    pub accounts: WellKnown,
}

/// `GET /api/v1/info` data: where to connect, and the operator JWT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoResponse {
    /// Hub info.
    #[serde(flatten)]
    pub info: HubInfo,
    /// The operator JWT (self-signed).
    pub operator_jwt: String,
}

/// `POST /api/v1/register` success data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// The operator JWT (self-signed).
    pub operator_jwt: String,
    /// The new account's JWT, signed by an operator signing key.
    pub account_jwt: String,
    /// Where to connect.
    pub hub: HubInfo,
}

/// `exports.add`: add a catalog's pair of exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportAddRequest {
    /// The catalog name.
    pub catalog: String,
}

/// `exports.remove`: remove a catalog's pair of exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRemoveRequest {
    /// The catalog name.
    pub catalog: String,
}

/// `account.get`: the caller's account JWT. No fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountGetRequest {}

/// `exports.revoke`: cut `account` off `catalog` now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeRequest {
    /// The catalog name.
    pub catalog: String,
    /// The importer's account key.
    pub account: String,
}

/// `imports.add`: import `owner`'s `catalog` with its activation tokens.
/// Empty tokens mean "the ones the owner deposited for me" (`exports.grant`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportAddRequest {
    /// Owner's account key.
    pub owner: String,
    /// Catalog name.
    pub catalog: String,
    /// Activation for the catalog service.
    #[serde(default)]
    pub service_token: String,
    /// Activation for the media stream.
    #[serde(default)]
    pub stream_token: String,
}

/// `exports.grant`: the owner deposits activation tokens for `account`, so
/// that account can import `catalog` later, even while the owner is offline.
/// The hub checks them exactly as it would on import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRequest {
    /// The owner's catalog.
    pub catalog: String,
    /// The account it is shared with.
    pub account: String,
    /// Activation for the catalog service.
    pub service_token: String,
    /// Activation for the media stream.
    pub stream_token: String,
}

/// `imports.remove`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRemoveRequest {
    /// Owner's account key.
    pub owner: String,
    /// Catalog name.
    pub catalog: String,
}

/// `users.revoke`: refuse a user of the caller's account from now on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRevokeRequest {
    /// The user's public key (`U...`).
    pub user: String,
}

/// Success data of every account change: the account JWT now in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountJwtResponse {
    /// The account JWT.
    pub jwt: String,
}

// Every change answers with the account JWT now in force.
bind!(Hub:
    AccountGetRequest => hub_ops::ACCOUNT_GET, AccountJwtResponse;
    ExportAddRequest => hub_ops::EXPORT_ADD, AccountJwtResponse;
    ExportRemoveRequest => hub_ops::EXPORT_REMOVE, AccountJwtResponse;
    RevokeRequest => hub_ops::EXPORT_REVOKE, AccountJwtResponse;
    GrantRequest => hub_ops::EXPORT_GRANT, AccountJwtResponse;
    ImportAddRequest => hub_ops::IMPORT_ADD, AccountJwtResponse;
    ImportRemoveRequest => hub_ops::IMPORT_REMOVE, AccountJwtResponse;
    UserRevokeRequest => hub_ops::USER_REVOKE, AccountJwtResponse;
);
