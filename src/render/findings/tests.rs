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

#[test]
fn titles_evidence_and_fixes_are_escaped_before_styling() {
    let mut f = Finding::test(
        "definitions-update-failed",
        Severity::Critical,
        "failed: \"\x1b[2J\x1b]52;c;aGk=\x07\"",
    );
    f.evidence = vec![Evidence::new(
        "health\u{202e}",
        "definitions_update_fail_reason\u{9b}",
        "\x1b[5mblink\nforged line",
    )];
    f.fix = "run \x1b[31mthis".into();
    let plain = list(std::slice::from_ref(&f), Style::plain());
    assert!(
        !plain.contains(['\x1b', '\x07', '\u{9b}', '\u{202e}']),
        "{plain:?}"
    );
    assert!(
        plain.contains("failed: \"\\x1b[2J\\x1b]52;c;aGk=\\x07\""),
        "{plain}"
    );
    assert!(plain.contains(
        "    health\\u{202e}: definitions_update_fail_reason\\u{9b} = \\x1b[5mblink\\x0aforged line\n"
    ));
    assert!(plain.contains("    fix: run \\x1b[31mthis\n"), "{plain}");
    // With colour, the only escape sequences are ours, around already escaped text.
    let colour = list(&[f], Style::colored());
    assert!(colour.contains("\\x1b[5mblink"), "{colour:?}");
    assert!(!colour.contains("\x1b[5m") && !colour.contains("\x1b[2J"));
}
