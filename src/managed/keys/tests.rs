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
fn distances() {
    assert_eq!(levenshtein("kitten", "sitting"), 3);
    assert_eq!(levenshtein("", "abc"), 3);
    assert_eq!(levenshtein("same", "same"), 0);
}

#[test]
fn every_key_is_in_a_known_section_once() {
    for spec in KEYS {
        assert!(SECTIONS.contains(&spec.section), "{spec:?}");
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
