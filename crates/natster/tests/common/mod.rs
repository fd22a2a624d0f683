//! Black-box helpers: the real `natster` binary, a hub it runs, people.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Hub {
    pub child: Child,
    pub url: String,
    pub web_url: String,
    pub dir: std::path::PathBuf,
}

impl Drop for Hub {
    fn drop(&mut self) {
        // SIGTERM: the hub stops its nats-server before it exits.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        for _ in 0..300 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn natster() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_natster"));
    c.env(
        "NATSTER_NATS_SERVER",
        natster_testkit::nats_server_binary().path,
    );
    c.env_remove("NATSTER_CONTEXT");
    c
}

pub fn hub_up(dir: &Path, extra: &[&str]) -> Hub {
    let mut child = natster()
        .args([
            "hub",
            "up",
            "--json",
            "--nats-port",
            "0",
            "--http-port",
            "0",
            "--ws-port",
            "0",
            "--web-port",
            "0",
            "--dir",
        ])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hub");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("hub prints its info");
    let info: serde_json::Value = serde_json::from_str(&line).expect("hub info json");
    Hub {
        child,
        url: info["hub_url"].as_str().unwrap().to_owned(),
        web_url: info["web_url"].as_str().unwrap_or_default().to_owned(),
        dir: dir.to_owned(),
    }
}

pub fn run(home: &Path, args: &[&str]) -> (bool, String, String) {
    let out = natster()
        .env("NATSTER_HOME", home)
        .args(args)
        .output()
        .expect("run natster");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A person: their own NATSTER_HOME.
pub struct Person {
    pub home: std::path::PathBuf,
    pub key: String,
}

impl Person {
    pub fn init(hub: &Hub, root: &Path, name: &str) -> Self {
        let home = root.join(name);
        let (ok, out, err) = run(
            &home,
            &["init", "--hub", &hub.url, "--name", name, "--json"],
        );
        assert!(ok, "init {name}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        Self {
            home,
            key: v["account"].as_str().unwrap().to_owned(),
        }
    }

    /// Runs a command; (success, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (bool, String, String) {
        run(&self.home, args)
    }

    /// Runs a command that must succeed and print JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let (ok, out, err) = self.run(args);
        assert!(ok, "{args:?}: {err}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// Starts a long-running command (e.g. `catalog serve`).
    pub fn spawn(&self, args: &[&str]) -> Background {
        let child = natster()
            .env("NATSTER_HOME", &self.home)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Background { child }
    }

    /// Like `spawn`, with stdout and stderr appended to `log` (read it when
    /// a test fails; a pipe nobody reads would stall a chatty process).
    pub fn spawn_logged(&self, args: &[&str], log: &Path) -> Background {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = natster()
            .env("NATSTER_HOME", &self.home)
            .args(args)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        Background { child }
    }

    /// The creds of this person's CLI user.
    pub fn creds(&self) -> natster_auth::creds::Creds {
        natster_auth::creds::Creds::read(&self.home.join("contexts/default/user.creds")).unwrap()
    }

    /// The NATS URL in this person's context.
    pub fn nats_url(&self) -> String {
        let ctx: serde_json::Value = serde_json::from_slice(
            &std::fs::read(self.home.join("contexts/default/context.json")).unwrap(),
        )
        .unwrap();
        ctx["nats_urls"][0].as_str().unwrap().to_owned()
    }
}

/// A child process stopped with SIGINT (a clean stop) when dropped.
pub struct Background {
    pub child: Child,
}

impl Background {
    pub fn stop(&mut self) {
        // Already reaped: its pid may belong to another process by now.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        for _ in 0..250 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits for a child that writes to a piped stdout (such as `natster
/// login`) and returns whether it succeeded, with all it printed.
pub fn finish(child: &mut Child) -> (bool, String) {
    use std::io::Read;
    let status = child.wait().expect("wait for the child");
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_string(&mut out)
            .expect("read the child's stdout");
    }
    (status.success(), out)
}

/// `natster login --yes --json` for a person, waiting for a browser: the
/// link it printed, and the process (it exits once the browser opened the
/// link and it signed the session's credential).
pub struct Login {
    pub child: Child,
    pub link: String,
    /// What it prints on stderr after the link, read so it never blocks.
    rest: Option<std::thread::JoinHandle<String>>,
}

impl Drop for Login {
    /// A test that failed before `finish` leaves no login waiting.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Login {
    /// `natster login --yes --json --web <web_url>`, plus `--allow-sharing`
    /// when asked.
    pub fn start(who: &Person, web_url: &str, allow_sharing: bool) -> Self {
        let mut args = vec!["login", "--yes", "--json", "--web", web_url];
        if allow_sharing {
            args.push("--allow-sharing");
        }
        let mut child = natster()
            .env("NATSTER_HOME", &who.home)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn natster login");
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let link = loop {
            let mut line = String::new();
            let n = err
                .read_line(&mut line)
                .expect("read natster login's stderr");
            assert!(n > 0, "natster login ended without a link: {seen}");
            if let Some(l) = line.split_whitespace().find(|w| w.contains("/link/")) {
                break l.to_owned();
            }
            seen.push_str(&line);
        };
        let rest = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
            text
        });
        Self {
            child,
            link,
            rest: Some(rest),
        }
    }

    fn code(&self) -> &str {
        self.link.rsplit('/').next().unwrap()
    }

    /// Opens the link as the page does (`POST /api/link/<code>/open`) and
    /// returns the session cookie (`name=value`) the web server set.
    pub async fn open(&self, http: &reqwest::Client, web_url: &str) -> String {
        let r = http
            .post(format!("{web_url}/api/link/{}/open", self.code()))
            .header("origin", web_url)
            .json(&serde_json::json!({}))
            .send()
            .await
            .expect("open the login link");
        assert_eq!(r.status(), 200, "the login link opens");
        let set = r.headers().get("set-cookie").expect("a session cookie");
        let set = set.to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    }

    /// Waits for it; whether it succeeded, its stdout, its stderr.
    pub fn finish(mut self) -> (bool, String, String) {
        let (ok, out) = finish(&mut self.child);
        let err = self.rest.take().and_then(|r| r.join().ok());
        let err = err.unwrap_or_default();
        (ok, out, err)
    }
}

/// Retries `f` every 100 ms until it returns true or `timeout` passes.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
