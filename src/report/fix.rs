//! `config fix`: the changes, what was left for a person, the diff (for people) or the
//! new document (for programs), and after `--apply`/`--undo` the backup and what health
//! showed.

use serde::Serialize;
use serde_json::Value;

use crate::analyze::finding::Finding;
use crate::analyze::fix::{LeftAlone, Plan};
use crate::gather::fix::Checked;
use crate::managed::edit::Edit;
use crate::report::SchemaVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixMode {
    DryRun,
    Apply,
    Undo,
}

#[derive(Serialize)]
pub struct EditDoc {
    /// The finding it resolves; absent for a `--set`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<&'static str>,
    #[serde(flatten)]
    pub edit: Edit,
    /// JSON pointers before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_pointer: Option<String>,
    pub pointer: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    /// The key (or its section) is written more than once: which copy was changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated: Option<String>,
}

#[derive(Serialize)]
pub struct LeftDoc {
    pub finding: &'static str,
    pub title: String,
    pub reason: String,
}

/// A hunk of the unified diff, with the findings its lines resolve.
#[derive(Debug, Clone)]
pub struct Hunk {
    pub header: String,
    pub findings: Vec<&'static str>,
    /// `(' ' | '-' | '+', line without its newline)`.
    pub lines: Vec<(char, String)>,
}

#[derive(Serialize)]
pub struct VerifyDoc {
    pub checked: Vec<Checked>,
    /// Settings health does not show: not checkable.
    pub unchecked: Vec<String>,
    /// Why nothing was checked (`--no-verify`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

#[derive(Serialize)]
pub struct FixReport {
    pub schema_version: SchemaVersion,
    pub mode: FixMode,
    pub path: String,
    pub edits: Vec<EditDoc>,
    pub left_alone: Vec<LeftDoc>,
    /// The whole document as it is after the change (URL credentials and secret-named
    /// values redacted: this output may be shared).
    pub document: Value,
    #[serde(skip)]
    pub hunks: Vec<Hunk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    /// Health fields shown `[managed]` that the file does not hold: set by a policy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policy_managed: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<VerifyDoc>,
    /// The file's findings after the change (with `--apply`/`--undo`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<Vec<Finding>>,
}

impl FixReport {
    pub fn new(
        path: &str,
        old_text: &str,
        plan: &Plan,
        old: Option<&Value>,
        mode: FixMode,
    ) -> FixReport {
        let new_doc: Value =
            serde_json::from_str(plan.text.trim_start_matches('\u{feff}')).unwrap_or(Value::Null);
        let at = |doc: Option<&Value>, pointer: Option<&str>| {
            doc.zip(pointer).and_then(|(d, p)| d.pointer(p)).cloned()
        };
        let edits = plan
            .edits
            .iter()
            .map(|p| {
                let from = p.edit.old_pointer();
                let pointer = p.edit.new_pointer();
                EditDoc {
                    finding: p.finding,
                    edit: p.edit.clone(),
                    old: at(old, from.as_deref()),
                    new: at(Some(&new_doc), Some(&pointer)),
                    from_pointer: from.filter(|f| *f != pointer),
                    pointer,
                    repeated: p.repeated.clone(),
                }
            })
            .collect();
        FixReport {
            schema_version: SchemaVersion,
            mode,
            path: path.to_string(),
            edits,
            left_alone: plan.left.iter().map(left_doc).collect(),
            hunks: hunks(old_text, &plan.text, plan),
            document: crate::report::diagnose::scrub(new_doc),
            backup: None,
            policy_managed: Vec::new(),
            verify: None,
            remaining: None,
        }
    }
}

/// What [`FixReport::new`] reads of the file as it was: the values at the edits' old
/// pointers, in a document of their own (a dry run lets the whole document go before
/// the report parses the new one: two copies of a large file at once are most of its
/// memory). Looked up there, each pointer finds what it finds in `old`.
pub fn old_values(old: &Value, plan: &Plan) -> Value {
    let mut out = Value::Object(serde_json::Map::new());
    for pointer in plan.edits.iter().filter_map(|p| p.edit.old_pointer()) {
        let Some(value) = old.pointer(&pointer) else {
            continue;
        };
        if out.pointer(&pointer) == Some(value) {
            continue;
        }
        let tokens: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        let Some((last, parents)) = tokens.split_last() else {
            return old.clone();
        };
        let mut at = &mut out;
        for t in parents {
            match at {
                Value::Object(m) => {
                    at = m
                        .entry(t.clone())
                        .or_insert_with(|| Value::Object(serde_json::Map::new()))
                }
                _ => return old.clone(),
            }
        }
        match at {
            Value::Object(m) => {
                m.insert(last.clone(), value.clone());
            }
            _ => return old.clone(),
        }
        if out.pointer(&pointer) != Some(value) {
            // Pointers that overlap in a way the copy cannot hold: the whole document.
            return old.clone();
        }
    }
    out
}

fn left_doc(l: &LeftAlone) -> LeftDoc {
    LeftDoc {
        finding: l.finding,
        title: l.title.clone(),
        reason: l.reason.clone(),
    }
}

/// The unified diff (3 lines of context), each hunk named by the findings whose keys
/// its changed lines hold.
fn hunks(old: &str, new: &str, plan: &Plan) -> Vec<Hunk> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        let mut lines = Vec::new();
        for change in hunk.iter_changes() {
            let tag = match change.tag() {
                similar::ChangeTag::Equal => ' ',
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
            };
            lines.push((
                tag,
                change.value().trim_end_matches(['\n', '\r']).to_string(),
            ));
        }
        let mut findings: Vec<&'static str> = Vec::new();
        for p in &plan.edits {
            let key = format!("\"{}\"", p.edit.key_after());
            let id = p.finding.unwrap_or("set");
            if lines.iter().any(|(t, l)| *t != ' ' && l.contains(&key)) && !findings.contains(&id) {
                findings.push(id);
            }
        }
        out.push(Hunk {
            header: hunk.header().to_string(),
            findings,
            lines,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::fix::Planned;
    use serde_json::json;

    #[test]
    fn the_old_values_copy_finds_what_the_whole_document_holds() {
        let old = json!({
            "antivirusEngine": {"a": 1, "b": [1, 2], "exclusions": [{"path": "/x"}]},
            "list": [10, 20],
            "top": "t",
        });
        let planned = |edit: Edit| Planned {
            finding: None,
            edit,
            repeated: None,
        };
        let edits = vec![
            planned(Edit::Rename {
                section: Some("antivirusEngine".into()),
                from: "a".into(),
                to: "c".into(),
            }),
            planned(Edit::Move {
                from: None,
                key: "top".into(),
                to: "antivirusEngine".into(),
            }),
            planned(Edit::Set {
                section: "list".into(),
                key: "1".into(),
                value: json!(0),
            }),
            planned(Edit::Set {
                section: "missing".into(),
                key: "k".into(),
                value: json!(0),
            }),
            planned(Edit::Rename {
                section: None,
                from: "antivirusEngine".into(),
                to: "av".into(),
            }),
        ];
        let plan = Plan {
            edits,
            left: Vec::new(),
            text: String::new(),
        };
        let copy = old_values(&old, &plan);
        for p in &plan.edits {
            let pointer = p.edit.old_pointer().expect("a pointer");
            assert_eq!(copy.pointer(&pointer), old.pointer(&pointer), "{pointer}");
        }
    }
}
