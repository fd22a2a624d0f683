//! Running one nats-server child: write its config, start it, learn its real
//! ports from the ports file it writes when ready, stop it cleanly.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::config::ServerConfig;
use super::discover::NatsServerBinary;
use super::ports::Ports;

/// Why a nats-server did not come up.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Writing the config or opening the log failed.
    #[error("cannot prepare nats-server files in {dir}: {source}")]
    Files {
        /// Directory.
        dir: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The process could not be spawned.
    #[error("cannot start {path}: {source}")]
    Spawn {
        /// Binary.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// It exited before becoming ready.
    #[error("nats-server exited before it was ready ({status}); last log lines:\n{log}")]
    Exited {
        /// Exit status.
        status: String,
        /// Tail of its log.
        log: String,
    },
    /// It did not become ready in time.
    #[error("nats-server was not ready after {0:?}; see its log")]
    Timeout(Duration),
}

/// A running nats-server child process. Dropping it kills the process.
#[derive(Debug)]
pub struct NatsServerProcess {
    child: Child,
    ports: Ports,
    log: PathBuf,
}

impl NatsServerProcess {
    /// Writes `config` to `<dir>/nats-server.conf`, starts the server with its
    /// log in `<dir>/nats-server.log`, and waits until it is ready.
    pub async fn start(
        binary: &NatsServerBinary,
        config: &ServerConfig,
        dir: &Path,
        timeout: Duration,
    ) -> Result<Self, StartError> {
        let files = |source| StartError::Files {
            dir: dir.to_owned(),
            source,
        };
        let conf = dir.join("nats-server.conf");
        reap_stale(&config.ports_file_dir, &conf).await;
        let log = dir.join("nats-server.log");
        tokio::fs::create_dir_all(&config.ports_file_dir)
            .await
            .map_err(files)?;
        tokio::fs::write(&conf, config.render())
            .await
            .map_err(files)?;
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(files)?;
        let log_err = log_file.try_clone().map_err(files)?;
        let mut child = Command::new(&binary.path)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| StartError::Spawn {
                path: binary.path.clone(),
                source,
            })?;
        let pid = child.id().unwrap_or_default();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(ports) = read_ports(&config.ports_file_dir, pid).await {
                return Ok(Self { child, ports, log });
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(StartError::Exited {
                    status: status.to_string(),
                    log: tail(&log, 12),
                });
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StartError::Timeout(timeout));
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }

    /// The ports it listens on.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// The first client URL.
    pub fn client_url(&self) -> &str {
        self.ports
            .nats
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The first websocket URL, if any.
    pub fn websocket_url(&self) -> Option<&str> {
        self.ports.websocket.first().map(String::as_str)
    }

    /// The first monitoring URL.
    pub fn monitoring_url(&self) -> &str {
        self.ports
            .monitoring
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The server's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Waits for the process to exit by itself.
    pub async fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait().await
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// Asks the server to shut down (SIGTERM), waits up to `grace`, then kills it.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = self
            .child
            .id()
            .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}

/// Kills a nats-server left running on this config by a previous process
/// that died without stopping it (it would hold the ports and the
/// JetStream store). Found through its ports file and `/proc`.
async fn reap_stale(ports_dir: &Path, conf: &Path) {
    let Ok(entries) = std::fs::read_dir(ports_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_suffix(".ports")
            .and_then(|n| n.rsplit('_').next())
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let ours = String::from_utf8_lossy(&cmdline).contains(&*conf.to_string_lossy());
        if let (true, Some(p)) = (ours, rustix::process::Pid::from_raw(pid)) {
            tracing::warn!(pid, "stopping a nats-server left over from an earlier run");
            let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            for _ in 0..200 {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let _ = std::fs::remove_file(e.path());
    }
}

/// nats-server names its ports file `<exe>_<pid>.ports`.
async fn read_ports(dir: &Path, pid: u32) -> Option<Ports> {
    let suffix = format!("_{pid}.ports");
    let mut entries = tokio::fs::read_dir(dir).await.ok()?;
    while let Ok(Some(e)) = entries.next_entry().await {
        if e.file_name().to_string_lossy().ends_with(&suffix) {
            let text = tokio::fs::read(e.path()).await.ok()?;
            return Ports::parse(&text);
        }
    }
    None
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
