//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use crate::analyze::snapshot::{ConfigSnap, MirrorSnap, Thresholds};
use crate::mdatp::health::parse_text;

fn snapshot(health: &str) -> Snapshot {
    Snapshot {
        now: jiff::Timestamp::UNIX_EPOCH,
        tz: jiff::tz::TimeZone::UTC,
        definitions: Some(parse_text(health).expect("parses")),
        health: None,
        mdatp_problem: None,
        config: ConfigSnap {
            path: "m.json".into(),
            loaded: Err(crate::managed::config::ConfigError::NotFound {
                path: "m.json".into(),
            }),
            keys: Default::default(),
        },
        mirror: MirrorSnap::default(),
        history: Vec::new(),
        history_error: None,
        history_note: None,
        thresholds: Thresholds::default(),
        endpoint: Default::default(),
    }
}

#[test]
fn signature_verification_is_one_fact_for_rules_and_metrics() {
    // The offline setting disabled on a build that still honours it: off, even when the
    // engine line says enabled (the metric used to say verified here).
    let s = snapshot(
        "app_version : \"101.25012.0000\"\noffline_definition_update_verify_sig : \"disabled\"\nengine_signature_verification : \"enabled\"\n",
    );
    assert!(signature_verification_off(&s));
    assert_eq!(signature_verified(&s), Some(false));
    // On 101.26062.0005+ the offline setting is ignored.
    let s = snapshot(
        "app_version : \"101.26062.0007\"\noffline_definition_update_verify_sig : \"disabled\"\n",
    );
    assert!(!signature_verification_off(&s));
    assert_eq!(signature_verified(&s), Some(true));
    let s = snapshot("offline_definition_update_verify_sig : \"DEPRECATED\"\n");
    assert_eq!(signature_verified(&s), Some(true));
    let s = snapshot("engine_signature_verification : \"disabled\"\n");
    assert_eq!(signature_verified(&s), Some(false));
    assert_eq!(signature_verified(&snapshot("healthy : true\n")), None);
}

#[test]
fn offline_enabled_reads_the_definitions_output_first() {
    assert_eq!(
        offline_enabled(&snapshot("offline_definition_update : \"enabled\"\n")),
        Some(true)
    );
    assert_eq!(
        offline_enabled(&snapshot("offline_definition_update : \"disabled\"\n")),
        Some(false)
    );
    assert_eq!(offline_enabled(&snapshot("healthy : true\n")), None);
}

#[test]
fn where_the_last_update_came_from_is_one_fact() {
    let mirror = "http://m:8000/linux/production/";
    let with = |source: &str, configured: &str| {
        snapshot(&format!(
            "definitions_update_source_uri : \"{source}\"\noffline_definition_url_configured : \"{configured}\"\n"
        ))
    };
    assert_eq!(last_update_from_mirror(&with(mirror, mirror)), Some(true));
    assert_eq!(
        last_update_from_mirror(&with(
            "https://go.microsoft.com/fwlink/?linkid=2144709",
            mirror
        )),
        Some(false)
    );
    assert_eq!(last_update_from_mirror(&with(mirror, "")), Some(false));
    assert_eq!(last_update_from_mirror(&with("  ", mirror)), None);
}
