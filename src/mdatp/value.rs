//! Typed values of `mdatp health` fields, and how one text value is read.
//!
//! mdatp prints strings quoted and booleans, integers and dates bare; `unavailable` means
//! unknown. Every reading keeps the original text when the typed value differs from it,
//! so nothing is lost when a build prints something we did not expect.

use jiff::civil::DateTime;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// One field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `unavailable`, or nothing at all.
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    /// A wall-clock time as the text output prints it: local time, no zone.
    DateTime(DateTime),
    /// An absolute instant, as the JSON output gives it (epoch milliseconds).
    Timestamp(jiff::Timestamp),
    /// A list, an object or a non-integer number.
    Json(serde_json::Value),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Booleans, also in the `1`/`0` spelling some builds use.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(1) => Some(true),
            Value::Int(0) => Some(false),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(n) => J::from(*n),
            Value::Str(s) => J::String(s.clone()),
            Value::DateTime(dt) => J::String(dt.to_string()),
            Value::Timestamp(ts) => J::String(ts.to_string()),
            Value::Json(v) => v.clone(),
        }
    }
}

/// A field as reported: its value, the original text when that differs, and whether it
/// came from managed configuration (` [managed]` in text, `isManaged` in JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub value: Value,
    pub raw: Option<String>,
    pub managed: bool,
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("value", &self.value.to_json())?;
        if let Some(raw) = &self.raw {
            map.serialize_entry("raw", raw)?;
        }
        map.serialize_entry("managed", &self.managed)?;
        map.end()
    }
}

/// The result of reading one text value: the value, its raw text when that carries
/// more than the value, and a problem worth a warning.
#[derive(Debug, PartialEq)]
pub struct TextValue {
    pub value: Value,
    pub raw: Option<String>,
    pub problem: Option<String>,
}

/// Reads the text after `key :` with any `[managed]` suffix already removed.
pub fn parse_text_value(text: &str) -> TextValue {
    let plain = |value| TextValue {
        value,
        raw: None,
        problem: None,
    };
    let with_raw = |value| TextValue {
        value,
        raw: Some(text.to_string()),
        problem: None,
    };
    let text = text.trim();
    if text.is_empty() {
        return with_raw(Value::Null);
    }
    if let Some(rest) = text.strip_prefix('"') {
        return match serde_json::from_str::<String>(text) {
            Ok(s) => plain(Value::Str(s)),
            // Not JSON-escaped but still a quoted string: keep what is between the quotes.
            Err(_) if rest.ends_with('"') && !rest.is_empty() => {
                plain(Value::Str(rest[..rest.len() - 1].to_string()))
            }
            Err(_) => TextValue {
                value: Value::Str(text.to_string()),
                raw: None,
                problem: Some("unterminated quoted string, kept as printed".into()),
            },
        };
    }
    match text {
        "true" => return plain(Value::Bool(true)),
        "false" => return plain(Value::Bool(false)),
        "unavailable" => return with_raw(Value::Null),
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return plain(Value::Int(n));
    }
    if text.starts_with('[') || text.starts_with('{') {
        return match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => plain(Value::Json(v)),
            Err(e) => TextValue {
                value: Value::Str(text.to_string()),
                raw: None,
                problem: Some(format!("looks like JSON but is not ({e}), kept as text")),
            },
        };
    }
    if let Some(dt) = parse_mdatp_date(text) {
        return with_raw(Value::DateTime(dt));
    }
    if let Ok(n) = text.parse::<f64>()
        && let Some(num) = serde_json::Number::from_f64(n)
    {
        return plain(Value::Json(serde_json::Value::Number(num)));
    }
    // A bare word (an enum some build prints unquoted): keep it as a string.
    plain(Value::Str(text.to_string()))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Parses mdatp's US-style dates: `Mar 14, 2024 at 12:13:17 PM`, `Sept 08, 2022 at
/// 01:57:03 PM`; full month names and a 24-hour clock without AM/PM are accepted too.
pub fn parse_mdatp_date(text: &str) -> Option<DateTime> {
    let mut words = text.split_whitespace();
    let month = month_number(words.next()?)?;
    let day: i8 = words.next()?.strip_suffix(',')?.parse().ok()?;
    let year: i16 = words.next()?.parse().ok()?;
    if !words.next()?.eq_ignore_ascii_case("at") {
        return None;
    }
    let mut clock = words.next()?.split(':');
    let mut hour: i8 = clock.next()?.parse().ok()?;
    let minute: i8 = clock.next()?.parse().ok()?;
    let second: i8 = clock.next().unwrap_or("0").parse().ok()?;
    if clock.next().is_some() {
        return None;
    }
    match words.next().map(|w| w.to_ascii_uppercase()).as_deref() {
        Some("AM") if (1..=12).contains(&hour) => hour %= 12,
        Some("PM") if (1..=12).contains(&hour) => hour = hour % 12 + 12,
        None => {}
        _ => return None,
    }
    if words.next().is_some() {
        return None;
    }
    DateTime::new(year, month, day, hour, minute, second, 0).ok()
}

fn month_number(word: &str) -> Option<i8> {
    let word = word.trim_end_matches('.').to_ascii_lowercase();
    if word.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&word))
        .and_then(|i| i8::try_from(i + 1).ok())
}

#[cfg(test)]
mod tests;
