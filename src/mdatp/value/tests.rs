//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use jiff::civil::date;

use crate::mdatp::fields::Kind;

#[test]
fn dates_in_the_spellings_mdatp_prints() {
    assert_eq!(
        parse_mdatp_date("Mar 14, 2024 at 12:13:17 PM"),
        Some(date(2024, 3, 14).at(12, 13, 17, 0))
    );
    assert_eq!(
        parse_mdatp_date("Sept 08, 2022 at 01:57:03 PM"),
        Some(date(2022, 9, 8).at(13, 57, 3, 0))
    );
    assert_eq!(
        parse_mdatp_date("Aug 12, 2023 at 12:26:24 AM"),
        Some(date(2023, 8, 12).at(0, 26, 24, 0))
    );
    assert_eq!(
        parse_mdatp_date("September 8, 2022 at 13:57:03"),
        Some(date(2022, 9, 8).at(13, 57, 3, 0))
    );
}

#[test]
fn impossible_dates_are_not_dates() {
    for bad in [
        "Feb 30, 2024 at 01:00:00 PM",
        "Foo 01, 2024 at 01:00:00 PM",
        "Mar 14 2024 at 12:13:17 PM",
        "Mar 14, 2024 at 13:13:17 PM",
        "Mar 14, 2024 at 12:13:17 PM extra",
        "Ma 14, 2024 at 12:13:17 PM",
    ] {
        assert_eq!(parse_mdatp_date(bad), None, "{bad}");
    }
}

#[test]
fn scalar_values() {
    let v = |s| parse_text_value(s).value;
    assert_eq!(v("\"up_to_date\""), Value::Str("up_to_date".into()));
    assert_eq!(v("\"a \\\"b\\\"\""), Value::Str("a \"b\"".into()));
    assert_eq!(v("\"C:\\path\""), Value::Str("C:\\path".into()));
    assert_eq!(v("true"), Value::Bool(true));
    assert_eq!(v("159"), Value::Int(159));
    assert_eq!(v("-3"), Value::Int(-3));
    assert_eq!(v("[]"), Value::Json(serde_json::json!([])));
    assert_eq!(
        v("[{\"path\":\"/x\"}]"),
        Value::Json(serde_json::json!([{"path": "/x"}]))
    );
    assert_eq!(v("1.5"), Value::Json(serde_json::json!(1.5)));
    assert_eq!(v("stopped"), Value::Str("stopped".into()));
}

#[test]
fn raw_is_kept_only_where_it_says_more() {
    let u = parse_text_value("unavailable");
    assert_eq!(
        (u.value, u.raw.as_deref()),
        (Value::Null, Some("unavailable"))
    );
    let d = parse_text_value("Mar 14, 2024 at 12:13:17 PM");
    assert_eq!(d.raw.as_deref(), Some("Mar 14, 2024 at 12:13:17 PM"));
    assert_eq!(parse_text_value("\"x\"").raw, None);
    assert_eq!(parse_text_value("42").raw, None);
}

#[test]
fn broken_values_are_kept_with_a_problem() {
    let t = parse_text_value("\"unterminated");
    assert_eq!(t.value, Value::Str("\"unterminated".into()));
    assert!(t.problem.is_some());
    let t = parse_text_value("[1, 2");
    assert_eq!(t.value, Value::Str("[1, 2".into()));
    assert!(t.problem.expect("problem").contains("JSON"));
}

#[test]
fn one_and_zero_read_as_booleans_on_request() {
    assert_eq!(Value::Int(1).as_bool(), Some(true));
    assert_eq!(Value::Int(0).as_bool(), Some(false));
    assert_eq!(Value::Int(2).as_bool(), None);
}

fn fitted(kind: Kind, text: &str) -> TextValue {
    fit(kind, parse_text_value(text), text)
}

#[test]
fn values_that_fit_pass_quietly() {
    for (kind, text) in [
        (Kind::Bool, "true"),
        (Kind::Bool, "unavailable"),
        (Kind::Int, "159"),
        (Kind::Date, "Mar 14, 2024 at 12:13:17 PM"),
        (Kind::Enum(&["up_to_date", "updating"]), "\"up_to_date\""),
        (Kind::Enum(&["up_to_date", "updating"]), "up_to_date"),
    ] {
        let t = fitted(kind, text);
        assert_eq!(t.problem, None, "{text}");
        assert_eq!(t, parse_text_value(text), "{text}");
    }
    let b = fitted(Kind::Bool, "1");
    assert_eq!((b.value, b.problem), (Value::Bool(true), None));
}

#[test]
fn annotated_values_are_read_safely_with_a_problem() {
    let t = fitted(Kind::Bool, "true   <--- ENABLED");
    assert_eq!(t.value, Value::Bool(true));
    assert_eq!(t.raw.as_deref(), Some("true   <--- ENABLED"));
    let p = t.problem.expect("problem");
    assert!(
        p.contains("not a boolean; read as true, ignoring `<--- ENABLED`"),
        "{p}"
    );
    let t = fitted(
        Kind::Enum(&["up_to_date", "updating"]),
        "up_to_date (v1.2.3)",
    );
    assert_eq!(t.value, Value::Str("up_to_date".into()));
    assert!(t.problem.expect("problem").contains("read as up_to_date"));
    let t = fitted(Kind::Int, "159 minutes");
    assert_eq!(t.value, Value::Int(159));
    assert!(t.problem.is_some());
    let t = fitted(Kind::Date, "Mar 14, 2024 at 12:13:17 PM (local)");
    assert_eq!(
        t.value,
        Value::DateTime(date(2024, 3, 14).at(12, 13, 17, 0))
    );
    assert!(t.problem.expect("problem").contains("ignoring `(local)`"));
    let t = fitted(Kind::Date, "Mar 14, 2024 at 13:13:17 CET");
    assert_eq!(
        t.value,
        Value::DateTime(date(2024, 3, 14).at(13, 13, 17, 0))
    );
}

#[test]
fn exact_values_in_quotes_are_read_with_a_problem() {
    let t = fitted(Kind::Bool, "\"false\"");
    assert_eq!(t.value, Value::Bool(false));
    assert!(t.problem.expect("problem").contains("in quotes"));
    let t = fitted(Kind::Int, "\"12\"");
    assert_eq!(t.value, Value::Int(12));
    assert!(t.problem.is_some());
    let t = fitted(Kind::Date, "\"Mar 14, 2024 at 12:13:17 PM\"");
    assert_eq!(
        t.value,
        Value::DateTime(date(2024, 3, 14).at(12, 13, 17, 0))
    );
    assert!(t.problem.is_some());
}

#[test]
fn values_that_cannot_be_read_safely_are_kept_with_a_problem() {
    for (kind, text) in [
        (Kind::Bool, "\"true (Plan 2)\""),
        (Kind::Bool, "yes"),
        (Kind::Bool, "2"),
        (Kind::Int, "many"),
        (Kind::Date, "yesterday"),
        (Kind::Date, "42"),
        (
            Kind::Enum(&["up_to_date", "updating"]),
            "\"brand_new_state\"",
        ),
        (
            Kind::Enum(&["up_to_date", "updating"]),
            "\"up_to_date (v1.2.3)\"",
        ),
        (Kind::Enum(&["enabled", "disabled"]), "true"),
    ] {
        let t = fitted(kind, text);
        assert_eq!(t.value, parse_text_value(text).value, "{text}: value kept");
        let p = t.problem.unwrap_or_else(|| panic!("{text}: no problem"));
        assert!(p.ends_with("kept as printed"), "{text}: {p}");
    }
    let p = fitted(Kind::Enum(&["up_to_date", "updating"]), "\"new\"")
        .problem
        .expect("problem");
    assert!(p.contains("(up_to_date, updating)"), "{p}");
}

#[test]
fn other_spellings_of_the_same_value() {
    // 2020 builds: epoch milliseconds in quotes, camelCase enum values.
    let t = fitted(Kind::Date, "\"1583323429305\"");
    assert_eq!(t.value.to_json(), "2020-03-04T12:03:49.305Z");
    assert_eq!((t.raw.as_deref(), t.problem), (Some("1583323429305"), None));
    let t = fitted(Kind::Enum(&["up_to_date", "updating"]), "\"upToDate\"");
    assert_eq!(t.value, Value::Str("up_to_date".into()));
    assert_eq!((t.raw.as_deref(), t.problem), (Some("upToDate"), None));
    // A bare `unavailable` is a documented status, not "unknown".
    let t = fitted(Kind::Enum(&["up_to_date", "unavailable"]), "unavailable");
    assert_eq!(t.value, Value::Str("unavailable".into()));
    assert_eq!(t.problem, None);
}

#[test]
fn typographic_quotes_are_straightened_only_where_they_are_the_quotes() {
    let s = |t: &str| straighten_quotes(t);
    assert_eq!(s("“up_to_date”").as_deref(), Some("\"up_to_date\""));
    assert_eq!(
        s("[“missing license”, “x”]").as_deref(),
        Some("[\"missing license\", \"x\"]")
    );
    assert_eq!(s("‘enabled’").as_deref(), Some("\"enabled\""));
    assert_eq!(s("“it’s”").as_deref(), Some("\"it’s\""));
    assert_eq!(
        s("\"say “hi”\""),
        None,
        "inside straight quotes they are text"
    );
    assert_eq!(s("\"it’s\""), None);
    assert_eq!(s("plain"), None);
}

#[test]
fn clean_values_and_visible_text() {
    for v in [
        "\"x\"",
        "true",
        "0",
        "unavailable",
        "null",
        "[]",
        "Mar 14, 2024 at 12:13:17 PM",
    ] {
        assert!(is_clean_value(v), "{v}");
    }
    for v in ["", "word", "two words", "\"open"] {
        assert!(!is_clean_value(v), "{v}");
    }
    assert!(is_plain_value("enabled") && !is_plain_value("free text"));
    assert_eq!(
        visible("a\u{1b}[31mb\tc\u{202e}", 80),
        "a\\u{1b}[31mb\\tc\\u{202e}"
    );
    assert_eq!(visible("abcdef", 3), "abc…");
}
