//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use crate::mdatp::HealthSource;
use crate::mdatp::health::parse;
use crate::report::misc::HealthReport;

fn reading(text: &str) -> HealthReading {
    HealthReading {
        source: HealthSource::File {
            file: "test".into(),
        },
        health: parse(text.as_bytes()).expect("parses"),
        output: None,
    }
}

/// Wide enough that no cell wraps: these tests look for whole values.
fn wide() -> Style {
    Style {
        width: 400,
        ..Style::plain()
    }
}

#[test]
fn definitions_first_unknown_last_missing_listed() {
    let r = reading("zz_new : 1\napp_version : \"101.1\"\ndefinitions_version : \"1.2.3.4\"\n");
    let text = human(&r, wide(), true);
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing in\n{text}"))
    };
    assert!(pos("definitions_version") < pos("definitions_status"));
    assert!(pos("definitions_status") < pos("app_version"));
    assert!(pos("app_version") < pos("zz_new"));
    assert!(text.contains("(unknown to mdatp-doctor)"));
    assert!(text.contains("(not reported by this mdatp build)"));
    assert!(!text.contains('\u{1b}'), "plain style has no escapes");
}

#[test]
fn values_read_naturally() {
    let r = reading(
        "a : \"\"\nb : unavailable\nc : Mar 14, 2024 at 12:13:17 PM\nd : [\"x\"]\ne : \"s\" [managed]\n",
    );
    let text = human(&r, wide(), false);
    for expected in [
        "\"\"",
        "unavailable",
        "2024-03-14 12:13:17",
        "[\"x\"]",
        "managed",
    ] {
        assert!(text.contains(expected), "{expected} missing in\n{text}");
    }
}

#[test]
fn json_document_shape() {
    let r = reading("ATTENTION: No license.\norg_id : unavailable\ngarbage\n");
    let doc: serde_json::Value = serde_json::from_str(&crate::render::emit(
        &HealthReport {
            reading: &r,
            show_missing: false,
        },
        crate::render::Format::Json,
        Style::plain(),
    ))
    .expect("valid JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["attention"], "No license.");
    assert_eq!(
        doc["fields"]["org_id"],
        serde_json::json!({"value": null, "raw": "unavailable", "managed": false})
    );
    assert_eq!(doc["warnings"].as_array().expect("array").len(), 1);
    assert_eq!(doc["source"], serde_json::json!({"file": "test"}));
}

#[test]
fn names_values_and_warnings_from_mdatp_are_escaped() {
    let r = reading(
        "definitions_update_fail_reason : \"\x1b]52;c;aGk=\x07\u{9b}2J\"\nzz\x1b[2Jnew : \u{202e}x\n",
    );
    let text = human(&r, wide(), false);
    assert!(
        !text.contains(['\x1b', '\x07', '\u{9b}', '\u{202e}']),
        "{text:?}"
    );
    assert!(text.contains("\\x1b]52;c;aGk=\\x07\\u{9b}2J"), "{text}");
    assert!(text.contains("warning: line 2: "), "{text}");
    // Names and values of mdatp's JSON form, and its lists and objects.
    let r = reading(
        "{\"zz\\u001b[2jnew\": \"\u{202e}x\", \"list\": [\"\u{9b}31m\"], \"licensed\": null}",
    );
    let text = human(&r, wide(), false);
    assert!(
        !text.contains(['\x1b', '\x07', '\u{9b}', '\u{202e}']),
        "{text:?}"
    );
    assert!(text.contains("zz\\x1b[2jnew"), "{text}");
    assert!(text.contains("\\u{202e}x"), "{text}");
    assert!(text.contains("[\"\\u{9b}31m\"]"), "{text}");
}

#[test]
fn fits_the_width_with_words_whole_and_long_values_wrapped_between_them() {
    let long = "x".repeat(150);
    let words = "a reason in many words ".repeat(8);
    let r = reading(&format!(
        "definitions_update_fail_reason : \"{long}\"\nhealth_issues : [\"{words}\"]\nsome_field_nobody_knows : 1\n"
    ));
    for style in [Style::plain(), Style::colored()] {
        let text = human(&r, style, true);
        let plain = crate::render::escape::output(&text, false);
        for line in text.lines() {
            let w = crate::render::wrap::visible(line);
            // Wider only when it holds the one word too long for any line, whole.
            assert!(w <= 80 || line.contains(&long), "{w}: {line}\n{plain}");
        }
        for name in ["definitions_update_fail_reason", "some_field_nobody_knows"] {
            assert!(text.contains(name), "{name} broken in\n{plain}");
        }
        assert!(text.contains(&long), "a word was split:\n{plain}");
        assert!(
            text.lines().filter(|l| l.contains("many words")).count() > 1,
            "the long value did not wrap:\n{plain}"
        );
        // Wrapped lines start under the value.
        if !style.color {
            let value_at = text.lines().next().unwrap().find("Value").unwrap();
            for l in text.lines().filter(|l| l.starts_with(' ')) {
                assert_eq!(l.len() - l.trim_start().len(), value_at, "{l}\n{text}");
            }
        }
    }
}

#[test]
fn dates_read_the_same_whatever_form_mdatp_printed() {
    assert_eq!(
        date_text("Nov 27, 2026 at 09:12:44 AM"),
        "2026-11-27 09:12:44"
    );
    assert_eq!(date_text("1710418397000"), "2024-03-14 12:13:17 UTC");
    assert_eq!(
        date_text("\"2024-03-14T12:13:17Z\""),
        "2024-03-14 12:13:17 UTC"
    );
    assert_eq!(date_text("2024-03-14T12:13:17"), "2024-03-14 12:13:17");
    assert_eq!(date_text("soon"), "soon");
}
