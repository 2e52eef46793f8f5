//! The `key : value` text form of `mdatp health`.

use indexmap::IndexMap;

use super::{Form, Health, MAX_WARNINGS, ParseError, take_attention};
use crate::mdatp::fields;
use crate::mdatp::value::{Field, Value, parse_text_value};

/// True when the text is mdatp's usage list, printed by builds that do not know a
/// subcommand or option.
pub fn is_usage_text(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("ATTENTION:"))
        .is_some_and(|l| l.starts_with("Expected one of"))
}

/// Parses the `key : value` text form.
pub fn parse_text(text: &str) -> Result<Health, ParseError> {
    if is_usage_text(text) {
        return Err(ParseError::UsageText {
            first_line: "Expected one of:".into(),
        });
    }
    let (attention, lines) = take_attention(text);
    let mut health = Health {
        form: Form::Text,
        attention,
        fields: IndexMap::new(),
        warnings: Vec::new(),
    };
    let mut dropped_warnings = 0usize;
    let mut warn = |health: &mut Health, msg: String| {
        if health.warnings.len() < MAX_WARNINGS {
            health.warnings.push(msg);
        } else {
            dropped_warnings += 1;
        }
    };
    let mut meaningful = 0usize;
    let mut first_meaningful = String::new();
    for (lineno, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        meaningful += 1;
        if first_meaningful.is_empty() {
            first_meaningful = line.trim().chars().take(80).collect();
        }
        let Some((key, rest)) = line.split_once(':') else {
            warn(
                &mut health,
                format!("line {lineno}: not a `key : value` line: {}", shorten(line)),
            );
            continue;
        };
        let key = key.trim();
        if !is_key(key) {
            warn(
                &mut health,
                format!("line {lineno}: not a `key : value` line: {}", shorten(line)),
            );
            continue;
        }
        let (value_text, managed) = split_managed(rest);
        let parsed = parse_text_value(value_text);
        if let Some(problem) = parsed.problem {
            warn(&mut health, format!("line {lineno}: {key}: {problem}"));
        }
        let (value, raw) = coerce_boolean(key, parsed.value, parsed.raw, value_text);
        let field = Field {
            value,
            raw,
            managed,
        };
        if health.fields.insert(key.to_string(), field).is_some() {
            warn(
                &mut health,
                format!("line {lineno}: {key} appears again; the last value is kept"),
            );
        }
    }
    if dropped_warnings > 0 {
        health.warnings.push(format!(
            "… and {dropped_warnings} more warning(s) not listed"
        ));
    }
    if health.fields.is_empty() {
        return Err(if meaningful == 0 {
            ParseError::Empty
        } else {
            ParseError::NoFields {
                lines: meaningful,
                sample: first_meaningful,
            }
        });
    }
    Ok(health)
}

fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 128
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Removes a trailing `[managed]` marker, with or without the space before it.
fn split_managed(rest: &str) -> (&str, bool) {
    let trimmed = rest.trim();
    match trimmed.strip_suffix("[managed]") {
        Some(v) => (v.trim_end(), true),
        None => (trimmed, false),
    }
}

/// Known boolean fields printed as `1`/`0` become booleans, keeping the digit as raw.
pub(crate) fn coerce_boolean(
    key: &str,
    value: Value,
    raw: Option<String>,
    text: &str,
) -> (Value, Option<String>) {
    if fields::BOOLEANS.contains(&key)
        && let Value::Int(n @ (0 | 1)) = value
    {
        return (Value::Bool(n == 1), Some(text.trim().to_string()));
    }
    (value, raw)
}

fn shorten(line: &str) -> String {
    let line = line.trim();
    let mut s: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        s.push('…');
    }
    format!("{s:?}")
}
