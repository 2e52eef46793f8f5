//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn the_documented_typo_is_caught() {
    let keys = KEYS.iter().map(|s| s.key);
    assert_eq!(
        suggest("offlineDefintionUpdateFallbackToCloud", keys),
        Some("offlineDefinitionUpdateFallbackToCloud")
    );
    assert_eq!(
        suggest("antivirusEngin", SECTIONS.iter().copied()),
        Some("antivirusEngine")
    );
    assert_eq!(
        suggest("somethingElseEntirely", KEYS.iter().map(|s| s.key)),
        None
    );
}

#[test]
fn every_key_is_in_a_known_section_once() {
    for spec in KEYS {
        assert!(is_checked_object(spec.section), "{spec:?}");
        assert_eq!(
            KEYS.iter()
                .filter(|s| s.section == spec.section && s.key == spec.key)
                .count(),
            1
        );
    }
    assert_eq!(
        other_sections("features", "offlineDefinitionUpdate"),
        ["antivirusEngine"]
    );
    assert!(find("features", "offlineDefinitionUpdateVerifySig").is_some());
}

#[test]
fn nested_sections_and_the_2026_keys() {
    for nested in NESTED {
        let (parent, key) = nested.rsplit_once('.').expect("dotted");
        assert_eq!(
            find(parent, key).map(|s| s.kind),
            Some(Kind::Object),
            "{nested}"
        );
    }
    assert_eq!(
        find("scheduledScan.weeklyConfiguration", "dayOfWeek").map(|s| s.kind),
        Some(Kind::Int(0, 8))
    );
    assert_eq!(
        find("antivirusEngine", "scheduledScan").map(|s| s.kind),
        Some(Kind::SwitchOrObject)
    );
    assert_eq!(
        other_sections("scheduledScan", "timeOfDay"),
        [
            "scheduledScan.weeklyConfiguration",
            "scheduledScan.dailyConfiguration"
        ]
    );
}

#[test]
fn a_huge_word_is_not_compared() {
    let huge = "x".repeat(900_000);
    assert_eq!(suggest(&huge, KEYS.iter().map(|s| s.key)), None);
    assert_eq!(
        suggest(
            "offlineDefinitionUpdateVerifySign",
            KEYS.iter().map(|s| s.key)
        ),
        Some("offlineDefinitionUpdateVerifySig")
    );
}
