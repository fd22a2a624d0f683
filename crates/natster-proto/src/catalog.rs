//! The catalog server's wire types: requests and replies on
//! `<caller>.natster.catalog.<owner>.<catalog>.<op>`, the signed transfer
//! offer, credit grants and heartbeats. JSON, wrapped in
//! [`crate::ApiResponse`] where there is a reply.
//!
//! The catalog server, its clients (CLI, web app) and the tests share
//! these. The binary chunk frames on the media subject are in
//! `natster_catalog::transfer::crypto`; `PROTOCOL.md` in natster-catalog
//! describes the whole exchange.

use serde::{Deserialize, Serialize};

use crate::request::{CatalogServer, bind};

/// `get`: the catalog's contents. The request body is empty (or `{}`).
pub const OP_GET: &str = "get";
/// `download`: ask for a transfer; body [`DownloadRequest`], reply [`DownloadResponse`].
pub const OP_DOWNLOAD: &str = "download";
/// `credit.<transfer_id>`: the receiver's flow-control grants, body [`Credit`]. Published
/// without a reply subject: the latest grant supersedes the earlier ones.
pub const OP_CREDIT: &str = "credit";
/// `access`: who may read the catalog; owner only. Body `{}`, reply [`AccessResponse`].
pub const OP_ACCESS: &str = "access";
/// `share`: share the catalog with an account; owner only. Body [`ShareRequest`],
/// reply [`ShareResponse`]. A web session's credential denies this subject unless
/// the person logged in with `--allow-sharing`.
pub const OP_SHARE: &str = "share";
/// `unshare`: take a share back; owner only. Body [`UnshareRequest`], reply
/// [`UnshareResponse`]. Denied to web sessions like `share`.
pub const OP_UNSHARE: &str = "unshare";
/// The owner-only operations: only the owner's own users reach them.
pub const OWNER_OPS: [&str; 3] = [OP_ACCESS, OP_SHARE, OP_UNSHARE];

/// Version of the transfer protocol in offers and chunk frames.
pub const PROTOCOL_VERSION: u8 = 1;

/// The `get` reply: what a reader sees of a catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogSummary {
    /// Catalog name.
    pub name: String,
    /// The owner's account key.
    pub owner: String,
    /// Free text.
    pub description: String,
    /// Picture for the web app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Grows by one with every change.
    pub revision: u64,
    /// Unix seconds of the last change.
    pub last_modified: i64,
    /// The files.
    pub entries: Vec<EntrySummary>,
}

/// One file as a reader sees it (no local paths beyond the relative one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySummary {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Free text.
    pub description: String,
    /// MIME type.
    pub mime_type: String,
    /// SHA-256, lowercase hex: the id to download by.
    pub hash: String,
    /// Size in bytes.
    pub byte_size: u64,
}

/// `download` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadRequest {
    /// SHA-256 of the entry, lowercase hex.
    pub hash: String,
    /// The receiver's one-time X25519 public key, base64url without padding.
    pub receiver_pub: String,
    /// First byte wanted.
    #[serde(default)]
    pub offset: u64,
    /// Bytes wanted from `offset`; absent: to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Preferred chunk size; the server clamps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_size: Option<u32>,
}

/// `download` reply: the offer exactly as signed, its signature, and the
/// JWT of the user key that signed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadResponse {
    /// [`Offer`] as JSON text; the signature covers these bytes.
    pub offer: String,
    /// Ed25519 signature over `offer` by the catalog server's user key, base64url.
    pub signature: String,
    /// The catalog server's user JWT, issued by the owner's account.
    pub signer_jwt: String,
}

/// What the sender commits to for one transfer. Signed, so that a relay
/// cannot swap `sender_pub` (to read the chunks) or `receiver_pub`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// [`PROTOCOL_VERSION`].
    pub version: u8,
    /// Random 128 bits, lowercase hex; names the media subject and keys the AEAD.
    pub transfer_id: String,
    /// The owner's account key.
    pub owner: String,
    /// Catalog name.
    pub catalog: String,
    /// The caller's account key, as the server established it.
    pub caller: String,
    /// SHA-256 of the whole file.
    pub hash: String,
    /// Size of the whole file.
    pub size: u64,
    /// First byte sent.
    pub offset: u64,
    /// Bytes sent.
    pub length: u64,
    /// Plaintext bytes per chunk (the last may be shorter; a zero-length range is one empty chunk).
    pub chunk_size: u32,
    /// Number of chunks, at least one.
    pub total_chunks: u64,
    /// Chunks the sender may have in flight before the first credit beyond it.
    pub window: u32,
    /// The sender's one-time X25519 public key, base64url.
    pub sender_pub: String,
    /// The receiver's key, echoed.
    pub receiver_pub: String,
    /// Where the chunks go: `<caller>.natster.media.<owner>.<catalog>.<transfer_id>`.
    pub media_subject: String,
    /// Unix seconds by which the first credit must arrive.
    pub expires: i64,
}

/// A flow-control grant: the sender may publish chunks with index `< granted`.
/// Cumulative, so a lost grant is repaired by the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Chunks the sender may have published in total.
    pub granted: u64,
    /// The receiver has given up (failed, or its caller went away): stop
    /// now instead of waiting out the credit timeout, and free the slot.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop: bool,
}

/// A catalog server's liveness message (heartbeat, and the offline announcement).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Catalog name.
    pub catalog: String,
    /// The owner's account key.
    pub account_key: String,
    /// The catalog's revision.
    pub revision: u64,
    /// Unix seconds of the catalog's last change.
    pub last_modified: i64,
    /// False in the announcement sent on clean shutdown.
    pub online: bool,
}

/// One account that may read a catalog, as `access` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// The account key.
    pub account: String,
    /// The account's name as its owner registered it (from its account
    /// JWT), when known. Chosen by that person: display it as text only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the share ends (unix seconds); `None`: until unshared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// `access` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessResponse {
    /// The catalog.
    pub catalog: String,
    /// Who may read it, besides the owner.
    pub shares: Vec<AccessEntry>,
}

/// `share` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// The account to share with (`A...`).
    pub account: String,
    /// End the share after this long, written as the CLI's `--expires`
    /// (`90s`, `1h`, `7d`); absent: until unshared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// `share` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareResponse {
    /// The catalog.
    pub catalog: String,
    /// The account it is now shared with.
    pub account: String,
    /// When the share ends (unix seconds), if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Whether the global service recorded it (the target's inbox and
    /// feed). The share works either way.
    pub recorded: bool,
}

/// `unshare` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnshareRequest {
    /// The account to take the catalog back from.
    pub account: String,
}

/// `unshare` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnshareResponse {
    /// The catalog.
    pub catalog: String,
    /// The account that lost it.
    pub account: String,
    /// Transfers in flight to that account that were stopped.
    pub transfers_stopped: usize,
    /// Whether the global service recorded it.
    pub recorded: bool,
}

/// `get` request: no fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetRequest {}

/// `access` request: no fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {}

bind!(CatalogServer:
    GetRequest => OP_GET, CatalogSummary;
    DownloadRequest => OP_DOWNLOAD, DownloadResponse;
    AccessRequest => OP_ACCESS, AccessResponse;
    ShareRequest => OP_SHARE, ShareResponse;
    UnshareRequest => OP_UNSHARE, UnshareResponse;
);
