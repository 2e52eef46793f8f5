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
        judged: Judged::default(),
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
    // Microsoft's samples pair this spelling with a [managed] fallback line in health:
    // the rule's meaning (--explain) says so, and the fix leaves the verdict to health
    // instead of claiming mdatp ignores it, in what a person does.
    assert!(CONFIG_UNKNOWN_KEY.meaning.contains("not established"));
    assert!(fs[0].fix.len() <= 260, "{}", fs[0].fix);
    assert!(
        fs[0].fix.contains("mdatp health --details definitions"),
        "{}",
        fs[0].fix
    );
    assert!(
        !fs[0].fix.contains("mdatp ignores the misspelled key"),
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
    assert!(fs[3].title.contains("is negative"), "{}", fs[3].title);
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
        keys: &Keys::default(),
        judged: Judged::default(),
    });
    assert_eq!(ids(&fs), ["config-invalid-json"]);
    assert!(fs[0].fix.contains("line 2"));
    let dir = tempfile::tempdir().expect("tempdir");
    let unreadable = config::load(dir.path());
    let fs = file_findings(&ConfigFacts {
        path: "dir",
        loaded: &unreadable,
        keys: &Keys::default(),
        judged: Judged::default(),
    });
    assert_eq!(
        (fs[0].id, fs[0].severity),
        ("config-unreadable", Severity::Warning)
    );
    let missing = config::load(Path::new("/nonexistent/m.json"));
    let fs = file_findings(&ConfigFacts {
        path: "/nonexistent/m.json",
        loaded: &missing,
        keys: &Keys::default(),
        judged: Judged::default(),
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
    let fs = not_applied(&cfg, "m.json", &health, None);
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

/// The file rules as `diagnose` runs them, with what health and the url rules judged.
fn check_judged(text: &str, judged: Judged) -> Vec<Finding> {
    let loaded = config::parse(Path::new("m.json"), text.as_bytes());
    let keys = scan::keys(text);
    file_findings(&ConfigFacts {
        path: "m.json",
        loaded: &loaded,
        keys: &keys,
        judged,
    })
}

const OFFLINE_ON: &str = r#"{"antivirusEngine": {"offlineDefinitionUpdate": "enabled",
  "offlineDefinitionUpdateUrl": "URL"},
  "features": {"offlineDefinitionUpdateVerifySig": "enabled"}}"#;

#[test]
fn the_url_rules_on_the_file_alone() {
    let scheme_less = OFFLINE_ON.replace("URL", "mirror:8000/linux/production/arch_x86_64/");
    let fs = check(&scheme_less);
    assert_eq!(ids(&fs), ["url-malformed", "url-includes-arch"]);
    // No scheme: undocumented how mdatp reads it (the seed's own example has none).
    assert_eq!(fs[0].severity, Severity::Warning);
    assert_eq!(fs[1].severity, Severity::Critical);
    assert!(
        fs[0].title.starts_with("The managed file's mirror URL"),
        "{}",
        fs[0].title
    );
    assert_eq!(fs[0].evidence[0].source, "m.json:2");
    // Both fixes suggest the whole corrected URL, scheme added and arch folder cut.
    for f in &fs {
        assert!(
            f.fix.contains("\"http://mirror:8000/linux/production/\""),
            "{}",
            f.fix
        );
    }
    for (url, id) in [
        ("http://m/mac/production/", "url-platform-mismatch"),
        ("http://m/updates/", "url-not-ring-folder"),
        ("http://m/linux/production_back/", "url-rollback"),
    ] {
        assert_eq!(ids(&check(&OFFLINE_ON.replace("URL", url))), [id], "{url}");
    }
    assert_eq!(
        check(&OFFLINE_ON.replace("URL", "http://m/linux/production/")),
        []
    );
    // Offline on and no URL: the file names no mirror.
    let fs = check(&OFFLINE_ON.replace("\"URL\"", "\"\""));
    assert_eq!(ids(&fs), ["url-missing"]);
    assert_eq!(fs[0].evidence[0].source, "m.json:1");
}

#[test]
fn diagnose_does_not_repeat_what_the_url_rules_said() {
    let bad = "http://m/linux/production/arch_x86_64/";
    let text = OFFLINE_ON.replace("URL", bad);
    // The URL in use is the file's (spelled differently): the url rules said it.
    let same = Judged {
        url: Some("HTTP://M/linux/production/arch_x86_64"),
        offline: true,
        offline_on: Some(true),
        verify_sig: true,
    };
    assert_eq!(check_judged(&text, same), []);
    // Health uses another URL: the file's is its own problem, said from the file.
    let other = Judged {
        url: Some("http://other/linux/production/"),
        ..same
    };
    assert_eq!(ids(&check_judged(&text, other)), ["url-includes-arch"]);
    // Health knows whether offline updates are on: a missing URL is its call.
    let no_url = OFFLINE_ON.replace("\"URL\"", "\"\"");
    assert_eq!(check_judged(&no_url, Judged { url: None, ..same }), []);
}

#[test]
fn verification_switched_off_in_the_file() {
    let off = OFFLINE_ON
        .replace("URL", "http://m/linux/production/")
        .replace("\"enabled\"}}", "\"disabled\"}}");
    let fs = check(&off);
    assert_eq!(ids(&fs), ["config-verify-sig-off"]);
    assert_eq!(fs[0].severity, Severity::Critical);
    assert!(
        fs[0].title.contains("before 101.26062.0005"),
        "{}",
        fs[0].title
    );
    assert!(fs[0].title.contains("ignored"), "{}", fs[0].title);
    assert_eq!(fs[0].evidence[0].source, "m.json:3");
    // Absent while offline updates are on: a warning.
    let absent = r#"{"antivirusEngine": {"offlineDefinitionUpdate": "enabled",
        "offlineDefinitionUpdateUrl": "http://m/linux/production/"}}"#;
    let fs = check(absent);
    assert_eq!(
        (ids(&fs), fs[0].severity),
        (vec!["config-verify-sig-off"], Severity::Warning)
    );
    assert!(fs[0].title.contains("March 2024 sample"), "{}", fs[0].title);
    // Absent with offline updates off: nothing to verify (the URL is its own warning).
    assert_eq!(
        ids(&check(&absent.replace("\"enabled\"", "\"disabled\""))),
        ["config-url-unused"]
    );
    // "disabled" with offline updates off, as Microsoft's own sample profiles have it
    // (mdatp-xplat linux/configs/mdatp_managed.json, the 2026 full Linux profile).
    let sample = r#"{"antivirusEngine": {"enforcementLevel": "real_time"},
        "features": {"offlineDefinitionUpdateVerifySig": "disabled"}}"#;
    assert_eq!(check(sample), []);
    let sample_off = r#"{"antivirusEngine": {"offlineDefinitionUpdate": "disabled"},
        "features": {"offlineDefinitionUpdateVerifySig": "disabled"}}"#;
    assert_eq!(check(sample_off), []);
    // In diagnose, health saying offline updates are on makes the file's "disabled" count.
    let on = Judged {
        offline: true,
        offline_on: Some(true),
        ..Judged::default()
    };
    assert_eq!(ids(&check_judged(sample, on)), ["config-verify-sig-off"]);
    // Health reports the setting: it decides (verify-sig-disabled), not the file.
    let judged = Judged {
        verify_sig: true,
        ..Judged::default()
    };
    assert_eq!(check_judged(&off, judged), []);
    assert_eq!(check_judged(absent, judged), []);
}

#[test]
fn the_update_interval_against_both_documented_ranges() {
    let with = |n: &str| {
        check(&format!(
            "{{\"cloudService\": {{\"definitionUpdatesInterval\": {n}}}}}"
        ))
    };
    for ok in ["60", "28800", "86400", "3600.5"] {
        assert_eq!(with(ok), [], "{ok}");
    }
    let low = with("30");
    assert_eq!(
        (ids(&low), low[0].severity),
        (vec!["config-interval-range"], Severity::Warning)
    );
    assert!(
        low[0]
            .title
            .contains("below 60 s, the minimum of the macOS schema"),
        "{}",
        low[0].title
    );
    assert!(
        low[0]
            .title
            .contains("Intune's Linux setting allows 0-86400"),
        "{}",
        low[0].title
    );
    assert_eq!(ids(&with("0")), ["config-interval-range"]);
    let high = with("90000");
    assert!(high[0].title.contains("above 86400 s"), "{}", high[0].title);
    assert!(
        high[0]
            .title
            .contains("both the macOS schema (60-86400) and Intune's Linux setting (0-86400)")
    );
    let negative = with("-5");
    assert_eq!(
        (ids(&negative), negative[0].severity),
        (vec!["config-invalid-value"], Severity::Critical)
    );
    assert_eq!(ids(&with("\"28800\"")), ["config-invalid-value"]);
}

#[test]
fn the_scheduled_scan_keys_and_sensor_switches() {
    let text = r#"{"antivirusEngine": {"scheduledScan": "enabled"},
      "scheduledScan": {"weeklyConfiguration": {"dayOfWeek": 9, "scanType": "full", "timeOfDay": 120},
                        "dailyConfiguration": {"timeOfDay": 60, "intervall": 4},
                        "lowPriorityScheduledScan": true, "timeOfDay": 5},
      "features": {"supplementarySensorConfigurations": {"enableRawSocketEvent": "on", "sendLowfiEvents": "disabled"}}}"#;
    let fs = check(text);
    let titles: Vec<&str> = fs.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(
        ids(&fs),
        [
            "config-invalid-value",
            "config-unknown-key",
            "config-wrong-section",
            "config-invalid-value"
        ],
        "{titles:#?}"
    );
    assert!(titles[0].contains("scheduledScan.weeklyConfiguration.dayOfWeek"));
    assert!(
        titles[1].contains("did you mean \"interval\""),
        "{}",
        titles[1]
    );
    assert!(
        titles[2].contains("\"timeOfDay\" is under \"scheduledScan\""),
        "{}",
        titles[2]
    );
    assert!(titles[3].contains("enableRawSocketEvent"));
    // The 2026 scheduling page shows the switch as an object: accepted too.
    assert_eq!(
        check(r#"{"antivirusEngine": {"scheduledScan": {"weeklyScan": {}}}}"#),
        []
    );
    assert_eq!(
        ids(&check(r#"{"antivirusEngine": {"scheduledScan": true}}"#)),
        ["config-invalid-value"]
    );
}

#[test]
fn the_full_sample_profile_passes_clean() {
    assert_eq!(check(&fixture("synthetic/full-2026-profile.json")), []);
}

#[test]
fn a_repeated_section_is_reported_as_what_mdatp_does() {
    let text = "{\"antivirusEngine\": {\"offlineDefinitionUpdate\": \"enabled\",\n \"scanArchives\": true},\n\
                \"antivirusEngine\": {\"offlineDefinitionUpdateUrl\": \"http://m/linux/production/\"}}";
    let fs = check(text);
    // No false "invalid value: null" for keys that only the first copy has.
    assert_eq!(ids(&fs), ["config-duplicate-key"]);
    let d = &fs[0];
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.title.contains(
            "2 setting(s) in the earlier one(s) are ignored, only the last (line 3) counts"
        ),
        "{}",
        d.title
    );
    assert!(d.fix.contains("inferred"), "{}", d.fix);
    let ev: Vec<(&str, &str, &str)> = d
        .evidence
        .iter()
        .map(|e| (e.source.as_str(), e.key.as_str(), e.value.as_str()))
        .collect();
    assert_eq!(
        ev,
        [
            (
                "m.json:1",
                "antivirusEngine",
                "(ignored: a later one replaces it)"
            ),
            ("m.json:3", "antivirusEngine", "(kept: the last one)"),
            (
                "m.json:1",
                "antivirusEngine.offlineDefinitionUpdate",
                "(ignored: in an earlier copy)"
            ),
            (
                "m.json:2",
                "antivirusEngine.scanArchives",
                "(ignored: in an earlier copy)"
            ),
        ]
    );
}

#[test]
fn a_hostile_file_costs_a_bounded_report() {
    // 900 KB of one key name: no edit distance is computed, and the name is cut.
    let fs = check(&format!(
        "{{\"antivirusEngine\": {{\"{}\": 1}}}}",
        "x".repeat(900_000)
    ));
    assert_eq!(ids(&fs), ["config-unknown-key"]);
    assert!(fs[0].title.len() < 400, "{}", fs[0].title.len());
    // Thousands of unknown keys: fifty findings and one saying what was cut.
    let many: Vec<String> = (0..2_000)
        .map(|i| format!("\"unknownKey{i}\": 1"))
        .collect();
    let fs = check(&format!("{{\"antivirusEngine\": {{{}}}}}", many.join(",")));
    assert_eq!(fs.len(), MAX_FINDINGS_PER_RULE + 1);
    let last = fs.last().expect("one");
    assert_eq!(last.id, "config-too-complex");
    assert!(
        last.evidence[0].value.contains("2000 findings"),
        "{:?}",
        last.evidence
    );
    // Nesting past the scan's limit is said, not silently skipped.
    let deep = format!(
        "{{\"antivirusEngine\": {}1{}}}",
        "{\"a\":".repeat(40),
        "}".repeat(40)
    );
    let fs = check(&deep);
    assert_eq!(
        ids(&fs),
        ["config-unknown-key", "config-too-complex"],
        "{:?}",
        fs.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    assert!(
        fs[1].evidence[0].value.contains("41 levels deep"),
        "{:?}",
        fs[1].evidence
    );
}

#[test]
fn a_url_with_offline_updates_off_names_both_keys() {
    for text in [
        r#"{"antivirusEngine": {"offlineDefinitionUpdate": "disabled",
            "offlineDefinitionUpdateUrl": "http://m/linux/production/"}}"#,
        r#"{"antivirusEngine": {"offlineDefinitionUpdateUrl": "http://m/linux/production/"}}"#,
    ] {
        let fs = check(text);
        assert_eq!(ids(&fs), ["config-url-unused"], "{text}");
        assert_eq!(fs[0].severity, Severity::Warning);
        assert!(
            fs[0]
                .title
                .contains("antivirusEngine.offlineDefinitionUpdateUrl")
        );
        assert!(
            fs[0]
                .title
                .contains("antivirusEngine.offlineDefinitionUpdate is")
        );
        assert!(fs[0].fix.contains("\"enabled\""), "{}", fs[0].fix);
    }
    // Health decides in diagnose (offline-update-disabled); an empty URL is no URL.
    let judged = Judged {
        offline: true,
        offline_on: Some(false),
        ..Judged::default()
    };
    let text =
        r#"{"antivirusEngine": {"offlineDefinitionUpdateUrl": "http://m/linux/production/"}}"#;
    assert_eq!(check_judged(text, judged), []);
    assert_eq!(
        check(r#"{"antivirusEngine": {"offlineDefinitionUpdateUrl": " "}}"#),
        []
    );
}

#[test]
fn a_macos_profile_is_named_not_called_invalid_json() {
    let plist = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>antivirusEngine</key><dict/></dict></plist>"#;
    let fs = check(plist);
    assert_eq!(ids(&fs), ["config-invalid-json"]);
    assert!(fs[0].title.contains("macOS profile"), "{}", fs[0].title);
    assert!(fs[0].title.contains("property list"), "{}", fs[0].title);
}
