//! `natster web serve`: run the web app alone (`hub up` runs one too).

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::output::say;

/// The web app.
#[derive(Debug, Args)]
pub struct WebArgs {
    #[command(subcommand)]
    command: WebCommand,
}

#[derive(Debug, Subcommand)]
enum WebCommand {
    /// Serve until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The hub's data directory (holds the web account's keys and hub.json).
    #[arg(long, env = "NATSTER_HUB_DIR")]
    hub_dir: PathBuf,
    /// Interface to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    listen: IpAddr,
    /// Port (0: any free port).
    #[arg(long, default_value_t = 7280)]
    port: u16,
    /// The URL people open (default: http://LISTEN:PORT).
    #[arg(long)]
    public_url: Option<String>,
}

/// Runs `natster web ...`.
pub async fn run(args: WebArgs) -> Result<()> {
    let WebCommand::Serve(a) = args.command;
    let web = natster_node::WebListen {
        listen: a.listen,
        port: a.port,
        public_url: a.public_url,
    };
    let ready = |url: &str| say!("web app at {url}; Ctrl-C stops");
    natster_node::serve_web(&a.hub_dir, web, ready, crate::signal::wait()).await?;
    Ok(())
}
