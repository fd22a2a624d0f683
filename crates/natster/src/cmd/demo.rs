//! `natster demo`: the whole story on a local hub, in one command — hub up,
//! alice and bob init, alice catalogs sample media, shares it with bob and
//! serves it; bob sees it in his inbox, imports it, lists it online,
//! downloads a file and its hash verifies. Then everything keeps running
//! until Ctrl-C, so you can try more commands against it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::Args;
use natster_hub::{HubConfig, RunningHub};
use natster_proto::global::MySharesRequest;

use natster_client::{Context, Selection};

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

/// The two people of the story, and where it all lives.
struct Story {
    dir: PathBuf,
    media: PathBuf,
    alice: Selection,
    bob: Selection,
}

impl Story {
    fn new(dir: PathBuf) -> Self {
        let person = |name: &str| Selection {
            home: dir.join(name),
            name: "default".into(),
        };
        Self {
            media: dir.join("media"),
            alice: person("alice"),
            bob: person("bob"),
            dir,
        }
    }

    fn key(who: &Selection) -> Result<String> {
        Ok(who.load()?.info.account)
    }
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
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    println!("natster demo in {}", dir.display());
    let story = Story::new(dir);

    step(
        1,
        "hub up (operator, nats-server, account control plane, global service)",
    );
    let (hub, global) = start_hub(&story.dir).await?;
    register(&story, &hub.info().hub_url).await?;
    make_and_share(&story).await?;

    step(
        5,
        "alice serves `movies` (it keeps running in the background)",
    );
    let server = tokio::spawn({
        let alice = story.alice.clone();
        async move {
            let args = serve::ServeArgs {
                name: "movies".into(),
                heartbeat_secs: 30,
            };
            serve::run(args, &alice).await
        }
    });
    wait_online(&story.bob.load()?, &Story::key(&story.alice)?).await?;
    import_and_list(&story).await?;
    download_and_compare(&story).await?;
    try_next(&story)?;
    if !a.exit {
        println!("The hub and alice's catalog server keep running; Ctrl-C stops them.");
        crate::signal::wait().await;
    }
    server.abort();
    global.stop().await;
    hub.shutdown().await;
    Ok(())
}

async fn start_hub(dir: &std::path::Path) -> Result<(RunningHub, crate::cmd::global::Embedded)> {
    let global_config = crate::cmd::global::config_defaults();
    let mut config = HubConfig::ephemeral(dir.join("hub"));
    config.jetstream.disk = global_config.required_disk_bytes();
    let hub = RunningHub::start(config)
        .await
        .context("the hub did not start")?;
    let global = crate::cmd::global::Embedded::start(&hub, None).await?;
    let url = hub.info().nats_urls.first().cloned().unwrap_or_default();
    println!("hub at {}, NATS at {url}", hub.info().hub_url);
    Ok((hub, global))
}

async fn register(story: &Story, hub_url: &str) -> Result<()> {
    step(
        2,
        "alice and bob each make their keys and register (no seed leaves their homes)",
    );
    let init = |name: &str| crate::cmd::init::InitArgs {
        hub: hub_url.to_owned(),
        name: Some(name.into()),
        invite: None,
        json: false,
    };
    crate::cmd::init::run(init("alice"), &story.alice).await?;
    crate::cmd::init::run(init("bob"), &story.bob).await
}

async fn make_and_share(story: &Story) -> Result<()> {
    step(
        3,
        "alice turns a folder of sample media into the catalog `movies`",
    );
    natster_catalog::sample::write(&story.media)?;
    let args = new::NewArgs {
        name: "movies".into(),
        description: "Alice's sample media".into(),
        path: story.media.clone(),
        json: false,
    };
    new::run(args, &story.alice)?;

    step(4, "alice shares `movies` with bob");
    let args = share::ShareArgs {
        name: "movies".into(),
        account: Story::key(&story.bob)?,
        expires: None,
        json: false,
    };
    share::run(args, &story.alice).await
}

async fn import_and_list(story: &Story) -> Result<()> {
    step(6, "bob looks in his inbox");
    inbox::run(inbox::InboxArgs { json: false }, &story.bob).await?;

    step(7, "bob imports `movies`");
    let args = import::ImportArgs {
        name: "movies".into(),
        owner: Story::key(&story.alice)?,
        json: false,
    };
    import::run(args, &story.bob).await?;

    step(8, "bob lists his catalogs: `movies` is online");
    ls::run(ls::LsArgs { json: false }, &story.bob).await
}

async fn download_and_compare(story: &Story) -> Result<()> {
    step(
        9,
        "bob downloads a file; it is written only once its SHA-256 matches the catalog",
    );
    let catalog = natster_catalog::Catalog::load(&story.alice.load()?.catalog_path("movies")?)?;
    let entry = catalog
        .entries
        .iter()
        .max_by_key(|e| e.byte_size)
        .ok_or_else(|| anyhow!("the sample catalog is empty"))?;
    let out = story
        .dir
        .join("bob-downloads")
        .join(entry.path.rsplit('/').next().unwrap_or("file"));
    std::fs::create_dir_all(out.parent().unwrap_or(&story.dir))
        .context("cannot create bob's download folder")?;
    let args = download::DownloadArgs {
        name: "movies".into(),
        hash: entry.hash.clone(),
        out: out.clone(),
        owner: Some(Story::key(&story.alice)?),
        resume: false,
        range: None,
        json: false,
    };
    download::run(args, &story.bob).await?;
    let ours = std::fs::read(&out).context("cannot read bob's copy")?;
    let theirs =
        std::fs::read(story.media.join(&entry.path)).context("cannot read alice's file")?;
    if ours != theirs {
        bail!("the downloaded file differs from alice's");
    }
    println!("bob's copy is byte-identical to alice's {}", entry.path);
    Ok(())
}

fn try_next(story: &Story) -> Result<()> {
    let (alice_key, bob_key) = (Story::key(&story.alice)?, Story::key(&story.bob)?);
    println!("\nThe story is done. Try, for instance:");
    println!(
        "  NATSTER_HOME={} natster catalog contents movies --owner {alice_key}",
        story.bob.home.display()
    );
    println!(
        "  NATSTER_HOME={} natster catalog unshare movies {bob_key}",
        story.alice.home.display()
    );
    Ok(())
}

/// Waits until the global service sees alice's catalog online (its first heartbeat).
async fn wait_online(bob: &Context, owner: &str) -> Result<()> {
    let client = bob.connect().await?;
    let global = bob.global(&client);
    for _ in 0..100 {
        let shares = global.call(&MySharesRequest {}).await;
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
