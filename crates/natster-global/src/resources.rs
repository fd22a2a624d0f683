//! The names of the JetStream resources every instance shares: the event
//! stream, the buckets and the durable consumers. Hub and operators see them
//! too (limits, monitoring), so they are public and in one place.

/// The event log.
pub const EVENTS_STREAM: &str = "NATSTER_EVENTS";
/// Subjects of the event log: `natster.events.<origin>.<target>.<catalog>.<type>`,
/// `none` where a slot does not apply.
pub const EVENTS_SUBJECTS: &str = "natster.events.>";
/// Projection: one key per account (`<account>`).
pub const ACCOUNTS_BUCKET: &str = "NATSTER_ACCOUNTS";
/// Projection: one key per share, twice: `out.<owner>.<catalog>.<target>`
/// and `in.<target>.<owner>.<catalog>`, and a third,
/// `expiry.<owner>.<catalog>.<target>`, while it has an expiry (what the
/// expiry sweep lists). One key per share (not one list per account) so a
/// catalog shared with 10,000 accounts is not one 1 MiB value.
pub const SHARES_BUCKET: &str = "NATSTER_SHARES";
/// Projection: one key per catalog that ever reported a revision (`<owner>.<catalog>`).
pub const CATALOGS_BUCKET: &str = "NATSTER_CATALOGS";
/// Projection: totals, key [`STATS_KEY`].
pub const STATS_BUCKET: &str = "NATSTER_STATS";
/// The one key of [`STATS_BUCKET`].
pub const STATS_KEY: &str = "totals";
/// Every projection bucket: deleting these and [`PROJECTOR_CONSUMER`] and
/// restarting rebuilds them from the log.
pub const PROJECTION_BUCKETS: [&str; 4] = [
    ACCOUNTS_BUCKET,
    SHARES_BUCKET,
    CATALOGS_BUCKET,
    STATS_BUCKET,
];
/// Online catalogs, `<owner>.<catalog>`, each with a per-key TTL.
pub const ONLINE_BUCKET: &str = "NATSTER_ONLINE";
/// One-time codes, `<code>`, each with a per-key TTL.
pub const CODES_BUCKET: &str = "NATSTER_CODES";
/// Durable consumer on the event log that drives the projections.
pub const PROJECTOR_CONSUMER: &str = "natster-projector";
/// Durable consumer on the online bucket that turns expiries into feed events.
pub const ONLINE_WATCH_CONSUMER: &str = "natster-online-watch";
