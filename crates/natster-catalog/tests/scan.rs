//! Scanning a directory into a catalog, and rescanning it.

mod common;

use std::sync::Mutex;

use common::bytes;
use natster_catalog::{Catalog, Error, scan};
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(b))
}

#[test]
fn scan_lists_every_file_relative_hashed_and_typed() {
    let root = tempfile::tempdir().expect("root");
    let outside = tempfile::tempdir().expect("outside");
    let r = root.path();
    std::fs::create_dir_all(r.join("films/2024")).expect("mkdir");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("notes.md", b"# hi\n".to_vec()),
        ("films/2024/a.bin", bytes(3 << 20, 1)),
        (
            "films/b.png",
            [b"\x89PNG\r\n\x1a\n".to_vec(), bytes(1000, 2)].concat(),
        ),
        ("empty", Vec::new()),
    ];
    for (p, d) in &files {
        std::fs::write(r.join(p), d).expect("write");
    }
    std::fs::write(outside.path().join("secret"), b"nope").expect("write");
    std::os::unix::fs::symlink(outside.path().join("secret"), r.join("leak")).expect("symlink");
    std::os::unix::fs::symlink(r.join("notes.md"), r.join("alias.md")).expect("symlink");
    std::fs::write(r.join(".x.natster-part"), b"partial").expect("write");

    let seen = Mutex::new(Vec::new());
    let (c, report) = scan::create("films", "my films", r, &|p| {
        seen.lock().expect("lock").push(p)
    })
    .expect("scan");
    let paths: Vec<&str> = c.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "alias.md",
            "empty",
            "films/2024/a.bin",
            "films/b.png",
            "notes.md"
        ]
    );
    for (p, d) in &files {
        let e = c.entries.iter().find(|e| e.path == *p).expect("entry");
        assert_eq!(e.hash, sha(d), "{p}");
        assert_eq!(e.byte_size, d.len() as u64);
    }
    assert_eq!(
        c.entries
            .iter()
            .find(|e| e.path == "films/b.png")
            .expect("png")
            .mime_type,
        "image/png"
    );
    assert_eq!(
        c.entries
            .iter()
            .find(|e| e.path == "notes.md")
            .expect("md")
            .mime_type,
        "text/markdown"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("leak") && w.contains("leaves the catalog root")),
        "{:?}",
        report.warnings
    );
    assert_eq!(c.revision, 1);

    let seen = seen.into_inner().expect("lock");
    let last = seen.last().expect("progress reported");
    let total: u64 = files.iter().map(|(_, d)| d.len() as u64).sum::<u64>() + 5;
    assert_eq!(
        (
            last.bytes_done,
            last.bytes_total,
            last.files_done,
            last.files_total
        ),
        (total, total, 5, 5)
    );

    // Saved and loaded, the catalog is the same.
    let json = outside.path().join("films.json");
    c.save(&json).expect("save");
    let back = Catalog::load(&json).expect("load");
    let key = |c: &Catalog| {
        c.entries
            .iter()
            .map(|e| (e.path.clone(), e.hash.clone(), e.modified))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (key(&back), back.revision, &back.name),
        (key(&c), c.revision, &c.name)
    );
}

#[test]
fn rescan_hashes_only_what_changed_and_follows_renames() {
    let root = tempfile::tempdir().expect("root");
    let r = root.path();
    for i in 0..4 {
        std::fs::write(r.join(format!("f{i}")), bytes(10_000, i)).expect("write");
    }
    let (mut c, _) = scan::create("c", "", r, &|_| {}).expect("scan");
    c.describe(&c.entries[1].hash.clone(), "second")
        .expect("describe");
    let rev = c.revision;

    let report = scan::rescan(&mut c, &|_| {}).expect("rescan");
    assert_eq!(
        (report.hashed_files, report.changed_anything(), c.revision),
        (0, false, rev)
    );

    std::fs::write(r.join("f0"), bytes(10_001, 50)).expect("modify");
    std::fs::rename(r.join("f1"), r.join("g1")).expect("rename");
    std::fs::remove_file(r.join("f2")).expect("remove");
    std::fs::write(r.join("new"), b"new").expect("add");
    let report = scan::rescan(&mut c, &|_| {}).expect("rescan");
    assert_eq!(report.changed, ["f0"]);
    assert_eq!(report.added, ["new"]);
    assert_eq!(report.removed, ["f2"]);
    assert_eq!(report.renamed, [("f1".to_owned(), "g1".to_owned())]);
    assert_eq!(
        report.hashed_files, 2,
        "only the changed and the new file are hashed"
    );
    assert_eq!(c.revision, rev + 1);
    let g1 = c.entries.iter().find(|e| e.path == "g1").expect("renamed");
    assert_eq!(g1.description, "second", "a rename keeps the description");
    assert_eq!(g1.hash, sha(&bytes(10_000, 1)));
    assert_eq!(
        c.entries.iter().find(|e| e.path == "f0").expect("f0").hash,
        sha(&bytes(10_001, 50))
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let root = tempfile::tempdir().expect("root");
    assert!(matches!(
        scan::create("Bad Name", "", root.path(), &|_| {}),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        scan::create("ok", "", &root.path().join("missing"), &|_| {}),
        Err(Error::Io { .. })
    ));
    let file = root.path().join("file");
    std::fs::write(&file, b"x").expect("write");
    let mut c = Catalog::new("ok", "", &file).expect("new");
    assert!(matches!(
        scan::rescan(&mut c, &|_| {}),
        Err(Error::Invalid(_))
    ));
}
