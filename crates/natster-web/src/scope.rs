//! What a web session may do in its account: the permissions the CLI signs
//! into the session's user JWT, and the check the server applies before it
//! accepts one. Both sides use this file, so they cannot drift apart.
//!
//! A session browses and downloads (catalog requests, its media and feed),
//! asks the global service, and may add imports. Sharing and unsharing its
//! own catalogs only when the person asked for it at login: otherwise the
//! credential denies `A.natster.catalog.A.*.share` / `.unshare`, so NATS
//! itself refuses them even if the server were compromised.

use natster_auth::claims::{Permission, UserNats};

use crate::error::WebError;

/// What the session is allowed beyond browsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Scope {
    /// Share and unshare the account's own catalogs.
    pub allow_sharing: bool,
}

/// The global service's operations a session calls: reads of the account's
/// own data (`my.catalogs` lists only the caller's catalogs), and recording
/// an import. Not `events.put`, which would let a session without sharing
/// rights record share and unshare events (and a catalog server following
/// its feed would act on them). A credential signed before `my.catalogs`
/// was added still passes the check (it allows less); the page then lists
/// shared catalogs only.
const GLOBAL_OPS: [&str; 5] = [
    "my.shares",
    "my.catalogs",
    "stats",
    "whoami",
    "imports.record",
];

fn publish_allow(a: &str) -> Vec<String> {
    let mut v = vec![
        format!("{a}.natster.catalog.>"),
        format!("{a}.natster.hub.imports.add"),
    ];
    v.extend(
        GLOBAL_OPS
            .iter()
            .map(|op| format!("{a}.natster.global.{op}")),
    );
    v
}

fn publish_deny(a: &str) -> Vec<String> {
    vec![
        format!("{a}.natster.catalog.{a}.*.share"),
        format!("{a}.natster.catalog.{a}.*.unshare"),
    ]
}

fn subscribe_allow(a: &str) -> Vec<String> {
    vec![
        "_INBOX.>".to_owned(),
        format!("{a}.natster.media.>"),
        format!("{a}.natster.feed.>"),
    ]
}

/// The `nats` section of a session's user JWT in `account`.
pub fn user_nats(account: &str, scope: Scope) -> UserNats {
    let mut n = UserNats::for_account(account);
    n.publish = Permission {
        allow: publish_allow(account),
        deny: if scope.allow_sharing {
            Vec::new()
        } else {
            publish_deny(account)
        },
    };
    n.subscribe = Permission {
        allow: subscribe_allow(account),
        deny: Vec::new(),
    };
    n
}

/// Checks that a session credential for `account` grants no more than the
/// web needs, and tells which [`Scope`] it grants. A wider credential is
/// refused: the server would otherwise hold more power than it asked for.
pub fn check(nats: &UserNats, account: &str) -> Result<Scope, WebError> {
    let refuse = |why: String| Err(WebError::BadRequest(format!("session credential {why}")));
    if nats.bearer_token {
        return refuse("must not be a bearer token".into());
    }
    if nats.issuer_account != account {
        return refuse(format!("must be issued for account {account}"));
    }
    let allowed_pub = publish_allow(account);
    let allowed_sub = subscribe_allow(account);
    if nats.publish.allow.is_empty() || nats.subscribe.allow.is_empty() {
        // An empty allow list means "everything" to nats-server.
        return refuse("must list what it allows".into());
    }
    if let Some(s) = nats.publish.allow.iter().find(|s| !allowed_pub.contains(s)) {
        return refuse(format!(
            "allows publishing to {s:?}, more than the web needs"
        ));
    }
    if let Some(s) = nats
        .subscribe
        .allow
        .iter()
        .find(|s| !allowed_sub.contains(s))
    {
        return refuse(format!(
            "allows subscribing to {s:?}, more than the web needs"
        ));
    }
    if !nats.subscribe.deny.is_empty() {
        return refuse("has subscribe denials the web does not use".into());
    }
    let deny = publish_deny(account);
    let denies_sharing = deny.iter().all(|d| nats.publish.deny.contains(d));
    if let Some(s) = nats.publish.deny.iter().find(|s| !deny.contains(s)) {
        return refuse(format!("has an unexpected denial {s:?}"));
    }
    if !denies_sharing && !nats.publish.deny.is_empty() {
        return refuse("denies only part of sharing".into());
    }
    Ok(Scope {
        allow_sharing: !denies_sharing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "AAAA";

    #[test]
    fn signed_scopes_pass_the_check() {
        for allow_sharing in [false, true] {
            let s = Scope { allow_sharing };
            assert_eq!(check(&user_nats(A, s), A).unwrap(), s);
        }
        let n = user_nats(A, Scope::default());
        assert!(
            n.publish
                .deny
                .contains(&"AAAA.natster.catalog.AAAA.*.share".to_owned())
        );
        // The global service's reads and import record only.
        let global: Vec<&str> = n
            .publish
            .allow
            .iter()
            .filter_map(|s| s.strip_prefix("AAAA.natster.global."))
            .collect();
        assert_eq!(
            global,
            [
                "my.shares",
                "my.catalogs",
                "stats",
                "whoami",
                "imports.record"
            ]
        );
        // One signed before `my.catalogs` existed is still accepted.
        let mut older = user_nats(A, Scope::default());
        older
            .publish
            .allow
            .retain(|s| s != "AAAA.natster.global.my.catalogs");
        assert_eq!(check(&older, A).unwrap(), Scope::default());
    }

    #[test]
    fn wider_or_foreign_credentials_are_refused() {
        let base = user_nats(A, Scope::default());
        let mut cases: Vec<(UserNats, &str)> = Vec::new();
        let mut n = base.clone();
        n.publish.allow.push(">".into());
        cases.push((n, "publishing"));
        // Recording events at large would let a session forge shares.
        for wider in [
            "AAAA.natster.global.>",
            "AAAA.natster.global.events.put",
            "AAAA.natster.global.my.*",
            "BBBB.natster.global.my.catalogs",
        ] {
            let mut n = base.clone();
            n.publish.allow.push(wider.into());
            cases.push((n, "publishing"));
        }
        let mut n = base.clone();
        n.publish.allow.clear();
        cases.push((n, "list what it allows"));
        let mut n = base.clone();
        n.subscribe.allow.push("BBBB.natster.media.>".into());
        cases.push((n, "subscribing"));
        let mut n = base.clone();
        n.issuer_account = "BBBB".into();
        cases.push((n, "issued for"));
        let mut n = base.clone();
        n.bearer_token = true;
        cases.push((n, "bearer"));
        let mut n = base.clone();
        n.publish.deny.pop();
        cases.push((n, "part of sharing"));
        let mut n = base.clone();
        n.publish.deny.push("x".into());
        cases.push((n, "unexpected denial"));
        for (n, why) in cases {
            let e = check(&n, A).unwrap_err().to_string();
            assert!(e.contains(why), "{e} should mention {why}");
        }
    }
}
