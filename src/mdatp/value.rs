//! Typed values of `mdatp health` fields, and how one text value is read.
//!
//! mdatp prints strings quoted and booleans, integers and dates bare; `unavailable` means
//! unknown. Every reading keeps the original text when the typed value differs from it,
//! so nothing is lost when a build prints something we did not expect.

use jiff::civil::DateTime;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::mdatp::fields::{Kind, snake_case};

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
        // `null`: what the camelCase text form of 2020 builds prints for an empty list.
        "unavailable" | "null" => return with_raw(Value::Null),
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

/// True when `text` is one value as mdatp prints it: a quoted string, a boolean, an
/// integer, a date, `unavailable`, or JSON. A bare word or sentence is not.
pub fn is_clean_value(text: &str) -> bool {
    let text = text.trim();
    let parsed = parse_text_value(text);
    if text.is_empty() || parsed.problem.is_some() {
        return false;
    }
    match parsed.value {
        Value::Null => text == "unavailable" || text == "null",
        Value::Str(_) => text.starts_with('"'),
        _ => true,
    }
}

/// True when `text` could be a value of a health field we do not know: a clean value or
/// one bare word (an enum printed unquoted). Free text is not.
pub fn is_plain_value(text: &str) -> bool {
    let text = text.trim();
    is_clean_value(text)
        || (!text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
}

const OPEN_DOUBLE: char = '\u{201C}';
const CLOSE_DOUBLE: char = '\u{201D}';
const OPEN_SINGLE: char = '\u{2018}';
const CLOSE_SINGLE: char = '\u{2019}';

/// A value pasted through a word processor, with typographic quotes (`“up_to_date”`,
/// `[“missing license”]`, `‘enabled’`) where mdatp prints `"`: the value with straight
/// quotes, or `None` when it does not use typographic quotes as its quotes. A `’` inside a
/// straight-quoted string is an apostrophe and stays.
pub fn straighten_quotes(text: &str) -> Option<String> {
    let text = text.trim();
    let container = text.starts_with(['[', '{']);
    let doubles = text.starts_with([OPEN_DOUBLE, CLOSE_DOUBLE])
        || (container && text.contains([OPEN_DOUBLE, CLOSE_DOUBLE]));
    let singles = text.starts_with(OPEN_SINGLE) || (container && text.contains(OPEN_SINGLE));
    if !doubles && !singles {
        return None;
    }
    Some(
        text.chars()
            .map(|c| match c {
                OPEN_DOUBLE | CLOSE_DOUBLE if doubles => '"',
                OPEN_SINGLE | CLOSE_SINGLE if singles => '"',
                c => c,
            })
            .collect(),
    )
}

/// A quoted value followed by more text (`"enabled"   <--- turned on in March`): the
/// quoted value and the rest. `None` when the value is not quoted, ends with its quote,
/// or has no closing quote.
pub fn split_quoted_annotation(text: &str) -> Option<(&str, &str)> {
    let text = text.trim();
    let inner = text.strip_prefix('"')?;
    if text.len() > 1 && text.ends_with('"') {
        return None;
    }
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                let end = 1 + i + 1;
                let rest = text[end..].trim();
                let spaced = text[end..].starts_with(char::is_whitespace);
                return (spaced && !rest.is_empty()).then_some((&text[..end], rest));
            }
            _ => escaped = false,
        }
    }
    None
}

/// Reads a known field's value as its type. `parsed` is [`parse_text_value`] of `text`.
///
/// A value of the right type passes as it is. One that does not fit gets a problem naming
/// it, and is read as the type only where that is safe: an exact value in quotes
/// (`"true"`), or a bare value followed by an annotation (`true   <--- ENABLED`,
/// `up_to_date (v1.2.3)`). Anything else is kept as printed, never silently.
pub fn fit(kind: Kind, parsed: TextValue, text: &str) -> TextValue {
    let text = text.trim();
    if parsed.problem.is_some() {
        return parsed;
    }
    let quoted = text.starts_with('"');
    let shown = visible(text, 80);
    let read = |value: Value, problem: String| TextValue {
        value,
        raw: Some(text.to_string()),
        problem: Some(problem),
    };
    let quiet = |value: Value, raw: &str| TextValue {
        value,
        raw: Some(raw.to_string()),
        problem: None,
    };
    let annotated = || first_word(text).filter(|_| !quoted);
    match kind {
        Kind::Bool => match &parsed.value {
            Value::Bool(_) | Value::Null => parsed,
            Value::Int(n @ (0 | 1)) => quiet(Value::Bool(*n == 1), text),
            Value::Str(s) if quoted && (s == "true" || s == "false") => read(
                Value::Bool(s == "true"),
                format!("`{shown}` is a boolean in quotes; read as {s}"),
            ),
            _ => match annotated().filter(|(w, _)| *w == "true" || *w == "false") {
                Some((w, rest)) => read(
                    Value::Bool(w == "true"),
                    format!(
                        "`{shown}` is not a boolean; read as {w}, ignoring `{}`",
                        visible(rest, 60)
                    ),
                ),
                None => kept(
                    parsed,
                    format!("`{shown}` is not a boolean (true or false)"),
                ),
            },
        },
        Kind::Int => match &parsed.value {
            Value::Int(_) | Value::Null => parsed,
            Value::Str(s) if quoted && s.parse::<i64>().is_ok() => read(
                Value::Int(s.parse().unwrap_or_default()),
                format!("`{shown}` is an integer in quotes; read as {s}"),
            ),
            _ => match annotated().and_then(|(w, rest)| Some((w.parse::<i64>().ok()?, rest))) {
                Some((n, rest)) => read(
                    Value::Int(n),
                    format!(
                        "`{shown}` is not an integer; read as {n}, ignoring `{}`",
                        visible(rest, 60)
                    ),
                ),
                None => kept(parsed, format!("`{shown}` is not an integer")),
            },
        },
        Kind::Date => match &parsed.value {
            Value::DateTime(_) | Value::Timestamp(_) | Value::Null => parsed,
            // Epoch milliseconds: how the JSON form and 2020 builds' text form print dates.
            Value::Str(s) if quoted => match (plausible_epoch_millis(s), parse_mdatp_date(s)) {
                (Some(ts), _) => quiet(Value::Timestamp(ts), s),
                (None, Some(dt)) => read(
                    Value::DateTime(dt),
                    format!("`{shown}` is a date in quotes; read as {dt}"),
                ),
                (None, None) => kept(
                    parsed,
                    format!("`{shown}` is not a date (like `Mar 14, 2024 at 12:13:17 PM`)"),
                ),
            },
            Value::Int(_) if let Some(ts) = plausible_epoch_millis(text) => {
                quiet(Value::Timestamp(ts), text)
            }
            _ => match date_prefix(text).filter(|_| !quoted) {
                Some((dt, rest)) => read(
                    Value::DateTime(dt),
                    format!(
                        "`{shown}` is not a date; read as {dt}, ignoring `{}`",
                        visible(rest, 60)
                    ),
                ),
                None => kept(
                    parsed,
                    format!("`{shown}` is not a date (like `Mar 14, 2024 at 12:13:17 PM`)"),
                ),
            },
        },
        Kind::Enum(values) => {
            let listed = values.join(", ");
            match &parsed.value {
                Value::Str(s) if values.contains(&s.as_str()) => parsed,
                // The camelCase spelling of 2020 builds (`"upToDate"`), as the JSON form has it.
                Value::Str(s) if values.contains(&snake_case(s).as_str()) => {
                    let raw = s.clone();
                    quiet(Value::Str(snake_case(&raw)), &raw)
                }
                // A bare `unavailable` is a null elsewhere, but a documented status here.
                Value::Null
                    if parsed.raw.as_deref() == Some("unavailable")
                        && values.contains(&"unavailable") =>
                {
                    TextValue {
                        value: Value::Str("unavailable".into()),
                        raw: None,
                        problem: None,
                    }
                }
                Value::Null => parsed,
                _ => match annotated().filter(|(w, _)| values.contains(w)) {
                    Some((w, rest)) => read(
                        Value::Str(w.to_string()),
                        format!(
                            "`{shown}` is not one value; read as {w}, ignoring `{}`",
                            visible(rest, 60)
                        ),
                    ),
                    None => kept(
                        parsed,
                        format!("`{shown}` is not a documented value ({listed})"),
                    ),
                },
            }
        }
    }
}

/// The value as parsed, with `problem` and "kept as printed".
fn kept(parsed: TextValue, problem: String) -> TextValue {
    TextValue {
        problem: Some(format!("{problem}; kept as printed")),
        ..parsed
    }
}

/// The first word and the rest, when there is a rest after whitespace.
fn first_word(text: &str) -> Option<(&str, &str)> {
    let (word, rest) = text.split_once(char::is_whitespace)?;
    let rest = rest.trim();
    (!word.is_empty() && !rest.is_empty()).then_some((word, rest))
}

/// A date at the start of `text` followed by more words: the date and the rest.
fn date_prefix(text: &str) -> Option<(DateTime, &str)> {
    let starts: Vec<usize> = text
        .char_indices()
        .filter(|&(i, c)| {
            !c.is_whitespace() && (i == 0 || text[..i].ends_with(char::is_whitespace))
        })
        .map(|(i, _)| i)
        .collect();
    // `Mar 14, 2024 at 12:13:17 PM` is six words, five without AM/PM.
    [6, 5].into_iter().find_map(|n| {
        let end = *starts.get(n)?;
        Some((
            parse_mdatp_date(text[..end].trim_end())?,
            text[end..].trim(),
        ))
    })
}

/// Epoch milliseconds as the JSON form prints them (a string of digits).
pub fn epoch_millis(s: &str) -> Option<jiff::Timestamp> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    jiff::Timestamp::from_millisecond(s.parse().ok()?).ok()
}

/// [`epoch_millis`] from 1973 on: a smaller number in a date field is not a date.
fn plausible_epoch_millis(s: &str) -> Option<jiff::Timestamp> {
    epoch_millis(s).filter(|ts| ts.as_millisecond() >= 100_000_000_000)
}

/// `text` safe to show on a terminal and in one line: control and invisible formatting
/// characters escaped (`\u{1b}`, `\n`), at most `max` characters then `…`.
pub fn visible(text: &str, max: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len().min(max * 2));
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Zero-width and bidirectional formatting characters, which hide or reorder text.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
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
