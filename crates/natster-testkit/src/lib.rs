//! Test harness: a real nats-server in operator mode (full resolver,
//! JetStream, websocket) on free ports in a temp dir, with operator, account
//! and user fixtures. Each [`TestServer`] is independent, so tests run in
//! parallel; dropping it kills the server and removes its files.
//!
//! nats-server is found the way the product finds it
//! ([`natster_hub::server::NatsServerBinary::discover`]), falling back to the
//! project's own `.venv/bin/nats-server` that `scripts/test.sh` installs.

pub mod browser;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use natster_auth::claims::{
    AccountClaims, AccountNats, Claims, OperatorNats, SigningKey, UserClaims, UserNats,
};
use natster_auth::jwt::encode;
use natster_auth::{KeyPair, keys::KeyKind};
use natster_hub::server::{JetStreamConfig, NatsServerBinary, NatsServerProcess, ServerConfig};
use natster_proto::resolver::{self, CLAIMS_UPDATE, ClaimsUpdate};

pub use async_nats;

/// Polls `f` every 50 ms until it is true or `timeout` has passed; whether
/// it became true.
pub async fn eventually<F: std::future::Future<Output = bool>>(
    mut f: impl FnMut() -> F,
    timeout: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The nats-server binary for tests. Panics with the fix when there is none.
pub fn nats_server_binary() -> NatsServerBinary {
    match NatsServerBinary::discover() {
        Ok(b) => b,
        Err(first) => {
            let venv =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/nats-server");
            NatsServerBinary::check(&venv).unwrap_or_else(|_| panic!("{first}"))
        }
    }
}

/// An operator: identity key (self-signs the operator JWT) and a signing key
/// (signs account JWTs), with `strict_signing_key_usage`.
#[derive(Debug)]
pub struct OperatorFixture {
    /// Identity key.
    pub identity: KeyPair,
    /// Signing key.
    pub signing: KeyPair,
    /// The operator JWT.
    pub jwt: String,
}

impl OperatorFixture {
    /// A new operator whose system account is `system`.
    pub fn new(system: &str) -> Self {
        let identity = KeyKind::Operator.generate();
        let signing = KeyKind::Operator.generate();
        let nats = OperatorNats {
            signing_keys: vec![signing.public_key()],
            system_account: system.to_owned(),
            strict_signing_key_usage: true,
            ..OperatorNats::default()
        };
        let claims = Claims::new(identity.public_key(), nats).with_name("natster-test");
        let jwt = encode(&claims, &identity).expect("operator JWT");
        Self {
            identity,
            signing,
            jwt,
        }
    }
}

/// An account: identity key, one signing key, and its claims (not yet signed).
#[derive(Debug, Clone)]
pub struct AccountFixture {
    /// Identity key.
    pub identity: KeyPair,
    /// Signing key (issues users and activations, with `issuer_account`).
    pub signing: KeyPair,
    /// Claims; edit them, then sign with [`AccountFixture::jwt`].
    pub claims: AccountClaims,
}

impl AccountFixture {
    /// A new account named `name` with a signing key and default limits.
    pub fn new(name: &str) -> Self {
        let identity = KeyKind::Account.generate();
        let signing = KeyKind::Account.generate();
        let mut nats = AccountNats::new();
        nats.signing_keys
            .push(SigningKey::Key(signing.public_key()));
        let claims = Claims::new(identity.public_key(), nats).with_name(name);
        Self {
            identity,
            signing,
            claims,
        }
    }

    /// The account's public key.
    pub fn key(&self) -> String {
        self.identity.public_key()
    }

    /// Signs the account JWT with the operator's signing key.
    pub fn jwt(&self, operator: &OperatorFixture) -> String {
        encode(&self.claims, &operator.signing).expect("account JWT")
    }

    /// A user issued by the account's signing key (with `issuer_account`);
    /// `edit` adjusts its claims before signing.
    pub fn user(&self, name: &str, edit: impl FnOnce(&mut UserClaims)) -> UserFixture {
        let key = KeyKind::User.generate();
        let mut claims =
            Claims::new(key.public_key(), UserNats::for_account(self.key())).with_name(name);
        edit(&mut claims);
        let jwt = encode(&claims, &self.signing).expect("user JWT");
        UserFixture { key, jwt }
    }
}

/// A user key and its JWT.
#[derive(Debug, Clone)]
pub struct UserFixture {
    /// The user's key pair; it signs the server's nonce.
    pub key: KeyPair,
    /// The user JWT.
    pub jwt: String,
}

impl UserFixture {
    /// Connects to `url`, proving the key by signing the server's nonce.
    pub async fn connect(&self, url: &str) -> Result<async_nats::Client, async_nats::ConnectError> {
        let key = std::sync::Arc::new(self.key.clone());
        async_nats::ConnectOptions::with_jwt(self.jwt.clone(), move |nonce| {
            let key = key.clone();
            async move { key.sign(&nonce).map_err(async_nats::AuthError::new) }
        })
        .connection_timeout(Duration::from_secs(5))
        .connect(url)
        .await
    }
}

/// What the test server should run.
#[derive(Debug, Clone)]
pub struct TestServerOptions {
    /// Enable JetStream (256 MiB file, 64 MiB memory).
    pub jetstream: bool,
}

impl Default for TestServerOptions {
    fn default() -> Self {
        Self { jetstream: true }
    }
}

/// A real nats-server in operator mode, owned by one test.
#[derive(Debug)]
pub struct TestServer {
    process: Option<NatsServerProcess>,
    binary: NatsServerBinary,
    config: ServerConfig,
    /// The operator.
    pub operator: OperatorFixture,
    /// The system account.
    pub system: AccountFixture,
    system_user: UserFixture,
    dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server with JetStream.
    pub async fn start() -> Self {
        Self::start_with(TestServerOptions::default()).await
    }

    /// Starts a server with `options`.
    pub async fn start_with(options: TestServerOptions) -> Self {
        Self::try_start(options).await.expect("start nats-server")
    }

    async fn try_start(options: TestServerOptions) -> Result<Self> {
        let binary = nats_server_binary();
        let dir = tempfile::Builder::new().prefix("natster-test-").tempdir()?;
        let system = AccountFixture::new("SYS");
        let operator = OperatorFixture::new(&system.key());
        let op_path = dir.path().join("operator.jwt");
        std::fs::write(&op_path, &operator.jwt)?;
        let mut config = ServerConfig::loopback(dir.path(), op_path, system.key());
        config.name = "natster-test".into();
        config.preload.insert(system.key(), system.jwt(&operator));
        if options.jetstream {
            config.jetstream = Some(JetStreamConfig {
                store_dir: dir.path().join("js"),
                max_memory: 64 << 20,
                max_file: 256 << 20,
            });
        }
        let process =
            NatsServerProcess::start(&binary, &config, dir.path(), Duration::from_secs(20)).await?;
        let system_user = system.user("sys", |_| {});
        Ok(Self {
            process: Some(process),
            binary,
            config,
            operator,
            system,
            system_user,
            dir,
        })
    }

    fn process(&self) -> &NatsServerProcess {
        self.process.as_ref().expect("server running")
    }

    /// The client URL.
    pub fn url(&self) -> String {
        self.process().client_url().to_owned()
    }

    /// The websocket URL.
    pub fn websocket_url(&self) -> Option<String> {
        self.process().websocket_url().map(str::to_owned)
    }

    /// The server's working directory.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Contents of the server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.process().log_path()).unwrap_or_default()
    }

    /// A connection as the system user.
    pub async fn system_client(&self) -> async_nats::Client {
        self.system_user
            .connect(&self.url())
            .await
            .expect("system user connects")
    }

    /// Publishes an account JWT to the resolver ([`CLAIMS_UPDATE`]).
    /// Returns the server's success message, or its error as `Err`.
    pub async fn push(&self, account_jwt: &str) -> Result<String> {
        let client = self.system_client().await;
        let msg = client
            .request(CLAIMS_UPDATE, account_jwt.to_owned().into())
            .await
            .context("claims update request")?;
        match resolver::parse(&msg.payload).context("claims update reply")? {
            ClaimsUpdate::Updated { message, .. } => Ok(message),
            ClaimsUpdate::Refused(e) => Err(e.into()),
            ClaimsUpdate::Empty => bail!("claims update: empty reply"),
        }
    }

    /// Signs `account` with the operator signing key and pushes it.
    pub async fn push_account(&self, account: &AccountFixture) -> Result<String> {
        self.push(&account.jwt(&self.operator)).await
    }

    /// The nats-server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(NatsServerProcess::pid)
    }

    /// Kills the server (SIGKILL), as a crash would.
    pub async fn kill(&mut self) {
        if let Some(p) = self.process.as_mut() {
            p.kill().await;
        }
    }

    /// Starts the server again on the same ports and data after [`Self::kill`].
    pub async fn restart(&mut self) {
        self.kill().await;
        let mut config = self.config.clone();
        config.pin_ports(self.process().ports());
        let process = NatsServerProcess::start(
            &self.binary,
            &config,
            self.dir.path(),
            Duration::from_secs(20),
        )
        .await
        .expect("restart nats-server");
        self.process = Some(process);
    }
}
