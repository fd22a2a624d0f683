//! The nats-server configuration Natster runs: operator mode with the full
//! resolver, JetStream, websocket, loopback by default. One place renders it,
//! for the hub and for the test harness alike.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::ports::{Ports, first_port};

/// Ask nats-server for a random free port.
pub const RANDOM_PORT: i32 = -1;

/// JetStream resources for the whole server.
#[derive(Clone, Debug)]
pub struct JetStreamConfig {
    /// Where streams are stored.
    pub store_dir: PathBuf,
    /// Memory storage limit, bytes.
    pub max_memory: u64,
    /// File storage limit, bytes.
    pub max_file: u64,
}

/// Everything that goes into one nats-server config file.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Server name (shows in logs and `$SYS` events).
    pub name: String,
    /// Interface for client, monitoring and websocket listeners.
    pub host: String,
    /// Client port; [`RANDOM_PORT`] picks a free one.
    pub port: i32,
    /// Monitoring (HTTP) port; [`RANDOM_PORT`] picks a free one.
    pub http_port: i32,
    /// Websocket port, if a websocket listener is wanted.
    pub websocket_port: Option<i32>,
    /// Largest message payload accepted.
    pub max_payload: u64,
    /// How often the server pings clients; lower finds dead peers sooner.
    pub ping_interval: Duration,
    /// nats-server writes its actual ports into a file in this directory.
    pub ports_file_dir: PathBuf,
    /// Path of the operator JWT.
    pub operator_jwt: PathBuf,
    /// The system account's public key.
    pub system_account: String,
    /// Directory of the full resolver's JWT store.
    pub resolver_dir: PathBuf,
    /// How often resolvers of a cluster sync with each other.
    pub resolver_interval: Duration,
    /// Account JWTs loaded at start (at least the system account's).
    pub preload: BTreeMap<String, String>,
    /// JetStream, if enabled.
    pub jetstream: Option<JetStreamConfig>,
}

impl ServerConfig {
    /// A loopback config with random ports, 8 MiB payloads and no JetStream,
    /// keeping all state under `dir`.
    pub fn loopback(dir: &std::path::Path, operator_jwt: PathBuf, system_account: String) -> Self {
        Self {
            name: "natster".into(),
            host: "127.0.0.1".into(),
            port: RANDOM_PORT,
            http_port: RANDOM_PORT,
            websocket_port: Some(RANDOM_PORT),
            max_payload: 8 << 20,
            ping_interval: Duration::from_secs(20),
            ports_file_dir: dir.to_owned(),
            operator_jwt,
            system_account,
            resolver_dir: dir.join("jwt"),
            resolver_interval: Duration::from_secs(30),
            preload: BTreeMap::new(),
            jetstream: None,
        }
    }

    /// Fixes the ports to the ones a previous start picked, so a restarted
    /// server listens where clients expect it.
    pub fn pin_ports(&mut self, ports: &Ports) {
        if let Some(p) = first_port(&ports.nats) {
            self.port = p;
        }
        if let Some(p) = first_port(&ports.monitoring) {
            self.http_port = p;
        }
        if let Some(p) = first_port(&ports.websocket) {
            self.websocket_port = Some(p);
        }
    }

    /// The config file text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let q = quote;
        // Writing to a String cannot fail.
        let _ = writeln!(s, "# Written by natster; regenerated on every start.");
        let _ = writeln!(s, "server_name: {}", q(&self.name));
        let _ = writeln!(s, "host: {}", q(&self.host));
        let _ = writeln!(s, "port: {}", self.port);
        let _ = writeln!(s, "http_port: {}", self.http_port);
        let _ = writeln!(s, "max_payload: {}", self.max_payload);
        let _ = writeln!(
            s,
            "ping_interval: {}",
            q(&format!("{}s", self.ping_interval.as_secs().max(1)))
        );
        let _ = writeln!(
            s,
            "ports_file_dir: {}",
            q(&self.ports_file_dir.to_string_lossy())
        );
        if let Some(port) = self.websocket_port {
            let _ = writeln!(
                s,
                "websocket {{ host: {}, port: {port}, no_tls: true }}",
                q(&self.host)
            );
        }
        let _ = writeln!(s, "operator: {}", q(&self.operator_jwt.to_string_lossy()));
        let _ = writeln!(s, "system_account: {}", q(&self.system_account));
        let _ = writeln!(
            s,
            "resolver {{ type: full, dir: {}, allow_delete: false, interval: {}, timeout: \"1.9s\" }}",
            q(&self.resolver_dir.to_string_lossy()),
            q(&format!("{}s", self.resolver_interval.as_secs().max(1)))
        );
        if !self.preload.is_empty() {
            let _ = writeln!(s, "resolver_preload {{");
            for (key, jwt) in &self.preload {
                let _ = writeln!(s, "  {key}: {}", q(jwt));
            }
            let _ = writeln!(s, "}}");
        }
        if let Some(js) = &self.jetstream {
            let _ = writeln!(
                s,
                "jetstream {{ store_dir: {}, max_memory_store: {}, max_file_store: {} }}",
                q(&js.store_dir.to_string_lossy()),
                js.max_memory,
                js.max_file
            );
        }
        s
    }
}

/// A double-quoted config string. The config format reads JSON-style escapes.
fn quote(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_operator_mode_with_resolver_and_jetstream() {
        let dir = std::path::Path::new("/data/hub");
        let mut c = ServerConfig::loopback(dir, dir.join("operator.jwt"), "ASYS".into());
        c.preload.insert("ASYS".into(), "eyJ.x.y".into());
        c.jetstream = Some(JetStreamConfig {
            store_dir: dir.join("js"),
            max_memory: 1,
            max_file: 2,
        });
        let text = c.render();
        for want in [
            "operator: \"/data/hub/operator.jwt\"",
            "system_account: \"ASYS\"",
            "resolver { type: full, dir: \"/data/hub/jwt\"",
            "  ASYS: \"eyJ.x.y\"",
            "max_payload: 8388608",
            "websocket { host: \"127.0.0.1\", port: -1, no_tls: true }",
            "jetstream { store_dir: \"/data/hub/js\", max_memory_store: 1, max_file_store: 2 }",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn quotes_hostile_paths() {
        let dir = std::path::Path::new("/tmp/a \"b\"\n}");
        let c = ServerConfig::loopback(dir, dir.join("op.jwt"), "A".into());
        assert!(c.render().contains(r#"ports_file_dir: "/tmp/a \"b\"\n}""#));
    }
}
