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

#[test]
fn a_file_planted_at_the_old_predictable_temporary_name_does_not_block_a_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let planted = dir
        .path()
        .join(format!(".mdatp-doctor-bundle-{}.tmp", std::process::id()));
    std::fs::write(&planted, "planted").expect("plant");
    let w = Writer::create(&dir.path().join("b.tar.gz")).expect("create despite the plant");
    let tmp_name = w
        .tmp
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(
        tmp_name.starts_with(".mdatp-doctor-bundle-")
            && !tmp_name.contains(&std::process::id().to_string()),
        "{tmp_name}"
    );
    drop(w);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        left,
        [planted],
        "a dropped writer removes its temporary file"
    );
}

#[test]
fn duplicates_and_strays_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.tar.gz");
    let file = File::create(&path).expect("create");
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    let add = |tar: &mut tar::Builder<GzEncoder<File>>, name: &str, data: &[u8]| {
        let mut h = Writer::header(data.len() as u64);
        tar.append_data(&mut h, name, data).expect("append");
    };
    let entry = |name: &str, data: &[u8]| EntryInfo {
        path: name.into(),
        size: data.len() as u64,
        sha256: hex(Sha256::digest(data)),
        collector: "test".into(),
        source: serde_json::Map::new(),
    };
    add(&mut tar, "a", b"good");
    add(&mut tar, "a", b"evil");
    add(&mut tar, "b", b"fine");
    add(&mut tar, "stray", b"?");
    let manifest = serde_json::json!({"entries": [entry("a", b"good"), entry("b", b"fine"), entry("gone", b"x")]});
    add(&mut tar, "MANIFEST.json", manifest.to_string().as_bytes());
    tar.into_inner().expect("tar").finish().expect("gz");
    let (_, checked) = inspect(&path).expect("inspect");
    let got: Vec<(&str, &str)> = checked
        .iter()
        .map(|c| (c.path.as_str(), c.status.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("a", "duplicate"),
            ("b", "ok"),
            ("gone", "missing"),
            ("stray", "not in manifest")
        ]
    );
}
