//! Creds files: standard format, round trip, 0600, clear errors.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use natster_auth::claims::{Claims, UserNats};
use natster_auth::creds::Creds;
use natster_auth::jwt::encode;
use natster_auth::keys::{KeyKind, Seed};
use natster_auth::{ErrorKind, KeyPair};

fn creds() -> Creds {
    let account = KeyPair::new_account();
    let user = KeyPair::new_user();
    let jwt = encode(&Claims::new(user.public_key(), UserNats::new()), &account).expect("jwt");
    Creds::new(jwt, Seed::of(&user).expect("seed")).expect("creds")
}

#[test]
fn write_read_round_trip_with_mode_0600() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("user.creds");
    let c = creds();
    c.write(&path).expect("write");
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let back = Creds::read(&path).expect("read");
    assert_eq!(back.jwt, c.jwt);
    assert_eq!(back.seed.expose(), c.seed.expose());
    let text = std::fs::read_to_string(&path).expect("text");
    assert!(text.starts_with("-----BEGIN NATS USER JWT-----\n"));
    assert!(text.contains("-----BEGIN USER NKEY SEED-----\n"));
    // No temp file left behind.
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

#[test]
fn debug_never_shows_the_seed() {
    let c = creds();
    let shown = format!("{c:?}");
    assert!(!shown.contains(c.seed.expose()));
    assert!(shown.contains("redacted"));
}

#[test]
fn garbage_and_mismatch_are_refused() {
    assert_eq!(
        Creds::parse("hello").expect_err("garbage").kind(),
        ErrorKind::CredsFormat
    );
    let c = creds();
    let other = Seed::of(&KeyPair::new_user()).expect("seed");
    assert_eq!(
        Creds::new(c.jwt.clone(), other)
            .expect_err("mismatch")
            .kind(),
        ErrorKind::CredsFormat
    );
    let text = c.to_text().replace(c.seed.expose(), "SUNOTASEED");
    assert_eq!(
        Creds::parse(&text).expect_err("bad seed").kind(),
        ErrorKind::InvalidSeed
    );
    assert_eq!(
        Seed::parse(c.seed.expose(), KeyKind::Account)
            .expect_err("user seed as account")
            .kind(),
        ErrorKind::InvalidSeed
    );
    let missing = std::path::Path::new("/nonexistent/dir/x.creds");
    assert_eq!(
        Creds::read(missing).expect_err("missing").kind(),
        ErrorKind::Io
    );
}
