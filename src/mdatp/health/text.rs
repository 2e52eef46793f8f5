//! The `key : value` text form of `mdatp health`, including the camelCase form of 2020
//! builds (`mdatp --health`), mapped onto the current names.

use indexmap::IndexMap;

use super::{Form, Health, MAX_WARNINGS, ParseError, is_daemon_down_line, take_attention};
use crate::mdatp::fields;
use crate::mdatp::value::{
    Field, fit, is_clean_value, is_plain_value, parse_text_value, split_quoted_annotation,
    straighten_quotes, visible,
};

/// True when the text is mdatp's usage list, printed by builds that do not know a
/// subcommand or option.
pub fn is_usage_text(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("ATTENTION:"))
        .is_some_and(|l| l.starts_with("Expected one of"))
}

/// Parses the `key : value` text form (any `--details` section).
pub fn parse_text(text: &str) -> Result<Health, ParseError> {
    parse_text_expecting(text, false)
}

/// Parses the `key : value` text form; with `require_known`, output without a field we
/// know by name is not a health report.
///
/// The output is a health report when most of its non-empty lines are `key : value` and
/// either one of them is a field we know or (without `require_known`) every line is a
/// well-formed `snake_case : value` line, as a `--details` section we do not list prints.
pub fn parse_text_expecting(text: &str, require_known: bool) -> Result<Health, ParseError> {
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
    // What the output looks like, to tell a health report from other text.
    let mut meaningful = 0usize;
    let mut first_lines: Vec<&str> = Vec::new();
    let mut key_value = 0usize;
    let mut known = 0usize;
    let mut well_formed = true;
    let mut daemon_down: Option<&str> = None;
    for (lineno, line) in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        meaningful += 1;
        if first_lines.len() < 4 {
            first_lines.push(trimmed);
        }
        let kv = line
            .split_once(':')
            .map(|(k, rest)| (k.trim(), rest))
            .filter(|(k, _)| is_key(k));
        let Some((key, rest)) = kv else {
            well_formed = false;
            if daemon_down.is_none() && is_daemon_down_line(trimmed) {
                daemon_down = Some(trimmed);
            }
            warn(
                &mut health,
                format!("line {lineno}: not a `key : value` line: {}", shorten(line)),
            );
            continue;
        };
        key_value += 1;
        let name = fields::canonical_name(key).into_owned();
        let (printed, managed, after_managed) = split_managed(rest);
        if let Some(after) = after_managed {
            warn(
                &mut health,
                format!(
                    "line {lineno}: {key}: `{}` after [managed] ignored",
                    visible(after, 60)
                ),
            );
        }
        let straight = straighten_quotes(printed);
        if straight.is_some() {
            warn(
                &mut health,
                format!(
                    "line {lineno}: {key}: typographic quotes (“ ” ‘ ’) read as straight quotes"
                ),
            );
        }
        let mut value_text = straight.as_deref().unwrap_or(printed);
        if let Some((quoted, after)) = split_quoted_annotation(value_text) {
            warn(
                &mut health,
                format!(
                    "line {lineno}: {key}: read {}, ignoring `{}` after it",
                    visible(quoted, 80),
                    visible(after, 60)
                ),
            );
            value_text = quoted;
        }
        let mut parsed = parse_text_value(value_text);
        if let Some(kind) = fields::kind(&name) {
            parsed = fit(kind, parsed, value_text);
        }
        if let Some(problem) = parsed.problem {
            warn(&mut health, format!("line {lineno}: {key}: {problem}"));
        }
        if fields::is_known(&name) {
            known += 1;
        } else {
            well_formed &= is_field_key(key) && is_plain_value(value_text);
            if daemon_down.is_none() && is_daemon_down_line(trimmed) {
                daemon_down = Some(trimmed);
            }
        }
        let field = Field {
            value: parsed.value,
            raw: parsed.raw,
            managed,
        };
        if health.fields.insert(name.clone(), field).is_some() {
            warn(
                &mut health,
                format!("line {lineno}: {name} appears again; the last value is kept"),
            );
        }
    }
    if dropped_warnings > 0 {
        health.warnings.push(format!(
            "… and {dropped_warnings} more warning(s) not listed"
        ));
    }
    if meaningful == 0 {
        return Err(match health.attention {
            Some(a) => ParseError::OnlyAttention(visible(&a, 200)),
            None => ParseError::Empty,
        });
    }
    if meaningful == 1 && key_value == 0 && is_clean_value(first_lines[0]) {
        return Err(ParseError::SingleField {
            value: visible(first_lines[0], 200),
            attention: health.attention.map(|a| visible(&a, 200)),
        });
    }
    let mostly_key_value = key_value * 2 >= meaningful;
    let shaped = known > 0 || (!require_known && well_formed && key_value > 0);
    if !(mostly_key_value && shaped) {
        if let Some(line) = daemon_down {
            return Err(ParseError::DaemonDown {
                line: visible(line, 200),
            });
        }
        return Err(ParseError::NotHealth {
            lines: meaningful,
            key_value,
            known,
            sample: super::sample_lines(first_lines),
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

/// A key as mdatp prints them: `snake_case`, or the `camelCase` of 2020 builds.
fn is_field_key(key: &str) -> bool {
    key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A `snake_case` key (`definitions_status`), as current builds print them.
pub(crate) fn is_snake_key(key: &str) -> bool {
    key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Removes a trailing `[managed]` marker, with or without the space before it. A marker
/// followed by pasted text (`"enabled" [managed]   <--- note`) still counts when what
/// precedes it is one clean value; the text after it is returned to be warned about.
fn split_managed(rest: &str) -> (&str, bool, Option<&str>) {
    const MARK: &str = "[managed]";
    let trimmed = rest.trim();
    if let Some(v) = trimmed.strip_suffix(MARK) {
        return (v.trim_end(), true, None);
    }
    if let Some(i) = trimmed.rfind(MARK) {
        let (value, after) = (trimmed[..i].trim_end(), trimmed[i + MARK.len()..].trim());
        if is_clean_value(value) {
            return (value, true, Some(after));
        }
    }
    (trimmed, false, None)
}

fn shorten(line: &str) -> String {
    let line = line.trim();
    let mut s: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        s.push('…');
    }
    format!("{s:?}")
}
