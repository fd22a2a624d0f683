//! Tokens issued by independent implementations decode and verify here, and
//! our `jti` matches the reference Go library's.
//!
//! - `vectors/nsc.json`: nsc output (Go `nats-io/jwt/v2`) committed in the
//!   nats.rs repository's test configs.
//! - `vectors/jwtjs.json`: issued by the JavaScript `@nats-io/jwt` 0.0.11
//!   (npm) with `vectors/generate.mjs`.

#![allow(clippy::unwrap_used)]

use natster_auth::ErrorKind;
use natster_auth::claims::{
    AccountNats, ActivationNats, ExportType, OperatorNats, ResponseType, UserNats,
};
use natster_auth::jwt::{Verifier, compute_jti, decode};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).expect("json")
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .expect("string field")
}

#[test]
fn nsc_tokens_verify_and_jti_matches_go() {
    let v = load("nsc.json");
    let op = decode::<OperatorNats>(s(&v, &["operator"])).expect("operator");
    assert_eq!(op.iss, op.sub, "operator JWTs are self-signed");
    assert_eq!(op.name, "TestOperator");
    assert_eq!(
        op.nats.system_account,
        "ABREJNYASWGS2A5EVXPVXGGCOK2LJXT7KZNYBBZAXUTUBI2VSMAV7DHN"
    );
    assert_eq!(compute_jti(&op).expect("jti"), op.jti);

    let trust = Verifier::new([op.sub.clone()]).at(op.iat);
    let mut seen = 0;
    for (key, token) in v["accounts"].as_object().expect("accounts") {
        let acc = trust
            .verify::<AccountNats>(token.as_str().expect("token"))
            .expect("account");
        assert_eq!(&acc.sub, key);
        assert_eq!(
            compute_jti(&acc).expect("jti"),
            acc.jti,
            "jti of {}",
            acc.name
        );
        seen += 1;
    }
    assert_eq!(seen, 2);

    // The SYS account's exports use an account token position and `\u003e`.
    let sys = decode::<AccountNats>(s(
        &v,
        &[
            "accounts",
            "ABREJNYASWGS2A5EVXPVXGGCOK2LJXT7KZNYBBZAXUTUBI2VSMAV7DHN",
        ],
    ))
    .expect("sys");
    assert_eq!(sys.nats.exports[0].subject, "$SYS.ACCOUNT.*.>");
    assert_eq!(sys.nats.exports[0].account_token_position, 3);
    assert_eq!(
        sys.nats.exports[1].response_type,
        Some(ResponseType::Stream)
    );
    assert_eq!(sys.nats.limits.conn, -1);
    assert!(sys.nats.limits.wildcards);

    let test_acc = decode::<AccountNats>(s(
        &v,
        &[
            "accounts",
            "ADTQS7ZCFVJNW5726GOYXW5TSCZFNIQSHK2ZGYUBCD5D77OTNLOOKZOZ",
        ],
    ))
    .expect("test account");
    let user = Verifier::for_account(&test_acc)
        .at(test_acc.iat)
        .verify::<UserNats>(s(&v, &["user"]))
        .expect("user issued by the account identity key");
    assert_eq!(user.name, "TestUser");
    assert_eq!(user.nats.subs, -1);
    assert_eq!(compute_jti(&user).expect("jti"), user.jti);
}

#[test]
fn jwtjs_tokens_verify() {
    let v = load("jwtjs.json");
    let k = |name: &str| s(&v, &["keys", name]).to_owned();
    let at = v["generated_at"].as_i64().expect("time");

    let op = decode::<OperatorNats>(s(&v, &["tokens", "operator"])).expect("operator");
    assert!(op.nats.strict_signing_key_usage);
    assert_eq!(op.nats.signing_keys, vec![k("operator_signing")]);
    assert_eq!(op.nats.system_account, k("system"));

    let acc = Verifier::new([k("operator_signing")])
        .at(at)
        .verify::<AccountNats>(s(&v, &["tokens", "account"]))
        .expect("account");
    assert_eq!(acc.sub, k("alice"));
    assert_eq!(
        acc.nats.signing_key_ids().collect::<Vec<_>>(),
        vec![k("alice_signing")]
    );
    let catalog = &acc.nats.exports[0];
    assert!(catalog.token_req);
    assert_eq!(catalog.kind, ExportType::Service);
    assert_eq!(catalog.account_token_position, 0);
    assert_eq!(catalog.revocations.get(&k("bob")), Some(&(at - 10)));
    assert_eq!(acc.nats.imports[0].account, k("system"));
    // Under strict signing, the operator identity key is not a trusted account issuer.
    let strict = Verifier::new([k("operator")])
        .at(at)
        .verify::<AccountNats>(s(&v, &["tokens", "account"]));
    assert_eq!(
        strict.map(|_| ()).unwrap_err().kind(),
        ErrorKind::UntrustedIssuer
    );

    let user = Verifier::for_account(&acc)
        .at(at)
        .verify::<UserNats>(s(&v, &["tokens", "user"]))
        .expect("user");
    assert_eq!(user.nats.issuer_account, k("alice"));
    assert_eq!(user.nats.publish.deny, vec!["$SYS.>".to_owned()]);
    assert_eq!(user.nats.resp.as_ref().map(|r| r.ttl), Some(5_000_000_000));
    let expired = Verifier::for_account(&acc)
        .at(user.exp.expect("exp") + 1)
        .verify::<UserNats>(s(&v, &["tokens", "user"]));
    assert_eq!(expired.map(|_| ()).unwrap_err().kind(), ErrorKind::Expired);

    let act = Verifier::for_account(&acc)
        .at(at)
        .verify::<ActivationNats>(s(&v, &["tokens", "activation"]))
        .expect("activation");
    assert_eq!(act.sub, k("bob"));
    assert_eq!(act.nats.kind, Some(ExportType::Service));
    assert!(
        act.nats
            .subject
            .starts_with(&format!("{}.natster.catalog.{}.", k("bob"), k("alice")))
    );
}
