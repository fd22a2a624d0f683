//! What the projections store: one record type per bucket (with the stream
//! sequence of the last event folded into it) and the keys they live under.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bucket::Record;

/// `NATSTER_ACCOUNTS` value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    pub(crate) account: String,
    /// The `account_initialized` event's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) initialized_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// Bound web sessions by user key.
    #[serde(default)]
    pub(crate) sessions: BTreeMap<String, SessionRecord>,
    pub(crate) seq: u64,
}

/// A bound web session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    pub(crate) bound_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
}

/// `NATSTER_SHARES` value (under both its `out.` and `in.` keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShareRecord {
    pub(crate) owner: String,
    pub(crate) catalog: String,
    pub(crate) target: String,
    pub(crate) shared_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<i64>,
    pub(crate) imported: bool,
    pub(crate) seq: u64,
}

impl ShareRecord {
    /// Live at `now`: not expired.
    pub(crate) fn live(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }
}

/// `NATSTER_SHARES` value under an `expiry.` key: one per share that has an
/// expiry, so the expiry sweep lists those instead of every share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExpiryRecord {
    pub(crate) owner: String,
    pub(crate) catalog: String,
    pub(crate) target: String,
    pub(crate) expires_at: i64,
    pub(crate) seq: u64,
}

/// `NATSTER_CATALOGS` value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CatalogRecord {
    pub(crate) owner: String,
    pub(crate) catalog: String,
    pub(crate) revision: u64,
    pub(crate) revised_at: i64,
    pub(crate) seq: u64,
}

/// `NATSTER_STATS` value at [`STATS_KEY`](crate::resources::STATS_KEY).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct StatsRecord {
    pub(crate) accounts_initialized: u64,
    pub(crate) active_shares: u64,
    pub(crate) seq: u64,
}

macro_rules! record {
    ($($t:ty),*) => {$(impl Record for $t { fn seq(&self) -> u64 { self.seq } })*};
}
record!(
    AccountRecord,
    ShareRecord,
    ExpiryRecord,
    CatalogRecord,
    StatsRecord
);

/// `out.<owner>.<catalog>.<target>`: the owner's view, and the source of truth.
pub(crate) fn out_key(owner: &str, catalog: &str, target: &str) -> String {
    format!("out.{owner}.{catalog}.{target}")
}

/// `in.<target>.<owner>.<catalog>`: the recipient's view (a mirror).
pub(crate) fn in_key(target: &str, owner: &str, catalog: &str) -> String {
    format!("in.{target}.{owner}.{catalog}")
}

/// Every `out.` key of `owner`: the shares of all its catalogs.
pub(crate) fn out_filter(owner: &str) -> String {
    format!("out.{owner}.>")
}

/// Every `in.` key of `target`: the shares it was given.
pub(crate) fn in_filter(target: &str) -> String {
    format!("in.{target}.>")
}

/// `expiry.<owner>.<catalog>.<target>`: the share, if it has an expiry.
pub(crate) fn expiry_key(owner: &str, catalog: &str, target: &str) -> String {
    format!("expiry.{owner}.{catalog}.{target}")
}

/// Every `expiry.` key.
pub(crate) const EXPIRY_FILTER: &str = "expiry.>";

/// `<owner>.<catalog>`: key of the catalog and online buckets.
pub(crate) fn catalog_key(owner: &str, catalog: &str) -> String {
    format!("{owner}.{catalog}")
}
