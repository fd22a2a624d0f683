//! `natster demo`: the whole story on a local hub, in one command — hub up,
//! alice and bob init, alice catalogs sample media, shares it with bob and
//! serves it; bob sees it in his inbox, imports it, lists it online,
//! downloads a file and its hash verifies. Then everything keeps running
//! until Ctrl-C, so you can try more commands against it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use natster_hub::{HubConfig, RunningHub};
use natster_proto::global::{MySharesResponse, ops};

use crate::cmd::catalog::{download, import, inbox, ls, new, serve, share};
use crate::context::{Context, Selection};

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
    let dir = match a.dir {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("natster-demo-{}", std::process::id())),
    };
    if dir.join("hub").exists() {
        bail!("{} already holds a demo: pass another --dir", dir.display());
    }
    std::fs::create_dir_all(&dir).map_err(|e| anyhow!("cannot create {}: {e}", dir.display()))?;
    println!("natster demo in {}", dir.display());

    step(
        1,
        "hub up (operator, nats-server, account control plane, global service)",
    );
    let global_config = crate::cmd::global::config_defaults();
    let mut config = HubConfig::ephemeral(dir.join("hub"));
    config.jetstream.disk = global_config.required_disk_bytes();
    let hub = RunningHub::start(config)
        .await
        .map_err(|e| anyhow!("hub did not start: {e}"))?;
    let url = hub.info().nats_urls.first().cloned().unwrap_or_default();
    let global = crate::cmd::global::Embedded::start(&hub, None).await?;
    println!("hub at {}, NATS at {url}", hub.info().hub_url);

    let alice = Selection {
        home: dir.join("alice"),
        name: "default".into(),
    };
    let bob = Selection {
        home: dir.join("bob"),
        name: "default".into(),
    };
    let hub_url = hub.info().hub_url.clone();
    let init = |name: &str| crate::cmd::init::InitArgs {
        hub: hub_url.clone(),
        name: Some(name.into()),
        invite: None,
        json: false,
    };
    step(
        2,
        "alice and bob each make their keys and register (no seed leaves their homes)",
    );
    crate::cmd::init::run(init("alice"), &alice).await?;
    crate::cmd::init::run(init("bob"), &bob).await?;
    let alice_key = alice.load()?.info.account;
    let bob_key = bob.load()?.info.account;

    step(
        3,
        "alice turns a folder of sample media into the catalog `movies`",
    );
    let media = dir.join("media");
    crate::sample::write(&media)?;
    new::run(
        new::NewArgs {
            name: "movies".into(),
            description: "Alice's sample media".into(),
            path: media.clone(),
            json: false,
        },
        &alice,
    )?;

    step(4, "alice shares `movies` with bob");
    share::run(
        share::ShareArgs {
            name: "movies".into(),
            account: bob_key.clone(),
            expires: None,
            json: false,
        },
        &alice,
    )
    .await?;

    step(
        5,
        "alice serves `movies` (it keeps running in the background)",
    );
    let server = tokio::spawn({
        let alice = alice.clone();
        async move {
            serve::run(
                serve::ServeArgs {
                    name: "movies".into(),
                    heartbeat_secs: 30,
                },
                &alice,
            )
            .await
        }
    });
    wait_online(&bob.load()?, &alice_key).await?;

    step(6, "bob looks in his inbox");
    inbox::run(inbox::InboxArgs { json: false }, &bob).await?;

    step(7, "bob imports `movies`");
    import::run(
        import::ImportArgs {
            name: "movies".into(),
            owner: alice_key.clone(),
            json: false,
        },
        &bob,
    )
    .await?;

    step(8, "bob lists his catalogs: `movies` is online");
    ls::run(ls::LsArgs { json: false }, &bob).await?;

    step(
        9,
        "bob downloads a file; it is written only once its SHA-256 matches the catalog",
    );
    let catalog = natster_catalog::Catalog::load(&alice.load()?.catalog_path("movies")?)
        .map_err(|e| anyhow!("{e}"))?;
    let entry = catalog
        .entries
        .iter()
        .max_by_key(|e| e.byte_size)
        .ok_or_else(|| anyhow!("the sample catalog is empty"))?;
    let out = dir
        .join("bob-downloads")
        .join(entry.path.rsplit('/').next().unwrap_or("file"));
    std::fs::create_dir_all(out.parent().unwrap_or(&dir)).map_err(|e| anyhow!("{e}"))?;
    download::run(
        download::DownloadArgs {
            name: "movies".into(),
            hash: entry.hash.clone(),
            out: out.clone(),
            owner: Some(alice_key.clone()),
            resume: false,
            range: None,
            json: false,
        },
        &bob,
    )
    .await?;
    let same = std::fs::read(&out).map_err(|e| anyhow!("{e}"))?
        == std::fs::read(media.join(&entry.path)).map_err(|e| anyhow!("{e}"))?;
    if !same {
        bail!("the downloaded file differs from alice's");
    }
    println!("bob's copy is byte-identical to alice's {}", entry.path);

    println!("\nThe story is done. Try, for instance:");
    println!(
        "  NATSTER_HOME={} natster catalog contents movies --owner {alice_key}",
        bob.home.display()
    );
    println!(
        "  NATSTER_HOME={} natster catalog unshare movies {bob_key}",
        alice.home.display()
    );
    if !a.exit {
        println!("The hub and alice's catalog server keep running; Ctrl-C stops them.");
        crate::cmd::hub::wait_for_signal().await;
    }
    server.abort();
    global.stop().await;
    hub.shutdown().await;
    Ok(())
}

/// Waits until the global service sees alice's catalog online (its first heartbeat).
async fn wait_online(bob: &Context, owner: &str) -> Result<()> {
    let client = bob.connect().await?;
    for _ in 0..100 {
        let shares: Result<MySharesResponse> = crate::global::call(
            &client,
            &bob.info.account,
            ops::MY_SHARES,
            &serde_json::json!({}),
        )
        .await;
        if shares.is_ok_and(|s| {
            s.in_shares
                .iter()
                .any(|s| s.from_account == owner && s.catalog_online)
        }) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("alice's catalog server did not come online within 10 s")
}
