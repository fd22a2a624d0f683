//! Every way a token can be wrong gets its own error kind.

#![allow(clippy::unwrap_used)]

use data_encoding::BASE64URL_NOPAD;
use natster_auth::claims::{
    AccountClaims, AccountNats, ActivationNats, Claims, ExportType, UserNats,
};
use natster_auth::jwt::{MAX_TOKEN_LEN, Verifier, decode, encode, now};
use natster_auth::keys::{KeyKind, check_public_key};
use natster_auth::{ErrorKind, KeyPair};

struct Fixture {
    op_signing: KeyPair,
    account: KeyPair,
    account_signing: KeyPair,
    account_claims: AccountClaims,
    user: KeyPair,
}

fn fixture() -> Fixture {
    let op_signing = KeyPair::new_operator();
    let account = KeyPair::new_account();
    let account_signing = KeyPair::new_account();
    let mut nats = AccountNats::new();
    nats.signing_keys
        .push(natster_auth::claims::SigningKey::Key(
            account_signing.public_key(),
        ));
    let account_claims = Claims::new(account.public_key(), nats).with_name("alice");
    let token = encode(&account_claims, &op_signing).expect("encode account");
    let account_claims = decode::<AccountNats>(&token).expect("decode account");
    Fixture {
        op_signing,
        account,
        account_signing,
        account_claims,
        user: KeyPair::new_user(),
    }
}

fn user_token(f: &Fixture, edit: impl FnOnce(&mut Claims<UserNats>)) -> String {
    let mut c = Claims::new(
        f.user.public_key(),
        UserNats::for_account(f.account.public_key()),
    );
    edit(&mut c);
    encode(&c, &f.account_signing).expect("encode user")
}

fn kind<T: std::fmt::Debug>(r: natster_auth::Result<T>) -> ErrorKind {
    r.expect_err("must be rejected").kind()
}

fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn reencode_payload(token: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let p = parts(token);
    let mut v: serde_json::Value =
        serde_json::from_slice(&BASE64URL_NOPAD.decode(p[1].as_bytes()).expect("b64"))
            .expect("json");
    edit(&mut v);
    format!(
        "{}.{}.{}",
        p[0],
        BASE64URL_NOPAD.encode(v.to_string().as_bytes()),
        p[2]
    )
}

#[test]
fn a_good_user_verifies() {
    let f = fixture();
    let t = user_token(&f, |_| {});
    let c = Verifier::for_account(&f.account_claims)
        .verify::<UserNats>(&t)
        .expect("valid");
    assert_eq!(c.iss, f.account_signing.public_key());
}

#[test]
fn unknown_signer_is_untrusted() {
    let f = fixture();
    let stranger = KeyPair::new_account();
    let c = Claims::new(
        f.user.public_key(),
        UserNats::for_account(f.account.public_key()),
    );
    let t = encode(&c, &stranger).expect("encode");
    assert_eq!(
        kind(Verifier::for_account(&f.account_claims).verify::<UserNats>(&t)),
        ErrorKind::UntrustedIssuer
    );
}

#[test]
fn tampered_payload_fails_the_signature() {
    let f = fixture();
    let t = user_token(&f, |_| {});
    let forged = reencode_payload(&t, |v| {
        v["nats"]["pub"] = serde_json::json!({"allow": [">"]})
    });
    assert_eq!(kind(decode::<UserNats>(&forged)), ErrorKind::Signature);
    let mut p = parts(&t);
    p[2] = BASE64URL_NOPAD.encode(&[7u8; 64]);
    assert_eq!(kind(decode::<UserNats>(&p.join("."))), ErrorKind::Signature);
}

#[test]
fn expiry_and_not_before() {
    let f = fixture();
    let t = user_token(&f, |c| c.exp = Some(now() - 5));
    assert_eq!(
        kind(Verifier::for_account(&f.account_claims).verify::<UserNats>(&t)),
        ErrorKind::Expired
    );
    let t = user_token(&f, |c| c.nbf = Some(now() + 3600));
    assert_eq!(
        kind(Verifier::for_account(&f.account_claims).verify::<UserNats>(&t)),
        ErrorKind::NotYetValid
    );
}

#[test]
fn other_algorithm_and_header() {
    let f = fixture();
    let t = user_token(&f, |_| {});
    let mut p = parts(&t);
    p[0] = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    assert_eq!(kind(decode::<UserNats>(&p.join("."))), ErrorKind::Algorithm);
    p[0] = BASE64URL_NOPAD.encode(br#"{"typ":"JWT","alg":"none"}"#);
    assert_eq!(kind(decode::<UserNats>(&p.join("."))), ErrorKind::Algorithm);
    p[0] = BASE64URL_NOPAD.encode(br#"{"typ":"XYZ","alg":"ed25519-nkey"}"#);
    assert_eq!(kind(decode::<UserNats>(&p.join("."))), ErrorKind::Header);
}

#[test]
fn shape_base64_json_size() {
    let f = fixture();
    let t = user_token(&f, |_| {});
    assert_eq!(kind(decode::<UserNats>("a.b")), ErrorKind::Malformed);
    assert_eq!(
        kind(decode::<UserNats>(&format!("{t}.x"))),
        ErrorKind::Malformed
    );
    let mut p = parts(&t);
    p[1].insert(3, '*');
    assert_eq!(kind(decode::<UserNats>(&p.join("."))), ErrorKind::Base64);
    let mut p = parts(&t);
    p[1] = BASE64URL_NOPAD.encode(b"{not json");
    assert_eq!(kind(decode::<UserNats>(&p.join("."))), ErrorKind::Json);
    let big = "e".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(kind(decode::<UserNats>(&big)), ErrorKind::Oversized);
}

#[test]
fn wrong_claim_type_and_version() {
    let f = fixture();
    let t = user_token(&f, |_| {});
    assert_eq!(kind(decode::<AccountNats>(&t)), ErrorKind::ClaimType);
    let v1 = encode(&f.account_claims, &f.op_signing).expect("encode");
    let forged = reencode_payload(&v1, |v| v["nats"]["version"] = 1.into());
    assert_eq!(kind(decode::<AccountNats>(&forged)), ErrorKind::Version);
}

#[test]
fn truncated_and_misprefixed_keys() {
    let f = fixture();
    let t = user_token(&f, |_| {});
    let short = reencode_payload(&t, |v| {
        let iss = v["iss"].as_str().expect("iss")[..40].to_owned();
        v["iss"] = iss.into();
    });
    assert_eq!(kind(decode::<UserNats>(&short)), ErrorKind::IssuerKey);
    let op_iss = reencode_payload(&t, |v| {
        v["iss"] = KeyPair::new_operator().public_key().into()
    });
    assert_eq!(kind(decode::<UserNats>(&op_iss)), ErrorKind::IssuerKey);
    let acct_sub = reencode_payload(&t, |v| {
        v["sub"] = KeyPair::new_account().public_key().into()
    });
    assert_eq!(kind(decode::<UserNats>(&acct_sub)), ErrorKind::SubjectKey);

    let key = f.account.public_key();
    assert_eq!(
        kind(check_public_key(&key[..55], KeyKind::Account)),
        ErrorKind::InvalidKey
    );
    assert_eq!(
        kind(check_public_key(&key, KeyKind::User)),
        ErrorKind::InvalidKey
    );
    let mut bad_crc = key.clone().into_bytes();
    bad_crc[20] = if bad_crc[20] == b'A' { b'B' } else { b'A' };
    let bad_crc = String::from_utf8(bad_crc).expect("ascii");
    assert_eq!(
        kind(check_public_key(&bad_crc, KeyKind::Account)),
        ErrorKind::InvalidKey
    );
    // Encoding refuses a subject of the wrong kind.
    let c = Claims::new(f.account.public_key(), UserNats::new());
    assert_eq!(kind(encode(&c, &f.account_signing)), ErrorKind::SubjectKey);
    // ... and a signer of the wrong kind.
    let c = Claims::new(f.user.public_key(), UserNats::new());
    assert_eq!(
        kind(encode(&c, &KeyPair::new_operator())),
        ErrorKind::IssuerKey
    );
    // ... and a public-only key.
    let public_only = KeyPair::from_public_key(&f.account.public_key()).expect("pk");
    assert_eq!(kind(encode(&c, &public_only)), ErrorKind::InvalidSeed);
}

#[test]
fn issuer_account_must_match() {
    let f = fixture();
    let missing = user_token(&f, |c| c.nats.issuer_account.clear());
    assert_eq!(
        kind(Verifier::for_account(&f.account_claims).verify::<UserNats>(&missing)),
        ErrorKind::IssuerAccount
    );
    let other = user_token(&f, |c| {
        c.nats.issuer_account = KeyPair::new_account().public_key()
    });
    assert_eq!(
        kind(Verifier::for_account(&f.account_claims).verify::<UserNats>(&other)),
        ErrorKind::IssuerAccount
    );
    // An activation signed by the identity key without issuer_account is allowed
    // by this check; the hub refuses it by policy (it demands a signing key).
    let importer = KeyPair::new_account().public_key();
    let act = Claims::new(
        importer.clone(),
        ActivationNats::new(
            format!("{importer}.natster.catalog.x.>"),
            ExportType::Service,
            f.account.public_key(),
        ),
    );
    let t = encode(&act, &f.account_signing).expect("encode activation");
    let c = Verifier::for_account(&f.account_claims)
        .verify::<ActivationNats>(&t)
        .expect("activation");
    assert_eq!(c.nats.issuer_account, f.account.public_key());
}
