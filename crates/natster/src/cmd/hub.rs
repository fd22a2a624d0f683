//! `natster hub up` and `natster hub invite`.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use natster_hub::HubConfig;
use natster_hub::dir::HubDir;
use natster_hub::http::Registration;
use natster_node::{Node, NodeConfig, WebListen};

use crate::output::{json, say};

/// Run the hub: NATS operator, nats-server, account control plane.
#[derive(Debug, Args)]
pub struct HubArgs {
    #[command(subcommand)]
    command: HubCommand,
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// Start the hub in the foreground (Ctrl-C stops everything).
    Up(UpArgs),
    /// Print a single-use invite code for registration.
    Invite(InviteArgs),
}

#[derive(Debug, Args)]
struct DirArg {
    /// Data directory [env: NATSTER_HUB_DIR; default: ~/.natster-hub].
    #[arg(long, env = "NATSTER_HUB_DIR")]
    dir: Option<PathBuf>,
}

impl DirArg {
    fn resolve(&self) -> Result<PathBuf> {
        Ok(self
            .dir
            .clone()
            .map_or_else(natster_hub::dir::default_dir, Ok)?)
    }
}

#[derive(Debug, Args)]
struct UpArgs {
    #[command(flatten)]
    dir: DirArg,
    /// Interface to listen on (loopback by default; anything else makes registration invite-only).
    #[arg(long, default_value = "127.0.0.1")]
    listen: IpAddr,
    /// NATS client port (0: any free port).
    #[arg(long, default_value_t = 4222)]
    nats_port: u16,
    /// Hub HTTP port (0: any free port).
    #[arg(long, default_value_t = 7222)]
    http_port: u16,
    /// NATS websocket port (0: any free port).
    #[arg(long, default_value_t = 4223)]
    ws_port: u16,
    /// Web app port (0: any free port).
    #[arg(long, default_value_t = 7280)]
    web_port: u16,
    /// Let anyone who reaches the hub register.
    #[arg(long, conflicts_with = "invite_only")]
    open: bool,
    /// Require an invite code to register.
    #[arg(long)]
    invite_only: bool,
}

#[derive(Debug, Args)]
struct InviteArgs {
    #[command(flatten)]
    dir: DirArg,
    /// How long the code stays valid (e.g. 30m, 24h, 7d).
    #[arg(long, default_value = "24h", value_parser = natster_client::duration::parse)]
    ttl: std::time::Duration,
}

/// Runs `natster hub ...`.
pub async fn run(args: HubArgs) -> Result<()> {
    match args.command {
        HubCommand::Up(a) => up(a).await,
        HubCommand::Invite(a) => invite(a),
    }
}

async fn up(a: UpArgs) -> Result<()> {
    let dir = a.dir.resolve()?;
    let mut hub = HubConfig::new(dir.clone());
    hub.listen = a.listen;
    hub.nats_port = a.nats_port;
    hub.http_port = a.http_port;
    hub.ws_port = a.ws_port;
    hub.registration = match (a.open, a.invite_only) {
        (true, _) => Some(Registration::Open),
        (_, true) => Some(Registration::InviteOnly),
        _ => None,
    };
    let web = WebListen {
        listen: a.listen,
        port: a.web_port,
        public_url: None,
    };
    let mut node = Node::start(NodeConfig { hub, web }).await?;
    let (info, web_url) = (node.info(), node.web_url());
    if json() {
        let mut v = serde_json::to_value(info)?;
        v["web_url"] = web_url.into();
        say!("{v}");
    } else {
        say!("natster hub is up (data in {})", dir.display());
        say!("  hub URL:    {}", info.hub_url);
        say!("  NATS:       {}", info.nats_urls.join(", "));
        say!("  websocket:  {}", info.websocket_urls.join(", "));
        say!("  operator:   {}", info.operator);
        say!("  web app:    {web_url}");
        let hub_url = &info.hub_url;
        say!("  register:   natster init --hub {hub_url} --name NAME");
        say!("Ctrl-C stops the hub.");
    }
    tokio::select! {
        _ = crate::signal::wait() => {}
        e = node.ended() => {
            node.shutdown().await;
            return Err(e.into());
        }
    }
    eprintln!("stopping the hub...");
    node.shutdown().await;
    Ok(())
}

fn invite(a: InviteArgs) -> Result<()> {
    let dir = HubDir::open(&a.dir.resolve()?)?;
    let expires_at = natster_auth::jwt::now() + a.ttl.as_secs() as i64;
    let code = natster_hub::invites::create(dir.path(), expires_at)?;
    if json() {
        say!(
            "{}",
            serde_json::json!({ "code": code, "expires_at": expires_at })
        );
    } else {
        say!("{code}");
        // The hub's own URL when it is running; a placeholder otherwise.
        let hub = dir.info().map_or_else(|_| "URL".to_owned(), |i| i.hub_url);
        let valid = humantime::format_duration(a.ttl);
        eprintln!(
            "single use, valid for {valid}: natster init --hub {hub} --name NAME --invite {code}"
        );
    }
    Ok(())
}
