//! A whole Natster on this machine for the web tests: a real hub (with its
//! nats-server), the global service, the web server, and people who
//! register the way `natster init` does. Plus a scripted "browser" for the
//! HTTP-level tests (the real one is in `browser.rs`).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use natster_auth::KeyPair;
use natster_auth::claims::{ActivationNats, Claims, ExportType, UserNats};
use natster_auth::jwt::encode;
use natster_client::HubHttp;
use natster_hub::identity::HubIdentity;
use natster_hub::{HubConfig, RunningHub};
use natster_proto::hub::{ExportAddRequest, ImportAddRequest};
use natster_proto::subjects;
use natster_web::login::{LoginOptions, LoginOutcome, LoginPrompt, login};
use natster_web::{WebConfig, WebCredential};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub struct Stack {
    pub dir: tempfile::TempDir,
    pub hub: Option<RunningHub>,
    pub identity: HubIdentity,
    pub web_url: String,
    web_stop: Option<oneshot::Sender<()>>,
    web_task: Option<tokio::task::JoinHandle<Result<(), natster_web::WebError>>>,
    global_stop: Option<oneshot::Sender<()>>,
}

pub fn global_config(web: &str) -> natster_global::GlobalConfig {
    natster_global::GlobalConfig {
        web_account: Some(web.to_owned()),
        heartbeat_interval: Duration::from_secs(1),
        events_max_bytes: 32 << 20,
        projection_max_bytes: 8 << 20,
        ephemeral_max_bytes: 8 << 20,
        ..natster_global::GlobalConfig::default()
    }
}

impl Stack {
    /// Hub + global service; the web server in this process unless `web` is false.
    pub async fn start_with(web: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = HubConfig::ephemeral(dir.path().join("hub"));
        config.jetstream.disk = 128 << 20;
        config.nats_server = Some(natster_testkit::nats_server_binary().path);
        let hub = RunningHub::start(config).await.expect("hub starts");
        let identity = HubIdentity::load_or_create(hub.dir()).unwrap();
        let url = hub.info().nats_urls[0].clone();

        let gclient = identity.global.connect(&url, "global").await.unwrap();
        let (global_stop, rx) = oneshot::channel::<()>();
        let gconfig = global_config(&identity.web.key());
        tokio::spawn(async move {
            let r = natster_global::run(gclient, gconfig, async {
                let _ = rx.await;
            })
            .await;
            if let Err(e) = r {
                eprintln!("global service stopped: {e}");
            }
        });

        let mut s = Self {
            dir,
            hub: Some(hub),
            identity,
            web_url: String::new(),
            web_stop: None,
            web_task: None,
            global_stop: Some(global_stop),
        };
        s.wait_for_global().await;
        if web {
            s.start_web().await;
        }
        s
    }

    pub async fn start() -> Self {
        Self::start_with(true).await
    }

    pub fn hub(&self) -> &RunningHub {
        self.hub.as_ref().unwrap()
    }

    pub fn web_credential(&self) -> WebCredential {
        WebCredential::issue(&self.identity.web.key(), &self.identity.web.signing).unwrap()
    }

    pub fn web_config(&self, public_url: &str) -> WebConfig {
        let info = self.hub().info();
        WebConfig::new(
            info.hub_url.clone(),
            info.nats_urls.clone(),
            self.web_credential(),
            public_url,
        )
    }

    async fn start_web(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let config = self.web_config(&url);
        let (tx, rx) = oneshot::channel::<()>();
        self.web_task = Some(tokio::spawn(natster_web::serve(listener, config, async {
            let _ = rx.await;
        })));
        self.web_stop = Some(tx);
        self.web_url = url;
    }

    async fn wait_for_global(&self) {
        let probe = Person::register(self, "probe").await;
        let c = probe.connect(self).await;
        for _ in 0..100 {
            let r = c
                .request(subjects::global(&probe.key(), "stats"), "{}".into())
                .await;
            if let Ok(m) = r {
                let v: Value = serde_json::from_slice(&m.payload).unwrap();
                if v["code"] == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the global service did not come up");
    }

    pub async fn shutdown(mut self) {
        if let Some(tx) = self.web_stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.web_task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        if let Some(tx) = self.global_stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.hub.take() {
            h.shutdown().await;
        }
    }
}

/// A person with keys on "their machine".
pub struct Person {
    pub name: String,
    pub account: KeyPair,
    pub signing: KeyPair,
    pub user: KeyPair,
    pub user_jwt: String,
}

impl Person {
    pub async fn register(stack: &Stack, name: &str) -> Self {
        let http = HubHttp::new(&stack.hub().info().hub_url).unwrap();
        let account = KeyPair::new_account();
        let signing = KeyPair::new_account();
        http.register_account(&account, &signing.public_key(), name, None)
            .await
            .unwrap();
        let user = KeyPair::new_user();
        let claims = Claims::new(
            user.public_key(),
            UserNats::for_account(account.public_key()),
        );
        let user_jwt = encode(&claims, &signing).unwrap();
        Self {
            name: name.into(),
            account,
            signing,
            user,
            user_jwt,
        }
    }

    pub fn key(&self) -> String {
        self.account.public_key()
    }

    pub async fn connect(&self, stack: &Stack) -> async_nats::Client {
        natster_client::connect::options(self.user_jwt.clone(), self.user.clone(), &self.name)
            .connect(stack.hub().info().nats_urls[0].as_str())
            .await
            .unwrap()
    }

    /// `op` at the global service; the envelope.
    pub async fn global(&self, c: &async_nats::Client, op: &str, body: Value) -> Value {
        let m = c
            .request(
                subjects::global(&self.key(), op),
                serde_json::to_vec(&body).unwrap().into(),
            )
            .await
            .unwrap();
        serde_json::from_slice(&m.payload).unwrap()
    }

    pub async fn init(&self, c: &async_nats::Client) {
        let r = self
            .global(
                c,
                "events.put",
                json!({"type": "account_initialized", "data": {"name": self.name}}),
            )
            .await;
        assert_eq!(r["code"], 200, "{r}");
    }

    /// Shares `catalog` with `to` the way `natster catalog share` + `import` do.
    pub async fn share_with(
        &self,
        me: &async_nats::Client,
        catalog: &str,
        to: &Person,
        to_client: &async_nats::Client,
    ) {
        natster_client::HubClient::new(me.clone(), self.key())
            .change(&ExportAddRequest {
                catalog: catalog.into(),
            })
            .await
            .unwrap();
        let token = |subject: String, kind| {
            let c = Claims::new(to.key(), ActivationNats::new(subject, kind, self.key()));
            encode(&c, &self.signing).unwrap()
        };
        let req = ImportAddRequest {
            owner: self.key(),
            catalog: catalog.into(),
            service_token: token(
                subjects::catalog_import(&to.key(), &self.key(), catalog),
                ExportType::Service,
            ),
            stream_token: token(
                subjects::media_import(&to.key(), &self.key(), catalog),
                ExportType::Stream,
            ),
        };
        natster_client::HubClient::new(to_client.clone(), to.key())
            .change(&req)
            .await
            .unwrap();
        let r = self
            .global(
                me,
                "events.put",
                json!({"type": "catalog_shared", "data": {"catalog": catalog, "target": to.key()}}),
            )
            .await;
        assert_eq!(r["code"], 200, "{r}");
        let r = to
            .global(to_client, "events.put", json!({"type": "catalog_imported", "data": {"owner": self.key(), "catalog": catalog}}))
            .await;
        assert_eq!(r["code"], 200, "{r}");
    }
}

/// A scripted browser: opens links, keeps its cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Arc<Mutex<Option<String>>>,
    pub phrase: Arc<Mutex<Option<String>>>,
    pub set_cookie: Arc<Mutex<Option<String>>>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.into(),
            http: reqwest::Client::new(),
            cookie: Arc::default(),
            phrase: Arc::default(),
            set_cookie: Arc::default(),
        }
    }

    /// Opens `/link/<code>` the way the page's script does.
    pub async fn open_link(&self, url: &str) -> reqwest::Response {
        let code = url.rsplit('/').next().unwrap();
        let page = self.http.get(url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let resp = self
            .http
            .post(format!("{}/api/link/{code}/open", self.base))
            .header("origin", &self.base)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        if let Some(sc) = resp.headers().get("set-cookie") {
            let sc = sc.to_str().unwrap().to_owned();
            let kv = sc.split(';').next().unwrap().to_owned();
            *self.cookie.lock().unwrap() = Some(kv);
            *self.set_cookie.lock().unwrap() = Some(sc);
        }
        resp
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = self.cookie.lock().unwrap().clone() {
            r = r.header("cookie", c);
        }
        r
    }

    pub fn post(&self, path: &str, csrf: Option<&str>) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .json(&json!({}));
        if let Some(c) = self.cookie.lock().unwrap().clone() {
            r = r.header("cookie", c);
        }
        if let Some(t) = csrf {
            r = r.header("x-natster-csrf", t);
        }
        r
    }

    pub async fn session(&self) -> (u16, Value) {
        let r = self.get("/api/session").send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// A terminal that "opens" the link in [`Browser`] and confirms the phrase
/// only when the browser shows the same one (unless told to decline).
pub struct TestPrompt {
    pub browser: Browser,
    pub decline: bool,
    pub shown: Option<String>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestPrompt {
    pub fn new(browser: Browser) -> Self {
        Self {
            browser,
            decline: false,
            shown: None,
            handle: None,
        }
    }
}

impl LoginPrompt for TestPrompt {
    fn show_link(&mut self, url: &str) {
        self.shown = Some(url.to_owned());
        let b = self.browser.clone();
        let url = url.to_owned();
        self.handle = Some(tokio::spawn(async move {
            let resp = b.open_link(&url).await;
            assert_eq!(resp.status(), 200, "the link opens");
            let v: Value = resp.json().await.unwrap();
            *b.phrase.lock().unwrap() = Some(v["phrase"].as_str().unwrap().to_owned());
        }));
    }

    async fn confirm(&mut self, phrase: &str) -> bool {
        // The server may report the link opened a moment before the
        // browser has its answer: wait for the browser's phrase.
        for _ in 0..500 {
            let shown = self.browser.phrase.lock().unwrap().clone();
            if let Some(p) = shown {
                return !self.decline && p == phrase;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// Logs `who` in through `browser`.
pub async fn login_with(
    stack: &Stack,
    who: &Person,
    client: &async_nats::Client,
    browser: &Browser,
    opts: LoginOptions,
) -> Result<LoginOutcome, natster_web::login::LoginError> {
    let mut prompt = TestPrompt::new(browser.clone());
    let opts = LoginOptions {
        web_url: Some(stack.web_url.clone()),
        ..opts
    };
    login(client, &who.key(), &who.signing, &opts, &mut prompt).await
}
