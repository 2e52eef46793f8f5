//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use crate::analyze::finding::Evidence;

#[test]
fn each_finding_shows_mark_evidence_and_fix() {
    let mut f = Finding::test("mirror-stale", Severity::Warning, "old");
    f.evidence = vec![Evidence::new(
        "probe:x86_64",
        "updates.zip last modified",
        "2020-01-01T00:00:00Z",
    )];
    f.fix = "run the downloader".into();
    let text = list(&[f], Style::plain());
    assert_eq!(
        text,
        "! [warning] mirror-stale old\n    probe:x86_64: updates.zip last modified = 2020-01-01T00:00:00Z\n    fix: run the downloader\n"
    );
    assert_eq!(list(&[], Style::plain()), "✓ no problem found\n");
}
