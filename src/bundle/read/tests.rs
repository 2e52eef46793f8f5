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

#[test]
fn a_manifest_is_parsed_as_serde_json_does_within_its_budget() {
    let text = r#"{"entries": [{"path": "a", "size": 1, "sha256": "x", "collector": "c",
        "source": {"command": ["mdatp", "health"], "exit_status": -1, "duration_ms": 1.5}}],
        "redaction": {"enabled": true, "ids": null}, "twice": 1, "twice": 2}"#;
    let ours = parse_manifest(text.as_bytes()).expect("parsed");
    let theirs: serde_json::Value = serde_json::from_str(text).expect("serde_json");
    assert_eq!(ours, theirs);
    assert_eq!(ours["twice"], 2, "the last of a repeated key wins");

    let at_budget = format!("{{\"v\": [{}0]}}", "0,".repeat(MAX_MANIFEST_VALUES - 3));
    assert!(parse_manifest(at_budget.as_bytes()).is_ok());
    let over = format!("{{\"v\": [{}0]}}", "0,".repeat(MAX_MANIFEST_VALUES - 2));
    let err = parse_manifest(over.as_bytes()).expect_err("over the budget");
    assert!(err.to_string().contains("more than 200000 values"), "{err}");
    // Objects count as values too, however little they take in the file.
    let objects = format!("[{}{{}}]", "{},".repeat(MAX_MANIFEST_VALUES));
    assert!(parse_manifest(objects.as_bytes()).is_err());

    for bad in [&b"[]"[..], b"{} {}", b"{\"a\": ", b"\"text\""] {
        assert!(
            parse_manifest(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let entry = r#"{"path": "a", "size": 1, "sha256": "x", "collector": "c"}"#;
    let listing = |n: usize| format!("{{\"entries\": [{}]}}", vec![entry; n].join(","));
    assert!(parse_manifest(listing(MAX_MEMBERS).as_bytes()).is_ok());
    let err = parse_manifest(listing(MAX_MEMBERS + 1).as_bytes()).expect_err("too many");
    assert!(err.to_string().contains("lists 10001 entries"), "{err}");
}
