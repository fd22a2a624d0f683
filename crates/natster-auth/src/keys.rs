//! Key kinds, public-key validation and seeds that never print.

use std::fmt;

use nkeys::{KeyPair, KeyPairType};

use crate::error::{Error, ErrorKind, Result};

/// The kinds of nkey Natster uses; the first letter of a public key names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// `O...`: the hub's operator identity and signing keys.
    Operator,
    /// `A...`: an account identity or account signing key.
    Account,
    /// `U...`: a user (one connection's identity).
    User,
    /// `X...`: a curve (X25519) key for sealing.
    Curve,
}

impl KeyKind {
    /// The letter that starts a public key of this kind.
    pub fn prefix(self) -> char {
        match self {
            KeyKind::Operator => 'O',
            KeyKind::Account => 'A',
            KeyKind::User => 'U',
            KeyKind::Curve => 'X',
        }
    }

    fn matches(self, t: &KeyPairType) -> bool {
        matches!(
            (self, t),
            (KeyKind::Operator, KeyPairType::Operator)
                | (KeyKind::Account, KeyPairType::Account)
                | (KeyKind::User, KeyPairType::User)
                | (KeyKind::Curve, KeyPairType::Curve)
        )
    }

    /// A fresh random key pair of this kind (signing kinds only; curve keys
    /// come from [`nkeys::XKey`]).
    pub fn generate(self) -> KeyPair {
        match self {
            KeyKind::Operator => KeyPair::new_operator(),
            KeyKind::Account => KeyPair::new_account(),
            KeyKind::User => KeyPair::new_user(),
            KeyKind::Curve => KeyPair::new(KeyPairType::Curve),
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Operator => "operator",
            KeyKind::Account => "account",
            KeyKind::User => "user",
            KeyKind::Curve => "curve",
        })
    }
}

/// Length of an encoded nkey public key.
pub const PUBLIC_KEY_LEN: usize = 56;

/// Checks that `key` is a well-formed public key of `kind`: length, prefix,
/// base32 and CRC-16 checksum. Returns a clear error naming what is wrong.
pub fn check_public_key(key: &str, kind: KeyKind) -> Result<()> {
    if key.len() != PUBLIC_KEY_LEN {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            format!(
                "invalid {kind} public key: expected {PUBLIC_KEY_LEN} characters, got {}",
                key.len()
            ),
        ));
    }
    if !key.starts_with(kind.prefix()) {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            format!(
                "invalid {kind} public key: it must start with '{}'",
                kind.prefix()
            ),
        ));
    }
    let kp = KeyPair::from_public_key(key).map_err(|e| {
        Error::new(
            ErrorKind::InvalidKey,
            format!("invalid {kind} public key: {e}"),
        )
    })?;
    if !kind.matches(&kp.key_pair_type()) {
        return Err(Error::new(
            ErrorKind::InvalidKey,
            format!("invalid {kind} public key: wrong kind of key"),
        ));
    }
    Ok(())
}

/// The kind of a valid public key, if it is one of ours.
pub fn kind_of(key: &str) -> Option<KeyKind> {
    [
        KeyKind::Operator,
        KeyKind::Account,
        KeyKind::User,
        KeyKind::Curve,
    ]
    .into_iter()
    .find(|k| check_public_key(key, *k).is_ok())
}

/// An nkey seed (`S...`). Its `Debug` and `Display` never show it, and its
/// bytes are overwritten when it is dropped.
pub struct Seed(Vec<u8>);

impl Seed {
    /// Wraps a seed string after checking that it decodes to a key of `kind`.
    pub fn parse(seed: &str, kind: KeyKind) -> Result<Self> {
        let kp = KeyPair::from_seed(seed.trim())
            .map_err(|_| Error::new(ErrorKind::InvalidSeed, format!("not a valid {kind} seed")))?;
        if !kind.matches(&kp.key_pair_type()) {
            return Err(Error::new(
                ErrorKind::InvalidSeed,
                format!("not a {kind} seed"),
            ));
        }
        Ok(Self(seed.trim().as_bytes().to_vec()))
    }

    /// The seed of a key pair that has one.
    pub fn of(kp: &KeyPair) -> Result<Self> {
        let s = kp
            .seed()
            .map_err(|_| Error::new(ErrorKind::InvalidSeed, "this key has no seed"))?;
        Ok(Self(s.into_bytes()))
    }

    /// The key pair this seed encodes.
    pub fn key_pair(&self) -> Result<KeyPair> {
        KeyPair::from_seed(self.expose())
            .map_err(|_| Error::new(ErrorKind::InvalidSeed, "not a valid seed"))
    }

    /// The seed text, for writing to a 0600 file or signing. Never log it.
    pub fn expose(&self) -> &str {
        // Constructed only from valid (ASCII base32) seed strings.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Clone for Seed {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            *b = 0;
        }
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}
