//! Signing and checking transfer offers.
//!
//! The catalog server signs the offer with its NATS user key and sends that
//! user's JWT along. The receiver trusts the offer only if the JWT was
//! issued by the owner's account (its identity key, or a signing key listed
//! in the owner's account JWT with `issuer_account` = owner), is current,
//! is not revoked in the account JWT, and the signature over the exact offer
//! bytes is by that user's key. A relay between the two can still drop
//! messages, but it cannot substitute its own one-time key.

use natster_auth::KeyPair;
use natster_auth::claims::{AccountClaims, UserNats};
use natster_auth::jwt::Verifier;

use crate::error::{Error, Result};
use natster_proto::catalog::{DownloadResponse, Offer};

/// Signs `offer` with the server's user key.
pub fn sign(offer: &Offer, signer: &KeyPair, signer_jwt: &str) -> Result<DownloadResponse> {
    let text = serde_json::to_string(offer).map_err(|e| Error::json("offer", e))?;
    let sig = signer
        .sign(text.as_bytes())
        .map_err(|_| Error::Crypto("the catalog server's key cannot sign (no seed)".into()))?;
    Ok(DownloadResponse {
        offer: text,
        signature: data_encoding::BASE64URL_NOPAD.encode(&sig),
        signer_jwt: signer_jwt.to_owned(),
    })
}

/// Checks the signer's chain to `owner` and the signature, then parses the offer.
pub fn verify(resp: &DownloadResponse, owner: &AccountClaims) -> Result<Offer> {
    let user = Verifier::for_account(owner)
        .verify::<UserNats>(&resp.signer_jwt)
        .map_err(|e| {
            Error::Untrusted(format!(
                "the signer's JWT is not from the owner's account: {e}"
            ))
        })?;
    let revoked_at = owner
        .nats
        .revocations
        .get(&user.sub)
        .or_else(|| owner.nats.revocations.get("*"));
    if let Some(t) = revoked_at {
        if user.iat <= *t {
            return Err(Error::Untrusted(format!(
                "the signer {} is revoked by the owner",
                user.sub
            )));
        }
    }
    let key = KeyPair::from_public_key(&user.sub)
        .map_err(|_| Error::Untrusted("the signer's JWT names an invalid key".into()))?;
    let sig = data_encoding::BASE64URL_NOPAD
        .decode(resp.signature.as_bytes())
        .map_err(|_| Error::Untrusted("the offer signature is not base64url".into()))?;
    key.verify(resp.offer.as_bytes(), &sig)
        .map_err(|_| Error::Untrusted("the offer signature does not match its signer".into()))?;
    serde_json::from_str(&resp.offer).map_err(|e| Error::json("offer", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use natster_auth::claims::{AccountNats, Claims, SigningKey};
    use natster_auth::jwt::encode;
    use natster_auth::keys::KeyKind;

    fn offer() -> Offer {
        Offer {
            version: 1,
            transfer_id: "00".repeat(16),
            owner: "A".into(),
            catalog: "c".into(),
            caller: "B".into(),
            hash: "0".repeat(64),
            size: 1,
            offset: 0,
            length: 1,
            chunk_size: 1,
            total_chunks: 1,
            window: 1,
            sender_pub: "s".into(),
            receiver_pub: "r".into(),
            media_subject: "m".into(),
            expires: 0,
        }
    }

    struct Owner {
        claims: AccountClaims,
        signing: KeyPair,
    }

    fn owner() -> Owner {
        let identity = KeyKind::Account.generate();
        let signing = KeyKind::Account.generate();
        let mut nats = AccountNats::new();
        nats.signing_keys
            .push(SigningKey::Key(signing.public_key()));
        let mut claims = Claims::new(identity.public_key(), nats);
        claims.iss = KeyKind::Operator.generate().public_key();
        Owner { claims, signing }
    }

    fn user_of(owner: &Owner, signer: &KeyPair) -> (KeyPair, String) {
        let u = KeyKind::User.generate();
        let c = Claims::new(
            u.public_key(),
            UserNats::for_account(owner.claims.sub.clone()),
        );
        (u.clone(), encode(&c, signer).unwrap())
    }

    #[test]
    fn a_good_offer_verifies() {
        let o = owner();
        let (u, jwt) = user_of(&o, &o.signing);
        let resp = sign(&offer(), &u, &jwt).unwrap();
        assert_eq!(verify(&resp, &o.claims).unwrap(), offer());
    }

    #[test]
    fn forgeries_are_refused() {
        let o = owner();
        let (u, jwt) = user_of(&o, &o.signing);
        // Signed by another key than the JWT's subject.
        let mut r = sign(&offer(), &KeyKind::User.generate(), &jwt).unwrap();
        assert!(matches!(verify(&r, &o.claims), Err(Error::Untrusted(_))));
        // A JWT from a signing key the owner does not list.
        let (u2, jwt2) = user_of(&o, &KeyKind::Account.generate());
        r = sign(&offer(), &u2, &jwt2).unwrap();
        assert!(matches!(verify(&r, &o.claims), Err(Error::Untrusted(_))));
        // The offer edited after signing (a relay swapping the sender key).
        r = sign(&offer(), &u, &jwt).unwrap();
        r.offer = r
            .offer
            .replace("\"sender_pub\":\"s\"", "\"sender_pub\":\"t\"");
        assert!(matches!(verify(&r, &o.claims), Err(Error::Untrusted(_))));
        // A revoked signer.
        let mut revoked = o.claims.clone();
        revoked
            .nats
            .revocations
            .insert(u.public_key(), natster_auth::jwt::now() + 10);
        r = sign(&offer(), &u, &jwt).unwrap();
        assert!(matches!(verify(&r, &revoked), Err(Error::Untrusted(_))));
    }
}
