//! The event log: CloudEvents 1.0 (JSON format) as stored in the global
//! service's stream. Only the global service writes them; anyone who folds
//! the log (projections, tools) reads them with these types.
//!
//! Times are unix seconds, except the CloudEvents `time` attribute, which
//! the specification makes RFC 3339.

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- the log

/// A CloudEvents 1.0 envelope (JSON format), as stored in `NATSTER_EVENTS`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    /// Always `"1.0"`.
    pub specversion: String,
    /// Unique per source; also the JetStream `Nats-Msg-Id`.
    pub id: String,
    /// `/natster/accounts/<origin>`: the verified account that caused it;
    /// `/natster/global` for what the service records on its own (a share
    /// reaching its expiry).
    pub source: String,
    /// What it is: `io.natster.…` ([`Event`]) — carried with `data`.
    #[serde(flatten)]
    pub event: Event,
    /// When the service recorded it (RFC 3339, UTC).
    pub time: String,
    /// What it is about: `<owner>.<catalog>`, `<account>` or `<session>`.
    pub subject: String,
    /// Always `application/json`.
    pub datacontenttype: String,
}

/// The events in the log, with their CloudEvents `type`. The origin (the
/// verified caller) is written into the data, so a fold never parses `source`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// An account started using Natster.
    #[serde(rename = "io.natster.account.initialized")]
    AccountInitialized {
        /// The account.
        account: String,
        /// Display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// `owner` shared `catalog` with `target`.
    #[serde(rename = "io.natster.catalog.shared")]
    CatalogShared {
        /// The catalog's owner (the origin).
        owner: String,
        /// The catalog.
        catalog: String,
        /// The account it is shared with.
        target: String,
        /// When the share ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// `owner` took `catalog` back from `target`.
    #[serde(rename = "io.natster.catalog.unshared")]
    CatalogUnshared {
        /// The catalog's owner (the origin).
        owner: String,
        /// The catalog.
        catalog: String,
        /// The account that lost it.
        target: String,
    },
    /// The share of `owner`'s `catalog` with `target` reached its
    /// `expires_at`: the share ends as if unshared.
    ///
    /// Only the service appends this (its expiry sweep; `events.put` does
    /// not accept it), so its CloudEvents `source` is `/natster/global`.
    ///
    /// Why an event of its own and not the alternatives:
    /// - not a `catalog_unshared` written by the service: the log would then
    ///   claim the owner took the share back, and nobody reading it could
    ///   tell a decision from a deadline;
    /// - not a fold that drops the share when the clock passes its expiry:
    ///   a fold must not read the clock (a rebuild would differ), and
    ///   nothing in the log would say when the end was noticed, so the
    ///   feeds and the totals would have no event to follow.
    ///
    /// It is appended on condition that the last event on the share's
    /// subjects (`natster.events.<owner>.<target>.<catalog>.*`) is still the
    /// `catalog_shared` it ends, so an unshare or a re-share (with a new
    /// expiry) that lands first makes a stale attempt fail instead of ending
    /// the newer share; its id is derived from that `catalog_shared`'s
    /// sequence, so instances sweeping at once store it once.
    #[serde(rename = "io.natster.catalog.share_expired")]
    CatalogShareExpired {
        /// The catalog's owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// The account that lost it.
        target: String,
        /// The expiry that was reached (the `catalog_shared` event's).
        expires_at: i64,
    },
    /// `importer` imported `owner`'s `catalog`.
    #[serde(rename = "io.natster.catalog.imported")]
    CatalogImported {
        /// The importing account (the origin).
        importer: String,
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
    },
    /// A heartbeat reported a new revision of the catalog's contents.
    #[serde(rename = "io.natster.catalog.revised")]
    CatalogRevised {
        /// The owner (the origin).
        owner: String,
        /// The catalog.
        catalog: String,
        /// The new revision.
        revision: u64,
    },
    /// `account` bound a web session.
    #[serde(rename = "io.natster.websession.bound")]
    WebSessionBound {
        /// The account (the origin).
        account: String,
        /// The session's user public key.
        session: String,
        /// When its credential expires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// `account` ended a web session.
    #[serde(rename = "io.natster.websession.revoked")]
    WebSessionRevoked {
        /// The account (the origin).
        account: String,
        /// The session's user public key.
        session: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn cloud_event_shape_round_trips() {
        let ev = CloudEvent {
            specversion: "1.0".into(),
            id: "x1".into(),
            source: "/natster/accounts/AOWNER".into(),
            event: Event::CatalogShared {
                owner: "AOWNER".into(),
                catalog: "movies".into(),
                target: "ATARGET".into(),
                expires_at: None,
            },
            time: "2026-01-02T03:04:05Z".into(),
            subject: "AOWNER.movies".into(),
            datacontenttype: "application/json".into(),
        };
        let json: Value = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], "io.natster.catalog.shared");
        assert_eq!(json["data"]["target"], "ATARGET");
        assert_eq!(json["specversion"], "1.0");
        assert!(json["data"].get("expires_at").is_none());
        let back: CloudEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, ev);
    }
}
