//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn ids_are_unique_and_every_rule_file_id_is_listed() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate id");
    // Every id literal written in a rule module must be in the catalogue.
    for source in [
        include_str!("../rules.rs"),
        include_str!("../mirror.rs"),
        include_str!("../config.rs"),
    ] {
        for (i, _) in source.match_indices('"') {
            let rest = &source[i + 1..];
            let Some(end) = rest.find('"') else { continue };
            let word = &rest[..end];
            let looks_like_id = word.len() > 4
                && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                && [
                    "mdatp-",
                    "url-",
                    "mirror-",
                    "config-",
                    "definitions-",
                    "verify-sig-",
                    "reenable-",
                    "endpoint-",
                    "history-",
                    "offline-update",
                    "automatic-update",
                    "enforcement-",
                ]
                .iter()
                .any(|p| word.starts_with(p));
            if looks_like_id {
                assert!(
                    find(word).is_some(),
                    "{word} is emitted but not in the catalogue"
                );
            }
        }
    }
}
