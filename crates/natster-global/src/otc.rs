//! One-time login codes: `otc.generate` by any account, `otc.claim` by the
//! web account only.
//!
//! Fixes to the original: codes are 160 bits from the OS CSPRNG (not
//! `math/rand` seeded with the second); a claim deletes the code with
//! compare-and-set, so exactly one claim of a code succeeds; the code stores
//! only the generating account's public key and a small payload, and a
//! payload shaped like an nkey seed is refused (the original stored a
//! personal access token under the code).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock;
use crate::ctx::Ctx;
use crate::error::{ApiFailure, storage};
use crate::feed;
use crate::ids;
use crate::json::to_bytes;
use natster_auth::keys::{KeyKind, check_public_key};
use natster_proto::feed::FeedEvent;
use natster_proto::global::{
    OtcClaimRequest, OtcClaimResponse, OtcGenerateRequest, OtcGenerateResponse,
};

/// Largest payload a code carries.
pub const MAX_PAYLOAD_BYTES: usize = 1024;
/// Random bytes in a code: 160 bits.
const CODE_BYTES: usize = 20;
/// Characters of a code: base32 of [`CODE_BYTES`].
const CODE_LEN: usize = 32;

/// `NATSTER_CODES` value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CodeRecord {
    account: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payload: Option<Value>,
    created_at: i64,
}

/// `otc.generate`.
pub(crate) async fn generate(
    ctx: &Ctx,
    caller: &str,
    req: OtcGenerateRequest,
) -> Result<OtcGenerateResponse, ApiFailure> {
    if let Some(payload) = &req.payload {
        let text = serde_json::to_string(payload).unwrap_or_default();
        if text.len() > MAX_PAYLOAD_BYTES {
            return Err(ApiFailure::too_large(format!(
                "the payload is {} bytes; at most {MAX_PAYLOAD_BYTES} are allowed",
                text.len()
            )));
        }
        if looks_like_seed(&text) {
            return Err(ApiFailure::bad_request(
                "the payload contains what looks like an nkey seed; never send a secret",
            ));
        }
    }
    let ttl = ctx.config.otc_ttl;
    let now = clock::now_secs();
    let record = CodeRecord {
        account: caller.to_owned(),
        payload: req.payload,
        created_at: now,
    };
    // A collision of 160 random bits does not happen; the create-only write
    // makes sure one could never hand out a code twice anyway.
    for _ in 0..3 {
        let code = ids::random_base32(CODE_BYTES)?;
        let created = ctx
            .store
            .codes
            .put_if(&code, to_bytes(&record), 0, Some(ttl))
            .await
            .map_err(|e| storage("storing the code", e))?;
        if created {
            return Ok(OtcGenerateResponse {
                claim_url: ctx
                    .config
                    .claim_url_base
                    .as_ref()
                    .map(|base| format!("{}/{code}", base.trim_end_matches('/'))),
                code,
                valid_seconds: ttl.as_secs(),
                expires_at: now + ttl.as_secs() as i64,
            });
        }
    }
    Err(ApiFailure::internal("could not allocate a code"))
}

/// `otc.claim`.
pub(crate) async fn claim(
    ctx: &Ctx,
    caller: &str,
    req: OtcClaimRequest,
) -> Result<OtcClaimResponse, ApiFailure> {
    if ctx.config.web_account.as_deref() != Some(caller) {
        return Err(ApiFailure::forbidden(
            "only the web app's account may claim codes",
        ));
    }
    let code = req.code.trim().to_ascii_lowercase();
    if code.len() != CODE_LEN
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
    {
        return Err(ApiFailure::bad_request("that is not a login code"));
    }
    if let Some(session) = &req.session {
        check_public_key(session, KeyKind::User)
            .map_err(|e| ApiFailure::bad_request(format!("session: {e}")))?;
    }
    let gone = || ApiFailure::not_found("unknown, expired or already used code");
    let codes = &ctx.store.codes;
    let (bytes, last) = match codes
        .read(&code)
        .await
        .map_err(|e| storage("reading the code", e))?
    {
        Some((Some(bytes), last)) => (bytes, last),
        _ => return Err(gone()),
    };
    let record: CodeRecord = serde_json::from_slice(&bytes).map_err(|_| gone())?;
    // Whoever deletes the code first owns the claim; everyone else sees it gone.
    let won = codes
        .remove_if(&code, last)
        .await
        .map_err(|e| storage("claiming the code", e))?;
    if !won {
        return Err(gone());
    }
    // The per-key TTL removes expired codes; this covers the moment before
    // the server gets to it.
    if record.created_at + ctx.config.otc_ttl.as_secs() as i64 <= clock::now_secs() {
        return Err(gone());
    }
    feed::send(
        &ctx.client,
        &record.account,
        &FeedEvent::LoginClaimed {
            session: req.session,
        },
    )
    .await;
    Ok(OtcClaimResponse {
        account: record.account,
        payload: record.payload,
    })
}

/// True when `text` holds something shaped like an nkey seed: `S`, a key
/// kind letter, then base32 to 58 characters.
fn looks_like_seed(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(58).any(|w| {
        w[0] == b'S'
            && matches!(w[1], b'A' | b'O' | b'U' | b'X' | b'N' | b'C' | b'P')
            && w[2..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_recognised_in_payloads() {
        let kp = KeyKind::User.generate();
        let seed = kp.seed().unwrap();
        assert!(looks_like_seed(&format!(r#"{{"x":"{seed}"}}"#)));
        assert!(!looks_like_seed(&format!(
            r#"{{"x":"{}"}}"#,
            kp.public_key()
        )));
        assert!(!looks_like_seed(r#"{"scopes":["browse","download"]}"#));
    }
}
