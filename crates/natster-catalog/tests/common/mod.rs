//! Shared fixtures: a real nats-server, an owner account, a catalog of
//! generated files, a running catalog server.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use natster_catalog::server::ServeConfig;
use natster_catalog::transfer::direct::DirectLogin;
use natster_catalog::{Catalog, CatalogClient, ServeControl, scan};
use natster_testkit::{AccountFixture, TestServer, UserFixture, async_nats};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Logs in as `user` for transfers' own connections.
pub fn direct_login(url: &str, user: &UserFixture) -> DirectLogin {
    DirectLogin {
        urls: vec![url.to_owned()],
        jwt: user.jwt.clone(),
        key: Arc::new(user.key.clone()),
    }
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub struct Fixture {
    pub server: TestServer,
    pub alice: AccountFixture,
    pub server_user: UserFixture,
    pub root: tempfile::TempDir,
    pub out: tempfile::TempDir,
    pub catalog: Catalog,
}

impl Fixture {
    pub async fn new(files: &[(&str, Vec<u8>)]) -> Self {
        let server = TestServer::start().await;
        let alice = AccountFixture::new("alice");
        server.push_account(&alice).await.expect("push alice");
        let server_user = alice.user("catalog-server", |_| {});
        let root = tempfile::tempdir().expect("root");
        for (name, data) in files {
            let p = root.path().join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, data).expect("write");
        }
        let (catalog, _) = scan::create("movies", "films", root.path(), &|_| {}).expect("scan");
        Self {
            server,
            alice,
            server_user,
            root,
            out: tempfile::tempdir().expect("out"),
            catalog,
        }
    }

    pub fn owner(&self) -> String {
        self.alice.key()
    }

    pub fn config(&self) -> ServeConfig {
        let mut c = ServeConfig::new(
            self.catalog.clone(),
            &self.owner(),
            self.server_user.key.clone(),
            &self.server_user.jwt,
        );
        c.watch = false;
        c.credit_timeout = Duration::from_secs(5);
        c
    }

    pub async fn start(&self, config: ServeConfig) -> Running {
        let client = self
            .server_user
            .connect(&self.server.url())
            .await
            .expect("server connects");
        start_on(client, config).await
    }

    /// A reader as the CLI makes one: chunks on each transfer's own
    /// connection.
    pub async fn reader(&self) -> CatalogClient {
        self.reader_with(true).await
    }

    /// A reader whose chunks come through its shared async-nats client.
    pub async fn reader_shared(&self) -> CatalogClient {
        self.reader_with(false).await
    }

    pub async fn reader_with(&self, direct: bool) -> CatalogClient {
        let user = self.alice.user("cli", |_| {});
        let client = user
            .connect(&self.server.url())
            .await
            .expect("cli connects");
        let mut c = CatalogClient::new(client, &self.owner(), self.alice.claims.clone(), "movies")
            .expect("client");
        c.idle_timeout = Duration::from_secs(3);
        if direct {
            c = c.with_direct(direct_login(&self.server.url(), &user));
        }
        c
    }

    pub fn out(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    pub fn hash_of(&self, path: &str) -> String {
        self.catalog
            .entries
            .iter()
            .find(|e| e.path == path)
            .expect("entry")
            .hash
            .clone()
    }

    pub fn file(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.root.path().join(path)).expect("read source")
    }
}

pub struct Running {
    pub task: JoinHandle<natster_catalog::Result<()>>,
    pub stop: Option<oneshot::Sender<()>>,
    pub control: ServeControl,
    pub client: async_nats::Client,
}

impl Running {
    /// Clean shutdown; returns serve's result.
    pub async fn shutdown(mut self) -> natster_catalog::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("serve stops")
            .expect("join")
    }

    /// A crash: the task is dropped mid-flight and the connection closed.
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
        drop(self.client);
    }
}

pub async fn start_on(client: async_nats::Client, mut config: ServeConfig) -> Running {
    let (stop, rx) = oneshot::channel::<()>();
    let control = config.control.clone();
    let (ready_tx, ready_rx) = oneshot::channel::<()>();
    let ready = std::sync::Mutex::new(Some(ready_tx));
    let user_events = config.events.take();
    config.events = Some(Arc::new(move |e| {
        if matches!(e, natster_catalog::ServeEvent::Started { .. }) {
            if let Some(tx) = ready.lock().expect("lock").take() {
                let _ = tx.send(());
            }
        }
        if let Some(u) = &user_events {
            u(e);
        }
    }));
    let c = client.clone();
    let task = tokio::spawn(async move {
        natster_catalog::serve(c, config, async {
            let _ = rx.await;
        })
        .await
    });
    tokio::time::timeout(Duration::from_secs(20), ready_rx)
        .await
        .expect("serve starts")
        .expect("started");
    Running {
        task,
        stop: Some(stop),
        control,
        client,
    }
}

/// No file at `out` and, when `keep_part` is false, no partial file either.
pub fn assert_nothing_at(out: &Path) {
    assert!(!out.exists(), "{} must not exist", out.display());
}

/// A blocking gate for a progress callback: the callback calls `arrive`
/// when its condition is first met, which tells the test and waits until
/// the test calls `release`. While it waits, the receiver grants no credit,
/// so the sender cannot get further than its window.
///
/// The wait runs in `block_in_place`: the callback runs on a runtime worker,
/// and a plain blocking wait there strands the tasks queued on that worker
/// (tokio's LIFO slot cannot be stolen). The catalog server and the NATS
/// connections of these tests share the runtime, so about 1 run in 4 the
/// server never answered the next request.
#[derive(Clone)]
pub struct Gate {
    arrived: Arc<std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>>,
    release: Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
}

pub struct GateControl {
    arrived: std::sync::mpsc::Receiver<()>,
    release: std::sync::mpsc::Sender<()>,
}

pub fn gate() -> (Gate, GateControl) {
    let (a_tx, a_rx) = std::sync::mpsc::channel();
    let (r_tx, r_rx) = std::sync::mpsc::channel();
    (
        Gate {
            arrived: Arc::new(std::sync::Mutex::new(Some(a_tx))),
            release: Arc::new(std::sync::Mutex::new(r_rx)),
        },
        GateControl {
            arrived: a_rx,
            release: r_tx,
        },
    )
}

impl Gate {
    /// Call from the callback; only the first call blocks.
    pub fn arrive(&self) {
        let first = self.arrived.lock().expect("lock").take();
        if let Some(tx) = first {
            let _ = tx.send(());
            // Bounded, so a test that fails before `release` ends instead
            // of holding its runtime forever.
            tokio::task::block_in_place(|| {
                let _ = self
                    .release
                    .lock()
                    .expect("lock")
                    .recv_timeout(Duration::from_secs(30));
            });
        }
    }
}

impl GateControl {
    pub async fn wait(&self) {
        let start = std::time::Instant::now();
        loop {
            match self.arrived.try_recv() {
                Ok(()) => return,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => panic!("gate dropped"),
                Err(_) if start.elapsed() > Duration::from_secs(30) => panic!("gate never reached"),
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    pub fn release(&self) {
        let _ = self.release.send(());
    }
}
