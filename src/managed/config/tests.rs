//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn bom_crlf_and_duplicates_are_tolerated() {
    let text = "\u{feff}{\r\n \"antivirusEngine\": {\"offlineDefinitionUpdateUrl\": \"http://a/\",\r\n \
                \"offlineDefinitionUpdateUrl\": \"http://b/linux/production/\"},\r\n \
                \"cloudService\": {\"proxy\": \"http://proxy:3128/\"}}";
    let cfg = parse(Path::new("m.json"), text.as_bytes()).expect("parses");
    assert_eq!(cfg.offline_url(), Some("http://b/linux/production/"));
    assert_eq!(cfg.proxy(), Some("http://proxy:3128/"));
}

#[test]
fn errors_are_typed() {
    let err = parse(Path::new("m.json"), b"{\n  \"a\": ,\n}").expect_err("invalid");
    assert!(
        matches!(err, ConfigError::InvalidJson { line: 2, .. }),
        "{err:?}"
    );
    assert!(matches!(
        parse(Path::new("m.json"), b"[]"),
        Err(ConfigError::NotAnObject { .. })
    ));
    assert!(matches!(
        load(Path::new("/nonexistent/m.json")),
        Err(ConfigError::NotFound { .. })
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 2 * 1024 * 1024]).expect("write");
    assert!(matches!(load(&big), Err(ConfigError::TooLarge { .. })));
}

#[test]
fn shared_samples_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/managed");
    let cfg = load(&root.join("docs-2025.json")).expect("loads");
    assert!(
        cfg.offline_url()
            .is_some_and(|u| u.ends_with("/linux/production/"))
    );
}

#[test]
fn only_regular_files_are_read_and_a_fifo_never_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo.json");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // With no writer, a blocking open would never return.
    assert!(matches!(
        load(&fifo),
        Err(ConfigError::NotAFile {
            kind: "a FIFO (named pipe)",
            ..
        })
    ));
    assert!(matches!(
        load(dir.path()),
        Err(ConfigError::NotAFile {
            kind: "a directory",
            ..
        })
    ));
    assert!(matches!(
        load(Path::new("/dev/null")),
        Err(ConfigError::NotAFile {
            kind: "a device",
            ..
        })
    ));
    // A link to a regular file is followed, as mdatp follows it.
    let real = dir.path().join("real.json");
    std::fs::write(&real, "{\"antivirusEngine\": {}}").expect("write");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    assert!(load(&link).is_ok());
}

#[test]
fn paths_into_nested_objects() {
    let cfg = parse(
        Path::new("m.json"),
        br#"{"scheduledScan": {"weeklyConfiguration": {"dayOfWeek": 4}},
             "antivirusEngine": {"offlineDefinitionUpdate": "enabled"}}"#,
    )
    .expect("parses");
    assert_eq!(
        cfg.get_path(&["scheduledScan", "weeklyConfiguration"], "dayOfWeek"),
        Some(&serde_json::json!(4))
    );
    assert_eq!(cfg.get_path(&["scheduledScan", "nope"], "dayOfWeek"), None);
    assert!(cfg.offline_enabled());
}
