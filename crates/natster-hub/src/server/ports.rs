//! Where a running nats-server listens: the ports file it writes into
//! `ports_file_dir` once it is ready. Started with random ports, this is how
//! we learn them; restarted, the server is pinned to them again.

use serde::Deserialize;

/// The URLs nats-server is listening on, as it reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Ports {
    /// Client URLs (`nats://host:port`).
    #[serde(default)]
    pub nats: Vec<String>,
    /// Monitoring URLs (`http://host:port`).
    #[serde(default)]
    pub monitoring: Vec<String>,
    /// Websocket URLs (`ws://host:port`).
    #[serde(default)]
    pub websocket: Vec<String>,
}

impl Ports {
    /// Reads a ports file. `None` until the server has written one with a
    /// client URL: a half-written file does not parse, and the caller polls
    /// again.
    pub fn parse(text: &[u8]) -> Option<Self> {
        serde_json::from_slice::<Ports>(text)
            .ok()
            .filter(|p| !p.nats.is_empty())
    }
}

/// The port of the first of `urls`.
pub(super) fn first_port(urls: &[String]) -> Option<i32> {
    urls.first()
        .and_then(|u| u.rsplit(':').next())
        .and_then(|p| p.parse::<i32>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_ready_ports_file_only() {
        let full = br#"{"nats":["nats://127.0.0.1:40001"],"monitoring":["http://127.0.0.1:40002"],"websocket":["ws://127.0.0.1:40003"]}"#;
        let ports = Ports::parse(full).expect("ready");
        assert_eq!(first_port(&ports.nats), Some(40001));
        assert_eq!(first_port(&ports.monitoring), Some(40002));
        assert_eq!(first_port(&ports.websocket), Some(40003));
        for not_ready in [
            &b""[..],
            br#"{"nats":["nats://127.0.0.1:4"#,
            br#"{"nats":[]}"#,
        ] {
            assert_eq!(Ports::parse(not_ready), None);
        }
        assert_eq!(first_port(&[]), None);
        assert_eq!(first_port(&["nats://host".into()]), None);
    }
}
