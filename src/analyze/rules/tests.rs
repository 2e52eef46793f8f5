//! One test (or more) per rule, on hand-built snapshots: no processes, no network.

use std::path::Path;

use super::prelude::*;
use super::*;
use crate::analyze::snapshot::{ConfigSnap, MdatpProblem, MirrorSnap, Snapshot, Thresholds};
use crate::managed::{config, scan};
use crate::mdatp::health::parse_text;
use crate::mirror::ArchProbe;
use crate::mirror::package::Manifest;
use crate::mirror::status::{Attempt, MirrorStatus, StatusReading};
use crate::state::history::Entry;

/// 2024-03-14 14:13:17 UTC: two hours after the documentation samples' last update.
const NOW: i64 = 1_710_425_597;
const MIRROR: &str = "http://172.22.199.67:8000/linux/production/";
const CLOUD: &str = "https://go.microsoft.com/fwlink/?linkid=2144709";

/// A healthy endpoint pulling from MIRROR, in the documented text format.
fn healthy() -> String {
    format!(
        "automatic_definition_update_enabled         : true [managed]\n\
         definitions_updated                         : Mar 14, 2024 at 12:13:17 PM\n\
         definitions_updated_minutes_ago             : 120\n\
         definitions_version                         : \"1.407.417.0\"\n\
         definitions_status                          : \"up_to_date\"\n\
         definitions_update_source_uri               : \"{MIRROR}\"\n\
         definitions_update_fail_reason              : \"\"\n\
         offline_definition_url_configured           : \"{MIRROR}\" [managed]\n\
         offline_definition_update                   : \"enabled\" [managed]\n\
         offline_definition_update_verify_sig        : \"enabled\"\n\
         offline_definition_update_fallback_to_cloud : false [managed]\n"
    )
}

fn full_health(version: &str) -> String {
    format!(
        "healthy : true\nlicensed : true\napp_version : \"{version}\"\nreal_time_protection_enabled : true\npassive_mode_enabled : false\n"
    )
}

const GOOD_CONFIG: &str = r#"{"cloudService": {"automaticDefinitionUpdateEnabled": true},
 "antivirusEngine": {"enforcementLevel": "real_time", "offlineDefinitionUpdate": "enabled",
   "offlineDefinitionUpdateUrl": "http://172.22.199.67:8000/linux/production/",
   "offlineDefinitionUpdateFallbackToCloud": false}}"#;

fn snapshot(definitions: &str, config_text: Option<&str>) -> Snapshot {
    let path = Path::new("/etc/opt/microsoft/mdatp/managed/mdatp_managed.json");
    let (loaded, keys) = match config_text {
        Some(t) => (config::parse(path, t.as_bytes()), scan::keys(t)),
        None => (
            Err(config::ConfigError::NotFound {
                path: path.display().to_string(),
            }),
            Default::default(),
        ),
    };
    Snapshot {
        now: jiff::Timestamp::from_second(NOW).expect("ts"),
        tz: jiff::tz::TimeZone::UTC,
        definitions: Some(parse_text(definitions).expect("definitions parse")),
        health: Some(parse_text(&full_health("101.25012.0000")).expect("health parse")),
        mdatp_problem: None,
        config: ConfigSnap {
            path: path.display().to_string(),
            loaded,
            keys,
        },
        // The URL as diagnose would take it from health; not probed (--skip-network).
        mirror: MirrorSnap {
            url: Some((MIRROR.into(), crate::mirror::step::UrlSource::Health)),
            checked: Some(crate::mirror::url::check(MIRROR)),
            probes: vec![],
            skipped: true,
            unused: None,
            status: None,
        },
        history: vec![],
        history_error: None,
        history_note: None,
        thresholds: Thresholds::default(),
        endpoint: Default::default(),
    }
}

fn ids(s: &Snapshot) -> Vec<&'static str> {
    diagnose(s).iter().map(|f| f.id).collect()
}

fn get(s: &Snapshot, id: &str) -> Finding {
    diagnose(s)
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", ids(s)))
}

#[test]
fn a_healthy_endpoint_has_no_warning() {
    let s = snapshot(&healthy(), Some(GOOD_CONFIG));
    assert_eq!(ids(&s), Vec::<&str>::new());
}

#[test]
fn mdatp_missing_or_failing_is_unknown() {
    let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
    s.definitions = None;
    s.health = None;
    s.mdatp_problem = Some(MdatpProblem {
        not_found: true,
        daemon_down: false,
        message: "mdatp not found".into(),
        hint: "install it".into(),
    });
    let found = get(&s, "mdatp-not-found");
    assert_eq!(found.severity, Severity::Unknown);
    assert_eq!(finding::worst(&diagnose(&s)), Severity::Unknown);
    s.mdatp_problem = Some(MdatpProblem {
        not_found: false,
        daemon_down: false,
        message: "timed out".into(),
        hint: "h".into(),
    });
    // Without health the file speaks for itself: offline on, verification not set.
    assert_eq!(ids(&s), ["mdatp-failed", "config-verify-sig-off"]);
}

#[test]
fn unlicensed_and_old_versions() {
    let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
    s.health = Some(parse_text("ATTENTION: No license found. Contact your administrator for help.\nlicensed : false\napp_version : \"101.23062.0010\"\n").expect("parse"));
    assert_eq!(ids(&s), ["mdatp-unlicensed", "mdatp-version-unsupported"]);
    assert!(
        get(&s, "mdatp-unlicensed")
            .evidence
            .iter()
            .any(|e| e.key == "ATTENTION")
    );
}

#[test]
fn versions_compare_per_component() {
    assert_eq!(
        compare_versions("101.9.0", "101.10.0"),
        Some(Ordering::Less)
    );
    assert_eq!(
        compare_versions("101.24022.0001", "101.24022.1"),
        Some(Ordering::Equal)
    );
    assert_eq!(
        compare_versions("101.24022", "101.24022.0001"),
        Some(Ordering::Less)
    );
    assert_eq!(
        compare_versions("1.407.417.0", "1.407.42.0"),
        Some(Ordering::Greater)
    );
    assert_eq!(compare_versions("abc", "1"), None);
}

#[test]
fn switches_off() {
    let text = healthy()
        .replace("\"enabled\" [managed]", "\"disabled\" [managed]")
        .replace(
            "automatic_definition_update_enabled         : true",
            "automatic_definition_update_enabled         : false",
        );
    let s = snapshot(&text, None);
    let found = ids(&s);
    assert!(found.contains(&"offline-update-disabled"), "{found:?}");
    assert!(found.contains(&"automatic-update-disabled"), "{found:?}");
    assert!(
        !found.contains(&"url-mismatch"),
        "nothing to compare when the feature is off"
    );
}

#[test]
fn enforcement_other_than_real_time() {
    let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
    s.health = Some(
        parse_text(
            "licensed : true\napp_version : \"101.25012.0000\"\npassive_mode_enabled : true\n",
        )
        .expect("parse"),
    );
    let found = get(&s, "enforcement-not-realtime");
    assert!(found.title.contains("passive"));
    // From the managed file when health says nothing about it.
    s.health = None;
    let cfg = GOOD_CONFIG.replace("\"real_time\"", "\"on_demand\"");
    let mut s2 = snapshot(&healthy(), Some(&cfg));
    s2.health = None;
    assert!(
        get(&s2, "enforcement-not-realtime")
            .title
            .contains("on_demand")
    );
}

#[test]
fn url_mismatch_depends_on_fallback() {
    let cloud = healthy().replace(
        &format!("definitions_update_source_uri               : \"{MIRROR}\""),
        &format!("definitions_update_source_uri               : \"{CLOUD}\""),
    );
    // Fresh, nothing failed: what Microsoft's pages show for a successfully updated
    // device, and the normal state after switching on until the mirror has a newer
    // package. A warning, never critical.
    let s = snapshot(&cloud, Some(GOOD_CONFIG));
    let m = get(&s, "url-mismatch");
    assert_eq!(m.severity, Severity::Warning, "fresh, no fail reason");
    assert!(m.evidence.iter().any(|e| e.value.contains("fwlink")));
    assert!(m.evidence.iter().any(|e| e.value.contains("172.22.199.67")));
    // 30 hours old, nothing failed: definitions-stale warns, and so does this; critical
    // only past the critical age (the policy's bar), as definitions-stale.
    let mut s = snapshot(&cloud, Some(GOOD_CONFIG));
    s.now = jiff::Timestamp::from_second(NOW + 28 * 3600).expect("ts");
    assert_eq!(get(&s, "url-mismatch").severity, Severity::Warning);
    s.now = jiff::Timestamp::from_second(NOW + 80 * 3600).expect("ts");
    assert_eq!(get(&s, "url-mismatch").severity, Severity::Critical);
    // With a fail reason, fallback off: critical.
    let failing = cloud.replace(
        "definitions_update_fail_reason              : \"\"",
        "definitions_update_fail_reason              : \"Failed to download package\"",
    );
    assert_ne!(failing, cloud);
    let s = snapshot(&failing, Some(GOOD_CONFIG));
    assert_eq!(get(&s, "url-mismatch").severity, Severity::Critical);

    let with_fallback = failing.replace("false [managed]", "true [managed]");
    let s = snapshot(&with_fallback, None);
    let m = get(&s, "url-mismatch");
    assert_eq!(m.severity, Severity::Warning);
    assert!(
        m.title
            .contains("the mirror failed and the cloud served it")
    );
}

#[test]
fn url_comparison_is_normalised() {
    assert!(is_mirror_source(
        "HTTP://Mirror:80/linux/production",
        "http://mirror/linux/production/"
    ));
    assert!(is_mirror_source(
        "http://mirror/linux/production/arch_x86_64/updates.zip",
        "http://mirror/linux/production/"
    ));
    assert!(is_mirror_source(
        "file:///mnt/m/linux/production/",
        "/mnt/m/linux/production"
    ));
    assert!(!is_mirror_source(CLOUD, "http://mirror/linux/production/"));
    assert!(!is_mirror_source(
        "http://other/linux/production/",
        "http://mirror/linux/production/"
    ));
    assert!(is_microsoft("https://definitionupdates.microsoft.com/x"));
    assert!(!is_microsoft("https://notmicrosoft.com/x"));
}

#[test]
fn verification_disabled_on_an_old_build_and_deprecated_on_a_new_one() {
    let off = healthy().replace(
        "offline_definition_update_verify_sig        : \"enabled\"",
        "offline_definition_update_verify_sig        : \"disabled\"",
    );
    let s = snapshot(&off, Some(GOOD_CONFIG));
    assert_eq!(ids(&s), ["verify-sig-disabled"]);

    let deprecated = healthy().replace(
        "offline_definition_update_verify_sig        : \"enabled\"",
        "offline_definition_update_verify_sig        : \"DEPRECATED\"\nengine_signature_verification               : \"enabled\"",
    );
    let cfg = GOOD_CONFIG.replace(
        "{\"cloudService\"",
        "{\"features\": {\"offlineDefinitionUpdateVerifySig\": \"enabled\"}, \"cloudService\"",
    );
    let mut s = snapshot(&deprecated, Some(&cfg));
    s.health = Some(parse_text(&full_health("101.26062.0007")).expect("parse"));
    assert_eq!(ids(&s), ["verify-sig-setting-deprecated"]);

    let engine_off = deprecated.replace(
        "engine_signature_verification               : \"enabled\"",
        "engine_signature_verification               : \"disabled\"",
    );
    let s = snapshot(&engine_off, Some(GOOD_CONFIG));
    assert_eq!(ids(&s), ["verify-sig-disabled"]);
}

#[test]
fn update_failures() {
    let failed = healthy().replace(
        "definitions_update_fail_reason              : \"\"",
        "definitions_update_fail_reason              : \"Download failed: 404\"",
    );
    let s = snapshot(&failed, Some(GOOD_CONFIG));
    let found = get(&s, "definitions-update-failed");
    assert!(found.title.contains("\"Download failed: 404\""));
    let status = healthy().replace("\"up_to_date\"", "\"update_failed\"");
    assert!(ids(&snapshot(&status, Some(GOOD_CONFIG))).contains(&"definitions-update-failed"));
    let transient = healthy().replace("\"up_to_date\"", "\"could_be_older\"");
    assert_eq!(
        ids(&snapshot(&transient, Some(GOOD_CONFIG))),
        Vec::<&str>::new(),
        "could_be_older alone is not a failure"
    );
}

#[test]
fn staleness_by_date_with_an_absurd_minutes_value() {
    let mut s = snapshot(
        &healthy().replace(": 120\n", ": 27712166\n"),
        Some(GOOD_CONFIG),
    );
    s.now = jiff::Timestamp::from_second(NOW + 2 * 86_400).expect("ts");
    let w = get(&s, "definitions-stale");
    assert_eq!(w.severity, Severity::Warning);
    assert!(
        w.title.starts_with("Security intelligence is 2 days old"),
        "{}",
        w.title
    );
    assert!(
        w.evidence
            .iter()
            .any(|e| e.value.contains("27712166 is not a believable age"))
    );
    s.now = jiff::Timestamp::from_second(NOW + 5 * 86_400).expect("ts");
    assert_eq!(get(&s, "definitions-stale").severity, Severity::Critical);
    // A long update interval moves the warning threshold to twice the interval.
    let cfg = GOOD_CONFIG.replace("true}", "true, \"definitionUpdatesInterval\": 86400}");
    let mut s = snapshot(&healthy(), Some(&cfg));
    s.now = jiff::Timestamp::from_second(NOW + 36 * 3600).expect("ts");
    assert!(
        !ids(&s).contains(&"definitions-stale"),
        "36 h is under 2 × 24 h"
    );
}

fn entry(hours: i64, enabled: bool, source: &str) -> Entry {
    Entry {
        time: jiff::Timestamp::from_second(NOW - 100 * 3600 + hours * 3600).expect("ts"),
        command: "diagnose".into(),
        offline_enabled: Some(enabled),
        url: Some(MIRROR.into()),
        source_uri: Some(source.into()),
        definitions_version: Some("1.407.417.0".into()),
        status: Some("up_to_date".into()),
        fail_reason: Some(String::new()),
    }
}

#[test]
fn the_reenable_sequence_from_history() {
    let failing = healthy()
        .replace(
            &format!("definitions_update_source_uri               : \"{MIRROR}\""),
            &format!("definitions_update_source_uri               : \"{CLOUD}\""),
        )
        .replace(
            "definitions_update_fail_reason              : \"\"",
            "definitions_update_fail_reason              : \"Failed to download\"",
        );
    let mut s = snapshot(&failing, Some(GOOD_CONFIG));
    s.history = vec![
        entry(0, true, MIRROR),
        entry(10, false, CLOUD),
        entry(20, true, CLOUD),
    ];
    let found = get(&s, "reenable-bug");
    assert_eq!(found.severity, Severity::Critical);
    let keys: Vec<&str> = found.evidence.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys[..3],
        [
            "enabled, updated from the mirror",
            "disabled",
            "enabled again"
        ]
    );
    // Microsoft documents no fix: neither a restart nor cloud fallback is offered as one
    // (the rule's meaning, shown by --explain, says why).
    assert!(found.fix.starts_with("No documented fix"), "{}", found.fix);
    assert!(!found.fix.contains("restart"), "{}", found.fix);
    let rule = finding::find("reenable-bug").expect("declared");
    assert!(rule.meaning.contains("a fix is planned"));
    assert!(rule.meaning.contains("does not trigger an offline pull"));
    assert!(!found.fix.contains("Restart the daemon"), "{}", found.fix);
    assert!(
        !found
            .fix
            .to_lowercase()
            .contains("enable antivirusengine.offlinedefinitionupdatefallbacktocloud")
    );

    // The same toggles, but the last update fresh with nothing failed: what every
    // re-enabled endpoint shows until the mirror has something newer. No claim.
    let quiet = failing.replace("\"Failed to download\"", "\"\"");
    let mut q = snapshot(&quiet, Some(GOOD_CONFIG));
    q.history = s.history.clone();
    assert!(!ids(&q).contains(&"reenable-bug"), "{:?}", ids(&q));
    // No toggle in the history: no claim.
    s.history = vec![entry(0, true, MIRROR), entry(10, true, MIRROR)];
    assert!(!ids(&s).contains(&"reenable-bug"));
    assert!(
        !ids(&s).contains(&"reenable-bug-suspected"),
        "history exists and shows no toggle"
    );
    // No history at all, fallback off, a download failure: the mirror is the cause, and
    // a plain download failure is no evidence of the toggle sequence.
    s.history = vec![];
    assert!(
        !ids(&s).contains(&"reenable-bug-suspected"),
        "{:?}",
        ids(&s)
    );
    // A fail reason that names nothing of the network: a hint, at info.
    let other = failing.replace("Failed to download", "Engine rejected the update");
    let mut s = snapshot(&other, Some(GOOD_CONFIG));
    s.history = vec![];
    assert_eq!(get(&s, "reenable-bug-suspected").severity, Severity::Info);
}

fn probe_with_manifest(version: &str) -> ArchProbe {
    let mut p = ArchProbe::new("x86_64", format!("{MIRROR}arch_x86_64/"));
    p.manifest = Some(Manifest {
        engine_version: "1.1.24020.4".into(),
        definition_version: version.into(),
    });
    p
}

#[test]
fn mirror_and_endpoint_versions() {
    let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
    s.mirror = MirrorSnap {
        url: Some((MIRROR.into(), crate::mirror::step::UrlSource::Health)),
        checked: Some(crate::mirror::url::check(MIRROR)),
        probes: vec![probe_with_manifest("1.407.500.0")],
        skipped: false,
        unused: None,
        status: None,
    };
    s.now = jiff::Timestamp::from_second(NOW + 12 * 3600).expect("ts");
    assert_eq!(ids(&s), ["endpoint-behind-mirror"]);
    s.now = jiff::Timestamp::from_second(NOW).expect("ts");
    assert_eq!(
        ids(&s),
        Vec::<&str>::new(),
        "within the update interval: give it time"
    );
    s.mirror.probes = vec![probe_with_manifest("1.407.400.0")];
    assert_eq!(ids(&s), ["mirror-behind-endpoint"]);
}

#[test]
fn config_problems_and_values_not_applied() {
    let misspelled = GOOD_CONFIG.replace(
        "offlineDefinitionUpdateFallbackToCloud",
        "offlineDefintionUpdateFallbackToCloud",
    );
    let s = snapshot(
        &healthy().replace("false [managed]", "true"),
        Some(&misspelled),
    );
    let found = ids(&s);
    assert!(found.contains(&"config-unknown-key"), "{found:?}");
    assert!(
        !found.contains(&"config-not-applied"),
        "the misspelled key is not read as the setting"
    );

    let s = snapshot(
        &healthy().replace("false [managed]", "true"),
        Some(GOOD_CONFIG),
    );
    assert_eq!(ids(&s), ["config-not-applied"]);
}

#[test]
fn history_off_is_said() {
    let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
    s.history_error = Some("cannot create /var/lib/mdatp-doctor: read-only file system".into());
    assert_eq!(ids(&s), ["history-off"]);
}

#[test]
fn the_catalogue_has_each_id_once_in_kebab_case() {
    let ids: Vec<&str> = catalogue().map(|r| r.id).collect();
    assert!(ids.len() >= 42, "{}", ids.len());
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an id is declared twice");
    for r in catalogue() {
        assert!(
            r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{}",
            r.id
        );
        assert!(!r.meaning.is_empty() && !r.fix.is_empty(), "{}", r.id);
        // Each says what it rests on: Microsoft's documentation, a measurement, or inference.
        assert!(
            [
                "Documented",
                "Inferred",
                "Measured",
                "Seen",
                "This tool",
                "The seed"
            ]
            .iter()
            .any(|w| r.basis.contains(w)),
            "{}: {}",
            r.id,
            r.basis
        );
        let word = r.severity.split([' ', ',']).next().unwrap_or("");
        assert!(
            ["unknown", "critical", "warning", "info"].contains(&word),
            "{}: {}",
            r.id,
            r.severity
        );
        // The basis first justifies the severity against the policy in docs/findings.md:
        // "Critical: why. Documented: ...", naming each severity the rule declares.
        let first = format!("{}{}:", word[..1].to_ascii_uppercase(), &word[1..]);
        assert!(
            r.basis.starts_with(&first),
            "{}: the basis must start with \"{first}\": {}",
            r.id,
            r.basis
        );
        let words: Vec<String> = r
            .basis
            .split(|c: char| !c.is_ascii_alphabetic())
            .map(str::to_ascii_lowercase)
            .collect();
        for s in r.declared() {
            assert!(
                words.iter().any(|w| w == s.as_str()),
                "{}: the basis does not justify {}: {}",
                r.id,
                s.as_str(),
                r.basis
            );
        }
        // A fix is what a person does; the discussion belongs in the meaning (--explain).
        assert!(
            r.fix.chars().count() <= 200,
            "{}: the fix is {} characters, over 200",
            r.id,
            r.fix.chars().count()
        );
    }
    assert_eq!(
        finding::find("url-mismatch").map(|r| r.id),
        Some("url-mismatch")
    );
    assert!(finding::find("no-such-id").is_none());
}

// ---- Issue 25: documented healthy states stay quiet, the broken ones still page ----

/// A cloud-only endpoint: offline updates off, no URL anywhere, fallback on, and the
/// verification default "disabled" that 101.24022-101.26062 print.
fn cloud_only() -> Snapshot {
    let defs = healthy()
        .replace(&format!("\"{MIRROR}\" [managed]"), "\"\"")
        .replace(&format!("\"{MIRROR}\""), &format!("\"{CLOUD}\""))
        .replace("\"enabled\" [managed]", "\"disabled\"")
        .replace("\"enabled\"\n", "\"disabled\"\n")
        .replace("false [managed]", "true");
    let mut s = snapshot(&defs, None);
    s.mirror = MirrorSnap::default();
    s
}

#[test]
fn a_cloud_only_endpoint_is_not_a_problem() {
    let s = cloud_only();
    assert_eq!(
        s.str("offline_definition_update_verify_sig"),
        Some("disabled")
    );
    let found = diagnose(&s);
    assert_eq!(finding::worst(&found), Severity::Info, "{found:#?}");
    assert_eq!(
        found.iter().map(|f| (f.id, f.severity)).collect::<Vec<_>>(),
        [
            ("offline-update-disabled", Severity::Info),
            ("config-not-found", Severity::Info)
        ]
    );
    // An old build that updates from the cloud is not this feature's problem.
    let mut s = cloud_only();
    s.health = Some(parse_text(&full_health("101.23062.0010")).expect("parse"));
    assert!(!ids(&s).contains(&"mdatp-version-unsupported"));
    // With a mirror configured, the same disabled switch needs a person.
    let mut s = cloud_only();
    s.mirror.url = Some((MIRROR.into(), crate::mirror::step::UrlSource::ManagedConfig));
    assert_eq!(
        get(&s, "offline-update-disabled").severity,
        Severity::Warning
    );
    // Verification off with offline updates on is still critical.
    let on = healthy().replace(
        "offline_definition_update_verify_sig        : \"enabled\"",
        "offline_definition_update_verify_sig        : \"disabled\"",
    );
    let s = snapshot(&on, Some(GOOD_CONFIG));
    assert_eq!(get(&s, "verify-sig-disabled").severity, Severity::Critical);
}

#[test]
fn engine_load_status_has_two_documented_values() {
    let with = |status: &str| {
        let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
        s.health = Some(
            parse_text(&format!(
                "{}engine_load_status : \"{status}\"\n",
                full_health("101.26062.0007")
            ))
            .expect("parse"),
        );
        diagnose(&s)
            .into_iter()
            .map(|f| (f.id, f.severity))
            .collect::<Vec<_>>()
    };
    assert_eq!(with("Engine load succeeded"), []);
    assert_eq!(
        with("Engine not loaded"),
        [("engine-not-loaded", Severity::Critical)]
    );
    assert_eq!(
        with("Engine loading"),
        [("engine-status-undocumented", Severity::Info)]
    );
}

#[test]
fn the_version_floor_only_where_offline_updates_are_configured() {
    let with = |version: &str, extra: &str| {
        let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
        s.health = Some(parse_text(&format!("{}{extra}", full_health(version))).expect("parse"));
        diagnose(&s)
            .into_iter()
            .find(|f| f.id == "mdatp-version-unsupported")
    };
    assert!(with("101.24022.0001", "").is_none());
    let old = with("101.23062.0010", "").expect("below the Linux floor");
    assert!(old.title.contains("101.24022.0001"), "{}", old.title);
    // macOS output (read on Linux from a pasted file): the macOS floor.
    let mac = "full_disk_access_enabled : true\n";
    let f = with("101.24122.0005", mac).expect("below the macOS floor");
    assert!(f.title.contains("101.25012.0003"), "{}", f.title);
    assert!(f.title.contains("macOS"), "{}", f.title);
    assert!(with("101.25012.0003", mac).is_none());
}

#[test]
fn the_2020_integer_version_is_a_version() {
    let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
    let legacy = "definitionsVersion : 79932\ndefinitionsUpdatedMinutesAgo : 47\nhealthy : true\n";
    s.definitions = Some(parse_text(legacy).expect("parse"));
    assert!(!ids(&s).contains(&"definitions-missing"), "{:?}", ids(&s));
    s.definitions = Some(parse_text("definitions_version : \"0.0.0.0\"\n").expect("parse"));
    assert_eq!(get(&s, "definitions-missing").severity, Severity::Critical);
}

#[test]
fn an_engine_that_did_not_apply_is_said_at_once() {
    // Updated an hour ago (well inside the interval), same definitions as the mirror's
    // package, older engine: the package was taken, its engine was not.
    let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
    s.now = jiff::Timestamp::from_second(NOW - 3600).expect("ts");
    let mut probe = probe_with_manifest("1.407.417.0");
    probe.manifest.as_mut().expect("manifest").engine_version = "1.1.24090.1".into();
    s.mirror.probes = vec![probe];
    s.health = Some(
        parse_text(&format!(
            "{}engine_version : \"1.1.24020.4\"\n",
            full_health("101.25012.0000")
        ))
        .expect("parse"),
    );
    let f = get(&s, "engine-behind-mirror");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.title.contains("did not apply"), "{}", f.title);
    // The mirror has newer definitions too: the endpoint has not pulled yet, and an hour
    // is inside the interval: nothing yet.
    s.mirror.probes = vec![probe_with_manifest("1.407.500.0")];
    s.mirror.probes[0]
        .manifest
        .as_mut()
        .expect("m")
        .engine_version = "1.1.24090.1".into();
    assert!(!ids(&s).contains(&"engine-behind-mirror"), "{:?}", ids(&s));
}

#[test]
fn raised_severities_are_declared_ones() {
    // Rule::raise asserts it in debug builds; this pins the parser of declarations.
    let r = finding::find("url-missing").expect("declared");
    assert_eq!(
        r.declared(),
        [Severity::Info, Severity::Warning, Severity::Critical]
    );
    let r = finding::find("mirror-host-not-writable").expect("declared");
    assert_eq!(
        r.declared(),
        [Severity::Warning, Severity::Unknown, Severity::Critical]
    );
    for r in catalogue() {
        assert!(!r.declared().is_empty(), "{}: {}", r.id, r.severity);
    }
}

#[test]
fn a_missing_url_is_said_without_the_network_and_a_mac_may_point_at_mac() {
    // Offline updates on, no URL anywhere, --skip-network: url-missing all the same.
    let no_url = healthy().replace(&format!("\"{MIRROR}\" [managed]"), "\"\" [managed]");
    let mut s = snapshot(&no_url, None);
    s.mirror = MirrorSnap {
        skipped: true,
        ..MirrorSnap::default()
    };
    assert_eq!(get(&s, "url-missing").severity, Severity::Critical);
    // A /mac/ URL on Linux output is the mistake; on a Mac's output it is the right folder.
    let mac_url = "http://172.22.199.67:8000/mac/production/";
    let mac = healthy().replace(MIRROR, mac_url);
    let mut s = snapshot(&mac, None);
    s.mirror.url = Some((mac_url.into(), crate::mirror::step::UrlSource::Health));
    s.mirror.checked = Some(crate::mirror::url::check(mac_url));
    assert_eq!(
        get(&s, "url-platform-mismatch").severity,
        Severity::Critical
    );
    s.health = Some(
        parse_text(&format!(
            "{}full_disk_access_enabled : true\n",
            full_health("101.25012.0003")
        ))
        .expect("parse"),
    );
    assert!(!ids(&s).contains(&"url-platform-mismatch"), "{:?}", ids(&s));
}

/// The mirror's status file as read: last attempt `attempt` hours before `now` (ok or
/// not), last success `success` hours before.
fn status_reading(now: i64, attempt: Option<(i64, bool)>, success: Option<i64>) -> StatusReading {
    let iso = |h: i64| {
        jiff::Timestamp::from_second(now - h * 3600)
            .expect("ts")
            .to_string()
    };
    StatusReading {
        url: format!("{MIRROR}mdatp-doctor-status.json"),
        status: Some(MirrorStatus {
            schema_version: 1,
            written_at: iso(attempt.map_or(0, |a| a.0)),
            written_by: "mirror run".into(),
            hostname: None,
            arch: Default::default(),
            last_attempt: attempt.map(|(h, ok)| Attempt {
                at: iso(h),
                ok,
                error: (!ok).then(|| "proxy answered 403 Forbidden".into()),
            }),
            last_success: success.map(iso),
            published: None,
        }),
        error: None,
    }
}

#[test]
fn mirror_sync_stalled_predicts_staleness_only_when_nothing_newer_can_come() {
    // Definitions updated at NOW - 2 h; judged 18 h later: 20 h old, 4 h left.
    let now = NOW + 18 * 3600;
    let at = |attempt, success, served: &str| {
        let mut s = snapshot(&healthy(), Some(GOOD_CONFIG));
        s.now = jiff::Timestamp::from_second(now).expect("ts");
        s.mirror.probes = vec![probe_with_manifest(served)];
        s.mirror.skipped = false;
        s.mirror.status = Some(status_reading(now, attempt, success));
        s
    };
    // Failing: the last attempt 2 h ago failed, the last success 30 h ago.
    let s = at(Some((2, false)), Some(30), "1.407.417.0");
    let f = get(&s, "mirror-sync-stalled");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.title.starts_with("Security intelligence will be stale in about 4 hours: the mirror has not synced successfully since"),
        "{}",
        f.title
    );
    assert!(
        f.title.contains("failed: proxy answered 403 Forbidden"),
        "{}",
        f.title
    );
    assert_eq!(ids(&s), ["mirror-sync-stalled"]);
    // Stopped: the last attempt (which worked) is 30 h old.
    let f = get(
        &at(Some((30, true)), Some(30), "1.407.417.0"),
        "mirror-sync-stalled",
    );
    assert!(f.title.contains("its syncs have stopped"), "{}", f.title);
    // Never synced.
    let f = get(
        &at(Some((1, false)), None, "1.407.417.0"),
        "mirror-sync-stalled",
    );
    assert!(
        f.title.contains("records no successful sync"),
        "{}",
        f.title
    );
    // Quiet: syncs succeed; the mirror has a newer package; no status file; unreadable.
    assert_eq!(
        ids(&at(Some((2, true)), Some(2), "1.407.417.0")),
        Vec::<&str>::new()
    );
    assert!(!ids(&at(Some((2, false)), Some(30), "1.407.500.0")).contains(&"mirror-sync-stalled"));
    let mut s = at(Some((2, false)), Some(30), "1.407.417.0");
    s.mirror.status.as_mut().expect("reading").status = None;
    assert_eq!(ids(&s), Vec::<&str>::new());
    s.mirror.status.as_mut().expect("reading").error = Some("larger than 64 KiB".into());
    assert_eq!(ids(&s), ["mirror-status-unreadable"]);
    assert_eq!(get(&s, "mirror-status-unreadable").severity, Severity::Info);
    // Already stale: definitions-stale speaks, not the prediction.
    let mut s = at(Some((2, false)), Some(30), "1.407.417.0");
    s.now = jiff::Timestamp::from_second(NOW + 30 * 3600).expect("ts");
    s.mirror.status = Some(status_reading(NOW + 30 * 3600, Some((2, false)), Some(40)));
    assert_eq!(ids(&s), ["definitions-stale"]);
    // The predicted time: the update time plus the warning age.
    let s = at(Some((2, false)), Some(30), "1.407.417.0");
    assert_eq!(
        predicted_stale(&s).map(|t| t.as_second()),
        Some(NOW - 2 * 3600 + 24 * 3600)
    );
    let m = crate::analyze::metrics::compute(&s, &[]);
    assert_eq!(m.mirror_last_sync_success, Some(false));
    assert_eq!(
        m.mirror_last_sync_timestamp_seconds,
        Some((now - 30 * 3600) as f64)
    );
}
