//! What an instance of the global service needs to know. Every instance of
//! one deployment must use the same values: they share the stream, buckets
//! and consumers these settings create.

use std::time::Duration;

use natster_auth::keys::{KeyKind, check_public_key};

use crate::error::GlobalError;

/// Configuration of the global service.
#[derive(Debug, Clone)]
pub struct GlobalConfig {
    /// The web app's account (`A...`): the only caller allowed to claim a
    /// one-time code. `None` disables `otc.claim` for everyone.
    pub web_account: Option<String>,
    /// How often catalog servers send a heartbeat. A catalog counts as
    /// online for [`GlobalConfig::online_ttl`] after its last one.
    pub heartbeat_interval: Duration,
    /// How long a one-time code stays claimable.
    pub otc_ttl: Duration,
    /// How often each instance looks for shares past their expiry and
    /// records their end: a share's expiry is recorded within about this
    /// long of its `expires_at` (plus up to a second: expiries are whole
    /// seconds).
    pub expiry_sweep_interval: Duration,
    /// JetStream replicas for the stream and every bucket: 1 on one server,
    /// 3 in a cluster.
    pub replicas: usize,
    /// `max_bytes` of the event stream. Set on every stream and bucket: in a
    /// cluster it is what reserves disk on each replica.
    pub events_max_bytes: i64,
    /// `max_bytes` of each projection bucket.
    pub projection_max_bytes: i64,
    /// `max_bytes` of the online-status and one-time-code buckets.
    pub ephemeral_max_bytes: i64,
    /// Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate.
    pub duplicate_window: Duration,
    /// Largest request body the API accepts.
    pub max_request_bytes: usize,
    /// Requests handled at once by one instance; more wait in NATS.
    pub max_in_flight: usize,
    /// How long a JetStream publish is retried (with backoff) while
    /// JetStream has no responders, e.g. during a leader election.
    pub publish_retry_for: Duration,
    /// Where the web app claims codes; when set, `otc.generate` returns
    /// `<claim_url_base>/<code>`.
    pub claim_url_base: Option<String>,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            web_account: None,
            heartbeat_interval: Duration::from_secs(30),
            otc_ttl: Duration::from_secs(300),
            expiry_sweep_interval: Duration::from_secs(1),
            replicas: 1,
            events_max_bytes: 1 << 30,
            projection_max_bytes: 256 << 20,
            ephemeral_max_bytes: 64 << 20,
            duplicate_window: Duration::from_secs(120),
            max_request_bytes: 16 << 10,
            max_in_flight: 512,
            publish_retry_for: Duration::from_secs(10),
            claim_url_base: None,
        }
    }
}

impl GlobalConfig {
    /// A catalog's online entry lives this long after its last heartbeat:
    /// two and a half intervals, so one lost heartbeat does not flap it.
    pub fn online_ttl(&self) -> Duration {
        // Per-message TTLs are whole seconds, at least one.
        let ttl = self.heartbeat_interval.mul_f64(2.5);
        Duration::from_secs(ttl.as_secs().max(1))
    }

    /// Disk the global account needs for the stream and all buckets at
    /// `replicas` copies: what the hub puts in the account's
    /// `limits.disk_storage` (a cluster counts bytes x replicas).
    pub fn required_disk_bytes(&self) -> i64 {
        let per_copy = self.events_max_bytes
            + crate::resources::PROJECTION_BUCKETS.len() as i64 * self.projection_max_bytes
            + 2 * self.ephemeral_max_bytes;
        per_copy * self.replicas as i64
    }

    /// Streams the global account creates (the event stream and one per
    /// bucket): the least the hub puts in `limits.streams`.
    pub fn required_streams(&self) -> i64 {
        1 + crate::resources::PROJECTION_BUCKETS.len() as i64 + 2
    }

    pub(crate) fn validate(&self) -> Result<(), GlobalError> {
        if let Some(web) = &self.web_account {
            check_public_key(web, KeyKind::Account).map_err(GlobalError::WebAccount)?;
        }
        if self.heartbeat_interval < Duration::from_secs(1) {
            return Err(GlobalError::Config(
                "heartbeat interval must be at least 1 s (TTLs are whole seconds)".into(),
            ));
        }
        if self.otc_ttl < Duration::from_secs(1) {
            return Err(GlobalError::Config(
                "one-time code TTL must be at least 1 s".into(),
            ));
        }
        // Each sweep lists the bucket's expiry keys; faster than this buys
        // nothing when expiries are whole seconds.
        if self.expiry_sweep_interval < Duration::from_millis(100) {
            return Err(GlobalError::Config(
                "the expiry sweep interval must be at least 100 ms".into(),
            ));
        }
        if self.replicas == 0 || self.replicas > 5 {
            return Err(GlobalError::Config("replicas must be 1 to 5".into()));
        }
        if self.events_max_bytes <= 0
            || self.projection_max_bytes <= 0
            || self.ephemeral_max_bytes <= 0
        {
            return Err(GlobalError::Config(
                "every stream and bucket needs a positive max_bytes".into(),
            ));
        }
        if self.max_in_flight == 0 || self.max_request_bytes == 0 {
            return Err(GlobalError::Config(
                "max_in_flight and max_request_bytes must be positive".into(),
            ));
        }
        Ok(())
    }
}
