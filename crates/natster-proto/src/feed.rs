//! What the global service tells one account on
//! `<account>.natster.feed.<type>` (see [`crate::subjects::feed`]).

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------- feed

/// What the service tells one account on `<account>.natster.feed.<type>`,
/// `<type>` being the `type` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeedEvent {
    /// To the target: `owner` shared `catalog` with you.
    ShareReceived {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// When the share ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// To the target: you lost `owner`'s `catalog` (taken back, or expired).
    ShareRevoked {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// Why.
        #[serde(default)]
        reason: ShareEnd,
    },
    /// To the owner: your `catalog` is now shared with `account`
    /// (keeps the owner's catalog servers' view of their shares current).
    ShareAdded {
        /// The catalog.
        catalog: String,
        /// The account.
        account: String,
        /// When the share ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<i64>,
    },
    /// To the owner: `account` lost your `catalog` (you took it back, or it
    /// expired).
    ShareRemoved {
        /// The catalog.
        catalog: String,
        /// The account.
        account: String,
        /// Why.
        #[serde(default)]
        reason: ShareEnd,
    },
    /// A catalog you can see came online.
    CatalogOnline {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// Its revision.
        revision: u64,
    },
    /// A catalog you can see went offline (clean stop or missed heartbeats).
    CatalogOffline {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
    },
    /// A catalog you can see changed its contents.
    RevisionChanged {
        /// The owner.
        owner: String,
        /// The catalog.
        catalog: String,
        /// The new revision.
        revision: u64,
    },
    /// To the account that generated a code: the web app claimed it.
    LoginClaimed {
        /// The web session's user public key, when the web app gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<String>,
    },
}

/// Why a share ended, in [`FeedEvent::ShareRevoked`] and
/// [`FeedEvent::ShareRemoved`] (`"reason"`). Consumers that predate it
/// ignore the field; a message without it reads as [`ShareEnd::Unshared`],
/// the only way a share ended before expiries were recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareEnd {
    /// The owner took it back (`catalog_unshared`).
    #[default]
    Unshared,
    /// It reached its `expires_at` (`catalog_share_expired`).
    Expired,
}

impl FeedEvent {
    /// The subject token: the `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            FeedEvent::ShareReceived { .. } => "share_received",
            FeedEvent::ShareRevoked { .. } => "share_revoked",
            FeedEvent::ShareAdded { .. } => "share_added",
            FeedEvent::ShareRemoved { .. } => "share_removed",
            FeedEvent::CatalogOnline { .. } => "catalog_online",
            FeedEvent::CatalogOffline { .. } => "catalog_offline",
            FeedEvent::RevisionChanged { .. } => "revision_changed",
            FeedEvent::LoginClaimed { .. } => "login_claimed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_names_match_the_type_field() {
        let ev = FeedEvent::CatalogOffline {
            owner: "A".into(),
            catalog: "c".into(),
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], ev.name());
        let ev = FeedEvent::LoginClaimed { session: None };
        assert_eq!(serde_json::to_value(&ev).unwrap()["type"], ev.name());
    }

    #[test]
    fn share_end_reason_is_explicit_and_defaults_to_unshared() {
        let ev = FeedEvent::ShareRevoked {
            owner: "A".into(),
            catalog: "c".into(),
            reason: ShareEnd::Expired,
        };
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], "share_revoked");
        assert_eq!(json["reason"], "expired");
        // What a service from before the field sent.
        let old: FeedEvent =
            serde_json::from_str(r#"{"type":"share_removed","catalog":"c","account":"B"}"#)
                .unwrap();
        assert_eq!(
            old,
            FeedEvent::ShareRemoved {
                catalog: "c".into(),
                account: "B".into(),
                reason: ShareEnd::Unshared,
            }
        );
    }
}
