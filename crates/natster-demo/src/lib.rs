//! The demo: the whole story on a local hub, told with the very commands a
//! person would type. Hub up, alice and bob init, alice catalogs sample
//! media, shares it with bob and serves it; bob sees it in his inbox,
//! imports it, lists it online, downloads a file and its hash verifies.
//! Each step prints its command line (quoted, runnable as printed) and then
//! what that command printed. `natster demo` runs it with its own binary.
#![deny(missing_docs)]

use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::Value;

/// Prints a line; a closed stdout ends the process quietly.
macro_rules! say {
    ($($t:tt)*) => {{
        let mut out = std::io::stdout().lock();
        if let Err(e) = writeln!(out, $($t)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// The story's processes: this very binary, run as alice, bob or the hub.
struct Demo {
    exe: PathBuf,
    dir: PathBuf,
    background: Vec<Child>,
}

impl Demo {
    fn command(&self, who: &str, args: &[&str]) -> Command {
        let mut c = Command::new(&self.exe);
        c.args(args).env("NATSTER_HOME", self.dir.join(who));
        c.env_remove("NATSTER_CONTEXT");
        c
    }

    /// Prints the command as a person would type it, runs it, and returns
    /// what it printed (shown too, unless `quiet`).
    fn run(&self, who: &str, args: &[&str], quiet: bool) -> Result<String> {
        if !quiet {
            say!("$ {}", self.shown(who, args));
        }
        let out = self.command(who, args).stderr(Stdio::inherit()).output()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !quiet && !text.trim().is_empty() {
            say!("{}", text.trim_end());
        }
        if !out.status.success() {
            bail!("`natster {}` failed", args.join(" "));
        }
        Ok(text)
    }

    /// The command line as a person would type it in a shell.
    fn shown(&self, who: &str, args: &[&str]) -> String {
        let home = self.dir.join(who);
        let quoted: Vec<String> = args.iter().map(|a| shell_quote(a)).collect();
        format!(
            "NATSTER_HOME={} natster {}",
            shell_quote(&home.to_string_lossy()),
            quoted.join(" ")
        )
    }

    /// Starts a command that keeps running; returns its first line of
    /// output, and passes the rest on as it comes.
    fn spawn(&mut self, who: &str, args: &[&str]) -> Result<String> {
        say!("$ {} &", self.shown(who, args));
        let mut child = self.command(who, args).stdout(Stdio::piped()).spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        self.background.push(child);
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                say!("{line}");
            }
        });
        if line.is_empty() {
            bail!("`natster {}` stopped before it was ready", args.join(" "));
        }
        say!("{}", line.trim_end());
        Ok(line)
    }

    /// SIGTERM to every background process, so the hub stops its
    /// nats-server and the catalog server says goodbye.
    fn stop(&mut self) {
        for child in self.background.iter_mut().rev() {
            if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
            let _ = child.wait();
        }
    }
}

fn step(n: u32, text: &str) {
    say!("\n==> {n}. {text}");
}

/// Tells the story with the natster binary `exe`, keeping everything in
/// `dir` (which must not hold a demo yet). Then, unless `exit`, keeps the
/// hub and alice's catalog server running until `stop` completes.
pub async fn run(
    exe: PathBuf,
    dir: PathBuf,
    exit: bool,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    if dir.join("hub").exists() {
        bail!("{} already holds a demo: pass another --dir", dir.display());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    say!("natster demo in {}", dir.display());
    if let Some(bin) = exe.parent() {
        say!(
            "The commands below run {}; to paste them as printed:",
            exe.display()
        );
        say!(
            "  export PATH={}:$PATH",
            shell_quote(&bin.to_string_lossy())
        );
    }
    let mut demo = Demo {
        exe,
        dir,
        background: Vec::new(),
    };
    let story = tell(&mut demo).await;
    if story.is_ok() && !exit {
        say!("\nThe hub and alice's catalog server keep running; Ctrl-C stops them.");
        stop.await;
    }
    demo.stop();
    story
}

async fn tell(demo: &mut Demo) -> Result<()> {
    step(
        1,
        "hub up: operator, nats-server, account control plane, global service, web app",
    );
    let hub_dir = demo.dir.join("hub");
    let ports = [
        "--nats-port",
        "0",
        "--http-port",
        "0",
        "--ws-port",
        "0",
        "--web-port",
        "0",
    ];
    let mut args = vec!["hub", "up", "--json", "--dir", path(&hub_dir)?];
    args.extend(ports);
    let hub: Value = serde_json::from_str(&demo.spawn("hub", &args)?)?;
    let hub_url = hub["hub_url"].as_str().unwrap_or_default().to_owned();

    step(
        2,
        "alice and bob each make their keys and register (no seed leaves their homes)",
    );
    for who in ["alice", "bob"] {
        demo.run(who, &["init", "--hub", &hub_url, "--name", who], false)?;
    }
    let key = |who: &str| -> Result<String> {
        let me: Value = serde_json::from_str(&demo.run(who, &["whoami", "--json"], true)?)?;
        Ok(me["account"].as_str().unwrap_or_default().to_owned())
    };
    let (alice, bob) = (key("alice")?, key("bob")?);

    step(
        3,
        "alice turns a folder of sample media into the catalog `movies`",
    );
    let media = demo.dir.join("media");
    natster_catalog::sample::write(&media)?;
    demo.run(
        "alice",
        &["catalog", "new", "movies", "Sample media", path(&media)?],
        false,
    )?;
    step(4, "alice shares `movies` with bob");
    demo.run("alice", &["catalog", "share", "movies", &bob], false)?;
    step(
        5,
        "alice serves `movies` (it keeps running in the background)",
    );
    demo.spawn("alice", &["catalog", "serve", "movies"])?;
    step(6, "bob looks in his inbox");
    demo.run("bob", &["catalog", "inbox"], false)?;
    step(7, "bob imports `movies`");
    demo.run("bob", &["catalog", "import", "movies", &alice], false)?;
    step(8, "bob lists his catalogs: `movies` is online");
    wait_online(demo).await?;
    demo.run("bob", &["catalog", "ls"], false)?;
    download(demo, &alice, &media)?;
    say!(
        "\nThe story is done. Open the web app at {}",
        hub["web_url"].as_str().unwrap_or_default()
    );
    say!(
        "and log bob in there with: NATSTER_HOME={} natster login",
        demo.dir.join("bob").display()
    );
    Ok(())
}

/// Step 9: bob downloads the largest file and it equals alice's.
fn download(demo: &Demo, alice: &str, media: &Path) -> Result<()> {
    step(
        9,
        "bob downloads a file; it is written only once its SHA-256 matches the catalog",
    );
    let contents = ["catalog", "contents", "movies", "--owner", alice, "--json"];
    let summary: Value = serde_json::from_str(&demo.run("bob", &contents, true)?)?;
    let entries = summary["entries"].as_array().cloned().unwrap_or_default();
    let entry = entries
        .iter()
        .max_by_key(|e| e["byte_size"].as_u64())
        .ok_or_else(|| anyhow!("the sample catalog is empty"))?;
    let (file, hash) = (
        entry["path"].as_str().unwrap_or_default(),
        entry["hash"].as_str().unwrap_or_default(),
    );
    let out = demo
        .dir
        .join("bob-downloads")
        .join(file.rsplit('/').next().unwrap_or("file"));
    std::fs::create_dir_all(out.parent().unwrap_or(&demo.dir))?;
    demo.run(
        "bob",
        &[
            "catalog",
            "download",
            "movies",
            hash,
            path(&out)?,
            "--owner",
            alice,
        ],
        false,
    )?;
    if std::fs::read(&out)? != std::fs::read(media.join(file))? {
        bail!("the downloaded file differs from alice's");
    }
    say!("bob's copy is byte-identical to alice's {file}");
    Ok(())
}

/// Waits until bob's listing shows alice's catalog online (its first heartbeat).
async fn wait_online(demo: &Demo) -> Result<()> {
    for _ in 0..100 {
        let ls: Value =
            serde_json::from_str(&demo.run("bob", &["catalog", "ls", "--json"], true)?)?;
        let shared = ls["shared_with_me"].as_array().cloned().unwrap_or_default();
        if shared.iter().any(|s| s["online"] == true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("alice's catalog server did not come online within 10 s")
}

/// `s` as one shell word.
fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn path(p: &Path) -> Result<&str> {
    p.to_str()
        .ok_or_else(|| anyhow!("{} is not UTF-8", p.display()))
}
