//! What analysis produces: findings with a stable id, a severity, the evidence they rest
//! on and a concrete fix. Ids are an interface (monitoring keys on them): never rename one.

use crate::managed::edit::Edit;
use serde::Serialize;

use crate::exit_codes::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Info,
    Warning,
    /// The state could not be determined (mdatp missing or failing). Ranked below
    /// critical: a problem we could see is still the thing to report first.
    Unknown,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Unknown => "unknown",
            Severity::Critical => "critical",
        }
    }

    /// The severity [`Severity::as_str`] wrote (a report read back); anything else is
    /// unknown, never a pass.
    pub fn from_word(word: &str) -> Severity {
        [
            Severity::Ok,
            Severity::Info,
            Severity::Warning,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
        .unwrap_or(Severity::Unknown)
    }

    pub fn exit_code(self) -> ExitCode {
        match self {
            Severity::Ok | Severity::Info => ExitCode::Ok,
            Severity::Warning => ExitCode::Warning,
            Severity::Unknown => ExitCode::Unknown,
            Severity::Critical => ExitCode::Critical,
        }
    }
}

/// One fact a finding rests on: where it was read, what, and its value as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Evidence {
    pub source: String,
    pub key: String,
    pub value: String,
}

impl Evidence {
    pub fn new(
        source: impl Into<String>,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Evidence {
        Evidence {
            source: source.into(),
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A finding's declaration: its stable id, the severity it is documented with, what it
/// means and what fixes it. Declared once, as a `static` next to the code that raises it;
/// `diagnose --list`, `--explain` and the README's table are made from these.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: &'static str,
    /// As documented: one word, or a word with the case where it differs.
    pub severity: &'static str,
    pub meaning: &'static str,
    pub fix: &'static str,
    /// What the rule rests on: documented (and where), measured, or inferred.
    pub basis: &'static str,
}

impl Rule {
    /// The severities its declaration names (`"critical (warning when …)"` names two):
    /// the only ones it may raise.
    pub fn declared(&self) -> Vec<Severity> {
        let words: Vec<String> = self
            .severity
            .split(|c: char| !c.is_ascii_alphabetic())
            .map(str::to_ascii_lowercase)
            .collect();
        [
            Severity::Info,
            Severity::Warning,
            Severity::Unknown,
            Severity::Critical,
        ]
        .into_iter()
        .filter(|s| words.iter().any(|w| w == s.as_str()))
        .collect()
    }

    /// A finding of this rule, about the feature, linking Microsoft's page on it. The
    /// only way to make a [`Finding`].
    pub fn raise(
        &'static self,
        severity: Severity,
        title: String,
        evidence: Vec<Evidence>,
        fix: String,
    ) -> Finding {
        debug_assert!(
            super::rules::catalogue().any(|r| std::ptr::eq(r, self)),
            "{} is raised but not in its family's RULES",
            self.id
        );
        debug_assert!(
            self.declared().contains(&severity),
            "{} is raised as {} but declared \"{}\"",
            self.id,
            severity.as_str(),
            self.severity
        );
        Finding {
            id: self.id,
            severity,
            title,
            evidence,
            fix,
            doc: Some(DOC_OFFLINE_UPDATES),
            edit: None,
            _rule: Sealed,
        }
    }
}

/// Keeps [`Finding`] from being built outside [`Rule::raise`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sealed;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub title: String,
    pub evidence: Vec<Evidence>,
    pub fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<&'static str>,
    /// The change to the managed file that resolves it, when one is unambiguous
    /// (`config fix` makes it); shown as `"fixable": true`.
    #[serde(
        rename = "fixable",
        skip_serializing_if = "Option::is_none",
        serialize_with = "is_some"
    )]
    pub edit: Option<Edit>,
    #[serde(skip)]
    _rule: Sealed,
}

fn is_some<S: serde::Serializer>(edit: &Option<Edit>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(edit.is_some())
}

impl Finding {
    /// Marks the finding as fixed by `config fix` with this edit, and says so in its fix:
    /// the whole command, naming `file` (the one judged, which need not be the default
    /// managed file: `config check ./candidate.json`).
    pub fn fixed_by(mut self, edit: Edit, file: &str) -> Finding {
        let file = shell_word(file);
        self.fix.push_str(&format!(
            " `mdatp-doctor config fix --apply {file}` makes it (without --apply: the diff)."
        ));
        self.edit = Some(edit);
        self
    }
}

/// `text` as one shell word: as it is when it holds only characters a shell leaves alone,
/// else in single quotes.
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:,=@%".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
impl Finding {
    /// A finding with any id, for tests of code that only displays findings.
    pub fn test(id: &'static str, severity: Severity, title: &str) -> Finding {
        Finding {
            id,
            severity,
            title: title.into(),
            evidence: Vec::new(),
            fix: String::new(),
            doc: None,
            edit: None,
            _rule: Sealed,
        }
    }
}

/// The rule with this id, if any.
pub fn find(id: &str) -> Option<&'static Rule> {
    super::rules::catalogue().find(|r| r.id == id)
}

/// Microsoft's page for the feature, linked from findings about it.
pub const DOC_OFFLINE_UPDATES: &str = "https://learn.microsoft.com/en-us/defender-endpoint/linux-support-offline-security-intelligence-update";

/// The worst severity among findings (`Ok` when there are none).
pub fn worst(findings: &[Finding]) -> Severity {
    findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Ok)
}

/// Most severe first; ties keep their order.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
}

#[cfg(test)]
mod tests;
