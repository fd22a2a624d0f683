//! Shared fixtures: a real nats-server with a global account wired the way
//! the hub wires it, accounts that import the global service and their feed,
//! and instances of the global service running in tasks.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use natster_auth::claims::{Export, ExportType, Import, ResponseType};
use natster_global::GlobalConfig;
use natster_proto::ApiResponse;
use natster_proto::subjects::{FEED_EXPORT, GLOBAL_EXPORT, feed_import, global, global_import};
use natster_testkit::{AccountFixture, TestServer, async_nats};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server, the global account and the web account.
pub struct Env {
    pub server: TestServer,
    pub global: AccountFixture,
    pub web: Account,
}

/// A Natster account and a connection as one of its users.
pub struct Account {
    pub fixture: AccountFixture,
    pub client: async_nats::Client,
}

impl Account {
    pub fn key(&self) -> String {
        self.fixture.key()
    }

    /// `op` with a JSON body; the decoded envelope.
    pub async fn call(&self, op: &str, body: Value) -> ApiResponse<Value> {
        let body = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&body).unwrap()
        };
        self.call_raw(op, body).await
    }

    /// `op` with raw bytes.
    pub async fn call_raw(&self, op: &str, body: Vec<u8>) -> ApiResponse<Value> {
        let msg = tokio::time::timeout(
            Duration::from_secs(15),
            self.client.request(global(&self.key(), op), body.into()),
        )
        .await
        .expect("reply in time")
        .expect("a responder");
        serde_json::from_slice(&msg.payload).expect("an envelope")
    }

    /// `op`, asserting success; its data.
    pub async fn ok(&self, op: &str, body: Value) -> Value {
        let r = self.call(op, body.clone()).await;
        assert_eq!(r.code, 200, "{op} {body}: {:?}", r.error);
        r.data.expect("data")
    }

    /// Initializes the account with the global service.
    pub async fn init(&self) {
        self.ok(
            "events.put",
            serde_json::json!({"type": "account_initialized"}),
        )
        .await;
    }

    /// Shares `catalog` with `target`.
    pub async fn share(&self, catalog: &str, target: &str) -> Value {
        self.ok(
            "events.put",
            serde_json::json!({"type": "catalog_shared", "data": {"catalog": catalog, "target": target}}),
        )
        .await
    }

    /// Shares `catalog` with `target` until `expires_at` (unix seconds).
    pub async fn share_until(&self, catalog: &str, target: &str, expires_at: i64) -> Value {
        self.ok(
            "events.put",
            serde_json::json!({"type": "catalog_shared",
                "data": {"catalog": catalog, "target": target, "expires_at": expires_at}}),
        )
        .await
    }

    /// Subscribes to this account's feed.
    pub async fn feed(&self) -> async_nats::Subscriber {
        let sub = self
            .client
            .subscribe(feed_import(&self.key()))
            .await
            .unwrap();
        self.client.flush().await.unwrap();
        sub
    }
}

/// The next feed message's JSON, within `secs`.
pub async fn next_feed(sub: &mut async_nats::Subscriber, secs: u64) -> Option<Value> {
    let msg = tokio::time::timeout(Duration::from_secs(secs), sub.next())
        .await
        .ok()??;
    Some(serde_json::from_slice(&msg.payload).expect("feed JSON"))
}

/// The next feed message of type `kind` about `catalog`, within `secs`,
/// and the messages skipped on the way.
pub async fn feed_until(
    sub: &mut async_nats::Subscriber,
    kind: &str,
    catalog: &str,
    secs: u64,
) -> (Option<Value>, Vec<Value>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Ok(Some(msg)) = tokio::time::timeout(left, sub.next()).await else {
            return (None, skipped);
        };
        let v: Value = serde_json::from_slice(&msg.payload).expect("feed JSON");
        if v["type"] == kind && v["catalog"] == catalog {
            return (Some(v), skipped);
        }
        skipped.push(v);
    }
}

/// How many events in the log match `filter`.
pub async fn events_on(js: &async_nats::jetstream::Context, filter: &str) -> usize {
    use futures_util::TryStreamExt;
    let stream = js.get_stream(natster_global::EVENTS_STREAM).await.unwrap();
    stream
        .info_with_subjects(filter)
        .await
        .unwrap()
        .try_fold(0, |n, (_, count)| async move { Ok(n + count) })
        .await
        .unwrap()
}

/// Waits (up to 20 s) until `check` returns `Some`; panics with `what` otherwise.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Small enough for the test server's 256 MiB store.
pub fn test_config(web: &str) -> GlobalConfig {
    GlobalConfig {
        web_account: Some(web.to_owned()),
        events_max_bytes: 32 << 20,
        projection_max_bytes: 8 << 20,
        ephemeral_max_bytes: 8 << 20,
        ..GlobalConfig::default()
    }
}

impl Env {
    pub async fn start() -> Self {
        let server = TestServer::start().await;
        let mut global = AccountFixture::new("global");
        let limits = &mut global.claims.nats.limits;
        limits.disk_storage = 128 << 20;
        limits.mem_storage = 16 << 20;
        limits.streams = 16;
        limits.consumer = -1;
        let mut service = Export::new("natster-global", GLOBAL_EXPORT, ExportType::Service);
        service.account_token_position = 1;
        service.response_type = Some(ResponseType::Singleton);
        let mut feed = Export::new("natster-feed", FEED_EXPORT, ExportType::Stream);
        feed.account_token_position = 1;
        global.claims.nats.exports = vec![service, feed];
        server.push_account(&global).await.expect("push global");
        let web = account_on(&server, &global, "web").await;
        Self {
            server,
            global,
            web,
        }
    }

    /// A new account wired to the global service.
    pub async fn account(&self, name: &str) -> Account {
        account_on(&self.server, &self.global, name).await
    }

    /// A connection as a user of the global account.
    pub async fn global_client(&self) -> async_nats::Client {
        self.global
            .user("svc", |_| {})
            .connect(&self.server.url())
            .await
            .expect("global user")
    }

    pub fn config(&self) -> GlobalConfig {
        test_config(&self.web.key())
    }

    /// Starts an instance with its own connection.
    pub async fn instance(&self) -> Instance {
        self.instance_with(self.config()).await
    }

    pub async fn instance_with(&self, config: GlobalConfig) -> Instance {
        let client = self.global_client().await;
        Instance::start(client, config).await
    }
}

async fn account_on(server: &TestServer, global: &AccountFixture, name: &str) -> Account {
    let mut fixture = AccountFixture::new(name);
    let key = fixture.key();
    fixture.claims.nats.imports = vec![
        Import::new(
            "natster-global",
            global_import(&key),
            global.key(),
            ExportType::Service,
        ),
        Import::new(
            "natster-feed",
            feed_import(&key),
            global.key(),
            ExportType::Stream,
        ),
    ];
    server.push_account(&fixture).await.expect("push account");
    let client = fixture
        .user("cli", |_| {})
        .connect(&server.url())
        .await
        .expect("connect");
    Account { fixture, client }
}

/// One running instance of the global service.
pub struct Instance {
    stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<Result<(), natster_global::GlobalError>>,
    pub client: async_nats::Client,
}

impl Instance {
    pub async fn start(client: async_nats::Client, config: GlobalConfig) -> Self {
        let (tx, rx) = oneshot::channel::<()>();
        let c = client.clone();
        let task = tokio::spawn(async move {
            natster_global::run(c, config, async {
                let _ = rx.await;
            })
            .await
        });
        let instance = Self {
            stop: Some(tx),
            task,
            client,
        };
        instance.wait_ready().await;
        instance
    }

    /// Waits until the service answers `$SRV.PING` for its name.
    async fn wait_ready(&self) {
        let client = self.client.clone();
        eventually("the service to register", || {
            let client = client.clone();
            async move {
                let msg = client
                    .request(
                        format!("$SRV.PING.{}", natster_global::SERVICE_NAME),
                        "".into(),
                    )
                    .await
                    .ok()?;
                (!msg.payload.is_empty()).then_some(())
            }
        })
        .await;
    }

    /// Stops it cleanly and returns what `run` returned.
    pub async fn stop(mut self) -> Result<(), natster_global::GlobalError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.expect("task")
    }

    /// Kills it: the task is aborted and its connection dropped, as a crash would.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
        drop(self.client);
    }
}

/// Waits until the projector has folded every event in the log.
pub async fn settled(js: &async_nats::jetstream::Context) {
    eventually("the projections to catch up with the log", || async {
        let mut stream = js.get_stream(natster_global::EVENTS_STREAM).await.ok()?;
        let last = stream.info().await.ok()?.state.last_sequence;
        let mut consumer: async_nats::jetstream::consumer::PullConsumer = stream
            .get_consumer(natster_global::PROJECTOR_CONSUMER)
            .await
            .ok()?;
        let info = consumer.info().await.ok()?;
        (info.ack_floor.stream_sequence >= last && info.num_ack_pending == 0).then_some(())
    })
    .await;
}

/// Every key and value of every projection bucket.
pub async fn snapshot(
    js: &async_nats::jetstream::Context,
) -> std::collections::BTreeMap<String, String> {
    use futures_util::TryStreamExt;
    let mut all = std::collections::BTreeMap::new();
    for bucket in natster_global::PROJECTION_BUCKETS {
        let kv = js.get_key_value(bucket).await.unwrap();
        let keys: Vec<String> = kv.keys().await.unwrap().try_collect().await.unwrap();
        for key in keys {
            if let Some(v) = kv.get(&key).await.unwrap() {
                all.insert(
                    format!("{bucket}/{key}"),
                    String::from_utf8(v.to_vec()).unwrap(),
                );
            }
        }
    }
    all
}
