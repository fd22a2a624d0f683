//! Turning a directory into catalog entries: walk, then hash in parallel.
//!
//! The walk stays inside the root: a symlink whose target leaves the root is
//! skipped with a warning (serving it would publish files the owner never put
//! in the catalog), and symlinked directories are not followed (their files
//! are listed under their real path, and following them risks loops).
//! Hashing runs on a small pool of threads, one per core, largest files
//! first so the cores finish together. A rescan hashes only files whose
//! size or modification time changed, and recognizes renames by inode.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use crate::catalog::{Catalog, Entry};
use crate::error::{Error, Result};
use crate::mime;

/// Size of the read buffer: large enough that syscalls do not show up next
/// to SHA-256, small enough for 64 MiB RSS budgets.
const READ_BUF: usize = 1 << 20;

/// Where a scan is, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanProgress {
    /// Bytes hashed so far.
    pub bytes_done: u64,
    /// Bytes to hash in this scan (unchanged files are not counted).
    pub bytes_total: u64,
    /// Files hashed so far.
    pub files_done: usize,
    /// Files to hash in this scan.
    pub files_total: usize,
}

/// What a scan found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Things skipped, for people: symlinks leaving the root, unreadable
    /// files, names that are not UTF-8.
    pub warnings: Vec<String>,
    /// New paths.
    pub added: Vec<String>,
    /// Paths whose content changed (re-hashed).
    pub changed: Vec<String>,
    /// Paths gone.
    pub removed: Vec<String>,
    /// `(from, to)`: moved without re-hashing.
    pub renamed: Vec<(String, String)>,
    /// Files hashed.
    pub hashed_files: usize,
    /// Bytes hashed.
    pub hashed_bytes: u64,
}

impl ScanReport {
    /// Whether the catalog's entries changed.
    pub fn changed_anything(&self) -> bool {
        !(self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty())
    }
}

/// A regular file found under the root.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    rel: String,
    abs: PathBuf,
    size: u64,
    modified: (i64, u32),
    file_id: (u64, u64),
}

/// Files named like these are ours (partial downloads, atomic-write temps) and never listed.
pub(crate) fn is_our_temp(name: &str) -> bool {
    name.starts_with('.')
        && (name.ends_with(".natster-part")
            || name.ends_with(".natster-part.json")
            || name.ends_with(".tmp"))
}

/// Scans `root` and returns a new catalog (revision 1), with warnings.
pub fn create(
    name: &str,
    description: &str,
    root: &Path,
    progress: &(dyn Fn(ScanProgress) + Sync),
) -> Result<(Catalog, ScanReport)> {
    let root = std::fs::canonicalize(root).map_err(|e| Error::io(root, e))?;
    let mut catalog = Catalog::new(name, description, &root)?;
    let report = rescan(&mut catalog, progress)?;
    if catalog.revision == 0 {
        // An empty directory is still a new catalog.
        catalog.touch();
    }
    Ok((catalog, report))
}

/// Brings `catalog` up to date with its root: hashes new and changed files
/// only, drops removed ones, follows renames. Bumps the revision when
/// anything changed.
pub fn rescan(
    catalog: &mut Catalog,
    progress: &(dyn Fn(ScanProgress) + Sync),
) -> Result<ScanReport> {
    let root = catalog.root_dir.clone();
    let meta = std::fs::metadata(&root).map_err(|e| Error::io(&root, e))?;
    if !meta.is_dir() {
        return Err(Error::Invalid(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let mut report = ScanReport::default();
    let found = walk(&root, &mut report.warnings)?;
    let mut old: HashMap<String, Entry> = catalog
        .entries
        .drain(..)
        .map(|e| (e.path.clone(), e))
        .collect();
    let mut kept = Vec::with_capacity(found.len());
    let to_hash = keep_unchanged(found, &mut old, &mut kept);
    let to_hash = follow_renames(to_hash, old, &mut kept, &mut report);
    hash_new_and_changed(to_hash, progress, &mut kept, &mut report);
    kept.sort_by(|a, b| a.path.cmp(&b.path));
    catalog.entries = kept;
    report.added.sort();
    report.changed.sort();
    report.removed.sort();
    if report.changed_anything() {
        catalog.touch();
    }
    Ok(report)
}

/// A file to hash, with the entry its path had (`None`: a new path).
type ToHash = (Found, Option<Entry>);

/// Moves the entries of files whose size and mtime did not change from
/// `old` to `kept` (with their inode, which may be new), and returns the
/// other files found. What stays in `old` is no longer at its path.
fn keep_unchanged(
    found: Vec<Found>,
    old: &mut HashMap<String, Entry>,
    kept: &mut Vec<Entry>,
) -> Vec<ToHash> {
    let mut to_hash = Vec::new();
    for f in found {
        match old.remove(&f.rel) {
            Some(mut e)
                if e.byte_size == f.size && (e.modified, e.modified_nanos) == f.modified =>
            {
                e.file_id = Some(f.file_id);
                kept.push(e);
            }
            Some(e) => to_hash.push((f, Some(e))),
            None => to_hash.push((f, None)),
        }
    }
    to_hash
}

/// Renames: a new path whose inode, size and mtime match an entry that
/// disappeared (`gone`) is the same file; keep its hash and description.
/// The other disappeared entries are reported removed; returns the files
/// that still need hashing.
fn follow_renames(
    to_hash: Vec<ToHash>,
    gone: HashMap<String, Entry>,
    kept: &mut Vec<Entry>,
    report: &mut ScanReport,
) -> Vec<ToHash> {
    let mut gone_by_id: HashMap<(u64, u64), Entry> = HashMap::new();
    for (path, e) in gone {
        match e.file_id {
            Some(id) => {
                gone_by_id.insert(id, e);
            }
            None => report.removed.push(path),
        }
    }
    let mut hash_list = Vec::new();
    for (f, prev) in to_hash {
        let renamed_from = match (&prev, gone_by_id.get(&f.file_id)) {
            (None, Some(g))
                if g.byte_size == f.size && (g.modified, g.modified_nanos) == f.modified =>
            {
                gone_by_id.remove(&f.file_id)
            }
            _ => None,
        };
        if let Some(mut g) = renamed_from {
            report.renamed.push((g.path.clone(), f.rel.clone()));
            g.path = f.rel.clone();
            kept.push(g);
        } else {
            hash_list.push((f, prev));
        }
    }
    report
        .removed
        .extend(gone_by_id.into_values().map(|e| e.path));
    hash_list
}

/// Hashes `to_hash` in parallel and adds an entry for each file read.
fn hash_new_and_changed(
    to_hash: Vec<ToHash>,
    progress: &(dyn Fn(ScanProgress) + Sync),
    kept: &mut Vec<Entry>,
    report: &mut ScanReport,
) {
    let files: Vec<Found> = to_hash.iter().map(|(f, _)| f.clone()).collect();
    let hashed = hash_found(&files, threads(), progress);
    for ((f, prev), result) in to_hash.into_iter().zip(hashed) {
        match result {
            Ok(h) => {
                report.hashed_files += 1;
                report.hashed_bytes += h.size;
                match &prev {
                    Some(_) => report.changed.push(f.rel.clone()),
                    None => report.added.push(f.rel.clone()),
                }
                kept.push(Entry {
                    path: f.rel,
                    description: prev.map(|p| p.description).unwrap_or_default(),
                    mime_type: h.mime_type.to_owned(),
                    hash: h.hash,
                    byte_size: h.size,
                    modified: h.modified.0,
                    modified_nanos: h.modified.1,
                    file_id: Some(f.file_id),
                });
            }
            Err(e) => {
                // Vanished or unreadable between walk and hash: report it, and
                // drop a stale entry rather than serve bytes we cannot read.
                report.warnings.push(format!("{}: skipped: {e}", f.rel));
                if prev.is_some() {
                    report.removed.push(f.rel);
                }
            }
        }
    }
}

fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn modified_of(meta: &std::fs::Metadata) -> (i64, u32) {
    match meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
    {
        Some(d) => (d.as_secs() as i64, d.subsec_nanos()),
        None => (0, 0),
    }
}

#[cfg(unix)]
fn file_id_of(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id_of(_meta: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// All regular files under `root` (canonical), with their relative paths.
pub(crate) fn walk(root: &Path, warnings: &mut Vec<String>) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if dir == root => return Err(Error::io(root, e)),
            Err(e) => {
                warnings.push(format!("{prefix}: directory skipped: {e}"));
                continue;
            }
        };
        for de in rd {
            let de = match de {
                Ok(de) => de,
                Err(e) => {
                    warnings.push(format!("{}: entry skipped: {e}", dir.display()));
                    continue;
                }
            };
            match look_at(root, &prefix, &de) {
                Ok(Seen::Dir(path, rel)) => stack.push((path, rel)),
                Ok(Seen::File(f)) => out.push(f),
                Ok(Seen::Unlisted) => {}
                Err(warning) => warnings.push(warning),
            }
        }
    }
    Ok(out)
}

/// What a directory entry turned out to be.
enum Seen {
    /// A directory to walk: its path and relative path.
    Dir(PathBuf, String),
    /// A regular file (directly, or by a symlink inside the root).
    File(Found),
    /// A name the catalog never lists (ours, or with a backslash), silently.
    Unlisted,
}

/// Looks at one entry of the directory at relative path `prefix`; `Err` is
/// the warning that says why it is skipped.
fn look_at(root: &Path, prefix: &str, de: &std::fs::DirEntry) -> std::result::Result<Seen, String> {
    let Some(name) = de.file_name().to_str().map(str::to_owned) else {
        return Err(format!(
            "{}: skipped: the name is not valid UTF-8",
            de.path().display()
        ));
    };
    if name.contains('\\') || is_our_temp(&name) {
        return Ok(Seen::Unlisted);
    }
    let rel = if prefix.is_empty() {
        name
    } else {
        format!("{prefix}/{name}")
    };
    let path = de.path();
    let ft = de.file_type().map_err(|e| format!("{rel}: skipped: {e}"))?;
    if ft.is_dir() {
        return Ok(Seen::Dir(path, rel));
    }
    let meta = if ft.is_symlink() {
        symlink_target(root, &path, &rel)?
    } else {
        de.metadata().map_err(|e| format!("{rel}: skipped: {e}"))?
    };
    if !meta.is_file() {
        // FIFOs, sockets, devices: reading them could block forever.
        return Err(format!("{rel}: not a regular file; skipped"));
    }
    Ok(Seen::File(Found {
        rel,
        abs: path,
        size: meta.len(),
        modified: modified_of(&meta),
        file_id: file_id_of(&meta),
    }))
}

/// The metadata of a symlink's target, when that target stays inside the
/// root and is not a directory; else the warning.
fn symlink_target(
    root: &Path,
    path: &Path,
    rel: &str,
) -> std::result::Result<std::fs::Metadata, String> {
    let target =
        std::fs::canonicalize(path).map_err(|e| format!("{rel}: broken symlink skipped: {e}"))?;
    if !target.starts_with(root) {
        return Err(format!(
            "{rel}: symlink to {} leaves the catalog root; skipped",
            target.display()
        ));
    }
    let meta = std::fs::metadata(&target).map_err(|e| format!("{rel}: skipped: {e}"))?;
    if meta.is_dir() {
        return Err(format!(
            "{rel}: symlinked directory not followed; its files are listed under their real path"
        ));
    }
    Ok(meta)
}

/// One file's hash and what we learned while reading it.
#[derive(Clone, Debug)]
pub(crate) struct Hashed {
    hash: String,
    size: u64,
    modified: (i64, u32),
    mime_type: &'static str,
}

/// Hashes `files` on `threads` threads; results in input order.
fn hash_found(
    files: &[Found],
    threads: usize,
    progress: &(dyn Fn(ScanProgress) + Sync),
) -> Vec<Result<Hashed>> {
    let bytes_total = files.iter().map(|f| f.size).sum();
    let files_total = files.len();
    let bytes_done = AtomicU64::new(0);
    let files_done = AtomicUsize::new(0);
    let report = |bytes: u64, file_finished: bool| {
        let b = bytes_done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let f = files_done.fetch_add(usize::from(file_finished), Ordering::Relaxed)
            + usize::from(file_finished);
        progress(ScanProgress {
            bytes_done: b,
            bytes_total,
            files_done: f,
            files_total,
        });
    };
    // Largest first, so no core is left with one big file at the end.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by(|&a, &b| files[b].size.cmp(&files[a].size));
    let results: Vec<Mutex<Option<Result<Hashed>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = threads.clamp(1, files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut buf = vec![0u8; READ_BUF];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&idx) = order.get(i) else { break };
                    let f = &files[idx];
                    // A panic while hashing one file is that file's error,
                    // not a crash of the whole scan.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        hash_file(&f.abs, &f.rel, &mut buf, &|n| report(n, false))
                    }))
                    .unwrap_or_else(|p| Err(Error::panicked("hashing", p.as_ref())));
                    report(0, true);
                    if let Ok(mut slot) = results[idx].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(Error::ThreadPanicked {
                    thread: "hashing",
                    message: "its result was lost".into(),
                })
            })
        })
        .collect()
}

/// SHA-256 of one file, its MIME type from the first bytes, and the size
/// and mtime it had. If the file changed while we read it, mtime is set to
/// zero so the next rescan hashes it again instead of trusting this hash.
fn hash_file(path: &Path, rel: &str, buf: &mut [u8], on_bytes: &dyn Fn(u64)) -> Result<Hashed> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let before = f.metadata().map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(mime::SNIFF_LEN);
    let mut size = 0u64;
    loop {
        let n = match f.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        if head.len() < mime::SNIFF_LEN {
            let take = (mime::SNIFF_LEN - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        on_bytes(n as u64);
    }
    let after = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let stable = after.len() == size && modified_of(&after) == modified_of(&before);
    Ok(Hashed {
        hash: hex(&hasher.finalize()),
        size,
        modified: if stable { modified_of(&after) } else { (0, 0) },
        mime_type: mime::detect(rel, &head),
    })
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Hashes `paths` with the parallel scanner on `threads` threads and returns
/// the total bytes hashed; for the benchmark.
pub fn hash_paths(paths: &[PathBuf], threads: usize) -> Result<u64> {
    let files: Vec<Found> = paths
        .iter()
        .map(|p| {
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            Ok(Found {
                rel: p.display().to_string(),
                abs: p.clone(),
                size: meta.len(),
                modified: modified_of(&meta),
                file_id: file_id_of(&meta),
            })
        })
        .collect::<Result<_>>()?;
    let mut total = 0;
    for r in hash_found(&files, threads, &|_| {}) {
        total += r?.size;
    }
    Ok(total)
}
