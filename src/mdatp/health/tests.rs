//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use crate::mdatp::value::Value;

#[test]
fn keys_with_any_padding_and_crlf() {
    let h = parse_text("a:1\r\n   b    :   \"x\"   \r\n\r\nc :true[managed]\r\n").expect("parses");
    assert_eq!(h.int("a"), Some(1));
    assert_eq!(h.str("b"), Some("x"));
    assert_eq!(h.bool("c"), Some(true));
    assert!(h.get("c").expect("c").managed);
    assert!(!h.get("b").expect("b").managed);
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
}

#[test]
fn value_containing_colons_splits_on_the_first() {
    let h = parse_text("definitions_update_source_uri : \"https://x:8443/a\"\n").expect("parses");
    assert_eq!(
        h.str("definitions_update_source_uri"),
        Some("https://x:8443/a")
    );
}

#[test]
fn garbage_lines_are_warnings_not_errors() {
    let h = parse_text("healthy : true\nthis is not a field\n\u{0}\u{1}:zz\n").expect("parses");
    assert_eq!(h.fields.len(), 1);
    assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
    assert!(h.warnings[0].starts_with("line 2:"), "{}", h.warnings[0]);
}

#[test]
fn garbage_only_is_an_error() {
    let err = parse_text("hello world\nsegfault\n").expect_err("no fields");
    assert_eq!(
        err,
        ParseError::NoFields {
            lines: 2,
            sample: "hello world".into()
        }
    );
    assert_eq!(parse_text("\n \r\n").expect_err("empty"), ParseError::Empty);
    assert_eq!(parse(b"").expect_err("empty"), ParseError::Empty);
}

#[test]
fn warnings_are_capped() {
    let text = "healthy : true\n".to_string() + &"garbage\n".repeat(1000);
    let h = parse_text(&text).expect("parses");
    assert_eq!(h.warnings.len(), MAX_WARNINGS + 1);
    assert!(h.warnings.last().expect("last").contains("950 more"));
}

#[test]
fn duplicate_keys_keep_the_last_and_warn() {
    let h = parse_text("a : 1\na : 2\n").expect("parses");
    assert_eq!(h.int("a"), Some(2));
    assert_eq!(h.warnings.len(), 1);
}

#[test]
fn boolean_fields_printed_as_digits() {
    let h =
        parse_text("healthy : 1\nlicensed : 0 [managed]\ndefinitions_updated_minutes_ago : 1\n")
            .expect("parses");
    let healthy = h.get("healthy").expect("healthy");
    assert_eq!(
        (&healthy.value, healthy.raw.as_deref()),
        (&Value::Bool(true), Some("1"))
    );
    assert_eq!(h.bool("licensed"), Some(false));
    assert_eq!(
        h.int("definitions_updated_minutes_ago"),
        Some(1),
        "integers stay integers"
    );
}

#[test]
fn attention_anywhere_is_kept_apart() {
    let h = parse_text("ATTENTION: No license found.\nhealthy : false\n").expect("parses");
    assert_eq!(h.attention.as_deref(), Some("No license found."));
    assert_eq!(h.fields.len(), 1);
}

#[test]
fn usage_text_is_recognised() {
    let text = "ATTENTION: x\nExpected one of:\n  config    \tManage\n";
    assert!(is_usage_text(text));
    assert!(matches!(
        parse_text(text),
        Err(ParseError::UsageText { .. })
    ));
    assert!(!is_usage_text("healthy : true\nExpected one of:\n"));
}

#[test]
fn status_values() {
    assert_eq!(
        DefinitionsStatus::parse("up_to_date"),
        DefinitionsStatus::UpToDate
    );
    assert_eq!(
        DefinitionsStatus::parse("update_failed"),
        DefinitionsStatus::UpdateFailed
    );
    assert_eq!(
        DefinitionsStatus::parse("new_state"),
        DefinitionsStatus::Other("new_state".into())
    );
}
