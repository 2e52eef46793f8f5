//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use jiff::civil::date;

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
