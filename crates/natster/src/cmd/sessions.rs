//! `natster sessions ls|revoke`: the web sessions bound to this account.

use anyhow::Result;
use clap::{Args, Subcommand};

use natster_client::Selection;

use crate::output::{json, say};
use crate::progress::utc;

/// Web sessions.
#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(subcommand)]
    command: SessionsCommand,
}

#[derive(Debug, Subcommand)]
enum SessionsCommand {
    /// List bound sessions.
    #[command(alias = "list")]
    Ls,
    /// End a session: nats-server refuses its credential from now on.
    Revoke {
        /// The session's key (`U...`, as `sessions ls` shows it).
        session: String,
    },
}

/// Runs it.
pub async fn run(a: SessionsArgs, sel: &Selection) -> Result<()> {
    let ctx = sel.load()?;
    let client = ctx.connect().await?;
    match a.command {
        SessionsCommand::Ls => {
            let list = natster_web::login::sessions_ls(&client, &ctx.info.account).await?;
            if json() {
                say!("{}", serde_json::to_string(&list)?);
            } else if list.is_empty() {
                say!("no web sessions");
            } else {
                for s in list {
                    let until = s.expires_at.map_or_else(|| "no expiry".into(), utc);
                    say!("{}  bound {}  until {until}", s.session, utc(s.bound_at));
                }
            }
        }
        SessionsCommand::Revoke { session } => {
            natster_web::login::sessions_revoke(&client, &ctx.info.account, &session).await?;
            say!("revoked session {session}");
        }
    }
    Ok(())
}
