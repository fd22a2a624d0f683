//! Who is calling: from the server-written `Nats-Request-Info` header, or,
//! for a request from inside the owner's own account (no header), the owner.

use natster_proto::request_info::{self, Caller};
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
    info: Option<&str>,
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
    let caller = match request_info::caller(subject, info) {
        Ok(Caller::Imported(acc)) => acc,
        Ok(Caller::Local(acc)) if acc == owner => acc,
        Ok(Caller::Local(acc)) => return Err((403, format!("account {acc} is not the caller"))),
        Err(e) => return Err((403, e.to_string())),
    };
    Ok((caller, s.op.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use natster_auth::keys::KeyKind;

    #[test]
    fn identity_rules() {
        let [a, b, c] = [(); 3].map(|()| KeyKind::Account.generate().public_key());
        let ok = |s: String, h: Option<String>| caller_of(&s, h.as_deref(), &a, "m");
        let acc = |k: &str| Some(format!(r#"{{"acc":"{k}","rtt":1}}"#));
        assert_eq!(
            ok(format!("{a}.natster.catalog.{a}.m.get"), None).unwrap(),
            (a.clone(), "get".into())
        );
        assert_eq!(
            ok(format!("{b}.natster.catalog.{a}.m.download"), acc(&b)).unwrap(),
            (b.clone(), "download".into())
        );
        let refused = |s: String, h: Option<String>| ok(s, h).unwrap_err().0;
        assert_eq!(refused(format!("{b}.natster.catalog.{a}.m.get"), None), 403);
        assert_eq!(
            refused(format!("{b}.natster.catalog.{a}.m.get"), acc(&c)),
            403
        );
        assert_eq!(
            refused(
                format!("{b}.natster.catalog.{a}.m.get"),
                Some("nope".into())
            ),
            403
        );
        assert_eq!(
            refused(format!("{a}.natster.catalog.{a}.other.get"), None),
            404
        );
        assert_eq!(refused(format!("{a}.natster.catalog"), None), 400);
    }
}
