//! `mdatp health` output, typed: one model ([`Health`]) for the text form (`key : value`
//! lines, with or without `--details <section>`, see [`text`]) and the JSON form
//! (`--output json`, see [`json`]).
//!
//! Parsing is lenient by design: unknown fields are kept, odd lines become warnings, and
//! only output with no usable field at all is an error.

use indexmap::IndexMap;

pub mod json;
pub mod text;

use super::fields;
use super::value::Field;

pub use text::{is_usage_text, parse_text};

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
    #[error(
        "mdatp printed its usage list instead of health (`{first_line}`): this build does not know the command"
    )]
    UsageText { first_line: String },
    #[error("no `key : value` line in {lines} line(s) of output; first line: `{sample}`")]
    NoFields { lines: usize, sample: String },
    #[error("invalid JSON health output: {0}")]
    InvalidJson(String),
}

/// Parses health output in either form, choosing by its first meaningful character.
pub fn parse(bytes: &[u8]) -> Result<Health, ParseError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    let body_starts_with_brace = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("ATTENTION:"))
        .is_some_and(|l| l.starts_with('{'));
    if body_starts_with_brace {
        json::parse_json(text)
    } else {
        parse_text(text)
    }
}

/// Splits off `ATTENTION:` lines, which mdatp prints before the real output of most
/// commands on unlicensed devices.
pub(crate) fn take_attention(text: &str) -> (Option<String>, Vec<(usize, &str)>) {
    let mut attention: Vec<&str> = Vec::new();
    let mut rest = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match line.trim_start().strip_prefix("ATTENTION:") {
            Some(msg) => attention.push(msg.trim()),
            None => rest.push((i + 1, line)),
        }
    }
    let attention = (!attention.is_empty()).then(|| attention.join(" "));
    (attention, rest)
}

#[cfg(test)]
mod tests;
