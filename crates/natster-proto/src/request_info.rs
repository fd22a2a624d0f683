//! Who sent a request: the `Nats-Request-Info` header, which every
//! authorization decision in Natster rests on.
//!
//! nats-server writes `Nats-Request-Info: {"acc": "<caller's account>", ...}`
//! on every service request that crossed an import, overwriting any header
//! of that name the sender set. Natster's subjects also carry the caller's
//! account in token 1, which nats-server pins (by the export's account
//! token position or the activation token's subject). The two must agree;
//! a request without the header was published inside the responder's own
//! account. This module is the one reader of the header: pure, bounded,
//! and tested against hostile values.

use serde::Deserialize;

/// The header's name.
pub const HEADER: &str = "Nats-Request-Info";

/// Longest header value read; nats-server writes about 150 bytes.
pub const MAX_LEN: usize = 4096;

/// What Natster reads of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestInfo {
    /// The calling account's public key.
    pub acc: String,
}

/// Why a header or a caller was refused. Every case is a 403 to the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallerError {
    /// The header is longer than [`MAX_LEN`].
    TooLong,
    /// The header is not a JSON object with a string `acc`.
    Unreadable,
    /// `acc` is not shaped like an account public key.
    NotAnAccount,
    /// The subject has no caller token, or it is not an account key.
    NoToken,
    /// The header's account is not the subject's token 1.
    Mismatch {
        /// The account nats-server says sent it.
        acc: String,
        /// The account the subject claims.
        token: String,
    },
}

impl std::fmt::Display for CallerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallerError::TooLong => write!(f, "{HEADER} longer than {MAX_LEN} bytes"),
            CallerError::Unreadable => write!(f, "unreadable {HEADER}"),
            CallerError::NotAnAccount => write!(f, "{HEADER} names no account"),
            CallerError::NoToken => f.write_str("the subject names no caller account"),
            CallerError::Mismatch { acc, token } => {
                write!(f, "account {acc} may not call as {token}")
            }
        }
    }
}

impl std::error::Error for CallerError {}

/// Whether `s` is shaped like an account public key: 56 characters of
/// base32, starting with `A`. (natster-auth checks the checksum too; here
/// the shape is enough to refuse junk before comparing.)
pub fn is_account_key(s: &str) -> bool {
    s.len() == 56
        && s.starts_with('A')
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// Parses the header's value.
pub fn parse(value: &str) -> Result<RequestInfo, CallerError> {
    #[derive(Deserialize)]
    struct Raw {
        acc: String,
    }
    if value.len() > MAX_LEN {
        return Err(CallerError::TooLong);
    }
    let raw: Raw = serde_json::from_str(value).map_err(|_| CallerError::Unreadable)?;
    if !is_account_key(&raw.acc) {
        return Err(CallerError::NotAnAccount);
    }
    Ok(RequestInfo { acc: raw.acc })
}

/// Who called, as established from the subject's token 1 and the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// Another account, through an import: the header named it and it
    /// agrees with the subject.
    Imported(String),
    /// No header: a user of the responder's own account, whose subject
    /// names this account. Whether that is allowed is the responder's call.
    Local(String),
}

impl Caller {
    /// The caller's account key.
    pub fn account(&self) -> &str {
        match self {
            Caller::Imported(a) | Caller::Local(a) => a,
        }
    }
}

/// The caller of a request on `subject` (token 1 = the claimed account)
/// with the `Nats-Request-Info` value `header`, if any.
pub fn caller(subject: &str, header: Option<&str>) -> Result<Caller, CallerError> {
    let token = subject.split('.').next().unwrap_or_default();
    if !is_account_key(token) {
        return Err(CallerError::NoToken);
    }
    match header {
        None => Ok(Caller::Local(token.to_owned())),
        Some(value) => {
            let info = parse(value)?;
            if info.acc == token {
                Ok(Caller::Imported(info.acc))
            } else {
                Err(CallerError::Mismatch {
                    acc: info.acc,
                    token: token.to_owned(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "ADQ3ZMHHXNKFFG4LSUBB5W5SG6CSHVXPW2CI6YOUB4L4ZH4DDMVNPQMJ";
    const B: &str = "ABZXIFTRZVTGXZQDRE4CQU3DKQT7SR2FDGMIJQIXKXA3QYYXCCQ76QKS";

    #[test]
    fn good_headers() {
        let real = format!(
            r#"{{"acc":"{A}","rtt":"1.2ms","start":"2026-01-01T00:00:00Z","host":"n1","id":"NX","svc":"x","user":"U1","name":"cli","lang":"rust","ver":"0.51","server":"s"}}"#
        );
        assert_eq!(parse(&real).unwrap().acc, A);
        let subject = format!("{A}.natster.global.whoami");
        assert_eq!(
            caller(&subject, Some(&real)).unwrap(),
            Caller::Imported(A.into())
        );
        assert_eq!(caller(&subject, None).unwrap(), Caller::Local(A.into()));
        assert_eq!(caller(&subject, None).unwrap().account(), A);
    }

    #[test]
    fn hostile_headers() {
        let subject = format!("{A}.natster.catalog.{B}.m.get");
        let long = format!(r#"{{"acc":"{A}","pad":"{}"}}"#, "x".repeat(MAX_LEN));
        let cases: Vec<(String, CallerError)> = vec![
            ("".into(), CallerError::Unreadable),
            ("nope".into(), CallerError::Unreadable),
            ("null".into(), CallerError::Unreadable),
            ("[]".into(), CallerError::Unreadable),
            (r#"{"acc":5}"#.into(), CallerError::Unreadable),
            (r#"{"acc":null}"#.into(), CallerError::Unreadable),
            (r#"{"account":"x"}"#.into(), CallerError::Unreadable),
            (r#"{"acc":""}"#.into(), CallerError::NotAnAccount),
            (r#"{"acc":"A"}"#.into(), CallerError::NotAnAccount),
            (
                format!(r#"{{"acc":"{}"}}"#, A.to_lowercase()),
                CallerError::NotAnAccount,
            ),
            (
                format!(r#"{{"acc":"U{}"}}"#, &A[1..]),
                CallerError::NotAnAccount,
            ),
            (format!(r#"{{"acc":"{A}.x"}}"#), CallerError::NotAnAccount),
            (
                format!(r#"{{"acc":"{}>"}}"#, &A[..55]),
                CallerError::NotAnAccount,
            ),
            (long, CallerError::TooLong),
            (
                format!(r#"{{"acc":"{B}"}}"#),
                CallerError::Mismatch {
                    acc: B.into(),
                    token: A.into(),
                },
            ),
        ];
        for (header, want) in cases {
            assert_eq!(caller(&subject, Some(&header)), Err(want), "{header:?}");
        }
        // Duplicate keys: serde refuses them rather than picking one.
        let dup = format!(r#"{{"acc":"{A}","acc":"{B}"}}"#);
        assert_eq!(parse(&dup), Err(CallerError::Unreadable));
    }

    #[test]
    fn hostile_subjects() {
        let header = format!(r#"{{"acc":"{A}"}}"#);
        for subject in [
            "",
            ".natster.global.x",
            "natster.global.x",
            "*.natster.x",
            ">",
        ] {
            assert_eq!(
                caller(subject, Some(&header)),
                Err(CallerError::NoToken),
                "{subject:?}"
            );
            assert_eq!(caller(subject, None), Err(CallerError::NoToken));
        }
    }
}
