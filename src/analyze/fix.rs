//! `config fix`, the thinking part (no I/O): the edits the config findings carry, plus the
//! ones asked for with `--set`, made on the file's text; what cannot be made without a
//! guess is listed with the reason. Which health field shows each setting, to check that
//! mdatp took it.

use serde_json::Value;

use super::finding::{Finding, Severity};
use super::rules::APPLIED;
use crate::managed::config::ManagedConfig;
use crate::managed::edit::{self, Edit, EditError};
use crate::managed::keys::{self, Kind};
use crate::mdatp::health::Health;

/// One change the fix makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// The finding it resolves; `None` for a `--set`.
    pub finding: Option<&'static str>,
    pub edit: Edit,
    /// The key (or its section) is written more than once: which copy was changed.
    pub repeated: Option<String>,
}

/// A finding about the file that no change resolves without a person's choice.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftAlone {
    pub finding: &'static str,
    pub title: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub edits: Vec<Planned>,
    pub left: Vec<LeftAlone>,
    /// The file as it would be.
    pub text: String,
}

/// The plan for `text`, given the config findings on it and the `--set` edits (made last,
/// so what the admin chose wins).
pub fn plan(text: &str, findings: &[Finding], sets: &[Edit]) -> Result<Plan, EditError> {
    let mut edits: Vec<Planned> = Vec::new();
    let mut left = Vec::new();
    for f in findings {
        match &f.edit {
            Some(e) if !edits.iter().any(|p| &p.edit == e) => edits.push(Planned {
                finding: Some(f.id),
                edit: e.clone(),
                repeated: None,
            }),
            Some(_) => {}
            None if f.severity >= Severity::Warning => left.push(LeftAlone {
                finding: f.id,
                title: f.title.clone(),
                reason: f.fix.clone(),
            }),
            None => {}
        }
    }
    edits.extend(sets.iter().map(|e| Planned {
        finding: None,
        edit: e.clone(),
        repeated: None,
    }));
    let all: Vec<Edit> = edits.iter().map(|p| p.edit.clone()).collect();
    let (text, skipped, repeated) = edit::apply_noting_repeats(text, &all)?;
    for (p, repeated) in edits.iter_mut().zip(repeated) {
        p.repeated = repeated;
    }
    for (e, reason) in skipped {
        if let Some(i) = edits.iter().position(|p| p.edit == e) {
            let p = edits.remove(i);
            left.push(LeftAlone {
                finding: p.finding.unwrap_or("set"),
                title: format!("{} not changed", e.dotted()),
                reason,
            });
        }
    }
    Ok(Plan { edits, left, text })
}

/// Every key the plan does not address has the same value after it as before, and no key
/// appears that it did not add: checked before anything is written (and by the fuzz
/// target), so a fault in the editing can never reach the endpoint's file.
pub fn preserved(old_text: &str, plan: &Plan) -> Result<(), String> {
    let touched: Vec<String> = plan
        .edits
        .iter()
        .flat_map(|p| {
            p.edit
                .old_pointer()
                .into_iter()
                .chain([p.edit.new_pointer()])
        })
        .collect();
    // A renamed section carries its keys along: they count as touched.
    let is_touched = |p: &str| {
        touched
            .iter()
            .any(|t| p == t || p.starts_with(&format!("{t}/")))
    };
    if preserved_as_written(old_text, &plan.text, &is_touched).is_some() {
        return Ok(());
    }
    // Something changed, or the texts are not as expected: the values compared whole,
    // which also says what changed.
    let parse = |t: &str| serde_json::from_str::<Value>(t.trim_start_matches('\u{feff}')).ok();
    let (Some(old), Some(new)) = (parse(old_text), parse(&plan.text)) else {
        return match parse(&plan.text) {
            Some(_) => Ok(()),
            None => Err("the new text is not JSON".into()),
        };
    };
    let leaves = |doc: &Value| -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for (section, v) in doc.as_object().into_iter().flatten() {
            match v.as_object() {
                Some(keys) => out.extend(
                    keys.iter()
                        .map(|(k, vv)| (edit::pointer(Some(section), k), vv.clone())),
                ),
                None => out.push((edit::pointer(None, section), v.clone())),
            }
        }
        out
    };
    for (pointer, value) in leaves(&old) {
        if !is_touched(&pointer) && new.pointer(&pointer) != Some(&value) {
            return Err(format!("{pointer} changed although no edit names it"));
        }
    }
    for (pointer, _) in leaves(&new) {
        if !is_touched(&pointer) && old.pointer(&pointer).is_none() {
            return Err(format!("{pointer} appeared although no edit adds it"));
        }
    }
    Ok(())
}

/// [`preserved`] without building either document: `Some` when every untouched key's
/// value is written the same in both texts, or parses to the same value (the JSON
/// checked as serde_json would read it); `None` when that does not show it (then the
/// documents are compared whole).
fn preserved_as_written(old: &str, new: &str, is_touched: &dyn Fn(&str) -> bool) -> Option<()> {
    let (old, new) = (
        old.trim_start_matches('\u{feff}'),
        new.trim_start_matches('\u{feff}'),
    );
    edit::check_json(new).ok()?;
    edit::check_json(old).ok()?;
    let (old, new) = (edit::leaves(old)?, edit::leaves(new)?);
    let same = |a: &str, b: &str| {
        a == b
            || serde_json::from_str::<Value>(a)
                .ok()
                .zip(serde_json::from_str::<Value>(b).ok())
                .is_some_and(|(a, b)| a == b)
    };
    // Every untouched leaf of one is in the other with the same value (both ways: a key
    // that appeared is as wrong as one that changed).
    let covered = |from: &edit::Leaves, into: &edit::Leaves| {
        from.iter().all(|(section, value)| match value {
            Err(raw) => {
                is_touched(&edit::pointer(None, section))
                    || into.iter().any(|(s, v)| {
                        s == section && v.as_ref().err().is_some_and(|r| same(raw, r))
                    })
            }
            Ok(keys) => keys.iter().all(|(key, raw)| {
                is_touched(&edit::pointer(Some(section), key))
                    || into.iter().any(|(s, v)| {
                        s == section
                            && v.as_ref()
                                .is_ok_and(|ks| ks.iter().any(|(k, r)| k == key && same(raw, r)))
                    })
            }),
        })
    };
    (covered(&old, &new) && covered(&new, &old)).then_some(())
}

/// `--set section.key=value`, typed by the key catalogue. Unknown keys are refused with
/// the nearest documented one.
pub fn parse_set(arg: &str) -> Result<Edit, String> {
    let Some((path, raw)) = arg.split_once('=') else {
        return Err(format!("`{arg}`: expected SECTION.KEY=VALUE"));
    };
    let Some((section, key)) = path.trim().split_once('.') else {
        return Err(format!(
            "`{path}`: name the section too, as in antivirusEngine.offlineDefinitionUpdateUrl"
        ));
    };
    let Some(spec) = keys::find(section, key) else {
        let dotted: Vec<String> = keys::KEYS
            .iter()
            .map(|k| format!("{}.{}", k.section, k.key))
            .collect();
        let near = keys::suggest(path.trim(), dotted.iter().map(String::as_str));
        return Err(match near {
            Some(n) => format!("`{path}` is not a documented setting (did you mean `{n}`?)"),
            None => format!("`{path}` is not a documented setting"),
        });
    };
    let bad = |what: String| Err(format!("`{path}` takes {what}, not `{raw}`"));
    let value = match spec.kind {
        Kind::Bool => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return bad("true or false".into()),
        },
        Kind::Enum(values) => match values.iter().find(|v| **v == raw) {
            Some(v) => Value::String((*v).into()),
            None => return bad(format!("one of {}", values.join(", "))),
        },
        Kind::SwitchOrObject => match raw {
            "enabled" | "disabled" => Value::String(raw.into()),
            _ => return bad("enabled or disabled".into()),
        },
        Kind::Int(lo, hi) => match raw.parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Value::Number(n.into()),
            _ => return bad(format!("a whole number from {lo} to {hi}")),
        },
        Kind::Interval => match raw.parse::<i64>() {
            Ok(n) if n > 0 => Value::Number(n.into()),
            _ => return bad("a number of seconds".into()),
        },
        // A location mdatp fetches from: only what the url rules accept as one.
        Kind::String if key == "offlineDefinitionUpdateUrl" || key == "proxy" => {
            let t = raw.trim();
            let scheme_ok = url::Url::parse(t)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            let path_ok = key == "offlineDefinitionUpdateUrl" && t.starts_with('/');
            if !(scheme_ok || path_ok) || t.chars().any(char::is_control) {
                return bad(if key == "proxy" {
                    "an http:// or https:// URL with a host".into()
                } else {
                    "an http:// or https:// URL with a host, or an absolute directory path".into()
                });
            }
            Value::String(t.into())
        }
        Kind::String => Value::String(raw.into()),
        Kind::Array | Kind::Object => match serde_json::from_str::<Value>(raw) {
            Ok(v)
                if (spec.kind == Kind::Array) == v.is_array()
                    && (v.is_array() || v.is_object()) =>
            {
                v
            }
            _ => {
                return bad(format!(
                    "a JSON {}",
                    if spec.kind == Kind::Array {
                        "array"
                    } else {
                        "object"
                    }
                ));
            }
        },
    };
    Ok(Edit::Set {
        section: section.into(),
        key: key.into(),
        value,
    })
}

/// What health should show once mdatp has read the edit: its field and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    pub setting: String,
    pub field: &'static str,
    pub value: Value,
    /// Whether health marks a value read from the managed file with `[managed]`.
    pub marked: bool,
    /// What health showed before the file changed, when it was read.
    pub before: Option<Value>,
}

/// Notes what health showed before the change, so "still the old value" (not picked
/// up) is told from "another value" (shown differently).
pub fn note_before(expect: &mut [Expect], health: &Health) {
    for e in expect {
        e.before = health.get(e.field).map(|f| f.value.to_json());
    }
}

/// The health fields that show the settings `new` sets (read from the new document, so a
/// rename or move is checked at its destination). Settings health does not show are
/// returned apart: they cannot be checked.
pub fn expectations(edits: &[Planned], new: &ManagedConfig) -> (Vec<Expect>, Vec<String>) {
    let mut expect = Vec::new();
    let mut unchecked = Vec::new();
    for p in edits {
        let dotted = p.edit.dotted();
        let Some((section, key)) = dotted.split_once('.') else {
            continue;
        };
        match APPLIED
            .iter()
            .find(|(s, k, _, _)| *s == section && *k == key)
        {
            Some((_, _, field, marked)) => match new.get(section, key) {
                Some(v) => expect.push(Expect {
                    setting: dotted.clone(),
                    field,
                    value: v.clone(),
                    marked: *marked,
                    before: None,
                }),
                None => unchecked.push(dotted.clone()),
            },
            None => unchecked.push(dotted.clone()),
        }
    }
    (expect, unchecked)
}

/// How one expected setting reads in health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Taken {
    Applied,
    /// Health still shows the old value, or no `[managed]` marker.
    NotPickedUp,
    /// Health shows the setting with another value than the file's.
    ShownDifferently,
}

pub fn taken(e: &Expect, health: &Health) -> (Taken, Option<String>) {
    let Some(field) = health.get(e.field) else {
        return (Taken::NotPickedUp, None);
    };
    let shown = field.value.to_json();
    let same = super::rules::same_setting;
    let text = format!("{shown}{}", if field.managed { " [managed]" } else { "" });
    let unchanged = e.before.as_ref().is_none_or(|b| same(b, &shown));
    match (same(&e.value, &shown), field.managed || !e.marked) {
        (true, true) => (Taken::Applied, Some(text)),
        (true, false) => (Taken::NotPickedUp, Some(text)),
        (false, _) if unchanged => (Taken::NotPickedUp, Some(text)),
        (false, _) => (Taken::ShownDifferently, Some(text)),
    }
}

/// The switch and the URL when health shows them `[managed]` but the file does not hold
/// them: they come from Intune or the security portal, which may override or ignore a
/// local edit. (Fallback and automatic updates are left out: health marks them
/// `[managed]` even where the file misspells the key, per Microsoft's own samples.)
pub fn policy_managed(health: &Health, file: Option<&ManagedConfig>) -> Vec<&'static str> {
    const POLICY_SIGNS: [&str; 2] = [
        "offline_definition_update",
        "offline_definition_url_configured",
    ];
    APPLIED
        .iter()
        .filter(|(s, k, field, _)| {
            POLICY_SIGNS.contains(field)
                && health.get(field).is_some_and(|f| f.managed)
                && file.is_none_or(|c| c.get(s, k).is_none())
        })
        .map(|(_, _, field, _)| *field)
        .collect()
}

#[cfg(test)]
mod tests;
