//! Who is calling: from the server-written `Nats-Request-Info` header, or,
//! for a request from inside the owner's own account (no header), the owner.

use natster_proto::subjects::parse_catalog;

/// A refusal: status code and message for the envelope.
pub(crate) type Refusal = (u16, String);

/// The caller's account and the operation, or a refusal.
///
/// With the header (cross-account, written by nats-server, a forged one is
/// overwritten) its `acc` is the caller and must equal subject token 1, which
/// the activation token pins for imports. Without it the request came from
/// the owner's account, so token 1 must be the owner.
pub(crate) fn caller_of(
    subject: &str,
    request_info: Option<&str>,
    owner: &str,
    catalog: &str,
) -> Result<(String, String), Refusal> {
    let s = parse_catalog(subject).ok_or((400, format!("malformed subject {subject}")))?;
    if s.owner != owner || s.catalog != catalog {
        return Err((
            404,
            format!("this server serves catalog {catalog} of {owner}"),
        ));
    }
    let caller = match request_info {
        Some(info) => {
            let acc = serde_json::from_str::<serde_json::Value>(info)
                .ok()
                .and_then(|v| v.get("acc").and_then(|a| a.as_str()).map(str::to_owned))
                .ok_or((403, "unreadable Nats-Request-Info".to_owned()))?;
            if acc != s.caller {
                return Err((403, format!("account {acc} may not call as {}", s.caller)));
            }
            acc
        }
        None if s.caller == owner => owner.to_owned(),
        None => return Err((403, format!("account {} is not the caller", s.caller))),
    };
    Ok((caller, s.op.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_rules() {
        let ok = |s: &str, h: Option<&str>| caller_of(s, h, "A", "m");
        assert_eq!(
            ok("A.natster.catalog.A.m.get", None).unwrap(),
            ("A".into(), "get".into())
        );
        assert_eq!(
            ok(
                "B.natster.catalog.A.m.download",
                Some(r#"{"acc":"B","rtt":1}"#)
            )
            .unwrap(),
            ("B".into(), "download".into())
        );
        assert_eq!(ok("B.natster.catalog.A.m.get", None).unwrap_err().0, 403);
        assert_eq!(
            ok("B.natster.catalog.A.m.get", Some(r#"{"acc":"C"}"#))
                .unwrap_err()
                .0,
            403
        );
        assert_eq!(
            ok("B.natster.catalog.A.m.get", Some("nope")).unwrap_err().0,
            403
        );
        assert_eq!(
            ok("A.natster.catalog.A.other.get", None).unwrap_err().0,
            404
        );
        assert_eq!(ok("A.natster.catalog", None).unwrap_err().0, 400);
    }
}
