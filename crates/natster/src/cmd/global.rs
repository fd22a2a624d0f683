//! `natster global serve`: run an instance of the global service (any
//! number may run at once; they share state in JetStream).

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use natster_global::GlobalConfig;
use natster_hub::dir::HubDir;
use natster_hub::identity::HubIdentity;

/// The global service.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    #[command(subcommand)]
    command: GlobalCommand,
}

#[derive(Debug, Subcommand)]
enum GlobalCommand {
    /// Serve until Ctrl-C, as a user of the global account.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The hub's data directory (holds the global account's keys).
    #[arg(long, env = "NATSTER_HUB_DIR")]
    hub_dir: PathBuf,
    /// NATS URL (default: from HUB_DIR/hub.json).
    #[arg(long)]
    nats: Option<String>,
}

/// The global service configuration `hub up` and `global serve` share.
pub fn config(identity: &HubIdentity, web_url: Option<String>) -> GlobalConfig {
    GlobalConfig {
        web_account: Some(identity.web.key()),
        claim_url_base: web_url.map(|u| format!("{u}/link")),
        ..GlobalConfig::default()
    }
}

/// Defaults (for sizing the hub's JetStream before the hub's keys exist).
pub fn config_defaults() -> GlobalConfig {
    GlobalConfig::default()
}

/// Waits until the global service answers (it first creates its stream and
/// buckets), asking as the global account itself.
pub async fn wait_ready(client: &async_nats::Client, global_account: &str) -> Result<()> {
    let subject = natster_proto::subjects::global(global_account, "stats");
    for _ in 0..120 {
        let req = client.request(subject.clone(), "{}".into());
        if let Ok(Ok(_)) = tokio::time::timeout(std::time::Duration::from_millis(500), req).await {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(anyhow!(
        "the global service did not come up within a minute"
    ))
}

/// The global service running inside this process (`hub up`, `demo`).
#[derive(Debug)]
pub struct Embedded {
    task: tokio::task::JoinHandle<Result<(), natster_global::GlobalError>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Embedded {
    /// Starts it as a user of `hub`'s global account and waits until it answers.
    pub async fn start(hub: &natster_hub::RunningHub, web_url: Option<String>) -> Result<Self> {
        let url = hub.info().nats_urls.first().cloned().unwrap_or_default();
        let client = hub
            .identity()
            .global
            .connect(&url, "natster-global")
            .await
            .map_err(|e| anyhow!("cannot connect the global service: {e}"))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(natster_global::run(
            client.clone(),
            config(hub.identity(), web_url),
            async move {
                let _ = stopped.await;
            },
        ));
        wait_ready(&client, &hub.identity().global.key()).await?;
        Ok(Self { task, stop })
    }

    /// Resolves if the service ends by itself (it should not), with why.
    pub async fn ended(&mut self) -> anyhow::Error {
        match (&mut self.task).await {
            Ok(Ok(())) => anyhow!("the global service stopped"),
            Ok(Err(e)) => anyhow!("the global service failed: {e}"),
            Err(e) => anyhow!("the global service crashed: {e}"),
        }
    }

    /// Stops it, letting requests in flight finish (up to 5 s).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.task).await;
    }
}

/// Runs `natster global ...`.
pub async fn run(args: GlobalArgs) -> Result<()> {
    let GlobalCommand::Serve(a) = args.command;
    let dir = HubDir::open(&a.hub_dir)?;
    let identity = dir.identity()?;
    let url = match a.nats {
        Some(u) => u,
        None => dir.info()?.nats_urls.join(","),
    };
    let client = identity.global.connect(&url, "natster-global").await?;
    println!("global service running against {url}; Ctrl-C stops");
    natster_global::run(client, config(&identity, None), crate::signal::wait()).await?;
    Ok(())
}
