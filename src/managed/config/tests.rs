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
