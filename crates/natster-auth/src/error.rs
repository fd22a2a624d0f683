//! Typed errors: callers match on [`ErrorKind`], people read the message.

use std::fmt;

/// What went wrong, precisely enough for a caller to act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The token is longer than [`crate::jwt::MAX_TOKEN_LEN`].
    Oversized,
    /// The token is not three dot-separated parts.
    Malformed,
    /// A part is not unpadded base64url.
    Base64,
    /// A part is not the JSON we expect.
    Json,
    /// The header's `typ` is not `JWT`.
    Header,
    /// The header's `alg` is not `ed25519-nkey`.
    Algorithm,
    /// The claim is of another type than the one asked for.
    ClaimType,
    /// The claim's version is not 2.
    Version,
    /// The issuer is not a valid public key of an allowed kind.
    IssuerKey,
    /// The subject is not a valid public key of the kind the claim needs.
    SubjectKey,
    /// The signature does not match the issuer's key.
    Signature,
    /// The issuer is a valid key but none that the verifier trusts.
    UntrustedIssuer,
    /// `issuer_account` is missing, not an account key, or does not match.
    IssuerAccount,
    /// `exp` is in the past.
    Expired,
    /// `nbf` is in the future.
    NotYetValid,
    /// A public key string is truncated, mis-prefixed or fails its checksum.
    InvalidKey,
    /// A seed string is invalid, or a key that must sign has no seed.
    InvalidSeed,
    /// A creds file is not in the standard NATS format.
    CredsFormat,
    /// Reading or writing a file failed.
    Io,
}

/// An error from this crate: a kind and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    detail: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Error {}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
