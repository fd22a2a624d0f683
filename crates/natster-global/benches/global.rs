//! Throughput and latency of one global-service instance on this machine,
//! against a real nats-server, each figure next to a baseline measured in
//! the same run:
//!
//! - baseline: raw JetStream acked publishes into the event stream (64 in flight);
//! - `heartbeats.put` per second (steady refreshes over 1,000 catalogs, 64 in flight);
//! - `events.put` per second (`catalog_shared`, validated, 64 in flight);
//! - `my.shares` latency p50/p99 for an owner with 10,000 shares;
//! - projection rebuild from the log, events per second.
//!
//! Run: `NATSTER_NATS_SERVER=.venv/bin/nats-server cargo bench -p natster-global`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, message::PublishMessage};
use futures_util::StreamExt;
use natster_auth::claims::{Export, ExportType, Import, ResponseType};
use natster_auth::keys::KeyKind;
use natster_global::{GlobalConfig, PROJECTION_BUCKETS, PROJECTOR_CONSUMER};
use natster_proto::events::{CloudEvent, Event};
use natster_proto::global::{
    EventPutRequest, HeartbeatRequest, InitializeData, MySharesRequest, NewEvent, ShareData,
};
use natster_proto::subjects::{FEED_EXPORT, GLOBAL_EXPORT, feed_import, global, global_import};
use natster_proto::{ApiResponse, Request};
use natster_testkit::{AccountFixture, TestServer, async_nats};

const IN_FLIGHT: usize = 64;
const SHARES: usize = 10_000;

fn config() -> GlobalConfig {
    GlobalConfig {
        events_max_bytes: 64 << 20,
        projection_max_bytes: 24 << 20,
        ephemeral_max_bytes: 16 << 20,
        ..GlobalConfig::default()
    }
}

struct Service {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), natster_global::GlobalError>>,
}

async fn start(global: &AccountFixture, url: &str) -> Service {
    let client = global.user("svc", |_| {}).connect(url).await.unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let c = client.clone();
    let task = tokio::spawn(async move {
        natster_global::run(c, config(), async {
            let _ = rx.await;
        })
        .await
    });
    // Ready when $SRV answers.
    loop {
        if let Ok(m) = client
            .request(
                format!("$SRV.PING.{}", natster_global::SERVICE_NAME),
                "".into(),
            )
            .await
        {
            if !m.payload.is_empty() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Service { stop, task }
}

/// `account` sends `req` to the global service.
async fn call<R: Request>(
    client: &async_nats::Client,
    account: &str,
    req: &R,
) -> ApiResponse<R::Reply> {
    let body = serde_json::to_vec(req).unwrap();
    let msg = tokio::time::timeout(
        Duration::from_secs(120),
        client.send_request(
            global(account, R::OP),
            async_nats::Request::new()
                .payload(body.into())
                .timeout(Some(Duration::from_secs(120))),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    serde_json::from_slice(&msg.payload).unwrap()
}

/// Runs `total` calls of `f(i)` with [`IN_FLIGHT`] at once; calls per second.
async fn rate<F, Fut>(total: usize, f: F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    futures_util::stream::iter(0..total)
        .map(&f)
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;
    total as f64 / start.elapsed().as_secs_f64()
}

async fn settled(js: &jetstream::Context) {
    loop {
        let mut stream = js.get_stream(natster_global::EVENTS_STREAM).await.unwrap();
        let last = stream.info().await.unwrap().state.last_sequence;
        if let Ok(mut consumer) = stream
            .get_consumer::<jetstream::consumer::pull::Config>(PROJECTOR_CONSUMER)
            .await
        {
            let info = consumer.info().await.unwrap();
            if info.ack_floor.stream_sequence >= last && info.num_ack_pending == 0 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::main]
async fn main() {
    let server = TestServer::start().await;
    let url = server.url();
    let mut global_acc = AccountFixture::new("global");
    let limits = &mut global_acc.claims.nats.limits;
    limits.disk_storage = 200 << 20;
    limits.mem_storage = 16 << 20;
    limits.streams = 16;
    limits.consumer = -1;
    let mut service = Export::new("natster-global", GLOBAL_EXPORT, ExportType::Service);
    service.account_token_position = 1;
    service.response_type = Some(ResponseType::Singleton);
    let mut feed = Export::new("natster-feed", FEED_EXPORT, ExportType::Stream);
    feed.account_token_position = 1;
    global_acc.claims.nats.exports = vec![service, feed];
    server.push_account(&global_acc).await.unwrap();
    let mut alice = AccountFixture::new("alice");
    let a = alice.key();
    alice.claims.nats.imports = vec![
        Import::new(
            "g",
            global_import(&a),
            global_acc.key(),
            ExportType::Service,
        ),
        Import::new("f", feed_import(&a), global_acc.key(), ExportType::Stream),
    ];
    server.push_account(&alice).await.unwrap();

    let svc = start(&global_acc, &url).await;
    let client = alice.user("cli", |_| {}).connect(&url).await.unwrap();
    let admin = global_acc
        .user("admin", |_| {})
        .connect(&url)
        .await
        .unwrap();
    let js = jetstream::new(admin);
    let init = EventPutRequest::from(NewEvent::AccountInitialized(InitializeData::default()));
    let r = call(&client, &a, &init).await;
    assert_eq!(r.code, 200);

    // Baseline: raw acked publishes of initialization events for the
    // accounts alice will share with (written straight into the log).
    let targets: Arc<Vec<String>> = Arc::new(
        (0..SHARES)
            .map(|_| KeyKind::Account.generate().public_key())
            .collect(),
    );
    let baseline = rate(SHARES, |i| {
        let (js, targets) = (js.clone(), targets.clone());
        async move {
            let key = &targets[i];
            let event = CloudEvent {
                specversion: "1.0".into(),
                id: format!("bench-init-{i}"),
                source: format!("/natster/accounts/{key}"),
                event: Event::AccountInitialized {
                    account: key.clone(),
                    name: None,
                },
                time: "2026-01-01T00:00:00Z".into(),
                subject: key.clone(),
                datacontenttype: "application/json".into(),
            };
            let msg = PublishMessage::build()
                .payload(serde_json::to_vec(&event).unwrap().into())
                .message_id(&event.id);
            js.send_publish(
                format!("natster.events.{key}.none.none.account_initialized"),
                msg,
            )
            .await
            .unwrap()
            .await
            .unwrap();
        }
    })
    .await;

    // events.put: alice shares 100 catalogs with 100 accounts each.
    let errors = Arc::new(AtomicU64::new(0));
    let events = rate(SHARES, |i| {
        let (client, targets, a, errors) =
            (client.clone(), targets.clone(), a.clone(), errors.clone());
        async move {
            let share = EventPutRequest::from(NewEvent::CatalogShared(ShareData {
                catalog: format!("c{}", i % 100),
                target: targets[i].clone(),
                expires_at: None,
            }));
            if call(&client, &a, &share).await.code != 200 {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
    .await;

    // heartbeats.put: 1,000 catalogs come online, then steady refreshes.
    rate(1000, |i| {
        let (client, a) = (client.clone(), a.clone());
        async move {
            let beat = HeartbeatRequest {
                catalog: format!("h{i}"),
                revision: 1,
            };
            call(&client, &a, &beat).await;
        }
    })
    .await;
    let heartbeats = rate(10_000, |i| {
        let (client, a, errors) = (client.clone(), a.clone(), errors.clone());
        async move {
            let beat = HeartbeatRequest {
                catalog: format!("h{}", i % 1000),
                revision: 1,
            };
            if call(&client, &a, &beat).await.code != 200 {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
    .await;

    // my.shares with 10,000 shares, one request at a time.
    let settle_start = Instant::now();
    settled(&js).await;
    let caught_up = settle_start.elapsed();
    let mut latencies = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let r = call(&client, &a, &MySharesRequest {}).await;
        latencies.push(t.elapsed());
        assert_eq!(r.code, 200, "my.shares: {:?}", r.error);
        assert_eq!(r.data.unwrap().out_shares.len(), SHARES);
    }
    latencies.sort();
    let p50 = latencies[latencies.len() / 2];
    let p99 = latencies[latencies.len() * 99 / 100];

    // Rebuild: drop the projections and their consumer, start again.
    let _ = svc.stop.send(());
    svc.task.await.unwrap().unwrap();
    for bucket in PROJECTION_BUCKETS {
        js.delete_key_value(bucket).await.unwrap();
    }
    let mut stream = js.get_stream(natster_global::EVENTS_STREAM).await.unwrap();
    stream.delete_consumer(PROJECTOR_CONSUMER).await.unwrap();
    let logged = stream.info().await.unwrap().state.messages;
    let t = Instant::now();
    let _svc = start(&global_acc, &url).await;
    settled(&js).await;
    let rebuild = logged as f64 / t.elapsed().as_secs_f64();

    println!("natster-global benchmark (one instance, nats-server on the same 2 cores)");
    println!(
        "  baseline: raw JetStream acked publish     {baseline:>9.0} msg/s ({IN_FLIGHT} in flight)"
    );
    println!(
        "  events.put (catalog_shared, validated)    {events:>9.0} events/s  = {:.2} x baseline",
        events / baseline
    );
    println!(
        "  heartbeats.put (steady, 1,000 catalogs)   {heartbeats:>9.0} hb/s      = {:.2} x baseline",
        heartbeats / baseline
    );
    println!("  projector caught up after the load in     {caught_up:>9.2?}");
    println!("  my.shares with {SHARES} shares             p50 {p50:.2?}  p99 {p99:.2?}");
    println!(
        "  projection rebuild ({logged} events)      {rebuild:>9.0} events/s  = {:.3} x baseline",
        rebuild / baseline
    );
    println!(
        "  request errors during the load            {}",
        errors.load(Ordering::Relaxed)
    );
}
