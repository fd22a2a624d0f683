//! `natster catalog ...`: one module per verb.

pub mod contents;
pub mod describe;
pub mod download;
pub mod import;
pub mod inbox;
pub mod ls;
pub mod new;
pub mod rescan;
pub mod serve;
pub mod share;
pub mod unshare;

use anyhow::Result;
use clap::{Args, Subcommand};

use natster_client::Selection;

/// Make, serve and read catalogs.
#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    command: CatalogCommand,
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Turn a directory into a catalog.
    New(new::NewArgs),
    /// Set the description of one file.
    Describe(describe::DescribeArgs),
    /// Bring a catalog up to date with its directory (re-hashes only what changed).
    Rescan(rescan::RescanArgs),
    /// Serve a catalog until Ctrl-C.
    Serve(serve::ServeArgs),
    /// List the files of a catalog (yours, or one shared with you).
    Contents(contents::ContentsArgs),
    /// Download one file, verified against the catalog's hash.
    Download(download::DownloadArgs),
    /// Share your catalog with another account.
    Share(share::ShareArgs),
    /// Take a share back (cuts off transfers in flight).
    Unshare(unshare::UnshareArgs),
    /// Import a catalog shared with you.
    Import(import::ImportArgs),
    /// Shares waiting for you to import them.
    Inbox,
    /// Catalogs you have and catalogs shared with you.
    #[command(alias = "list")]
    Ls,
}

/// Runs `natster catalog ...`.
pub async fn run(args: CatalogArgs, sel: &Selection) -> Result<()> {
    match args.command {
        CatalogCommand::New(a) => new::run(a, sel),
        CatalogCommand::Describe(a) => describe::run(a, sel),
        CatalogCommand::Rescan(a) => rescan::run(a, sel),
        CatalogCommand::Serve(a) => serve::run(a, sel).await,
        CatalogCommand::Contents(a) => contents::run(a, sel).await,
        CatalogCommand::Download(a) => download::run(a, sel).await,
        CatalogCommand::Ls => ls::run(sel).await,
        CatalogCommand::Share(a) => share::run(a, sel).await,
        CatalogCommand::Unshare(a) => unshare::run(a, sel).await,
        CatalogCommand::Import(a) => import::run(a, sel).await,
        CatalogCommand::Inbox => inbox::run(sel).await,
    }
}
