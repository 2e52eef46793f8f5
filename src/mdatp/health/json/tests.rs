//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn camel_to_snake() {
    assert_eq!(
        snake_case("definitionsUpdatedMinutesAgo"),
        "definitions_updated_minutes_ago"
    );
    assert_eq!(snake_case("edrMachineId"), "edr_machine_id");
    assert_eq!(snake_case("upToDate"), "up_to_date");
    assert_eq!(snake_case("offlineURLConfigured"), "offline_url_configured");
    assert_eq!(snake_case("already_snake"), "already_snake");
}

#[test]
fn wrappers_timestamps_and_types_unwrap() {
    let h = parse_json(
        r#"{"$type":"getHealthAllResult","cloudEnabled":{"displayValue":true,"isManaged":true,"value":false},
            "definitionsStatus":{"$type":"updateFailed"},"definitionsUpdated":"1691587153787",
            "edrGroupIds":"", "nested":{"a":1}, "ratio": 0.5}"#,
    )
    .expect("parses");
    let cloud = h.get("cloud_enabled").expect("cloud");
    assert_eq!((&cloud.value, cloud.managed), (&Value::Bool(false), true));
    let status = h.get("definitions_status").expect("status");
    assert_eq!(status.value, Value::Str("update_failed".into()));
    assert_eq!(status.raw.as_deref(), Some("updateFailed"));
    let updated = h.get("definitions_updated").expect("updated");
    assert_eq!(updated.value.to_json(), "2023-08-09T13:19:13.787Z");
    assert_eq!(updated.raw.as_deref(), Some("1691587153787"));
    assert_eq!(h.str("edr_group_ids"), Some(""));
    assert_eq!(
        h.get("nested").expect("nested").value,
        Value::Json(serde_json::json!({"a":1}))
    );
    assert!(!h.fields.contains_key("$type"));
}

#[test]
fn not_an_object_or_not_json_is_an_error() {
    assert!(matches!(
        parse_json("[1,2]"),
        Err(ParseError::InvalidJson(_))
    ));
    assert!(matches!(
        parse_json("{\"a\":"),
        Err(ParseError::InvalidJson(_))
    ));
    assert_eq!(parse_json("ATTENTION: x\n"), Err(ParseError::Empty));
}

#[test]
fn attention_before_json_is_kept() {
    let h = parse_json("ATTENTION: No license found.\n{\"healthy\":false}").expect("parses");
    assert_eq!(h.attention.as_deref(), Some("No license found."));
    assert_eq!(h.bool("healthy"), Some(false));
}
