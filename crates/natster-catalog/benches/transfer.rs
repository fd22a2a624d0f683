//! Transfer and indexing benchmark, one run on one random file:
//!
//! - raw NATS publish -> subscribe throughput at the transfer's chunk size,
//!   the baseline: publisher and subscriber in two child processes, as the
//!   catalog server and the downloader are (and, for reference, both in
//!   this process);
//! - our encrypted, verified download (catalog server and downloader each in
//!   a child process of this binary, so each side's peak RSS is its own);
//! - the parallel scanner against single-threaded SHA-256 of the same bytes.
//!
//! Baseline and download alternate for `--rounds` rounds (default 3); the
//! figures are medians, and the ratio is the median download over the
//! median two-process baseline. CPU seconds per side come from
//! `/proc/PID/stat`.
//!
//! `cargo bench -p natster-catalog --bench transfer -- [--size 1GiB] [--chunk 1MiB] [--window N] [--rounds 3] [--shared-client] [--json]`
//!
//! `--shared-client`: the downloader receives chunks through its shared
//! async-nats client instead of the transfer's own connection.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use natster_auth::claims::AccountClaims;
use natster_catalog::server::ServeConfig;
use natster_catalog::{Catalog, CatalogClient, DownloadOptions, Entry, scan};
use natster_testkit::{AccountFixture, TestServer, UserFixture, async_nats};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the parent hands its children.
#[derive(Serialize, Deserialize)]
struct Plan {
    url: String,
    owner: AccountClaims,
    server_jwt: String,
    server_seed: String,
    reader_jwt: String,
    reader_seed: String,
    catalog: PathBuf,
    /// The random file itself (the raw baseline sends its first chunk).
    file: PathBuf,
    hash: String,
    out: PathBuf,
    chunk: u32,
    /// Chunks in flight; `None`: the server's default.
    window: Option<u32>,
    /// Chunks on the transfer's own connection (the default), not the
    /// shared client.
    direct: bool,
}

#[derive(Serialize, Deserialize, Default)]
struct ChildReport {
    bytes: u64,
    secs: f64,
    vm_hwm_kib: u64,
    cpu_secs: f64,
    messages: u64,
}

/// User + system CPU seconds a process has used so far (`/proc/PID/stat`,
/// in the kernel's fixed 100 ticks per second).
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15; `rest` starts at field 3.
    (tick(11) + tick(12)) / 100.0
}

fn parse_size(s: &str) -> u64 {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("GiB") {
        (n, 1u64 << 30)
    } else if let Some(n) = s.strip_suffix("MiB") {
        (n, 1 << 20)
    } else if let Some(n) = s.strip_suffix("KiB") {
        (n, 1 << 10)
    } else {
        (s, 1)
    };
    num.trim()
        .parse::<u64>()
        .expect("a size like 1GiB, 256MiB or 1048576")
        * mult
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn user(jwt: &str, seed: &str) -> UserFixture {
    UserFixture {
        key: natster_auth::KeyPair::from_seed(seed).unwrap(),
        jwt: jwt.to_owned(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    match arg("--role").as_deref() {
        Some("server") => rt.block_on(run_server(&arg("--plan").unwrap())),
        Some("receiver") => rt.block_on(run_receiver(&arg("--plan").unwrap(), false)),
        Some("receiver-range") => rt.block_on(run_receiver(&arg("--plan").unwrap(), true)),
        Some("raw-pub") => rt.block_on(run_raw_pub(&arg("--plan").unwrap())),
        Some("raw-sub") => rt.block_on(run_raw_sub(&arg("--plan").unwrap())),
        _ => rt.block_on(run_parent(
            arg("--size").map(|s| parse_size(&s)).unwrap_or(1 << 30),
            arg("--chunk")
                .map(|s| parse_size(&s) as u32)
                .unwrap_or(1 << 20),
            arg("--window").map(|s| s.parse::<u32>().expect("--window N")),
            arg("--rounds")
                .map(|s| s.parse::<usize>().expect("--rounds N"))
                .unwrap_or(3)
                .max(1),
            args.iter().any(|a| a == "--json"),
            !args.iter().any(|a| a == "--shared-client"),
        )),
    }
}

async fn run_server(plan: &str) {
    let plan: Plan = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    let u = user(&plan.server_jwt, &plan.server_seed);
    let client = u.connect(&plan.url).await.unwrap();
    let catalog = Catalog::load(&plan.catalog).unwrap();
    let mut config = ServeConfig::new(catalog, &plan.owner.sub, u.key.clone(), &u.jwt);
    config.watch = false;
    config.chunk_size = plan.chunk;
    if let Some(w) = plan.window {
        config.window = w;
    }
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let ready = std::sync::Mutex::new(Some(ready_tx));
    config.events = Some(Arc::new(move |e| {
        if matches!(e, natster_catalog::ServeEvent::Started { .. }) {
            if let Some(tx) = ready.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
    }));
    // Stop when the parent closes our stdin.
    let stop = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    });
    let serving = tokio::spawn(natster_catalog::serve(client, config, async move {
        let _ = stop.await;
    }));
    ready_rx.await.unwrap();
    println!("ready");
    std::io::stdout().flush().unwrap();
    let cpu_before = cpu_secs("self");
    serving.await.unwrap().unwrap();
    let r = ChildReport {
        vm_hwm_kib: vm_hwm_kib(),
        cpu_secs: cpu_secs("self") - cpu_before,
        ..ChildReport::default()
    };
    println!("{}", serde_json::to_string(&r).unwrap());
}

/// Downloads the file; with `as_range`, as a byte range covering all of it,
/// which the receiver does not hash (a range cannot be checked against the
/// whole file's SHA-256): what the same transfer costs without that check.
async fn run_receiver(plan: &str, as_range: bool) {
    let plan: Plan = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    let u = user(&plan.reader_jwt, &plan.reader_seed);
    let client = u.connect(&plan.url).await.unwrap();
    let mut reader =
        CatalogClient::new(client, &plan.owner.sub, plan.owner.clone(), "bench").unwrap();
    if plan.direct {
        reader = reader.with_direct(natster_catalog::transfer::direct::DirectLogin {
            urls: vec![plan.url.clone()],
            jwt: u.jwt.clone(),
            key: Arc::new(u.key.clone()),
        });
    }
    let start = Instant::now();
    let cpu_before = cpu_secs("self");
    let size = std::fs::metadata(&plan.file).unwrap().len();
    let opts = DownloadOptions {
        chunk_size: Some(plan.chunk),
        range: as_range.then_some(natster_catalog::ByteRange {
            offset: 0,
            length: Some(size),
        }),
        ..DownloadOptions::default()
    };
    let report = reader.download(&plan.hash, &plan.out, opts).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(report.hash_verified, !as_range);
    assert_eq!(report.direct, plan.direct, "the receive path asked for");
    let r = ChildReport {
        bytes: report.received,
        secs,
        vm_hwm_kib: vm_hwm_kib(),
        cpu_secs: cpu_secs("self") - cpu_before,
        ..ChildReport::default()
    };
    println!("{}", serde_json::to_string(&r).unwrap());
}

fn unix_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn raw_chunks(plan: &Plan) -> u64 {
    std::fs::metadata(&plan.file)
        .unwrap()
        .len()
        .div_ceil(u64::from(plan.chunk))
}

/// Raw baseline, publishing side: one chunk of the file, sent as fast as
/// NATS takes it, as many times as the file has chunks. Prints its start
/// time; the subscriber prints its end time (same machine, same clock).
async fn run_raw_pub(plan: &str) {
    let plan: Plan = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    let u = user(&plan.server_jwt, &plan.server_seed);
    let client = u.connect(&plan.url).await.unwrap();
    let mut buf = vec![0u8; plan.chunk as usize];
    let mut f = std::fs::File::open(&plan.file).unwrap();
    let n = f.read(&mut buf).unwrap();
    buf.truncate(n);
    let payload = bytes::Bytes::from(buf);
    let cpu_before = cpu_secs("self");
    let start = unix_secs();
    for _ in 0..raw_chunks(&plan) {
        client.publish("bench.raw", payload.clone()).await.unwrap();
    }
    client.flush().await.unwrap();
    let r = ChildReport {
        secs: start,
        cpu_secs: cpu_secs("self") - cpu_before,
        vm_hwm_kib: vm_hwm_kib(),
        ..ChildReport::default()
    };
    println!("{}", serde_json::to_string(&r).unwrap());
}

/// Raw baseline, subscribing side: prints `ready` once subscribed, then its
/// report (end time in `secs`) after the last chunk, or after 3 s of silence.
async fn run_raw_sub(plan: &str) {
    let plan: Plan = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    let u = user(&plan.reader_jwt, &plan.reader_seed);
    let client = u.connect(&plan.url).await.unwrap();
    let mut sub = client.subscribe("bench.raw").await.unwrap();
    client.flush().await.unwrap();
    let n = raw_chunks(&plan);
    println!("ready");
    std::io::stdout().flush().unwrap();
    let cpu_before = cpu_secs("self");
    let (mut got, mut bytes) = (0u64, 0u64);
    while got < n {
        match tokio::time::timeout(Duration::from_secs(3), sub.next()).await {
            Ok(Some(m)) => {
                got += 1;
                bytes += m.payload.len() as u64;
            }
            _ => break,
        }
    }
    let r = ChildReport {
        bytes,
        secs: unix_secs(),
        cpu_secs: cpu_secs("self") - cpu_before,
        messages: got,
        ..ChildReport::default()
    };
    println!("{}", serde_json::to_string(&r).unwrap());
}

/// One two-process raw round: `(bytes per second, messages lost, CPU
/// seconds of publisher + subscriber)`.
fn raw_two_processes(plan_path: &Path, chunks: u64) -> (f64, u64, f64) {
    let mut sub = spawn_child("raw-sub", plan_path);
    let mut sub_out = std::io::BufReader::new(sub.stdout.take().unwrap());
    let mut line = String::new();
    sub_out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    let p = spawn_child("raw-pub", plan_path)
        .wait_with_output()
        .unwrap();
    assert!(p.status.success(), "raw publisher failed");
    let p: ChildReport = serde_json::from_slice(&p.stdout).unwrap();
    line.clear();
    sub_out.read_line(&mut line).unwrap();
    let _ = sub.wait();
    let s: ChildReport = serde_json::from_str(line.trim()).unwrap();
    (
        s.bytes as f64 / (s.secs - p.secs),
        chunks - s.messages,
        p.cpu_secs + s.cpu_secs,
    )
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Writes `size` pseudo-random bytes (xorshift, fast enough not to matter),
/// returning the SHA-256.
fn generate(path: &Path, size: u64) -> String {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut h = Sha256::new();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for w in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        h.update(&buf[..n]);
        left -= n as u64;
    }
    f.flush().unwrap();
    // Flush to disk now, so writeback does not slow what is measured next.
    f.get_ref().sync_all().unwrap();
    data_encoding::HEXLOWER.encode(&h.finalize())
}

async fn raw_baseline(
    reader: &async_nats::Client,
    writer: &async_nats::Client,
    file: &Path,
    chunk: usize,
) -> (f64, u64) {
    let size = std::fs::metadata(file).unwrap().len();
    let n = size.div_ceil(chunk as u64);
    let mut sub = reader.subscribe("bench.raw").await.unwrap();
    reader.flush().await.unwrap();
    let mut buf = vec![0u8; chunk];
    std::fs::File::open(file)
        .unwrap()
        .read_exact(&mut buf[..chunk.min(size as usize)])
        .unwrap();
    let payload = bytes::Bytes::from(buf);
    let recv = tokio::spawn(async move {
        let mut got = 0u64;
        let mut first = None;
        while got < n {
            match tokio::time::timeout(Duration::from_secs(3), sub.next()).await {
                Ok(Some(_)) => {
                    first.get_or_insert_with(Instant::now);
                    got += 1;
                }
                _ => break,
            }
        }
        (got, first)
    });
    let start = Instant::now();
    for _ in 0..n {
        writer.publish("bench.raw", payload.clone()).await.unwrap();
    }
    writer.flush().await.unwrap();
    let (got, _) = recv.await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    (got as f64 * chunk as f64 / secs, n - got)
}

fn spawn_child(role: &str, plan: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--role", role, "--plan"])
        .arg(plan)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn run_parent(
    size: u64,
    chunk: u32,
    window: Option<u32>,
    rounds: usize,
    json: bool,
    direct: bool,
) {
    let dir = tempfile::Builder::new()
        .prefix("natster-bench-")
        .tempdir()
        .unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let file = root.join("random.bin");
    eprintln!("generating {size} random bytes...");
    let hash = generate(&file, size);

    // Indexing: the same bytes as 8 files (the scanner is parallel across
    // files), hashed single-threaded, then by the scanner on all cores.
    let parts_dir = dir.path().join("parts");
    std::fs::create_dir_all(&parts_dir).unwrap();
    let mut parts = Vec::new();
    {
        let mut src = std::fs::File::open(&file).unwrap();
        let per = size.div_ceil(8);
        for i in 0..8 {
            let p = parts_dir.join(format!("part{i}"));
            let mut out = std::fs::File::create(&p).unwrap();
            std::io::copy(&mut (&mut src).take(per), &mut out).unwrap();
            out.sync_all().unwrap();
            parts.push(p);
        }
    }
    let single = {
        let start = Instant::now();
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        for p in &parts {
            let mut f = std::fs::File::open(p).unwrap();
            let mut h = Sha256::new();
            loop {
                let n = f.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
                total += n as u64;
            }
            std::hint::black_box(h.finalize());
        }
        total as f64 / start.elapsed().as_secs_f64()
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let parallel = {
        let start = Instant::now();
        let total = scan::hash_paths(&parts, threads).unwrap();
        total as f64 / start.elapsed().as_secs_f64()
    };
    drop(std::fs::remove_dir_all(&parts_dir));

    // NATS and identities.
    let server = TestServer::start().await;
    let alice = AccountFixture::new("bench");
    server.push_account(&alice).await.unwrap();
    let server_user = alice.user("catalog-server", |_| {});
    let reader_user = alice.user("reader", |_| {});
    let nats_pid = server.pid().unwrap().to_string();

    let mut catalog = Catalog::new("bench", "benchmark", &root).unwrap();
    catalog.entries.push(Entry {
        path: "random.bin".into(),
        description: String::new(),
        mime_type: "application/octet-stream".into(),
        hash: hash.clone(),
        byte_size: size,
        modified: 0,
        modified_nanos: 0,
        file_id: None,
    });
    let catalog_path = dir.path().join("bench.json");
    catalog.save(&catalog_path).unwrap();
    let plan = Plan {
        url: server.url(),
        owner: alice.claims.clone(),
        server_jwt: server_user.jwt.clone(),
        server_seed: server_user.key.seed().unwrap(),
        reader_jwt: reader_user.jwt.clone(),
        reader_seed: reader_user.key.seed().unwrap(),
        catalog: catalog_path,
        file: file.clone(),
        hash,
        out: dir.path().join("out.bin"),
        chunk,
        window,
        direct,
    };
    let plan_path = dir.path().join("plan.json");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&plan_path)
            .unwrap();
        f.write_all(&serde_json::to_vec(&plan).unwrap()).unwrap();
    }
    let chunks = size.div_ceil(u64::from(chunk));

    let mut srv = spawn_child("server", &plan_path);
    let mut srv_out = std::io::BufReader::new(srv.stdout.take().unwrap());
    let mut line = String::new();
    srv_out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");

    #[derive(Default)]
    struct Series {
        raw_in_process: Vec<f64>,
        raw: Vec<f64>,
        ours: Vec<f64>,
        unhashed: Vec<f64>,
        raw_cpu_clients: Vec<f64>,
        raw_cpu_nats: Vec<f64>,
        ours_cpu_downloader: Vec<f64>,
        ours_cpu_nats: Vec<f64>,
        lost: u64,
        downloader_hwm_kib: u64,
    }
    let mut m = Series::default();
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}: raw NATS, in this process...");
        let raw_a = reader_user.connect(&server.url()).await.unwrap();
        let raw_b = server_user.connect(&server.url()).await.unwrap();
        let (rate, lost) = raw_baseline(&raw_a, &raw_b, &file, chunk as usize).await;
        drop((raw_a, raw_b));
        m.raw_in_process.push(rate);
        m.lost += lost;

        eprintln!("round {round}/{rounds}: raw NATS, two processes...");
        let nats_before = cpu_secs(&nats_pid);
        let (rate, lost, cpu) = raw_two_processes(&plan_path, chunks);
        m.raw_cpu_nats.push(cpu_secs(&nats_pid) - nats_before);
        m.raw_cpu_clients.push(cpu);
        m.raw.push(rate);
        m.lost += lost;

        eprintln!("round {round}/{rounds}: encrypted download...");
        let nats_before = cpu_secs(&nats_pid);
        let recv = spawn_child("receiver", &plan_path)
            .wait_with_output()
            .unwrap();
        assert!(recv.status.success(), "receiver failed");
        m.ours_cpu_nats.push(cpu_secs(&nats_pid) - nats_before);
        let r: ChildReport = serde_json::from_slice(&recv.stdout).unwrap();
        m.ours.push(r.bytes as f64 / r.secs);
        m.ours_cpu_downloader.push(r.cpu_secs);
        m.downloader_hwm_kib = m.downloader_hwm_kib.max(r.vm_hwm_kib);
        std::fs::remove_file(&plan.out).unwrap();

        eprintln!("round {round}/{rounds}: encrypted download without the SHA-256 check...");
        let recv = spawn_child("receiver-range", &plan_path)
            .wait_with_output()
            .unwrap();
        assert!(recv.status.success(), "range receiver failed");
        let r: ChildReport = serde_json::from_slice(&recv.stdout).unwrap();
        m.unhashed.push(r.bytes as f64 / r.secs);
        std::fs::remove_file(&plan.out).unwrap();
    }
    drop(srv.stdin.take());
    line.clear();
    srv_out.read_line(&mut line).unwrap();
    let s: ChildReport = serde_json::from_str(line.trim()).unwrap();
    let _ = srv.wait();

    let (raw, raw_in_process, ours) = (median(&m.raw), median(&m.raw_in_process), median(&m.ours));
    // Each round measures the baseline and the download back to back, so a
    // slow spell on this shared machine tends to hit both: the median of the
    // rounds' own ratios is less noisy than the ratio of the medians.
    let paired: Vec<f64> = m.ours.iter().zip(&m.raw).map(|(o, r)| o / r).collect();
    let mb = |b: f64| b / 1e6;
    let mbs = |v: &[f64]| {
        v.iter()
            .map(|b| (mb(*b) * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    };
    // The catalog server sent two transfers per round.
    let server_cpu_per_round = s.cpu_secs / (2 * rounds) as f64;
    let result = serde_json::json!({
        "size_bytes": size,
        "chunk_bytes": chunk,
        "rounds": rounds,
        "download_on_own_connection": plan.direct,
        "raw_nats_mb_s": mb(raw),
        "raw_nats_in_process_mb_s": mb(raw_in_process),
        "raw_nats_lost_messages": m.lost,
        "encrypted_download_mb_s": mb(ours),
        "download_vs_raw": ours / raw,
        "download_vs_raw_paired": median(&paired),
        "rounds_download_vs_raw": paired.iter().map(|r| (r * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
        "download_vs_raw_in_process": ours / raw_in_process,
        "download_without_sha256_mb_s": mb(median(&m.unhashed)),
        "download_without_sha256_vs_raw": median(&m.unhashed) / raw,
        "rounds_download_without_sha256_mb_s": mbs(&m.unhashed),
        "rounds_raw_mb_s": mbs(&m.raw),
        "rounds_raw_in_process_mb_s": mbs(&m.raw_in_process),
        "rounds_download_mb_s": mbs(&m.ours),
        "index_single_thread_mb_s": mb(single),
        "index_parallel_mb_s": mb(parallel),
        "index_threads": threads,
        "index_speedup": parallel / single,
        "server_peak_rss_mib": s.vm_hwm_kib as f64 / 1024.0,
        "downloader_peak_rss_mib": m.downloader_hwm_kib as f64 / 1024.0,
        "raw_cpu_secs_clients": median(&m.raw_cpu_clients),
        "raw_cpu_secs_nats_server": median(&m.raw_cpu_nats),
        "download_cpu_secs_server": server_cpu_per_round,
        "download_cpu_secs_downloader": median(&m.ours_cpu_downloader),
        "download_cpu_secs_nats_server": median(&m.ours_cpu_nats),
    });
    if json {
        println!("{result}");
        return;
    }
    let list = |v: &[f64]| {
        mbs(v)
            .iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "size {} MiB, chunk {} KiB, {rounds} rounds; medians (rounds in brackets)",
        size >> 20,
        chunk >> 10
    );
    println!(
        "downloads receive on       {}",
        if plan.direct {
            "their own connection"
        } else {
            "the shared client (--shared-client)"
        }
    );
    println!(
        "raw NATS, two processes    {:.0} MB/s [{}]",
        mb(raw),
        list(&m.raw)
    );
    println!(
        "raw NATS, one process      {:.0} MB/s [{}]",
        mb(raw_in_process),
        list(&m.raw_in_process)
    );
    println!("  messages lost            {}", m.lost);
    println!(
        "encrypted download         {:.0} MB/s [{}]",
        mb(ours),
        list(&m.ours)
    );
    println!(
        "ratio                      {:.2}x (vs one process: {:.2}x)",
        ours / raw,
        ours / raw_in_process
    );
    println!(
        "  round by round           {:.2}x [{}]",
        median(&paired),
        paired
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "same, without SHA-256      {:.0} MB/s [{}], {:.2}x",
        mb(median(&m.unhashed)),
        list(&m.unhashed),
        median(&m.unhashed) / raw
    );
    println!("index, 1 thread SHA-256    {:.0} MB/s", mb(single));
    println!(
        "index, scanner {threads} threads   {:.0} MB/s ({:.2}x)",
        mb(parallel),
        parallel / single
    );
    println!(
        "peak RSS catalog server    {:.1} MiB",
        s.vm_hwm_kib as f64 / 1024.0
    );
    println!(
        "peak RSS downloader        {:.1} MiB",
        m.downloader_hwm_kib as f64 / 1024.0
    );
    println!(
        "CPU s per GiB, raw         clients {:.2}, nats-server {:.2}",
        median(&m.raw_cpu_clients),
        median(&m.raw_cpu_nats)
    );
    println!(
        "CPU s per GiB, download    server {server_cpu_per_round:.2}, downloader {:.2}, nats-server {:.2}",
        median(&m.ours_cpu_downloader),
        median(&m.ours_cpu_nats)
    );
}
