//! Encoding, decoding and verifying NATS JWTs (v2).
//!
//! Wire format: `base64url(header) . base64url(claims) . base64url(ed25519 sig)`,
//! unpadded, header `{"typ":"JWT","alg":"ed25519-nkey"}`, the signature over
//! the first two parts as text. `jti` is base32 (unpadded) of SHA-512/256 over
//! the standard claims serialized with an empty `jti`, exactly as the
//! reference Go library computes it, so our ids match its ids.

use std::time::{SystemTime, UNIX_EPOCH};

use data_encoding::{BASE32_NOPAD, BASE64URL_NOPAD};
use nkeys::KeyPair;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512_256};

use crate::claims::{Claims, Nats};
use crate::error::{Error, ErrorKind, Result};
use crate::keys::{KeyKind, check_public_key};

/// The largest token we decode. Account JWTs with hundreds of exports stay far below.
pub const MAX_TOKEN_LEN: usize = 1 << 20;

const ALG: &str = "ed25519-nkey";
const HEADER: &str = r#"{"typ":"JWT","alg":"ed25519-nkey"}"#;

#[derive(Deserialize)]
struct Header {
    typ: String,
    alg: String,
}

/// The standard claims, in the reference library's field order, for `jti`.
#[derive(Serialize)]
struct StandardClaims<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    aud: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "str::is_empty")]
    jti: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    iat: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    iss: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(skip_serializing_if = "str::is_empty")]
    sub: &'a str,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// Current unix time in seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// JSON the way Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and
/// U+2029 escaped. These only occur inside strings, so replacing them is safe.
fn go_json<T: Serialize>(v: &T) -> Result<String> {
    let s = serde_json::to_string(v)
        .map_err(|e| Error::new(ErrorKind::Json, format!("cannot serialize claims: {e}")))?;
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return Ok(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The `jti` the reference library gives these claims.
pub fn compute_jti<N>(c: &Claims<N>) -> Result<String> {
    let std = StandardClaims {
        aud: &c.aud,
        exp: c.exp,
        jti: "",
        iat: c.iat,
        iss: &c.iss,
        name: &c.name,
        nbf: c.nbf,
        sub: &c.sub,
    };
    let json = go_json(&std)?;
    Ok(BASE32_NOPAD.encode(&Sha512_256::digest(json.as_bytes())))
}

/// Signs `claims` with `signer` and returns the token.
///
/// Sets `iss` to the signer's public key, `iat` to now unless already set
/// (the hub sets it to keep account JWTs strictly increasing), `type`,
/// `version` and `jti`. Refuses a subject or signer of the wrong kind, and a
/// claim whose `issuer_account` is set but does not name an account.
pub fn encode<N: Nats>(claims: &Claims<N>, signer: &KeyPair) -> Result<String> {
    let mut c = claims.clone();
    check_public_key(&c.sub, N::SUBJECT).map_err(|e| {
        Error::new(
            ErrorKind::SubjectKey,
            format!("{} subject: {e}", N::TYPE.as_str()),
        )
    })?;
    let iss = signer.public_key();
    check_public_key(&iss, N::ISSUER).map_err(|e| {
        Error::new(
            ErrorKind::IssuerKey,
            format!("{} issuer: {e}", N::TYPE.as_str()),
        )
    })?;
    if let Some(acc) = c.nats.issuer_account() {
        check_public_key(acc, KeyKind::Account)
            .map_err(|e| Error::new(ErrorKind::IssuerAccount, format!("issuer_account: {e}")))?;
    }
    c.iss = iss;
    if c.iat == 0 {
        c.iat = now();
    }
    c.jti = String::new();
    c.jti = compute_jti(&c)?;
    c.nats.stamp();
    let payload = go_json(&c)?;
    let mut token = String::with_capacity(payload.len() * 4 / 3 + 200);
    token.push_str(&BASE64URL_NOPAD.encode(HEADER.as_bytes()));
    token.push('.');
    token.push_str(&BASE64URL_NOPAD.encode(payload.as_bytes()));
    let sig = signer
        .sign(token.as_bytes())
        .map_err(|_| Error::new(ErrorKind::InvalidSeed, "the signing key has no seed"))?;
    token.push('.');
    token.push_str(&BASE64URL_NOPAD.encode(&sig));
    Ok(token)
}

fn b64(part: &str, what: &str) -> Result<Vec<u8>> {
    BASE64URL_NOPAD
        .decode(part.as_bytes())
        .map_err(|_| Error::new(ErrorKind::Base64, format!("JWT {what} is not base64url")))
}

/// Decodes a token of claim type `N` and checks its integrity: shape, header,
/// claim type and version, key kinds of subject and issuer, and the signature
/// by the issuer's key. It does NOT decide whether the issuer is trusted or
/// the claim is in its validity window: use [`Verifier`] for that.
pub fn decode<N: Nats>(token: &str) -> Result<Claims<N>> {
    let parts = Parts::split(token)?;
    check_header(parts.header)?;
    let payload = b64(parts.payload, "payload")?;
    let sig = b64(parts.signature, "signature")?;
    let claims = claims_of::<N>(&payload)?;
    check_keys(&claims)?;
    check_signature(&claims.iss, parts.signed, &sig)?;
    Ok(claims)
}

/// A token's three parts, still base64url, and the text its signature covers.
struct Parts<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
    /// `header.payload`.
    signed: &'a str,
}

impl<'a> Parts<'a> {
    /// Refuses an oversized token before anything else reads it.
    fn split(token: &'a str) -> Result<Self> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Error::new(
                ErrorKind::Oversized,
                format!(
                    "JWT is {} bytes, more than the {MAX_TOKEN_LEN} allowed",
                    token.len()
                ),
            ));
        }
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::new(
                ErrorKind::Malformed,
                "JWT must have three dot-separated parts",
            ));
        };
        Ok(Self {
            header,
            payload,
            signature,
            signed: &token[..header.len() + 1 + payload.len()],
        })
    }
}

/// The header must say `{"typ":"JWT","alg":"ed25519-nkey"}`.
fn check_header(header: &str) -> Result<()> {
    let header: Header = serde_json::from_slice(&b64(header, "header")?)
        .map_err(|_| Error::new(ErrorKind::Json, "JWT header is not valid JSON"))?;
    if header.typ != "JWT" {
        return Err(Error::new(
            ErrorKind::Header,
            format!("JWT type {:?} is not \"JWT\"", header.typ),
        ));
    }
    if header.alg != ALG {
        return Err(Error::new(
            ErrorKind::Algorithm,
            format!(
                "JWT algorithm {:?} is not supported (only {ALG})",
                header.alg
            ),
        ));
    }
    Ok(())
}

/// The claims of type `N` in a decoded payload, of version 2.
fn claims_of<N: Nats>(payload: &[u8]) -> Result<Claims<N>> {
    // Read the type first, so a token of another type gets ClaimType, not Json.
    let probe: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|_| Error::new(ErrorKind::Json, "JWT payload is not valid JSON"))?;
    let ty = probe
        .get("nats")
        .and_then(|n| n.get("type"))
        .and_then(|t| t.as_str());
    if ty != Some(N::TYPE.as_str()) {
        return Err(Error::new(
            ErrorKind::ClaimType,
            format!(
                "expected a {} JWT, got {}",
                N::TYPE.as_str(),
                ty.unwrap_or("none")
            ),
        ));
    }
    let claims: Claims<N> = serde_json::from_value(probe).map_err(|e| {
        Error::new(
            ErrorKind::Json,
            format!("{} JWT has an invalid field: {e}", N::TYPE.as_str()),
        )
    })?;
    if claims.nats.version() != 2 {
        return Err(Error::new(
            ErrorKind::Version,
            format!(
                "JWT version {} is not supported (only 2)",
                claims.nats.version()
            ),
        ));
    }
    Ok(claims)
}

/// Issuer and subject must be keys of the kinds that claim type `N` names.
fn check_keys<N: Nats>(claims: &Claims<N>) -> Result<()> {
    check_public_key(&claims.iss, N::ISSUER)
        .map_err(|e| Error::new(ErrorKind::IssuerKey, format!("JWT issuer: {e}")))?;
    check_public_key(&claims.sub, N::SUBJECT)
        .map_err(|e| Error::new(ErrorKind::SubjectKey, format!("JWT subject: {e}")))?;
    Ok(())
}

/// `sig` must be the issuer's signature over `signed`.
fn check_signature(issuer: &str, signed: &str, sig: &[u8]) -> Result<()> {
    let issuer = KeyPair::from_public_key(issuer)
        .map_err(|_| Error::new(ErrorKind::IssuerKey, "JWT issuer is not a valid key"))?;
    issuer.verify(signed.as_bytes(), sig).map_err(|_| {
        Error::new(
            ErrorKind::Signature,
            "JWT signature does not match its issuer",
        )
    })
}

/// Decides whether a decoded claim is trusted and current.
#[derive(Debug, Clone)]
pub struct Verifier {
    trusted: Vec<String>,
    issuer_account: Option<String>,
    now: i64,
}

impl Verifier {
    /// Trusts exactly `issuers` (public keys), at the current time.
    pub fn new<I, S>(issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            trusted: issuers.into_iter().map(Into::into).collect(),
            issuer_account: None,
            now: now(),
        }
    }

    /// Trusts an account's users (or activations): the account identity key
    /// and its signing keys. A claim issued by a signing key must name the
    /// account in `issuer_account`; one issued by the identity key must not
    /// name another.
    pub fn for_account(account: &Claims<crate::claims::AccountNats>) -> Self {
        let mut keys = vec![account.sub.clone()];
        keys.extend(account.nats.signing_key_ids().map(str::to_owned));
        Self {
            trusted: keys,
            issuer_account: Some(account.sub.clone()),
            now: now(),
        }
    }

    /// Evaluates times at `now` (unix seconds) instead of the clock.
    pub fn at(mut self, now: i64) -> Self {
        self.now = now;
        self
    }

    /// Decodes `token` and checks trust and validity window.
    pub fn verify<N: Nats>(&self, token: &str) -> Result<Claims<N>> {
        let c = decode::<N>(token)?;
        self.check(&c)?;
        Ok(c)
    }

    /// Checks an already decoded claim.
    pub fn check<N: Nats>(&self, c: &Claims<N>) -> Result<()> {
        if !self.trusted.contains(&c.iss) {
            return Err(Error::new(
                ErrorKind::UntrustedIssuer,
                format!("{} JWT issuer {} is not trusted", N::TYPE.as_str(), c.iss),
            ));
        }
        if let Some(account) = &self.issuer_account {
            match c.nats.issuer_account() {
                None if c.iss != *account => {
                    return Err(Error::new(
                        ErrorKind::IssuerAccount,
                        "issued by a signing key without issuer_account",
                    ));
                }
                Some(a) if a != account => {
                    return Err(Error::new(
                        ErrorKind::IssuerAccount,
                        format!("issuer_account {a} is not {account}"),
                    ));
                }
                _ => {}
            }
        }
        if let Some(exp) = c.exp {
            if self.now > exp {
                return Err(Error::new(
                    ErrorKind::Expired,
                    format!("JWT expired at {exp}"),
                ));
            }
        }
        if let Some(nbf) = c.nbf {
            if nbf > self.now {
                return Err(Error::new(
                    ErrorKind::NotYetValid,
                    format!("JWT not valid before {nbf}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_the_three_parts_and_the_signed_text() {
        for (token, signed, signature) in [
            ("a.b.c", "a.b", "c"),
            ("  a.b.c\n", "a.b", "c"),
            ("h.p.", "h.p", ""),
            ("..", ".", ""),
        ] {
            let p = Parts::split(token).expect(token);
            assert_eq!((p.signed, p.signature), (signed, signature), "{token:?}");
        }
        for bad in ["", "a", "a.b", "a.b.c.d", "a.b.c."] {
            let kind = Parts::split(bad).err().map(|e| e.kind());
            assert_eq!(kind, Some(ErrorKind::Malformed), "{bad:?}");
        }
    }
}
