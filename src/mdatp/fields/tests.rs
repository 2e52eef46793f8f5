//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn no_field_is_listed_twice() {
    let mut all: Vec<&str> = DEFINITIONS.iter().chain(OTHER_KNOWN).copied().collect();
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n);
}

#[test]
fn ranks_put_definitions_first_and_unknown_last() {
    assert_eq!(rank("definitions_status"), (Group::Definitions, 4));
    assert_eq!(rank("app_version").0, Group::Known);
    assert_eq!(rank("brand_new_field").0, Group::Unknown);
    for b in BOOLEANS {
        assert_ne!(rank(b).0, Group::Unknown, "{b} should be a known field");
    }
}
