//! `natster demo`: the whole story on a local hub, in one command — hub up,
//! alice and bob init, alice catalogs sample media, shares it with bob and
//! serves it; bob sees it in his inbox, imports it, lists it online,
//! downloads a file and its hash verifies. Then everything keeps running
//! until Ctrl-C, so you can try more commands against it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Args;
use natster_client::{Context, Selection};
use natster_node::{Node, NodeConfig};
use natster_proto::global::MySharesRequest;

use crate::cmd::catalog::{download, import, inbox, ls, new, serve, share};

/// Arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the hub, both homes and the media go (default: a new temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Stop after the story instead of running until Ctrl-C.
    #[arg(long)]
    exit: bool,
}

fn step(n: u32, text: &str) {
    println!("\n==> {n}. {text}");
}

/// Runs it.
pub async fn run(a: DemoArgs) -> Result<()> {
    let dir = a.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("natster-demo-{}", std::process::id()))
    });
    if dir.join("hub").exists() {
        bail!("{} already holds a demo: pass another --dir", dir.display());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    println!("natster demo in {}", dir.display());
    step(
        1,
        "hub up (operator, nats-server, account control plane, global service, web app)",
    );
    let node = Node::start(NodeConfig::ephemeral(dir.join("hub"))).await?;
    println!(
        "hub at {}, web app at {}",
        node.info().hub_url,
        node.web_url()
    );
    let person = |name: &str| Selection {
        home: dir.join(name),
        name: "default".into(),
    };
    let (alice, bob) = (person("alice"), person("bob"));
    let server = story(&dir, &node.info().hub_url, &alice, &bob).await?;
    if !a.exit {
        println!("The hub and alice's catalog server keep running; Ctrl-C stops them.");
        crate::signal::wait().await;
    }
    server.abort();
    node.shutdown().await;
    Ok(())
}

/// Steps 2 to 9; returns alice's catalog server, still running.
async fn story(
    dir: &std::path::Path,
    hub_url: &str,
    alice: &Selection,
    bob: &Selection,
) -> Result<tokio::task::JoinHandle<Result<()>>> {
    step(
        2,
        "alice and bob each make their keys and register (no seed leaves their homes)",
    );
    for (who, name) in [(alice, "alice"), (bob, "bob")] {
        let args = crate::cmd::init::InitArgs {
            hub: hub_url.to_owned(),
            name: Some(name.into()),
            invite: None,
            json: false,
        };
        crate::cmd::init::run(args, who).await?;
    }
    let (alice_key, bob_key) = (alice.load()?.info.account, bob.load()?.info.account);
    let server = alice_shares_and_serves(dir, alice, &bob_key).await?;
    wait_online(&bob.load()?, &alice_key).await?;
    bob_imports_and_downloads(dir, alice, bob, &alice_key).await?;
    println!("\nThe story is done. Try, for instance:");
    let (a, b) = (alice.home.display(), bob.home.display());
    println!("  NATSTER_HOME={b} natster catalog contents movies --owner {alice_key}");
    println!("  NATSTER_HOME={a} natster catalog unshare movies {bob_key}");
    Ok(server)
}

/// Steps 3 to 5: alice's catalog, shared with bob, served in the background.
async fn alice_shares_and_serves(
    dir: &std::path::Path,
    alice: &Selection,
    bob_key: &str,
) -> Result<tokio::task::JoinHandle<Result<()>>> {
    step(
        3,
        "alice turns a folder of sample media into the catalog `movies`",
    );
    let media = dir.join("media");
    natster_catalog::sample::write(&media)?;
    let path = media.clone();
    let description = "Alice's sample media".into();
    new::run(
        new::NewArgs {
            name: "movies".into(),
            description,
            path,
            json: false,
        },
        alice,
    )?;

    step(4, "alice shares `movies` with bob");
    let args = share::ShareArgs {
        name: "movies".into(),
        account: bob_key.to_owned(),
        expires: None,
        json: false,
    };
    share::run(args, alice).await?;

    step(
        5,
        "alice serves `movies` (it keeps running in the background)",
    );
    let server = tokio::spawn({
        let alice = alice.clone();
        let args = serve::ServeArgs {
            name: "movies".into(),
            heartbeat_secs: 30,
        };
        async move { serve::run(args, &alice).await }
    });
    Ok(server)
}

/// Steps 6 to 9: bob's inbox, import, listing, and a verified download.
async fn bob_imports_and_downloads(
    dir: &std::path::Path,
    alice: &Selection,
    bob: &Selection,
    alice_key: &str,
) -> Result<()> {
    step(6, "bob looks in his inbox");
    inbox::run(inbox::InboxArgs { json: false }, bob).await?;
    step(7, "bob imports `movies`");
    let args = import::ImportArgs {
        name: "movies".into(),
        owner: alice_key.to_owned(),
        json: false,
    };
    import::run(args, bob).await?;
    step(8, "bob lists his catalogs: `movies` is online");
    ls::run(ls::LsArgs { json: false }, bob).await?;

    step(
        9,
        "bob downloads a file; it is written only once its SHA-256 matches the catalog",
    );
    let catalog = natster_catalog::Catalog::load(&alice.load()?.catalog_path("movies")?)?;
    let entry = catalog.entries.iter().max_by_key(|e| e.byte_size);
    let entry = entry.ok_or_else(|| anyhow!("the sample catalog is empty"))?;
    let out = dir
        .join("bob-downloads")
        .join(entry.path.rsplit('/').next().unwrap_or("file"));
    std::fs::create_dir_all(out.parent().unwrap_or(dir)).context("cannot create bob's folder")?;
    let args = download::DownloadArgs {
        name: "movies".into(),
        hash: entry.hash.clone(),
        out: out.clone(),
        owner: Some(alice_key.to_owned()),
        resume: false,
        range: None,
        json: false,
    };
    download::run(args, bob).await?;
    if std::fs::read(&out)? != std::fs::read(dir.join("media").join(&entry.path))? {
        bail!("the downloaded file differs from alice's");
    }
    println!("bob's copy is byte-identical to alice's {}", entry.path);
    Ok(())
}

/// Waits until the global service sees alice's catalog online (its first heartbeat).
async fn wait_online(bob: &Context, owner: &str) -> Result<()> {
    let client = bob.connect().await?;
    let global = bob.global(&client);
    for _ in 0..100 {
        if let Ok(s) = global.call(&MySharesRequest {}).await {
            if s.in_shares
                .iter()
                .any(|s| s.from_account == owner && s.catalog_online)
            {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("alice's catalog server did not come online within 10 s")
}
