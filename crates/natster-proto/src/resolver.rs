//! nats-server's side of an account push: the full resolver takes account
//! JWTs published to [`CLAIMS_UPDATE`] by a system-account user and answers
//! with a verdict. The hub pushes every account change this way and the test
//! harness pushes its fixtures; both read the verdict with [`parse`].
//!
//! A `200` does not mean every import survived: nats-server stores JWTs
//! signed by untrusted keys and silently drops an import whose token is
//! missing or untrusted. The hub checks those itself before pushing.

use serde::Deserialize;

/// The subject an account JWT is published to.
pub const CLAIMS_UPDATE: &str = "$SYS.REQ.CLAIMS.UPDATE";

/// What the resolver made of a pushed JWT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimsUpdate {
    /// Stored and applied to live clients.
    Updated {
        /// The account the JWT is for.
        account: String,
        /// nats-server's words: `jwt updated`.
        message: String,
    },
    /// The whole JWT was rejected.
    Refused(ClaimsUpdateError),
    /// Neither a verdict nor an error: nothing was decided, ask again.
    Empty,
}

/// nats-server's reason for rejecting a JWT.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ClaimsUpdateError {
    /// The account, or `n/a` when the JWT did not name one.
    #[serde(default)]
    pub account: String,
    /// An HTTP-like status; 500 for every rejection seen so far.
    #[serde(default)]
    pub code: u16,
    /// What was wrong, e.g. `jwt update resulted in error - expected 3 chunks`.
    #[serde(default)]
    pub description: String,
}

impl std::fmt::Display for ClaimsUpdateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.description, self.code)
    }
}

impl std::error::Error for ClaimsUpdateError {}

/// Reads the reply to a push. An `error` wins over `data`; a reply that is
/// not JSON of that shape is an `Err`.
pub fn parse(payload: &[u8]) -> Result<ClaimsUpdate, serde_json::Error> {
    #[derive(Deserialize)]
    struct Reply {
        data: Option<Data>,
        error: Option<ClaimsUpdateError>,
    }
    #[derive(Deserialize)]
    struct Data {
        #[serde(default)]
        account: String,
        #[serde(default)]
        message: String,
    }
    let reply: Reply = serde_json::from_slice(payload)?;
    Ok(match (reply.error, reply.data) {
        (Some(e), _) => ClaimsUpdate::Refused(e),
        (None, Some(d)) => ClaimsUpdate::Updated {
            account: d.account,
            message: d.message,
        },
        (None, None) => ClaimsUpdate::Empty,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    // Replies of nats-server 2.15.1 as received, around its `server` field
    // (keys of throwaway accounts: alice exports, bob imports with a token
    // alice granted to carol).
    const SERVER: &str = r#""server":{"name":"natster-test","host":"127.0.0.1","id":"NA2EVYT624VQYTOPCPNQE4Y6UEE5VPT6TCUHVVI3SN2KCY5YJXY3KZ6Y","ver":"2.15.1","feature_flags":{"js_ack_fc_v2":false,"js_api_reply_v2":false,"js_raft_delete_range":true,"js_snapshot_sources":false},"jetstream":true,"flags":7,"seq":11,"time":"2026-12-02T13:32:38.275293056Z"}"#;
    const ALICE: &str = "AB4IYIDT6U2C5E2LB64FJQRKXW7GVOXICFMMYYTJOPPODQLX4Q4A3E7Z";
    const BOB: &str = "AASERLUKRVR6COBTMXB2VRWLTBTWSNLOALBAWVAS47636FHAG353TID6";
    const CAROL: &str = "ADZQOV5MWJLJA62NKP7AYBOKEGPGEXC6S2LESKCX7QZRSC7MJYGD52RF";

    fn reply(body: &str) -> String {
        format!("{{{SERVER},{body}}}")
    }

    fn refused(account: &str, description: &str) -> ClaimsUpdate {
        ClaimsUpdate::Refused(ClaimsUpdateError {
            account: account.into(),
            code: 500,
            description: description.into(),
        })
    }

    #[test]
    fn reads_real_replies() {
        let cases = [
            (
                reply(&format!(
                    r#""data":{{"account":"{ALICE}","code":200,"message":"jwt updated"}}"#
                )),
                ClaimsUpdate::Updated {
                    account: ALICE.into(),
                    message: "jwt updated".into(),
                },
            ),
            (
                reply(
                    r#""error":{"account":"n/a","code":500,"description":"jwt update resulted in error - expected 3 chunks"}"#,
                ),
                refused("n/a", "jwt update resulted in error - expected 3 chunks"),
            ),
            (
                reply(
                    r#""error":{"account":"n/a","code":500,"description":"jwt update resulted in error - not account claim"}"#,
                ),
                refused("n/a", "jwt update resulted in error - not account claim"),
            ),
            (
                reply(&format!(
                    r#""error":{{"account":"{BOB}","code":500,"description":"jwt validation failed - validation errors: [activation token doesn't match account it is being included in, \"{BOB}.natster.catalog.{ALICE}.m.\u003e\" activation token import subject \"{CAROL}.natster.catalog.{ALICE}.m.\u003e\" doesn't match import \"{BOB}.natster.catalog.{ALICE}.m.\u003e\"]"}}"#
                )),
                refused(
                    BOB,
                    &format!(
                        "jwt validation failed - validation errors: [activation token doesn't \
                         match account it is being included in, \"{BOB}.natster.catalog.{ALICE}.m.>\" \
                         activation token import subject \"{CAROL}.natster.catalog.{ALICE}.m.>\" \
                         doesn't match import \"{BOB}.natster.catalog.{ALICE}.m.>\"]"
                    ),
                ),
            ),
            (
                r#"{"data":{"message":"ok"},"error":{"code":500,"description":"no"}}"#.into(),
                refused("", "no"),
            ),
            (r#"{"data":null}"#.into(), ClaimsUpdate::Empty),
            (format!("{{{SERVER}}}"), ClaimsUpdate::Empty),
        ];
        for (reply, want) in cases {
            assert_eq!(parse(reply.as_bytes()).unwrap(), want, "{reply}");
        }
    }

    #[test]
    fn an_error_reads_as_nats_server_wrote_it() {
        let e = ClaimsUpdateError {
            account: "n/a".into(),
            code: 500,
            description: "jwt update resulted in error - expected 3 chunks".into(),
        };
        assert_eq!(
            e.to_string(),
            "jwt update resulted in error - expected 3 chunks (500)"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        for reply in [
            &b""[..],
            b"jwt updated",
            b"\xff\xfe",
            b"[]",
            b"null",
            br#"{"error":"boom"}"#,
            br#"{"data":"jwt updated"}"#,
            br#"{"error":{"code":"500"}}"#,
            br#"{"data":{"message":"jwt updated"}"#,
        ] {
            assert!(
                parse(reply).is_err(),
                "{:?}",
                String::from_utf8_lossy(reply)
            );
        }
    }
}
