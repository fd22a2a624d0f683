//! A connection of its own for one download's chunks: plain NATS protocol
//! over a blocking socket, read by one thread straight into the buffers
//! the part writer uses.
//!
//! Through async-nats, each 1 MiB frame is read into the client's buffer,
//! which grows (a copy) and is reallocated when a payload is still held (a
//! copy, and fresh pages for the kernel to fault in and zero), then copied
//! once more to where its plaintext lands aligned for direct I/O. Read
//! here, a frame goes from the socket to its aligned place in one copy, the
//! kernel's. On a machine that the transfer keeps busy, that CPU is
//! throughput.
//!
//! The connection carries the credit too, so the subscription and the
//! credits reach nats-server through one socket, in order: the server
//! knows where to deliver before the sender may publish, in a cluster as
//! on one server. Only plain `nats://` servers are used this way; TLS
//! servers, or any failure to set up, fall back to the shared async-nats
//! client. Authentication is the user's JWT with the server's nonce signed
//! locally, as async-nats does it; the seed never leaves this process.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use natster_auth::KeyPair;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::transfer::sizes::MAX_CHUNK;

/// Longest protocol line we accept from the server (INFO can be long).
const MAX_LINE: usize = 64 << 10;
/// How long setting up may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Who to connect as, and where.
#[derive(Clone)]
pub struct DirectLogin {
    /// Server URLs (`nats://host:port` or `host:port`), tried in order.
    pub urls: Vec<String>,
    /// The user's JWT.
    pub jwt: String,
    /// The user's key, to sign the server's nonce.
    pub key: Arc<KeyPair>,
}

impl From<natster_client::Login> for DirectLogin {
    fn from(l: natster_client::Login) -> Self {
        Self {
            urls: l.urls,
            jwt: l.jwt,
            key: l.key,
        }
    }
}

impl std::fmt::Debug for DirectLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectLogin")
            .field("urls", &self.urls)
            .field("user", &self.key.public_key())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ServerInfo {
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    tls_required: bool,
}

/// The reading half: owned by the thread that receives the chunks.
pub(crate) struct MediaReader {
    sock: TcpStream,
    writer: MediaWriter,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

/// The writing half: credits from the async side, PONGs from the reader.
#[derive(Clone)]
pub(crate) struct MediaWriter(Arc<std::sync::Mutex<TcpStream>>);

impl MediaWriter {
    fn send(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut s = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        s.write_all(bytes)
    }

    /// Publishes `payload` to `subject`: a few dozen bytes, which the
    /// socket's send buffer takes at once.
    pub(crate) fn publish(&self, subject: &str, payload: &[u8]) -> Result<()> {
        let mut msg = format!("PUB {subject} {}\r\n", payload.len()).into_bytes();
        msg.extend_from_slice(payload);
        msg.extend_from_slice(b"\r\n");
        self.send(&msg).map_err(media_err)
    }

    /// Ends the connection; a blocked reader returns an error at once.
    pub(crate) fn close(&self) {
        let s = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = s.shutdown(Shutdown::Both);
    }
}

fn media_err(e: std::io::Error) -> Error {
    Error::nats_in("the transfer connection failed", e)
}

/// Why a direct connection was not made: the caller falls back.
#[derive(Debug)]
pub(crate) enum Unavailable {
    /// TLS, or a URL scheme we do not speak: use async-nats.
    Unsupported(String),
    /// Connecting or the handshake failed.
    Failed(Error),
}

impl MediaReader {
    /// Connects, logs in and subscribes to `subject`; returns once the
    /// server has confirmed the subscription (PING/PONG after SUB). Then a
    /// read waits at most `idle_timeout` (`None`: until the connection is
    /// closed, [`MediaWriter::close`] included).
    pub(crate) fn subscribe(
        login: &DirectLogin,
        subject: &str,
        idle_timeout: Option<Duration>,
    ) -> std::result::Result<Self, Unavailable> {
        let mut last = None;
        for url in &login.urls {
            let addr = match url.strip_prefix("nats://") {
                Some(a) => a,
                None if !url.contains("://") => url.as_str(),
                None => return Err(Unavailable::Unsupported(format!("{url} is not nats://"))),
            };
            // Credentials in the URL are not ours to use here.
            if addr.contains('@') {
                return Err(Unavailable::Unsupported("credentials in the URL".into()));
            }
            match Self::connect(addr, login, subject, idle_timeout) {
                Ok(r) => return Ok(r),
                Err(Unavailable::Failed(e)) => last = Some(e),
                Err(u) => return Err(u),
            }
        }
        Err(Unavailable::Failed(last.unwrap_or_else(|| {
            Error::Invalid("no NATS URL to connect to".into())
        })))
    }

    fn connect(
        addr: &str,
        login: &DirectLogin,
        subject: &str,
        idle_timeout: Option<Duration>,
    ) -> std::result::Result<Self, Unavailable> {
        let failed = |e: std::io::Error| Unavailable::Failed(media_err(e));
        let target = addr
            .to_socket_addrs()
            .map_err(failed)?
            .next()
            .ok_or_else(|| Unavailable::Failed(Error::Invalid(format!("{addr}: no address"))))?;
        let mut r = Self::open(target).map_err(failed)?;
        let info = match r.next_line().map_err(Unavailable::Failed)? {
            ServerLine::Info(json) => serde_json::from_slice::<ServerInfo>(&json).ok(),
            _ => None,
        }
        .ok_or_else(|| Unavailable::Failed(Error::Nats("the server did not send INFO".into())))?;
        if info.tls_required {
            return Err(Unavailable::Unsupported("the server requires TLS".into()));
        }
        let connect = connect_line(login, info.nonce.as_deref()).map_err(Unavailable::Failed)?;
        let hello = format!("{connect}PING\r\nSUB {subject} 1\r\nPING\r\n");
        r.writer.send(hello.as_bytes()).map_err(failed)?;
        r.await_pongs(2).map_err(Unavailable::Failed)?;
        r.sock.set_read_timeout(idle_timeout).map_err(failed)?;
        Ok(r)
    }

    /// A TCP connection to `target` with the setup timeouts, nothing read yet.
    fn open(target: std::net::SocketAddr) -> std::io::Result<Self> {
        let sock = TcpStream::connect_timeout(&target, SETUP_TIMEOUT)?;
        sock.set_nodelay(true)?;
        sock.set_read_timeout(Some(SETUP_TIMEOUT))?;
        // Writes are a few dozen bytes (credits, PONGs) that an empty send
        // buffer takes at once; a server that stops reading fails them
        // rather than holding the caller.
        sock.set_write_timeout(Some(SETUP_TIMEOUT))?;
        let writer = MediaWriter(Arc::new(std::sync::Mutex::new(sock.try_clone()?)));
        Ok(Self {
            sock,
            writer,
            buf: vec![0u8; MAX_LINE].into_boxed_slice(),
            start: 0,
            end: 0,
        })
    }

    /// Waits for `n` PONGs (after CONNECT: logged in; after SUB: subscribed),
    /// answering PINGs; `-ERR` is a refusal.
    fn await_pongs(&mut self, n: usize) -> Result<()> {
        let mut pongs = 0;
        while pongs < n {
            match self.next_line()? {
                ServerLine::Pong => pongs += 1,
                ServerLine::Err(why) => {
                    return Err(Error::Nats(
                        format!("the server refused the transfer connection: {why}").into(),
                    ));
                }
                ServerLine::Ping => self.writer.send(b"PONG\r\n").map_err(media_err)?,
                ServerLine::Ok | ServerLine::Info(_) => {}
                ServerLine::Msg { .. } | ServerLine::HMsg { .. } => {
                    return Err(Error::Nats("a message before the subscription".into()));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn writer(&self) -> MediaWriter {
        self.writer.clone()
    }

    /// Reads until a whole line is buffered and returns it, parsed.
    fn next_line(&mut self) -> Result<ServerLine> {
        loop {
            if let Some((line, used)) = parse_line(&self.buf[self.start..self.end])? {
                self.start += used;
                return Ok(line);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let n = self
                .sock
                .read(&mut self.buf[self.end..])
                .map_err(read_err)?;
            if n == 0 {
                return Err(Error::Nats(
                    "the server closed the transfer connection".into(),
                ));
            }
            self.end += n;
        }
    }

    /// Fills `dst` from what is buffered, then straight from the socket.
    fn fill(&mut self, dst: &mut [u8]) -> Result<()> {
        let have = (self.end - self.start).min(dst.len());
        dst[..have].copy_from_slice(&self.buf[self.start..self.start + have]);
        self.start += have;
        self.sock.read_exact(&mut dst[have..]).map_err(read_err)
    }

    /// The next message's payload, placed in `buf` by `place(buf, len)`,
    /// which returns the range to fill. Answers PINGs on the way.
    pub(crate) fn next(
        &mut self,
        buf: &mut Vec<u8>,
        place: impl FnOnce(&mut Vec<u8>, usize) -> (usize, usize),
    ) -> Result<(usize, usize)> {
        let (headers, total) = loop {
            match self.next_line()? {
                ServerLine::Msg { payload } => break (0, payload),
                ServerLine::HMsg { headers, total } => break (headers, total),
                ServerLine::Ping => self.writer.send(b"PONG\r\n").map_err(media_err)?,
                ServerLine::Err(why) => {
                    return Err(Error::Nats(
                        format!("the server ended the transfer connection: {why}").into(),
                    ));
                }
                ServerLine::Pong | ServerLine::Ok | ServerLine::Info(_) => {}
            }
        };
        if headers > 0 {
            let mut skip = vec![0u8; headers];
            self.fill(&mut skip)?;
        }
        let (s, e) = place(buf, total - headers);
        self.fill(&mut buf[s..e])?;
        let mut crlf = [0u8; 2];
        self.fill(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(Error::Nats("a message without its line end".into()));
        }
        Ok((s, e))
    }
}

/// The CONNECT line (with its CRLF): the user's JWT, and the server's
/// nonce signed by the user's key, as nats-server checks them.
fn connect_line(login: &DirectLogin, nonce: Option<&str>) -> Result<String> {
    let sig = nonce
        .map(|n| {
            login
                .key
                .sign(n.as_bytes())
                .map(|s| data_encoding::BASE64URL_NOPAD.encode(&s))
                .map_err(|e| Error::Crypto(e.to_string()))
        })
        .transpose()?;
    let connect = serde_json::json!({
        "verbose": false,
        "pedantic": false,
        "tls_required": false,
        "jwt": login.jwt,
        "sig": sig,
        "name": "natster-transfer",
        "lang": "rust",
        "version": env!("CARGO_PKG_VERSION"),
        "protocol": 1,
        "echo": false,
        "headers": true,
        "no_responders": false,
    });
    Ok(format!("CONNECT {connect}\r\n"))
}

/// One protocol line from nats-server, as the transfer's connection reads
/// them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ServerLine {
    /// `MSG <subject> <sid> [reply-to] <#bytes>`: the payload follows.
    Msg {
        /// Payload bytes.
        payload: usize,
    },
    /// `HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>`:
    /// headers, then the payload.
    HMsg {
        /// Header bytes, at the start of the total.
        headers: usize,
        /// Header and payload bytes.
        total: usize,
    },
    /// `PING`: answer PONG.
    Ping,
    /// `PONG`.
    Pong,
    /// `+OK`.
    Ok,
    /// `-ERR <why>`.
    Err(String),
    /// `INFO <json>`.
    Info(Vec<u8>),
}

/// Largest message the transfer's connection takes: the largest chunk
/// frame, with room for headers. Anything larger is not a chunk of ours,
/// and its size is never allocated.
const MAX_MESSAGE: usize = MAX_CHUNK as usize + (64 << 10);

/// Parses the first line in `buf`: `None` until its CRLF has arrived,
/// else the line and the bytes it took (CRLF included). A line that does
/// not end within [`MAX_LINE`], a count that is not a number, too large or
/// in the wrong place, or an operation nats-server does not send, is an
/// error: the stream can no longer be trusted to be in step.
pub(crate) fn parse_line(buf: &[u8]) -> Result<Option<(ServerLine, usize)>> {
    let Some(end) = memchr_crlf(buf) else {
        if buf.len() >= MAX_LINE {
            return Err(Error::Nats("a protocol line longer than 64 KiB".into()));
        }
        return Ok(None);
    };
    let line = &buf[..end];
    let (op, args) = match line.iter().position(|b| *b == b' ' || *b == b'\t') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &line[..0]),
    };
    let bare = |l: ServerLine| {
        if args.iter().all(u8::is_ascii_whitespace) {
            Ok(l)
        } else {
            Err(malformed(op))
        }
    };
    let parsed = match op {
        b"MSG" => msg_line(args)?,
        b"HMSG" => hmsg_line(args)?,
        b"PING" => bare(ServerLine::Ping)?,
        b"PONG" => bare(ServerLine::Pong)?,
        b"+OK" => bare(ServerLine::Ok)?,
        b"-ERR" => ServerLine::Err(String::from_utf8_lossy(args).trim().to_owned()),
        b"INFO" => ServerLine::Info(args.to_vec()),
        _ => return Err(malformed(op)),
    };
    Ok(Some((parsed, end + 2)))
}

fn msg_line(args: &[u8]) -> Result<ServerLine> {
    if !(3..=4).contains(&fields(args)) {
        return Err(malformed(b"MSG"));
    }
    let payload = number(args, 1)?;
    if payload > MAX_MESSAGE {
        return Err(too_large(payload));
    }
    Ok(ServerLine::Msg { payload })
}

fn hmsg_line(args: &[u8]) -> Result<ServerLine> {
    if !(4..=5).contains(&fields(args)) {
        return Err(malformed(b"HMSG"));
    }
    let (headers, total) = (number(args, 2)?, number(args, 1)?);
    if total > MAX_MESSAGE {
        return Err(too_large(total));
    }
    if headers > total {
        return Err(malformed(b"HMSG"));
    }
    Ok(ServerLine::HMsg { headers, total })
}

fn malformed(op: &[u8]) -> Error {
    if op.is_empty() {
        return Error::Nats("an empty protocol line".into());
    }
    Error::Nats(format!("a malformed {} line", String::from_utf8_lossy(op)).into())
}

fn too_large(n: usize) -> Error {
    Error::Nats(format!("a message of {n} bytes, larger than any chunk").into())
}

fn fields(args: &[u8]) -> usize {
    args.split(|b| *b == b' ' || *b == b'\t')
        .filter(|f| !f.is_empty())
        .count()
}

fn read_err(e: std::io::Error) -> Error {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            Error::Timeout("no chunk within the idle timeout".into())
        }
        std::io::ErrorKind::UnexpectedEof => {
            Error::Nats("the server closed the transfer connection".into())
        }
        _ => media_err(e),
    }
}

fn memchr_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

/// The `back`-th space-separated field from the end of a protocol line (1:
/// the last), as a byte count.
fn number(args: &[u8], back: usize) -> Result<usize> {
    let field = args
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|f| !f.is_empty())
        .rev()
        .nth(back - 1)
        // Digits only: `parse` would also take a sign.
        .filter(|f| f.iter().all(u8::is_ascii_digit))
        .and_then(|f| std::str::from_utf8(f).ok())
        .and_then(|f| f.parse::<usize>().ok());
    field.ok_or_else(|| Error::Nats("a malformed MSG line".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::io::BufRead;
    use std::net::TcpListener;

    fn login(urls: &[&str]) -> DirectLogin {
        DirectLogin {
            urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            jwt: "jwt".into(),
            key: Arc::new(KeyPair::new_user()),
        }
    }

    #[test]
    fn protocol_fields_from_the_end() {
        assert_eq!(number(b"subj 1 5", 1).unwrap(), 5);
        assert_eq!(number(b"subj 1 reply.to 1048586", 1).unwrap(), 1_048_586);
        assert_eq!(number(b"subj 1 12 17", 2).unwrap(), 12);
        assert!(number(b"subj 1 x", 1).is_err());
        assert!(number(b"", 1).is_err());
        assert!(number(b"5", 2).is_err());
    }

    #[test]
    fn protocol_lines_as_nats_server_sends_them() {
        use ServerLine as L;
        let info = br#"INFO {"nonce":"n","max_payload":1048576}"#;
        let mut info_line = info.to_vec();
        info_line.extend_from_slice(b"\r\n");
        let max = format!("MSG m 1 {MAX_MESSAGE}\r\n");
        let cases: &[(&[u8], L)] = &[
            (b"MSG m 1 5\r\nhello\r\n", L::Msg { payload: 5 }),
            (
                b"MSG m 1 _INBOX.x 1048586\r\n",
                L::Msg { payload: 1_048_586 },
            ),
            (b"MSG m\t1   0\r\n", L::Msg { payload: 0 }),
            (
                max.as_bytes(),
                L::Msg {
                    payload: MAX_MESSAGE,
                },
            ),
            (
                b"HMSG m 1 12 17\r\n",
                L::HMsg {
                    headers: 12,
                    total: 17,
                },
            ),
            (
                b"HMSG m 1 _INBOX.x 12 12\r\n",
                L::HMsg {
                    headers: 12,
                    total: 12,
                },
            ),
            (b"PING\r\n", L::Ping),
            (b"PONG\r\nMSG", L::Pong),
            (b"+OK\r\n", L::Ok),
            (
                b"-ERR 'Authorization Violation'\r\n",
                L::Err("'Authorization Violation'".into()),
            ),
            (&info_line, L::Info(info[5..].to_vec())),
        ];
        for (bytes, want) in cases {
            let got = parse_line(bytes).unwrap_or_else(|e| panic!("{bytes:?}: {e}"));
            let used = bytes.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
            assert_eq!(got, Some((want.clone(), used)), "{bytes:?}");
        }
    }

    #[test]
    fn a_line_without_its_crlf_is_not_whole_yet() {
        for bytes in [
            &b""[..],
            b"MSG m 1 5",
            b"MSG m 1 5\r",
            b"MSG m 1 5\n",
            b"PING\n",
        ] {
            assert_eq!(parse_line(bytes).unwrap(), None, "{bytes:?}");
        }
        // ... until it could never fit.
        let err = parse_line(&vec![b'A'; MAX_LINE]).unwrap_err();
        assert!(err.to_string().contains("longer than 64 KiB"), "{err}");
    }

    #[test]
    fn hostile_protocol_lines_are_errors() {
        let huge = format!("MSG m 1 {}\r\n", MAX_MESSAGE + 1);
        let huge_total = format!("HMSG m 1 2 {}\r\n", MAX_MESSAGE + 1);
        let cases: &[(&[u8], &str)] = &[
            // Wrong argument counts.
            (b"MSG\r\n", "malformed MSG"),
            (b"MSG 5\r\n", "malformed MSG"),
            (b"MSG m 5\r\n", "malformed MSG"),
            (b"MSG m 1 r x 5\r\n", "malformed MSG"),
            (b"HMSG m 1 5\r\n", "malformed HMSG"),
            (b"HMSG m 1 r x 2 5\r\n", "malformed HMSG"),
            (b"PING now\r\n", "malformed PING"),
            (b"+OK ok\r\n", "malformed +OK"),
            // Sizes that are not numbers, or too large to be a chunk.
            (b"MSG m 1 x\r\n", "malformed MSG"),
            (b"MSG m 1 -5\r\n", "malformed MSG"),
            (b"MSG m 1 +5\r\n", "malformed MSG"),
            (b"MSG m 1 5x\r\n", "malformed MSG"),
            (b"MSG m 1 0x10\r\n", "malformed MSG"),
            (b"HMSG m 1 a 5\r\n", "malformed MSG"),
            (b"MSG m 1 99999999999999999999999\r\n", "malformed MSG"),
            (huge.as_bytes(), "larger than any chunk"),
            (huge_total.as_bytes(), "larger than any chunk"),
            (b"HMSG m 1 17 12\r\n", "malformed HMSG"),
            // Operations nats-server does not send us.
            (b"msg m 1 5\r\n", "malformed msg"),
            (b"PUB m 5\r\n", "malformed PUB"),
            (b"\r\n", "an empty protocol line"),
            (b"\x00\xff\r\n", "malformed"),
        ];
        for (bytes, want) in cases {
            match parse_line(bytes) {
                Err(e) => assert!(e.to_string().contains(want), "{bytes:?}: {e}"),
                Ok(l) => panic!("{bytes:?} accepted as {l:?}"),
            }
        }
    }

    #[test]
    fn tls_and_urls_with_credentials_are_left_to_async_nats() {
        for url in [
            "tls://127.0.0.1:4222",
            "ws://127.0.0.1:80",
            "nats://u:p@127.0.0.1:1",
        ] {
            let r = MediaReader::subscribe(&login(&[url]), "s", Some(Duration::from_secs(1)));
            assert!(matches!(r, Err(Unavailable::Unsupported(_))), "{url}");
        }
    }

    /// A scripted server: what it sends, and the lines it expects.
    fn fake_server(
        script: Vec<u8>,
        info: &'static str,
    ) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("nats://{}", listener.local_addr().unwrap());
        let t = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            sock.write_all(format!("INFO {info}\r\n").as_bytes())
                .unwrap();
            let mut lines = Vec::new();
            let mut r = std::io::BufReader::new(sock.try_clone().unwrap());
            // CONNECT, PING, SUB, PING.
            for _ in 0..4 {
                let mut l = String::new();
                r.read_line(&mut l).unwrap();
                lines.push(l.trim_end().to_owned());
            }
            sock.write_all(&script).unwrap();
            // What the client sends afterwards (PONGs), until it closes.
            let mut l = String::new();
            while r.read_line(&mut l).map(|n| n > 0).unwrap_or(false) {
                lines.push(l.trim_end().to_owned());
                l.clear();
            }
            lines
        });
        (url, t)
    }

    #[test]
    fn messages_with_and_without_headers_land_where_placed() {
        let mut script = b"PONG\r\n+OK\r\nPONG\r\nMSG m 1 5\r\nhello\r\nPING\r\n".to_vec();
        script.extend_from_slice(b"HMSG m 1 _INBOX.x 12 17\r\nNATS/1.0\r\n\r\nworld\r\n");
        script.extend_from_slice(b"INFO {}\r\nMSG m 1 3\r\nabcXY");
        let (url, server) = fake_server(script, r#"{"nonce":"abc","max_payload":1048576}"#);
        let user = login(&[&url]);
        let mut r = MediaReader::subscribe(&user, "m", Some(Duration::from_secs(2))).unwrap();
        let place = |b: &mut Vec<u8>, len: usize| {
            b.resize(len + 3, 0);
            (3, 3 + len)
        };
        let mut buf = Vec::new();
        let (s, e) = r.next(&mut buf, place).unwrap();
        assert_eq!(&buf[s..e], b"hello");
        let (s, e) = r.next(&mut buf, place).unwrap();
        assert_eq!(&buf[s..e], b"world", "headers skipped");
        let err = r.next(&mut buf, place).unwrap_err();
        assert!(err.to_string().contains("line end"), "{err}");
        r.writer().close();
        let lines = server.join().unwrap();
        let connect: serde_json::Value =
            serde_json::from_str(lines[0].strip_prefix("CONNECT ").unwrap()).unwrap();
        assert_eq!(connect["jwt"], "jwt");
        // The nonce, signed by the user's key, as nats-server checks it.
        let sig = data_encoding::BASE64URL_NOPAD
            .decode(connect["sig"].as_str().unwrap().as_bytes())
            .unwrap();
        user.key.verify(b"abc", &sig).expect("the nonce, signed");
        assert_eq!(&lines[1..4], ["PING", "SUB m 1", "PING"]);
        assert_eq!(
            lines[4..].iter().filter(|l| *l == "PONG").count(),
            1,
            "{lines:?}"
        );
    }

    #[test]
    fn a_refused_login_or_a_silent_server_is_a_clear_failure() {
        let (url, server) = fake_server(
            b"-ERR 'Authorization Violation'\r\n".to_vec(),
            r#"{"nonce":"n"}"#,
        );
        let r = MediaReader::subscribe(&login(&[&url]), "m", Some(Duration::from_secs(2)));
        let Err(Unavailable::Failed(e)) = r else {
            panic!("refused login accepted")
        };
        assert!(e.to_string().contains("Authorization Violation"), "{e}");
        drop(server);
        let (url, _server) = fake_server(b"PONG\r\nPONG\r\n".to_vec(), "{}");
        let mut r =
            MediaReader::subscribe(&login(&[&url]), "m", Some(Duration::from_millis(200))).unwrap();
        let mut buf = Vec::new();
        let err = r.next(&mut buf, |b, n| {
            b.resize(n, 0);
            (0, n)
        });
        assert!(matches!(err, Err(Error::Timeout(_))), "{err:?}");
        r.writer().close();
    }
}
