//! The catalog model and its JSON file.
//!
//! Field names follow the original Natster's catalog JSON (`name`,
//! `description`, `root_dir`, `image`, `last_modified`, `entries` with
//! `path`, `description`, `mime_type`, `hash`, `byte_size`); we add
//! `revision`, which only ever grows (the original reused the wall clock,
//! which can go backwards), and per-entry `modified` so a rescan can skip
//! unchanged files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One file of a catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative to the root, `/`-separated, never `..` or absolute.
    pub path: String,
    /// Free text set by `describe`; empty by default.
    #[serde(default)]
    pub description: String,
    /// MIME type, by content then extension.
    pub mime_type: String,
    /// SHA-256 of the file, lowercase hex.
    pub hash: String,
    /// Size in bytes.
    pub byte_size: u64,
    /// Modification time when hashed: unix seconds.
    #[serde(default)]
    pub modified: i64,
    /// The sub-second part of `modified`, so a change within the same second
    /// is still seen by a rescan.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modified_nanos: u32,
    /// Device and inode when last seen on disk, so a rescan recognizes a
    /// rename without re-hashing. Not saved: inode numbers are only
    /// trustworthy while we watch the same file system.
    #[serde(skip)]
    pub file_id: Option<(u64, u64)>,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// A catalog: a named set of files under one root directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Name; a subject token, checked by [`natster_proto::names::check_catalog_name`].
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The directory the entries are relative to.
    pub root_dir: PathBuf,
    /// An optional picture (URL or data URI) for the web app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Unix seconds of the last change.
    #[serde(default)]
    pub last_modified: i64,
    /// Bumped by one on every change; never goes back.
    #[serde(default)]
    pub revision: u64,
    /// The files, sorted by path.
    #[serde(default)]
    pub entries: Vec<Entry>,
}

impl Catalog {
    /// An empty catalog, after checking the name.
    pub fn new(name: &str, description: &str, root_dir: impl Into<PathBuf>) -> Result<Self> {
        natster_proto::names::check_catalog_name(name).map_err(Error::Invalid)?;
        Ok(Self {
            name: name.to_owned(),
            description: description.to_owned(),
            root_dir: root_dir.into(),
            image: None,
            last_modified: now(),
            revision: 0,
            entries: Vec::new(),
        })
    }

    /// Reads a catalog file and checks what a hand edit could have broken:
    /// the name, every path, every hash.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let c: Catalog = serde_json::from_slice(&bytes)
            .map_err(|e| Error::json(path.display().to_string(), e))?;
        natster_proto::names::check_catalog_name(&c.name)
            .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        for e in &c.entries {
            check_rel_path(&e.path)
                .and_then(|_| check_hash(&e.hash))
                .map_err(|err| Error::Invalid(format!("{}: {err}", path.display())))?;
        }
        Ok(c)
    }

    /// Writes the catalog to `path` atomically: a temp file in the same
    /// directory, fsynced, renamed over `path`, then the directory fsynced,
    /// so a crash leaves either the old or the new catalog, never half of one.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::json("catalog", e))?;
        write_atomic(path, &json)
    }

    /// The entry with this hash (the first, when identical files share one).
    pub fn find(&self, hash: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.hash == hash)
    }

    /// Sets the description of every entry with `hash`; bumps the revision.
    pub fn describe(&mut self, hash: &str, text: &str) -> Result<()> {
        check_hash(hash)?;
        let mut found = false;
        for e in self.entries.iter_mut().filter(|e| e.hash == hash) {
            e.description = text.to_owned();
            found = true;
        }
        if !found {
            return Err(Error::NotFound(format!(
                "catalog {} has no file with hash {hash}",
                self.name
            )));
        }
        self.touch();
        Ok(())
    }

    /// Records a change: revision + 1, `last_modified` = now.
    pub fn touch(&mut self) {
        self.revision += 1;
        // The wall clock may step back; last_modified must not.
        self.last_modified = now().max(self.last_modified);
    }

    /// Total bytes of all entries.
    pub fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.byte_size).sum()
    }
}

/// Current unix time in seconds.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Checks a catalog-relative path: non-empty `/`-separated components, none
/// empty, `.` or `..`, no backslash or NUL, not absolute.
pub fn check_rel_path(p: &str) -> Result<()> {
    let bad = p.is_empty()
        || p.starts_with('/')
        || p.contains(['\\', '\0'])
        || p.split('/').any(|c| c.is_empty() || c == "." || c == "..");
    if bad {
        return Err(Error::Invalid(format!("invalid catalog path {p:?}")));
    }
    Ok(())
}

/// Checks a SHA-256 in lowercase hex.
pub fn check_hash(h: &str) -> Result<()> {
    if h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "invalid hash {h:?}: expected 64 lowercase hex characters (SHA-256)"
        )))
    }
}

/// Temp file + fsync + rename + directory fsync.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        // Makes the rename itself durable; not every platform allows
        // opening a directory, and the data is already safe, so ignore that.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        for good in ["a", "a/b.mp4", "dir/sub/é.txt", "..a/b.."] {
            assert!(check_rel_path(good).is_ok(), "{good}");
        }
        for bad in ["", "/a", "a/../b", "..", "./a", "a//b", "a/", "a\\b", "a\0"] {
            assert!(check_rel_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashes() {
        assert!(check_hash(&"ab".repeat(32)).is_ok());
        for bad in ["", "AB", &"AB".repeat(32), &"g".repeat(64), &"a".repeat(63)] {
            assert!(check_hash(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn save_load_round_trip_and_describe() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let mut c = Catalog::new("movies", "films", dir.path()).unwrap();
        c.entries.push(Entry {
            path: "a.mp4".into(),
            description: String::new(),
            mime_type: "video/mp4".into(),
            hash: "0".repeat(64),
            byte_size: 3,
            modified: 5,
            modified_nanos: 0,
            file_id: None,
        });
        c.save(&path).unwrap();
        let mut back = Catalog::load(&path).unwrap();
        assert_eq!(back, c);
        let rev = back.revision;
        back.describe(&"0".repeat(64), "a film").unwrap();
        assert_eq!(back.entries[0].description, "a film");
        assert_eq!(back.revision, rev + 1);
        assert!(matches!(
            back.describe(&"1".repeat(64), "x"),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(back.describe("nope", "x"), Err(Error::Invalid(_))));
        // Only the catalog file remains: no temp files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("c.json")]);
    }

    #[test]
    fn bad_names_and_hand_edits_are_refused() {
        assert!(matches!(
            Catalog::new("Movies", "", "/"),
            Err(Error::Invalid(_))
        ));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        std::fs::write(&path, r#"{"name":"m","root_dir":"/","entries":[{"path":"../etc/passwd","mime_type":"x","hash":"00","byte_size":1}]}"#).unwrap();
        assert!(matches!(Catalog::load(&path), Err(Error::Invalid(_))));
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(Catalog::load(&path), Err(Error::Json { .. })));
    }
}
