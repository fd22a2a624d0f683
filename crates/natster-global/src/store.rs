//! The JetStream resources every instance shares, created on start when
//! missing: the event stream, the projection buckets, the online and
//! one-time-code buckets with per-key TTLs, and the durable consumers.

use std::time::Duration;

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::{self, consumer, kv, stream};

use crate::bucket::Bucket;
use crate::config::GlobalConfig;
use crate::error::GlobalError;
use crate::resources::{
    ACCOUNTS_BUCKET, CATALOGS_BUCKET, CODES_BUCKET, EVENTS_STREAM, EVENTS_SUBJECTS, ONLINE_BUCKET,
    ONLINE_WATCH_CONSUMER, PROJECTOR_CONSUMER, SHARES_BUCKET, STATS_BUCKET,
};

/// Handles on everything shared.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) js: jetstream::Context,
    pub(crate) events: stream::Stream,
    pub(crate) accounts: Bucket,
    pub(crate) shares: Bucket,
    pub(crate) catalogs: Bucket,
    pub(crate) stats: Bucket,
    pub(crate) online: Bucket,
    pub(crate) codes: Bucket,
}

impl Store {
    /// Opens or creates every stream, bucket and consumer.
    pub(crate) async fn open(
        client: async_nats::Client,
        config: &GlobalConfig,
    ) -> Result<Self, GlobalError> {
        // Generous: in a cluster JetStream has no leader for seconds after a node dies.
        let mut js = jetstream::new(client);
        js.set_timeout(Duration::from_secs(10));

        let events = js
            .get_or_create_stream(stream::Config {
                name: EVENTS_STREAM.into(),
                description: Some("Natster event log (CloudEvents 1.0 JSON)".into()),
                subjects: vec![EVENTS_SUBJECTS.into()],
                max_bytes: config.events_max_bytes,
                // A full log refuses new events (the caller gets an error)
                // instead of silently dropping acknowledged old ones.
                discard: stream::DiscardPolicy::New,
                duplicate_window: config.duplicate_window,
                num_replicas: config.replicas,
                // Validation reads the last event of a subject directly.
                allow_direct: true,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| GlobalError::setup(EVENTS_STREAM, e))?;

        let projection = |bucket: &str| kv::Config {
            bucket: bucket.into(),
            description: "Natster projection, rebuilt from NATSTER_EVENTS".into(),
            history: 1,
            max_bytes: config.projection_max_bytes,
            num_replicas: config.replicas,
            ..Default::default()
        };
        let accounts = open_bucket(&js, projection(ACCOUNTS_BUCKET)).await?;
        let shares = open_bucket(&js, projection(SHARES_BUCKET)).await?;
        let catalogs = open_bucket(&js, projection(CATALOGS_BUCKET)).await?;
        let stats = open_bucket(&js, projection(STATS_BUCKET)).await?;

        let ephemeral = |bucket: &str, description: &str| kv::Config {
            bucket: bucket.into(),
            description: description.into(),
            history: 1,
            max_bytes: config.ephemeral_max_bytes,
            num_replicas: config.replicas,
            // Per-key TTLs, and a delete marker when one runs out: the
            // marker is how an expired heartbeat becomes "offline".
            limit_markers: Some(Duration::from_secs(60)),
            ..Default::default()
        };
        let online = open_bucket(
            &js,
            ephemeral(ONLINE_BUCKET, "Natster catalogs online (per-key TTL)"),
        )
        .await?;
        let codes = open_bucket(
            &js,
            ephemeral(CODES_BUCKET, "Natster one-time codes (per-key TTL)"),
        )
        .await?;

        let store = Self {
            js,
            events,
            accounts,
            shares,
            catalogs,
            stats,
            online,
            codes,
        };
        store.ensure_projector().await?;
        store.ensure_online_watch().await?;
        Ok(store)
    }

    /// The projector's consumer. When it is missing the projections start
    /// over: they are emptied first, so a fold never lands on state the new
    /// consumer will replay.
    async fn ensure_projector(&self) -> Result<(), GlobalError> {
        if consumer_exists(&self.events, PROJECTOR_CONSUMER).await? {
            return Ok(());
        }
        for b in [&self.accounts, &self.shares, &self.catalogs, &self.stats] {
            b.kv.stream
                .purge()
                .await
                .map_err(|e| GlobalError::setup(format!("purge {}", b.kv.name), e))?;
        }
        self.events
            .create_consumer(projector_config())
            .await
            .map_err(|e| GlobalError::setup(PROJECTOR_CONSUMER, e))?;
        Ok(())
    }

    async fn ensure_online_watch(&self) -> Result<(), GlobalError> {
        if consumer_exists(&self.online.kv.stream, ONLINE_WATCH_CONSUMER).await? {
            return Ok(());
        }
        self.online
            .kv
            .stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(ONLINE_WATCH_CONSUMER.into()),
                description: Some("Natster: expired heartbeats -> offline feed".into()),
                deliver_policy: consumer::DeliverPolicy::New,
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                // Only the key and the operation matter, never the value.
                headers_only: true,
                max_ack_pending: 10_000,
                ..Default::default()
            })
            .await
            .map_err(|e| GlobalError::setup(ONLINE_WATCH_CONSUMER, e))?;
        Ok(())
    }
}

/// The projector consumer: one event in flight across all instances, so
/// folds apply strictly in log order even with several instances pulling.
pub(crate) fn projector_config() -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(PROJECTOR_CONSUMER.into()),
        description: Some("Natster projections (folds over NATSTER_EVENTS)".into()),
        deliver_policy: consumer::DeliverPolicy::All,
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: Duration::from_secs(10),
        max_ack_pending: 1,
        ..Default::default()
    }
}

async fn open_bucket(js: &jetstream::Context, config: kv::Config) -> Result<Bucket, GlobalError> {
    let name = config.bucket.clone();
    let kv = match js.get_stream(format!("KV_{name}")).await {
        Ok(_) => js
            .get_key_value(&name)
            .await
            .map_err(|e| GlobalError::setup(&name, e)),
        Err(e) if is_not_found(&e) => js
            .create_key_value(config)
            .await
            .map_err(|e| GlobalError::setup(&name, e)),
        Err(e) => Err(GlobalError::setup(&name, e)),
    }?;
    Ok(Bucket::new(kv, js.clone()))
}

fn is_not_found(e: &jetstream::context::GetStreamError) -> bool {
    matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(j)
        if j.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

async fn consumer_exists(stream: &stream::Stream, name: &str) -> Result<bool, GlobalError> {
    match stream.consumer_info(name).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == jetstream::context::ConsumerInfoErrorKind::NotFound => Ok(false),
        Err(e) => Err(GlobalError::setup(name, e)),
    }
}
