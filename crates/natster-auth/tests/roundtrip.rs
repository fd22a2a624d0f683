//! Property tests: whatever we encode decodes to the same claims, and the
//! signature covers every field.

#![allow(clippy::unwrap_used)]

use natster_auth::claims::{AccountNats, Claims, Export, ExportType, Import, SigningKey, UserNats};
use natster_auth::jwt::{compute_jti, decode, encode};
use natster_auth::{ErrorKind, KeyPair};
use proptest::prelude::*;

fn subject() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z0-9_-]{1,12}|\\*", 1..6)
        .prop_map(|t| t.join("."))
        .prop_flat_map(|s| prop_oneof![Just(s.clone()), Just(format!("{s}.>"))])
}

fn text() -> impl Strategy<Value = String> {
    // Includes the characters Go escapes, and non-ASCII.
    "[ -~]{0,24}|[<>&\u{2028}é日本]{0,6}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn account_round_trips(
        name in text(),
        exp in prop::option::of(1i64..4_000_000_000),
        exports in prop::collection::vec((text(), subject(), any::<bool>(), any::<bool>(), 0u32..4), 0..5),
        imports in prop::collection::vec((text(), subject(), any::<bool>()), 0..5),
        revoked in prop::collection::btree_map("[A-Z]{4}", 1i64..4_000_000_000, 0..3),
        signing in 0usize..3,
    ) {
        let op = KeyPair::new_operator();
        let account = KeyPair::new_account();
        let mut nats = AccountNats::new();
        for (n, s, service, token_req, pos) in exports {
            let mut e = Export::new(n, s, if service { ExportType::Service } else { ExportType::Stream });
            e.token_req = token_req;
            e.account_token_position = pos;
            e.revocations = revoked.clone();
            nats.exports.push(e);
        }
        let other = KeyPair::new_account().public_key();
        for (n, s, service) in imports {
            let mut i = Import::new(n, s, other.clone(), if service { ExportType::Service } else { ExportType::Stream });
            i.token = "tok".into();
            nats.imports.push(i);
        }
        for _ in 0..signing {
            nats.signing_keys.push(SigningKey::Key(KeyPair::new_account().public_key()));
        }
        nats.limits.disk_storage = 1 << 30;
        let mut claims = Claims::new(account.public_key(), nats).with_name(name);
        claims.exp = exp;
        let token = encode(&claims, &op).unwrap();
        let back = decode::<AccountNats>(&token).unwrap();
        prop_assert_eq!(&back.iss, &op.public_key());
        prop_assert_eq!(&back.jti, &compute_jti(&back).unwrap());
        prop_assert_eq!(back.nats.claim_type.as_str(), "account");
        prop_assert_eq!(back.nats.version, 2);
        let mut expected = claims.clone();
        expected.iss = back.iss.clone();
        expected.iat = back.iat;
        expected.jti = back.jti.clone();
        expected.nats.claim_type = "account".into();
        expected.nats.version = 2;
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn user_round_trips_and_any_byte_flip_is_caught(
        allow in prop::collection::vec(subject(), 0..4),
        deny in prop::collection::vec(subject(), 0..4),
        flip in any::<prop::sample::Index>(),
    ) {
        let account = KeyPair::new_account();
        let signing = KeyPair::new_account();
        let user = KeyPair::new_user();
        let mut nats = UserNats::for_account(account.public_key());
        nats.publish.allow = allow;
        nats.subscribe.deny = deny;
        let claims = Claims::new(user.public_key(), nats);
        let token = encode(&claims, &signing).unwrap();
        let back = decode::<UserNats>(&token).unwrap();
        prop_assert_eq!(&back.nats.publish, &claims.nats.publish);
        prop_assert_eq!(&back.nats.subscribe, &claims.nats.subscribe);
        prop_assert_eq!(back.nats.issuer_account.clone(), account.public_key());

        // Change one character of header or payload to another base64url
        // character: the token must not decode as valid.
        let signed_len = token.rfind('.').unwrap();
        let i = flip.index(signed_len);
        let mut bytes = token.clone().into_bytes();
        if bytes[i] != b'.' {
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap();
            let r = decode::<UserNats>(&forged);
            prop_assert!(r.is_err(), "a flipped byte at {} still decoded", i);
            let _kind: ErrorKind = r.unwrap_err().kind();
        }
    }
}
