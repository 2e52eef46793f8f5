//! `mdatp health --output json`, mapped onto the text form's field names.
//!
//! The JSON uses camelCase keys, wraps settings as `{"displayValue","isManaged","value"}`,
//! gives timestamps as strings of epoch milliseconds and statuses as `{"$type": ...}`.
//! We unwrap all of that so a field means the same whichever form it came from.

use indexmap::IndexMap;
use serde_json::Value as J;

use super::fields;
use super::health::{Form, Health, ParseError, take_attention};
use super::value::{Field, Value};

/// Parses the JSON form; leading `ATTENTION:` lines are kept as in the text form.
pub fn parse_json(text: &str) -> Result<Health, ParseError> {
    let (attention, lines) = take_attention(text);
    let body: String = lines.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
    if body.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let root: J =
        serde_json::from_str(&body).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
    let J::Object(map) = root else {
        return Err(ParseError::InvalidJson("expected a JSON object".into()));
    };
    let mut fields = IndexMap::new();
    for (key, value) in map {
        // `$type` names the result object itself ("getHealthAllResult"), not a field.
        if key == "$type" {
            continue;
        }
        let name = snake_case(&key);
        let field = convert(&name, value);
        fields.insert(name, field);
    }
    Ok(Health {
        form: Form::Json,
        attention,
        fields,
        warnings: Vec::new(),
    })
}

fn convert(name: &str, value: J) -> Field {
    match value {
        J::Object(mut obj) if obj.contains_key("value") && is_setting_wrapper(&obj) => {
            let managed = obj.get("isManaged").and_then(J::as_bool).unwrap_or(false);
            let inner = obj.remove("value").unwrap_or(J::Null);
            let (value, raw) = scalar(name, inner);
            Field {
                value,
                raw,
                managed,
            }
        }
        other => {
            let (value, raw) = scalar(name, other);
            Field {
                value,
                raw,
                managed: false,
            }
        }
    }
}

fn is_setting_wrapper(obj: &serde_json::Map<String, J>) -> bool {
    obj.keys()
        .all(|k| matches!(k.as_str(), "value" | "isManaged" | "displayValue"))
}

fn scalar(name: &str, value: J) -> (Value, Option<String>) {
    match value {
        J::Null => (Value::Null, None),
        J::Bool(b) => (Value::Bool(b), None),
        J::Number(n) => match n.as_i64() {
            Some(i) => (Value::Int(i), None),
            None => (Value::Json(J::Number(n)), None),
        },
        J::String(s) if fields::is_timestamp(name) => match epoch_millis(&s) {
            Some(ts) => (Value::Timestamp(ts), Some(s)),
            None => (Value::Str(s), None),
        },
        J::String(s) => (Value::Str(s), None),
        // `{"$type":"upToDate"}` is how the JSON spells an enum value.
        J::Object(obj) if obj.len() == 1 && obj.get("$type").is_some_and(J::is_string) => {
            let ty = obj.get("$type").and_then(J::as_str).unwrap_or_default();
            (Value::Str(snake_case(ty)), Some(ty.to_string()))
        }
        other => (Value::Json(other), None),
    }
}

fn epoch_millis(s: &str) -> Option<jiff::Timestamp> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    jiff::Timestamp::from_millisecond(s.parse().ok()?).ok()
}

/// `definitionsUpdatedMinutesAgo` → `definitions_updated_minutes_ago`; acronym runs stay
/// one word (`offlineURLConfigured` → `offline_url_configured`).
pub fn snake_case(camel: &str) -> String {
    let chars: Vec<char> = camel.chars().collect();
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
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
}
