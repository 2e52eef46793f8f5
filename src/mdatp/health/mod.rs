//! `mdatp health` output, typed: one model ([`Health`]) for the text form (`key : value`
//! lines, with or without `--details <section>`, see [`text`]) and the JSON form
//! (`--output json`, see [`json`]).
//!
//! Parsing is lenient with what mdatp prints and strict about what it does not: unknown
//! fields are kept and odd lines or values become warnings, but text that is not a health
//! report (no field we know, mostly not `key : value`, a `--field` value, the client's
//! "Failed to connect") is an error, never a report. See docs/parser.md.

use indexmap::IndexMap;

pub mod json;
pub mod text;

use super::fields;
use super::value::Field;

pub use crate::mdatp::value::visible;
pub use text::{is_usage_text, parse_text, parse_text_expecting};

/// At most this many warnings are listed; a garbage output would otherwise produce one
/// per line.
const MAX_WARNINGS: usize = 50;

/// Which form the output came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Text,
    Json,
}

/// Parsed health output.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub form: Form,
    /// The text of an `ATTENTION:` line (printed by unlicensed devices), without the prefix.
    pub attention: Option<String>,
    /// Fields in the order mdatp printed them.
    pub fields: IndexMap<String, Field>,
    /// Lines or values that could not be read, each saying where and why.
    pub warnings: Vec<String>,
}

/// `definitions_status`, with the values documented and seen in the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionsStatus {
    UpToDate,
    Updating,
    Unavailable,
    UpdateFailed,
    /// Transient, reported by field scripts: judge by age, not as a failure.
    CouldBeOlder,
    Other(String),
}

impl DefinitionsStatus {
    pub fn parse(s: &str) -> DefinitionsStatus {
        match s {
            "up_to_date" => DefinitionsStatus::UpToDate,
            "updating" => DefinitionsStatus::Updating,
            "unavailable" => DefinitionsStatus::Unavailable,
            "update_failed" => DefinitionsStatus::UpdateFailed,
            "could_be_older" => DefinitionsStatus::CouldBeOlder,
            other => DefinitionsStatus::Other(other.to_string()),
        }
    }
}

impl Health {
    /// `offline_definition_update` is `enabled`, when the output has it.
    pub fn offline_enabled(&self) -> Option<bool> {
        self.str("offline_definition_update")
            .map(|v| v == "enabled")
    }

    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.get(name)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|f| f.value.as_str())
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(|f| f.value.as_bool())
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|f| f.value.as_i64())
    }

    pub fn definitions_status(&self) -> Option<DefinitionsStatus> {
        self.str("definitions_status").map(DefinitionsStatus::parse)
    }

    /// True when some field is one we know by name ([`fields::is_known`]).
    pub fn has_known_field(&self) -> bool {
        self.fields.keys().any(|k| fields::is_known(k))
    }

    /// Definitions-related fields this output does not have (older builds lack the
    /// offline fields; 101.26062.0005 added `engine_signature_verification`).
    pub fn missing_definitions_fields(&self) -> Vec<&'static str> {
        fields::DEFINITIONS
            .iter()
            .copied()
            .filter(|f| !self.fields.contains_key(*f))
            .collect()
    }
}

/// Why an output could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("mdatp printed nothing")]
    Empty,
    /// Only `ATTENTION:` lines (their text, without the prefix).
    #[error("mdatp printed only `ATTENTION: {0}` and no health field")]
    OnlyAttention(String),
    #[error(
        "mdatp printed its usage list instead of health (`{first_line}`): this build does not know the command"
    )]
    UsageText { first_line: String },
    /// What `mdatp health --field NAME` prints: one value, maybe after an `ATTENTION:` text.
    #[error(
        "this is a single field's value (`{value}`{}), not `mdatp health` output",
        .attention.as_ref().map(|a| format!(" after `ATTENTION: {a}`")).unwrap_or_default()
    )]
    SingleField {
        value: String,
        attention: Option<String>,
    },
    /// The client says it could not reach the daemon (`Failed to connect`).
    #[error("the mdatp client could not reach the Defender daemon (wdavdaemon): `{line}`")]
    DaemonDown { line: String },
    /// Text that is not a health report: no field we know, or mostly not `key : value`.
    #[error("{}", not_health(*.lines, *.key_value, *.known, .sample))]
    NotHealth {
        /// Non-empty lines, `ATTENTION:` lines aside.
        lines: usize,
        /// Of those, `key : value` lines.
        key_value: usize,
        /// Of those, fields of `mdatp health` we know by name.
        known: usize,
        /// The first lines, escaped, each in backquotes.
        sample: String,
    },
    #[error("invalid JSON health output: {0}")]
    InvalidJson(String),
}

fn not_health(lines: usize, key_value: usize, known: usize, sample: &str) -> String {
    let why = if key_value == 0 {
        format!("no `key : value` line in {lines} line(s)")
    } else if key_value * 2 < lines {
        format!("only {key_value} of its {lines} non-empty lines are `key : value`")
    } else if known == 0 {
        format!("none of its {key_value} `key : value` line(s) is a field mdatp health prints")
    } else {
        // Not reached by the text parser; kept total for hand-built values.
        format!("{key_value} of its {lines} lines are `key : value`, {known} known")
    };
    format!("not an mdatp health report ({why}); it begins: {sample}")
}

impl ParseError {
    /// What to do about it, when that differs from "check what --mdatp runs".
    pub fn hint(&self) -> Option<String> {
        match self {
            ParseError::UsageText { .. } => Some(
                "this mdatp build is too old for that command; offline updates need \
                 101.24022.0001 or later (`mdatp version`)"
                    .into(),
            ),
            ParseError::SingleField { .. } => Some(
                "this is the output of `mdatp health --field NAME`: save or pass the output of \
                 `mdatp health` or `mdatp health --details definitions` instead"
                    .into(),
            ),
            ParseError::DaemonDown { .. } => Some(DAEMON_DOWN_HINT.into()),
            _ => None,
        }
    }
}

/// What to do when the client cannot reach wdavdaemon.
pub const DAEMON_DOWN_HINT: &str = "the Defender daemon is not answering: check \
     `systemctl status mdatp` and why it stopped with `journalctl -u mdatp`; for a service \
     that is not running Microsoft's steps are `systemctl enable mdatp` then `systemctl \
     restart mdatp`";

/// Parses health output in either form, choosing by its first meaningful character.
///
/// Output of any `--details` section is accepted when it has a field we know, or when
/// every line is a well-formed `snake_case : value` line (a section whose fields we do not
/// list); see [`parse_expecting`] to require a known field.
pub fn parse(bytes: &[u8]) -> Result<Health, ParseError> {
    parse_expecting(bytes, false)
}

/// [`parse`], and with `require_known` an output without any field we know by name is
/// not a health report (for `mdatp health` and `--details definitions`, whose fields we
/// list).
pub fn parse_expecting(bytes: &[u8], require_known: bool) -> Result<Health, ParseError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let body_starts_with_brace = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("ATTENTION:"))
        .is_some_and(|l| l.starts_with('{'));
    if body_starts_with_brace {
        json::parse_json_expecting(text, require_known)
    } else {
        text::parse_text_expecting(text, require_known)
    }
}

/// Splits off `ATTENTION:` lines, which mdatp prints before the real output of most
/// commands on unlicensed devices. A value printed on the same line after the message
/// (`mdatp health --field` on an unlicensed device) is given back as a line of its own.
pub(crate) fn take_attention(text: &str) -> (Option<String>, Vec<(usize, &str)>) {
    let mut attention: Vec<&str> = Vec::new();
    let mut rest = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match line.trim_start().strip_prefix("ATTENTION:") {
            Some(msg) => {
                let (msg, value) = split_attention(msg.trim());
                attention.push(msg);
                if let Some(value) = value {
                    rest.push((i + 1, value));
                }
            }
            None => rest.push((i + 1, line)),
        }
    }
    let attention = (!attention.is_empty()).then(|| attention.join(" "));
    (attention, rest)
}

/// `No license found. Contact your administrator for help."up_to_date"` → the message and
/// the value: what follows the end of a sentence, when it is one clean value or a
/// `key : value` line.
fn split_attention(msg: &str) -> (&str, Option<&str>) {
    // Real messages are one or two sentences; a long line is not searched (each sentence
    // end would cost a pass over the rest).
    if msg.len() > 1024 {
        return (msg, None);
    }
    for (i, c) in msg.char_indices() {
        // A sentence ends after a word, not inside a version (`101.24022.0001`).
        let after_word = msg[..i]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_alphabetic() || matches!(p, ')' | '"'));
        if !matches!(c, '.' | '!') || !after_word {
            continue;
        }
        let after = msg[i + 1..].trim();
        if after.is_empty() {
            break;
        }
        let kv = after
            .split_once(':')
            .is_some_and(|(k, _)| text::is_snake_key(k.trim()));
        if kv || crate::mdatp::value::is_clean_value(after) {
            return (msg[..=i].trim_end(), Some(after));
        }
    }
    (msg, None)
}

/// A line in which the mdatp client says it could not reach its daemon.
///
/// `Failed to connect` is what public captures show; the other phrasings are the usual
/// wordings of the same failure (docs/parser.md says which are inferred).
pub fn is_daemon_down_line(line: &str) -> bool {
    const PHRASES: &[&str] = &[
        "failed to connect",
        "could not connect",
        "couldn't connect",
        "cannot connect",
        "can't connect",
        "unable to connect",
        "connection refused",
        "daemon is not running",
        "daemon not running",
    ];
    let lower = line.to_ascii_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
}

/// The first line of `text` that says the daemon is down, skipping lines that are fields
/// of a health report (a fail reason may well say `Connection refused`), escaped.
pub fn daemon_down_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            !l.split_once(':')
                .is_some_and(|(k, _)| fields::is_known(&fields::canonical_name(k.trim())))
        })
        .find(|l| is_daemon_down_line(l))
        .map(|l| crate::mdatp::value::visible(l, 200))
}

/// The first non-empty lines of an output, escaped, each in backquotes, for messages.
pub(crate) fn sample_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    const LINES: usize = 3;
    let mut shown: Vec<String> = Vec::new();
    let mut more = false;
    for line in lines.into_iter().map(str::trim).filter(|l| !l.is_empty()) {
        if shown.len() == LINES {
            more = true;
            break;
        }
        shown.push(format!("`{}`", crate::mdatp::value::visible(line, 80)));
    }
    let mut out = shown.join(" / ");
    if more {
        out.push_str(" / …");
    }
    out
}

#[cfg(test)]
mod tests;
