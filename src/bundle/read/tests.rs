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

/// A .tar.gz as GNU tar writes one of an unpacked bundle (`tar czf x.tar.gz .`): `./`
/// before every name, a directory entry for `./` and each folder, and (`pax`) POSIX
/// records before a member.
fn repacked(dir: &Path, files: &[(&str, &[u8])], pax: bool) -> std::path::PathBuf {
    let path = dir.join(if pax { "pax.tar.gz" } else { "gnu.tar.gz" });
    let file = File::create(&path).expect("create");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    // The tar crate drops `./` from the names it is given: they are written raw.
    let header = |name: &str, kind: tar::EntryType, size: usize| {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().expect("gnu").name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(kind);
        h.set_size(size as u64);
        h.set_mode(0o600);
        h.set_cksum();
        h
    };
    for name in ["./", "./mdatp/"] {
        tar.append(&header(name, tar::EntryType::Directory, 0), &[][..])
            .expect("dir");
    }
    for (name, bytes) in files {
        let name = format!("./{name}");
        let mut h = header(&name, tar::EntryType::Regular, bytes.len());
        if pax {
            // The name only in the pax record; the header's own is another.
            tar.append_pax_extensions([("path", name.as_bytes()), ("mtime", b"1.5")])
                .expect("pax");
            tar.append_data(&mut h, "placeholder", *bytes)
                .expect("append");
        } else {
            tar.append(&h, *bytes).expect("append");
        }
    }
    tar.into_inner().expect("tar").finish().expect("gz");
    path
}

#[test]
fn a_repacked_bundle_is_the_same_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = bundle(dir.path(), &[("mdatp/health.txt", b"healthy : true\n")]);
    let files = read(&original, |_| false).expect("read");
    let manifest = files.manifest.to_string();
    for pax in [false, true] {
        let path = repacked(
            dir.path(),
            &[
                ("mdatp/health.txt", b"healthy : true\n"),
                ("MANIFEST.json", manifest.as_bytes()),
            ],
            pax,
        );
        let c = read(&path, |n| n == "mdatp/health.txt").expect("read");
        assert_eq!(c.get("mdatp/health.txt"), Some(&b"healthy : true\n"[..]));
        let statuses: Vec<(String, String)> =
            c.check().into_iter().map(|c| (c.path, c.status)).collect();
        assert_eq!(
            statuses,
            [("mdatp/health.txt".to_string(), "ok".to_string())],
            "pax: {pax}"
        );
    }
    // An edit still shows.
    let path = repacked(
        dir.path(),
        &[
            ("mdatp/health.txt", b"healthy : false\n"),
            ("MANIFEST.json", manifest.as_bytes()),
        ],
        false,
    );
    let statuses: Vec<String> = read(&path, |_| false)
        .expect("read")
        .check()
        .into_iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, ["hash mismatch"]);
}
