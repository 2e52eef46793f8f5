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
    let h = parse_text(
        "healthy : true\nlicensed : true\nthis is not a field\n\u{0}\u{1}:zz\napp_version : \"1\"\n",
    )
    .expect("parses");
    assert_eq!(h.fields.len(), 3);
    assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
    assert!(h.warnings[0].starts_with("line 3:"), "{}", h.warnings[0]);
}

#[test]
fn garbage_only_is_an_error() {
    let err = parse_text("hello world\nsegfault\n").expect_err("no fields");
    assert_eq!(
        err,
        ParseError::NotHealth {
            lines: 2,
            key_value: 0,
            known: 0,
            sample: "`hello world` / `segfault`".into()
        }
    );
    assert!(
        err.to_string()
            .contains("no `key : value` line in 2 line(s)")
    );
    assert_eq!(parse_text("\n \r\n").expect_err("empty"), ParseError::Empty);
    assert_eq!(parse(b"").expect_err("empty"), ParseError::Empty);
}

#[test]
fn mostly_garbage_is_not_health_even_with_a_known_field() {
    let err = parse_text("healthy : true\nthis is not a field\n\u{0}\u{1}:zz\n")
        .expect_err("mostly garbage");
    assert!(
        matches!(
            err,
            ParseError::NotHealth {
                lines: 3,
                key_value: 1,
                known: 1,
                ..
            }
        ),
        "{err:?}"
    );
    // Control characters are shown, not sent to the terminal.
    assert!(err.to_string().contains("`\\u{0}\\u{1}:zz`"), "{err}");
}

#[test]
fn unknown_fields_alone_are_health_only_when_well_formed() {
    // A `--details` section we do not list.
    let h = parse_text("edr_new_thing : \"x\"\nother_field : 3\nword : enabled\n").expect("parses");
    assert_eq!(h.fields.len(), 3);
    assert!(!h.has_known_field());
    assert!(matches!(
        parse_expecting(b"edr_new_thing : \"x\"\n", true),
        Err(ParseError::NotHealth { known: 0, .. })
    ));
    for bad in [
        "Xy : something\n",
        "error: some free text here\n",
        "a : 1\nb : two words\n",
    ] {
        assert!(
            matches!(parse_text(bad), Err(ParseError::NotHealth { .. })),
            "{bad:?}: {:?}",
            parse_text(bad)
        );
    }
}

#[test]
fn daemon_down_is_its_own_error() {
    for text in [
        "Failed to connect\n",
        "Error: could not connect to the daemon\n",
        "ATTENTION: x.\nUnable to connect to wdavdaemon: Connection refused\n",
    ] {
        assert!(
            matches!(parse_text(text), Err(ParseError::DaemonDown { .. })),
            "{text:?}: {:?}",
            parse_text(text)
        );
    }
    // A fail reason that mentions a refused connection is a field, not a down daemon.
    let h = parse_text(
        "definitions_status : \"update_failed\"\ndefinitions_update_fail_reason : \"Connection refused\"\n",
    )
    .expect("parses");
    assert_eq!(
        h.str("definitions_update_fail_reason"),
        Some("Connection refused")
    );
    assert_eq!(
        daemon_down_line("definitions_update_fail_reason : \"Connection refused\"\n"),
        None
    );
    assert_eq!(
        daemon_down_line("x\nFailed to connect\u{1b}[2J\n").as_deref(),
        Some("Failed to connect\\u{1b}[2J")
    );
}

#[test]
fn a_single_field_value_is_recognised() {
    for value in [
        "\"up_to_date\"",
        "true",
        "1",
        "159",
        "unavailable",
        "[]",
        "Mar 14, 2024 at 12:13:17 PM",
    ] {
        let err = parse_text(&format!("{value}\n")).expect_err(value);
        assert_eq!(
            err,
            ParseError::SingleField {
                value: value.into(),
                attention: None
            }
        );
        assert!(err.hint().expect("hint").contains("--details definitions"));
    }
    // A bare word is not a value mdatp prints alone.
    assert!(matches!(
        parse_text("segfault\n"),
        Err(ParseError::NotHealth { .. })
    ));
}

#[test]
fn attention_with_a_value_on_the_same_line() {
    let msg = "No license found. Contact your administrator for help.";
    for (line, value) in [
        (format!("ATTENTION: {msg}\"up_to_date\""), "\"up_to_date\""),
        (format!("ATTENTION: {msg} false"), "false"),
        (
            format!("ATTENTION: {msg}\"1.407.417.0\""),
            "\"1.407.417.0\"",
        ),
    ] {
        assert_eq!(
            parse_text(&format!("{line}\n")),
            Err(ParseError::SingleField {
                value: value.into(),
                attention: Some(msg.into())
            }),
            "{line}"
        );
    }
    // On its own line after the message, as `tail -1` scripts expect.
    assert_eq!(
        parse_text(&format!("ATTENTION: {msg}\nfalse\n")),
        Err(ParseError::SingleField {
            value: "false".into(),
            attention: Some(msg.into())
        })
    );
    // A version inside the message is not a value after it.
    let h =
        parse_text("ATTENTION: Upgrade to version 101.24022.\nhealthy : false\n").expect("parses");
    assert_eq!(
        h.attention.as_deref(),
        Some("Upgrade to version 101.24022.")
    );
    // A message alone is not "nothing".
    assert_eq!(
        parse_text(&format!("ATTENTION: {msg}\n")),
        Err(ParseError::OnlyAttention(msg.into()))
    );
    // A field glued to the message is a field.
    let h = parse_text(&format!(
        "ATTENTION: {msg}healthy : false\nlicensed : false\n"
    ))
    .expect("parses");
    assert_eq!(h.attention.as_deref(), Some(msg));
    assert_eq!(h.bool("healthy"), Some(false));
}

#[test]
fn warnings_are_capped() {
    let text = "healthy : true\n".to_string() + &"licensed : true\n".repeat(1000);
    let h = parse_text(&text).expect("parses");
    assert_eq!(h.warnings.len(), MAX_WARNINGS + 1);
    assert!(h.warnings.last().expect("last").contains("949 more"));
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

#[test]
fn values_that_do_not_fit_their_field_warn_with_the_line() {
    let h = parse_text(
        "real_time_protection_enabled : true   <--- ENABLED\n\
         licensed : \"true (Plan 2)\"\n\
         definitions_status : up_to_date (v1.2.3)\n\
         offline_definition_update : \"sometimes\" [managed]\n",
    )
    .expect("parses");
    assert_eq!(h.bool("real_time_protection_enabled"), Some(true));
    assert_eq!(h.bool("licensed"), None, "no safe reading");
    assert_eq!(h.str("licensed"), Some("true (Plan 2)"));
    assert_eq!(h.definitions_status(), Some(DefinitionsStatus::UpToDate));
    assert_eq!(h.str("offline_definition_update"), Some("sometimes"));
    assert!(h.get("offline_definition_update").expect("f").managed);
    assert_eq!(h.warnings.len(), 4, "{:?}", h.warnings);
    for (i, w) in h.warnings.iter().enumerate() {
        assert!(w.starts_with(&format!("line {}: ", i + 1)), "{w}");
    }
    assert!(
        h.warnings[3].contains("(enabled, disabled)"),
        "{}",
        h.warnings[3]
    );
}

#[test]
fn typographic_quotes_read_as_quotes_with_a_warning() {
    let h = parse_text(
        "definitions_status : “up_to_date”\nhealth_issues : [“missing license”]\nlicensed : true\n",
    )
    .expect("parses");
    assert_eq!(h.str("definitions_status"), Some("up_to_date"));
    assert_eq!(
        h.get("health_issues").expect("issues").value,
        Value::Json(serde_json::json!(["missing license"]))
    );
    assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
    assert!(h.warnings[0].starts_with("line 1: definitions_status: typographic quotes"));
}

#[test]
fn camel_case_text_of_2020_builds_maps_onto_current_names() {
    let h = parse_text(
        "definitionsStatus                           : \"upToDate\"\n\
         definitionsUpdated                          : \"1583323429305\"\n\
         definitionsUpdatedMinutesAgo                : 47\n\
         definitionsVersion                          : \"82454\"\n\
         realTimeProtectionEnabled                   : true\n\
         conflictingApplications                     : null\n\
         versionEngine                               : \"100.87.66\"\n",
    )
    .expect("parses");
    let names: Vec<&str> = h.fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "definitions_status",
            "definitions_updated",
            "definitions_updated_minutes_ago",
            "definitions_version",
            "real_time_protection_enabled",
            "conflicting_applications",
            "engine_version"
        ]
    );
    assert_eq!(h.definitions_status(), Some(DefinitionsStatus::UpToDate));
    let updated = h.get("definitions_updated").expect("updated");
    assert!(matches!(updated.value, Value::Timestamp(_)));
    assert_eq!(updated.raw.as_deref(), Some("1583323429305"));
    assert_eq!(h.int("definitions_updated_minutes_ago"), Some(47));
    assert_eq!(h.bool("real_time_protection_enabled"), Some(true));
    assert_eq!(
        h.get("conflicting_applications").expect("c").value,
        Value::Null
    );
    assert_eq!(h.str("engine_version"), Some("100.87.66"));
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
}

#[test]
fn json_values_that_do_not_fit_warn() {
    let h = parse(br#"{"healthy":"yes","definitionsStatus":{"$type":"brandNew"},"licensed":true}"#)
        .expect("parses");
    assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
    assert!(
        h.warnings[0].starts_with("healthy: `\"yes\"` is not a boolean"),
        "{:?}",
        h.warnings
    );
    assert!(matches!(parse(b"{}"), Err(ParseError::InvalidJson(_))));
    assert!(matches!(
        parse(br#"{"Bad Key":1}"#),
        Err(ParseError::InvalidJson(_))
    ));
    assert!(matches!(
        parse_expecting(br#"{"someNewField":1}"#, true),
        Err(ParseError::InvalidJson(_))
    ));
    assert!(parse(br#"{"someNewField":1}"#).is_ok());
}

#[test]
fn hostile_long_lines_end_in_an_error_or_a_warning() {
    // What is parsed is asserted here; how fast (linear, not quadratic) is measured by
    // scripts/bench.sh, never timed in a test.
    let attention = format!("ATTENTION: {}\n", "a.".repeat(2_000_000));
    assert!(matches!(
        parse_text(&attention),
        Err(ParseError::OnlyAttention(_))
    ));
    let long_value = format!(
        "definitions_updated : {}\n",
        "Mar 14, 2024 at ".repeat(200_000)
    );
    let h = parse_text(&long_value).expect("a known field");
    assert_eq!(h.warnings.len(), 1);
}
