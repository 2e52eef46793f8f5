//! `mdatp health --output json`, mapped onto the text form's field names.
//!
//! The JSON uses camelCase keys, wraps settings as `{"displayValue","isManaged","value"}`,
//! gives timestamps as strings of epoch milliseconds and statuses as `{"$type": ...}`.
//! We unwrap all of that so a field means the same whichever form it came from.

use indexmap::IndexMap;
use serde_json::Value as J;

use super::{Form, Health, ParseError, take_attention};
use crate::mdatp::fields;
use crate::mdatp::value::{Field, Value};

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
mod tests;
