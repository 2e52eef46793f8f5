//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use crate::bundle::archive::Writer;

fn bundle(dir: &Path, files: &[(&str, &[u8])]) -> std::path::PathBuf {
    let mut w = Writer::create(&dir.join("b.tar.gz")).expect("create");
    for (name, bytes) in files {
        w.add_bytes(name, bytes, "test", serde_json::Map::new())
            .expect("add");
    }
    let manifest = serde_json::json!({"entries": w.entries});
    w.add_bytes(
        "MANIFEST.json",
        manifest.to_string().as_bytes(),
        "manifest",
        serde_json::Map::new(),
    )
    .expect("manifest");
    w.finish().expect("finish")
}

#[test]
fn long_names_are_read_and_only_asked_members_are_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = format!("logs/rotated/{}.log", "x".repeat(150));
    let path = bundle(
        dir.path(),
        &[
            ("mdatp/health.txt", b"healthy : true\n"),
            (&long, b"a log\n"),
        ],
    );
    let c = read(&path, |n| n == "mdatp/health.txt").expect("read");
    assert_eq!(c.get("mdatp/health.txt"), Some(&b"healthy : true\n"[..]));
    assert_eq!(c.get(&long), None, "not asked for: hashed, not kept");
    let statuses: Vec<(String, String)> =
        c.check().into_iter().map(|c| (c.path, c.status)).collect();
    assert_eq!(
        statuses,
        [
            ("mdatp/health.txt".to_string(), "ok".to_string()),
            (long, "ok".to_string())
        ]
    );
}

#[test]
fn a_file_that_is_not_a_bundle_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    for bytes in [&b""[..], b"not gzip", b"\x1f\x8b\x08\x00garbage"] {
        let p = dir.path().join("x.tar.gz");
        std::fs::write(&p, bytes).expect("write");
        assert!(read(&p, |_| true).is_err());
    }
    assert!(read(dir.path(), |_| true).is_err(), "a directory");
}
