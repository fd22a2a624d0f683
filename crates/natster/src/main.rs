//! `natster`: secure, self-hostable media sharing over NATS. A thin binary:
//! each command parses its arguments and calls into the library crates.
// A binary has no public API: `pub` here means "used by other modules".
#![allow(unreachable_pub)]

mod cmd;
mod output;
mod progress;
mod signal;

use clap::{Parser, Subcommand};

/// Secure, self-hostable peer-to-multipeer media sharing built on NATS.
#[derive(Debug, Parser)]
#[command(name = "natster", version, about)]
struct Cli {
    /// Context (identity) to use [env: NATSTER_CONTEXT; default: default].
    #[arg(long, global = true)]
    context: Option<String>,
    /// Print JSON, stable for scripts, where a command prints data.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole story on a local hub: two people, a shared catalog, a verified download.
    Demo(cmd::demo::DemoArgs),
    /// Run or administer the hub.
    Hub(cmd::hub::HubArgs),
    /// Create an identity on this machine and register it at a hub.
    Init(cmd::init::InitArgs),
    /// Show this context's account and check the connection.
    Whoami,
    /// Manage contexts.
    Context(cmd::context::ContextArgs),
    /// Make, serve, browse and download catalogs.
    Catalog(cmd::catalog::CatalogArgs),
    /// Run the global service.
    Global(cmd::global::GlobalArgs),
    /// Log a browser in to this account by a device link.
    Login(cmd::login::LoginArgs),
    /// List or end web sessions.
    Sessions(cmd::sessions::SessionsArgs),
    /// Run the web app.
    Web(cmd::web::WebArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    output::set_json(cli.json);
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let sel = || natster_client::Selection::from_env(cli.context.as_deref());
        match cli.command {
            Command::Demo(a) => cmd::demo::run(a).await,
            Command::Hub(a) => cmd::hub::run(a).await,
            Command::Init(a) => cmd::init::run(a, &sel()?).await,
            Command::Whoami => cmd::whoami::run(&sel()?).await,
            Command::Context(a) => cmd::context::run(a, &sel()?),
            Command::Catalog(a) => cmd::catalog::run(a, &sel()?).await,
            Command::Global(a) => cmd::global::run(a).await,
            Command::Login(a) => cmd::login::run(a, &sel()?).await,
            Command::Sessions(a) => cmd::sessions::run(a, &sel()?).await,
            Command::Web(a) => cmd::web::run(a).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line: the whole cause chain, joined, nothing said twice.
            let line = natster_client::chain_of(e.chain().map(|c| c.to_string()));
            eprintln!("error: {line}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,async_nats=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person: no escape codes in log files.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}
