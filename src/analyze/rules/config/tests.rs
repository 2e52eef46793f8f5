//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use crate::analyze::finding::{Finding, Severity};
use crate::managed::{config, scan};
use std::path::Path;

fn check(text: &str) -> Vec<Finding> {
    let loaded = config::parse(Path::new("m.json"), text.as_bytes());
    let keys = scan::keys(text);
    file_findings(&ConfigFacts {
        path: "m.json",
        loaded: &loaded,
        keys: &keys,
    })
}

fn ids(fs: &[Finding]) -> Vec<&'static str> {
    fs.iter().map(|f| f.id).collect()
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/managed")
            .join(name),
    )
    .expect("fixture")
}

#[test]
fn the_2025_sample_is_clean() {
    assert_eq!(check(&fixture("docs-2025.json")), []);
}

#[test]
fn the_misspelled_fallback_key() {
    let fs = check(&fixture("docs-2024-misspelled-fallback.json"));
    assert_eq!(ids(&fs), ["config-unknown-key"]);
    assert!(
        fs[0]
            .title
            .contains("did you mean \"offlineDefinitionUpdateFallbackToCloud\""),
        "{}",
        fs[0].title
    );
    assert!(
        fs[0].fix.contains("keeps its default (on)"),
        "{}",
        fs[0].fix
    );
    assert_eq!(fs[0].evidence[0].source, "m.json:8");
}

#[test]
fn the_draft_with_the_feature_under_features() {
    let fs = check(&fixture("docs-2024-draft-wrong-section.json"));
    assert_eq!(ids(&fs), ["config-unknown-key", "config-wrong-section"]);
    let wrong = &fs[1];
    assert_eq!(wrong.severity, Severity::Critical);
    assert!(
        wrong
            .title
            .contains("\"offlineDefinitionUpdate\" is under \"features\""),
        "{}",
        wrong.title
    );
    assert!(wrong.fix.contains("\"antivirusEngine\""));
}

#[test]
fn invalid_values() {
    let fs = check(
        r#"{"antivirusEngine": {"offlineDefinitionUpdateFallbackToCloud": "true", "offlineDefinitionUpdate": "on",
            "maximumOnDemandScanThreads": 100},
            "cloudService": {"definitionUpdatesInterval": -5}}"#,
    );
    assert_eq!(ids(&fs), ["config-invalid-value"; 4]);
    assert!(fs[0].title.contains("\"true\" is a string, not a boolean"));
    assert_eq!(fs[0].severity, Severity::Critical);
    assert_eq!(fs[2].severity, Severity::Warning, "not an offline key");
    assert!(fs[3].title.contains("positive number of seconds"));
}

#[test]
fn duplicates_unknown_sections_and_comment_keys() {
    let fs = check(
        "{\"antivirusEngin\": {}, \"antivirusEngine\": {\"info\": \"x\", \"info\": \"y\",\n\"scanArchives\": true, \"scanArchives\": false}, \"offlineDefinitionUpdateUrl\": \"http://m/\"}",
    );
    assert_eq!(
        ids(&fs),
        [
            "config-unknown-key",
            "config-duplicate-key",
            "config-wrong-section"
        ]
    );
    assert!(fs[0].title.contains("did you mean \"antivirusEngine\""));
    assert_eq!(fs[1].evidence[0].source, "m.json:2");
}

#[test]
fn load_failures() {
    let loaded = config::parse(Path::new("m.json"), b"{\n \"a\": }");
    let fs = file_findings(&ConfigFacts {
        path: "m.json",
        loaded: &loaded,
        keys: &[],
    });
    assert_eq!(ids(&fs), ["config-invalid-json"]);
    assert!(fs[0].fix.contains("line 2"));
    let dir = tempfile::tempdir().expect("tempdir");
    let unreadable = config::load(dir.path());
    let fs = file_findings(&ConfigFacts {
        path: "dir",
        loaded: &unreadable,
        keys: &[],
    });
    assert_eq!(
        (fs[0].id, fs[0].severity),
        ("config-unreadable", Severity::Warning)
    );
    let missing = config::load(Path::new("/nonexistent/m.json"));
    let fs = file_findings(&ConfigFacts {
        path: "/nonexistent/m.json",
        loaded: &missing,
        keys: &[],
    });
    assert_eq!(
        (fs[0].id, fs[0].severity),
        ("config-not-found", Severity::Info)
    );
}

#[test]
fn values_mdatp_did_not_take() {
    let cfg =
        config::parse(Path::new("m.json"), fixture("docs-2025.json").as_bytes()).expect("parses");
    let health = crate::mdatp::health::parse_text(
        "offline_definition_update : \"enabled\" [managed]\n\
         offline_definition_url_configured : \"http://172.22.199.67:8000/linux/production/\" [managed]\n\
         offline_definition_update_fallback_to_cloud : true\n\
         automatic_definition_update_enabled : true\n\
         offline_definition_update_verify_sig : \"enabled\"\n",
    )
    .expect("health");
    let fs = not_applied(&cfg, "m.json", &health);
    assert_eq!(ids(&fs), ["config-not-applied", "config-not-applied"]);
    assert!(
        fs[0]
            .title
            .contains("offlineDefinitionUpdateFallbackToCloud")
            && fs[0].title.contains("different value")
    );
    assert!(
        fs[1].title.contains("automaticDefinitionUpdateEnabled")
            && fs[1].title.contains("without the [managed] marker")
    );
}
