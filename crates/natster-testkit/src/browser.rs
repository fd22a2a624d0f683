//! Running one of natster-web's browser scripts (`browser-tests/*.mjs`,
//! Debian's Chromium driven by playwright-core) from a test, and the line
//! protocol of their `lib.mjs`: one JSON object per line each way. The
//! browser tests of natster-web and of the natster binary share these.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// The page logged no Content Security Policy violation and threw no
/// script error (the scripts collect `consoleErrors`).
pub fn assert_no_page_errors(results: &Value) {
    let console: Vec<&str> = results["consoleErrors"]
        .as_array()
        .expect("consoleErrors")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        console
            .iter()
            .all(|e| !e.contains("Content Security Policy") && !e.starts_with("pageerror")),
        "no CSP violations or script errors: {console:?}"
    );
}

/// natster-web's directory (its browser scripts and fixtures live there).
pub fn web_crate() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../natster-web")
}

/// A browser script; SIGTERM on drop lets playwright close Chromium.
#[derive(Debug)]
pub struct Node {
    /// The node process.
    pub child: Child,
    /// Its stdin, for replies.
    pub stdin: ChildStdin,
}

impl Node {
    /// Starts `browser-tests/<script>` with `envs` (and `CHROMIUM`); its
    /// stdout is for the caller to read (see [`forward`]), its stderr goes
    /// to the test's.
    pub fn start(script: &str, envs: &[(&str, &OsStr)]) -> (Self, ChildStdout) {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let dir = web_crate().join("browser-tests");
        assert!(
            Path::new(&chromium).exists() && dir.join("node_modules/playwright-core").exists(),
            "browser tests need Chromium and playwright-core: apt-get install -y chromium nodejs \
             npm && (cd crates/natster-web/browser-tests && npm ci)"
        );
        let mut child = Command::new("node")
            .arg(dir.join(script))
            .current_dir(&dir)
            .env("CHROMIUM", &chromium)
            .envs(envs.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        (Self { child, stdin }, stdout)
    }

    /// Answers the script's last `need`.
    pub fn reply(&mut self, v: Value) {
        self.stdin.write_all(format!("{v}\n").as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
            for _ in 0..100 {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends each line of `from` to `tx` as `wrap(line)`, then `ended`: one
/// channel can carry the lines of several processes.
pub fn forward<T: Send + 'static>(
    from: impl Read + Send + 'static,
    tx: mpsc::Sender<T>,
    wrap: fn(String) -> T,
    ended: T,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(wrap(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(ended);
    });
}

/// A line of the script as JSON; panics, with `context()` (logs of the
/// processes involved) when it reports an error.
pub fn message(line: &str, context: impl FnOnce() -> String) -> Value {
    let msg: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    if msg.get("error").is_some() {
        panic!(
            "the browser script failed: {}\npartial: {:#}\n{}",
            msg["error"].as_str().unwrap_or(""),
            msg["partial"],
            context()
        );
    }
    msg
}
