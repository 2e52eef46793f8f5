//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn round_trip_and_tamper_detection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("b.tar.gz");
    let mut w = Writer::create(&dest).expect("create");
    w.add_bytes("a.txt", b"hello", "test", serde_json::Map::new())
        .expect("add");
    w.add_stream("b.log", &b"0123456789"[..], 10, "logs")
        .expect("stream");
    let manifest = serde_json::json!({"entries": w.entries});
    w.add_bytes(
        "MANIFEST.json",
        manifest.to_string().as_bytes(),
        "manifest",
        serde_json::Map::new(),
    )
    .expect("manifest");
    let path = w.finish().expect("finish");
    let (_, checked) = inspect(&path).expect("inspect");
    assert_eq!(
        checked
            .iter()
            .map(|c| c.status.as_str())
            .collect::<Vec<_>>(),
        ["ok", "ok"]
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(&path).expect("meta").mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("ls").count(),
        1,
        "no temporary file left"
    );
    assert!(
        Writer::create(&path).is_err(),
        "an existing bundle is never overwritten"
    );
}

#[test]
fn a_stream_that_shrinks_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = Writer::create(&dir.path().join("b.tar.gz")).expect("create");
    assert!(w.add_stream("x", &b"short"[..], 100, "logs").is_err());
    w.abandon();
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
}
