//! `mdatp health --output json`, mapped onto the text form's field names.
//!
//! The JSON uses camelCase keys, wraps settings as `{"displayValue","isManaged","value"}`,
//! gives timestamps as strings of epoch milliseconds and statuses as `{"$type": ...}`.
//! We unwrap all of that so a field means the same whichever form it came from.

use indexmap::IndexMap;
use serde_json::Value as J;

use super::{Form, Health, MAX_WARNINGS, ParseError, take_attention};
pub use crate::mdatp::fields::snake_case;
use crate::mdatp::fields::{self, Kind};
use crate::mdatp::value::{Field, Value, epoch_millis, visible};

/// Parses the JSON form; leading `ATTENTION:` lines are kept as in the text form.
pub fn parse_json(text: &str) -> Result<Health, ParseError> {
    parse_json_expecting(text, false)
}

/// Parses the JSON form; an object without any field we know by name is not a health
/// report with `require_known`, nor without it unless all its keys are identifiers.
pub fn parse_json_expecting(text: &str, require_known: bool) -> Result<Health, ParseError> {
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
    let mut warnings = Vec::new();
    for (key, value) in map {
        // `$type` names the result object itself ("getHealthAllResult"), not a field.
        if key == "$type" {
            continue;
        }
        let name = snake_case(&key);
        let field = convert(&name, value);
        if let Some(kind) = fields::kind(&name)
            && !fits(kind, &field.value)
            && warnings.len() < MAX_WARNINGS
        {
            warnings.push(format!(
                "{key}: `{}` is not {}; kept as printed",
                visible(&field.value.to_json().to_string(), 80),
                kind_name(kind)
            ));
        }
        fields.insert(name, field);
    }
    let known = fields.keys().any(|k| fields::is_known(k));
    let identifiers = fields
        .keys()
        .all(|k| k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    if !known && (require_known || !identifiers || fields.is_empty()) {
        let keys: Vec<String> = fields.keys().take(3).map(|k| visible(k, 40)).collect();
        return Err(ParseError::InvalidJson(format!(
            "an object with no field mdatp health prints ({} key(s){}{})",
            fields.len(),
            if keys.is_empty() { "" } else { ": " },
            keys.join(", ")
        )));
    }
    Ok(Health {
        form: Form::Json,
        attention,
        fields,
        warnings,
    })
}

/// True when a JSON field's value has its known type (or is null).
fn fits(kind: Kind, value: &Value) -> bool {
    match (kind, value) {
        (_, Value::Null) => true,
        (Kind::Bool, Value::Bool(_)) => true,
        (Kind::Int, Value::Int(_)) => true,
        (Kind::Date, Value::Timestamp(_)) => true,
        (Kind::Enum(values), Value::Str(s)) => values.contains(&s.as_str()),
        _ => false,
    }
}

fn kind_name(kind: Kind) -> String {
    match kind {
        Kind::Bool => "a boolean".into(),
        Kind::Int => "an integer".into(),
        Kind::Date => "a date (epoch milliseconds)".into(),
        Kind::Enum(values) => format!("a documented value ({})", values.join(", ")),
    }
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

#[cfg(test)]
mod tests;
