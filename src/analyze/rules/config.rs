//! The managed configuration file: `config-*`. mdatp ignores what it does not understand
//! without a word, so each rule says what mdatp does instead.

use super::prelude::*;
use crate::managed::config::{ConfigError, ManagedConfig};
use crate::managed::keys::{self, COMMENT_KEYS, Kind, SECTIONS};
use crate::managed::scan::KeyAt;
use crate::mdatp::health::Health;
use serde_json::Value;

pub static CONFIG_NOT_FOUND: Rule = Rule {
    id: "config-not-found",
    severity: "info",
    meaning: "There is no managed configuration file; settings may come from Intune or the security portal.",
    fix: "Nothing, if health shows the settings as [managed]; otherwise create the file.",
    basis: "Documented: the managed file's path (offline page, linux-preferences); settings may come from Intune or the portal instead (release notes, 101.26042.0011).",
};

pub static CONFIG_UNREADABLE: Rule = Rule {
    id: "config-unreadable",
    severity: "warning",
    meaning: "The managed configuration exists but cannot be read (permissions, a directory, over 1 MiB).",
    fix: "Fix the file's type, size and permissions.",
    basis: "Inferred: mdatp cannot use a file it cannot read; the path is documented.",
};

pub static CONFIG_INVALID_JSON: Rule = Rule {
    id: "config-invalid-json",
    severity: "critical",
    meaning: "The file is not valid JSON (line and column given), so mdatp ignores all of it.",
    fix: "Fix the syntax; `python3 -m json.tool FILE` shows where.",
    basis: "Inferred: mdatp ignores a file that is not valid JSON; Microsoft does not say what it does.",
};

pub static CONFIG_UNKNOWN_KEY: Rule = Rule {
    id: "config-unknown-key",
    severity: "warning",
    meaning: "A key or section mdatp does not know, with a did-you-mean suggestion; mdatp ignores it and the setting keeps its default (offlineDefintionUpdateFallbackToCloud leaves fallback on).",
    fix: "Rename it to the suggested key.",
    basis: "Documented keys: linux-preferences. That mdatp ignores an unknown key without a word is inferred (new builds add keys).",
};

pub static CONFIG_WRONG_SECTION: Rule = Rule {
    id: "config-wrong-section",
    severity: "critical for offline keys, else warning",
    meaning: "A documented key placed in the wrong section (offlineDefinitionUpdate under features), so mdatp ignores it.",
    fix: "Move it to the section named in the finding.",
    basis: "Documented sections: linux-preferences and the offline page (the March 2024 draft put the key under features).",
};

pub static CONFIG_INVALID_VALUE: Rule = Rule {
    id: "config-invalid-value",
    severity: "critical for offline keys, else warning",
    meaning: "A value of the wrong type or outside its allowed values (\"true\" as a string, a non-positive interval).",
    fix: "Write the value in the documented type.",
    basis: "Documented types and values: linux-preferences. That mdatp then keeps the default is inferred.",
};

pub static CONFIG_DUPLICATE_KEY: Rule = Rule {
    id: "config-duplicate-key",
    severity: "info",
    meaning: "A key appears more than once in one object; the last one wins.",
    fix: "Keep one.",
    basis: "Inferred: JSON readers keep the last duplicate; Microsoft's own sample repeats keys as comments.",
};

pub static CONFIG_NOT_APPLIED: Rule = Rule {
    id: "config-not-applied",
    severity: "warning",
    meaning: "The file sets an offline-update value, but health shows a different value or no [managed] marker: mdatp did not take it.",
    fix: "Check the other config findings, the file's permissions, and any Intune or portal policy.",
    basis: "Inferred from health: [managed] marks a setting read from management (health-status).",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &CONFIG_NOT_FOUND,
    &CONFIG_UNREADABLE,
    &CONFIG_INVALID_JSON,
    &CONFIG_UNKNOWN_KEY,
    &CONFIG_WRONG_SECTION,
    &CONFIG_INVALID_VALUE,
    &CONFIG_DUPLICATE_KEY,
    &CONFIG_NOT_APPLIED,
];

/// The file as loaded, with its keys as scanned.
#[derive(Debug, Clone)]
pub struct ConfigFacts<'a> {
    pub path: &'a str,
    pub loaded: &'a Result<ManagedConfig, ConfigError>,
    pub keys: &'a [KeyAt],
}
/// Settings that `mdatp health --details definitions` shows, to see whether mdatp took
/// them: (section, key, health field, whether health marks it `[managed]`). Microsoft's
/// own sample shows the verification setting without the marker while the file sets it,
/// so for that one only a different value counts.
pub const APPLIED: &[(&str, &str, &str, bool)] = &[
    (
        "antivirusEngine",
        "offlineDefinitionUpdate",
        "offline_definition_update",
        true,
    ),
    (
        "antivirusEngine",
        "offlineDefinitionUpdateUrl",
        "offline_definition_url_configured",
        true,
    ),
    (
        "antivirusEngine",
        "offlineDefinitionUpdateFallbackToCloud",
        "offline_definition_update_fallback_to_cloud",
        true,
    ),
    (
        "cloudService",
        "automaticDefinitionUpdateEnabled",
        "automatic_definition_update_enabled",
        true,
    ),
    (
        "features",
        "offlineDefinitionUpdateVerifySig",
        "offline_definition_update_verify_sig",
        false,
    ),
];
fn is_offline_key(key: &str) -> bool {
    key.starts_with("offlineDefinition")
        || key == "automaticDefinitionUpdateEnabled"
        || key == "definitionUpdatesInterval"
}
/// Rules on the file alone (what `config check` runs).
pub fn file_findings(f: &ConfigFacts) -> Vec<Finding> {
    let path = f.path;
    let cfg = match f.loaded {
        Ok(cfg) => cfg,
        Err(e) => return vec![load_failure(path, e)],
    };
    let mut out = Vec::new();
    for k in f.keys {
        let at = |value: &str| Evidence::new(format!("{path}:{}", k.line), dotted(k), value);
        if k.duplicate && !COMMENT_KEYS.contains(&k.key.as_str()) {
            out.push(CONFIG_DUPLICATE_KEY.raise(
                Severity::Info,
                format!("{} appears more than once; the last one wins", dotted(k)),
                vec![at("(repeated)")],
                format!(
                    "Keep one {} in {path}: a reader (or a later edit) may take the wrong one.",
                    k.key
                ),
            ));
        }
        match k.parent.as_slice() {
            [] => top_level(f, k, &mut out),
            [section] if SECTIONS.contains(&section.as_str()) && !k.duplicate => {
                let value = cfg.get(section, &k.key).cloned().unwrap_or(Value::Null);
                in_section(f, k, section, &value, &mut out);
            }
            _ => {}
        }
    }
    out
}
fn dotted(k: &KeyAt) -> String {
    let mut parts: Vec<&str> = k.parent.iter().map(String::as_str).collect();
    parts.push(&k.key);
    parts.join(".")
}
fn load_failure(path: &str, e: &ConfigError) -> Finding {
    match e {
        ConfigError::NotFound { .. } => CONFIG_NOT_FOUND.raise(Severity::Info,
            format!("There is no managed configuration file at {path}"),
            vec![Evidence::new(path, "file", "(absent)")],
            "Nothing to do if the settings come from Intune or the security portal (health then shows them with [managed]); otherwise create the file, owned by root, mode 0644.".into(),
        ),
        ConfigError::InvalidJson { line, column, message, .. } => CONFIG_INVALID_JSON.raise(Severity::Critical,
            format!("{path} is not valid JSON, so mdatp ignores all of it"),
            vec![Evidence::new(format!("{path}:{line}:{column}"), "syntax", message)],
            format!("Fix the syntax at line {line}, column {column} (`python3 -m json.tool {path}` shows it), then check `mdatp health --details definitions`."),
        ),
        ConfigError::NotAnObject { .. } => CONFIG_INVALID_JSON.raise(Severity::Critical,
            format!("{path} is JSON but not an object, so mdatp ignores it"),
            vec![Evidence::new(path, "document", "not an object")],
            "The file must be one JSON object with sections such as \"antivirusEngine\": {...}.".into(),
        ),
        other => CONFIG_UNREADABLE.raise(Severity::Warning,
            format!("The managed configuration cannot be read: {other}"),
            vec![Evidence::new(path, "file", other.to_string())],
            format!("Check the file's type, size and permissions (`ls -l {path}`): mdatp reads it as root."),
        ),
    }
}
fn top_level(f: &ConfigFacts, k: &KeyAt, out: &mut Vec<Finding>) {
    let key = k.key.as_str();
    if SECTIONS.contains(&key) || COMMENT_KEYS.contains(&key) {
        return;
    }
    let ev = vec![Evidence::new(
        format!("{}:{}", f.path, k.line),
        key,
        "(top level)",
    )];
    let homes = keys::other_sections("", key);
    if !homes.is_empty() {
        out.push(wrong_section(f, key, "the top level", &homes, ev));
        return;
    }
    let suggestion = keys::suggest(key, SECTIONS.iter().copied());
    out.push(CONFIG_UNKNOWN_KEY.raise(Severity::Warning,
        format!("Unknown section \"{key}\"{}", did_you_mean(suggestion)),
        ev,
        match suggestion {
            Some(s) => format!("Rename \"{key}\" to \"{s}\" in {}: mdatp ignores sections it does not know, with everything in them.", f.path),
            None => format!("Remove \"{key}\" from {} or check Microsoft's list of settings; mdatp ignores it.", f.path),
        },
    ));
}
fn did_you_mean(s: Option<&str>) -> String {
    s.map(|s| format!(" (did you mean \"{s}\"?)"))
        .unwrap_or_default()
}
fn wrong_section(
    f: &ConfigFacts,
    key: &str,
    here: &str,
    homes: &[&str],
    evidence: Vec<Evidence>,
) -> Finding {
    let severity = if is_offline_key(key) {
        Severity::Critical
    } else {
        Severity::Warning
    };
    CONFIG_WRONG_SECTION.raise(severity,
        format!(
            "\"{key}\" is under {here}, but mdatp reads it under \"{}\"",
            homes[0]
        ),
        evidence,
        format!(
            "Move \"{key}\" into the \"{}\" section of {}: where it is now, mdatp ignores it and keeps the default.",
            homes[0], f.path
        ),
    )
}
fn in_section(f: &ConfigFacts, k: &KeyAt, section: &str, value: &Value, out: &mut Vec<Finding>) {
    let key = k.key.as_str();
    let ev = || {
        vec![Evidence::new(
            format!("{}:{}", f.path, k.line),
            dotted(k),
            value.to_string(),
        )]
    };
    if COMMENT_KEYS.contains(&key) {
        return;
    }
    if let Some(spec) = keys::find(section, key) {
        if let Some(problem) = type_problem(spec.kind, value) {
            let severity = if is_offline_key(key) {
                Severity::Critical
            } else {
                Severity::Warning
            };
            out.push(CONFIG_INVALID_VALUE.raise(severity,
                format!("{section}.{key} has an invalid value: {problem}"),
                ev(),
                format!("Set {section}.{key} in {} to {}; mdatp ignores an invalid value and keeps the default.", f.path, expected(spec.kind)),
            ));
        }
        return;
    }
    let homes = keys::other_sections(section, key);
    if !homes.is_empty() {
        out.push(wrong_section(
            f,
            key,
            &format!("\"{section}\""),
            &homes,
            ev(),
        ));
        return;
    }
    let same_section = keys::KEYS
        .iter()
        .filter(|s| s.section == section)
        .map(|s| s.key);
    let suggestion = keys::suggest(key, same_section)
        .or_else(|| keys::suggest(key, keys::KEYS.iter().map(|s| s.key)));
    let consequence = match suggestion {
        Some("offlineDefinitionUpdateFallbackToCloud") => {
            " mdatp ignores the misspelled key, so fallback to the cloud keeps its default (on): a broken mirror is silently replaced by Microsoft's cloud. Health shows offline_definition_update_fallback_to_cloud with [managed] only once the right key is read."
        }
        Some(_) => " mdatp ignores it, so the setting you meant keeps its default.",
        None => {
            " mdatp ignores keys it does not know (newer builds add keys: check the spelling against Microsoft's list)."
        }
    };
    out.push(CONFIG_UNKNOWN_KEY.raise(
        Severity::Warning,
        format!("Unknown key {section}.{key}{}", did_you_mean(suggestion)),
        ev(),
        match suggestion {
            Some(s) => format!("Rename \"{key}\" to \"{s}\" in {}.{consequence}", f.path),
            None => format!("Check \"{key}\" in {}.{consequence}", f.path),
        },
    ));
}
fn type_problem(kind: Kind, v: &Value) -> Option<String> {
    match (kind, v) {
        (Kind::Bool, Value::Bool(_)) => None,
        (Kind::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Some(format!("\"{s}\" is a string, not a boolean"))
        }
        (Kind::Enum(allowed), Value::String(s)) if allowed.contains(&s.as_str()) => None,
        (Kind::Enum(allowed), Value::String(s)) => {
            Some(format!("\"{s}\" is not one of {}", allowed.join(", ")))
        }
        (Kind::Int(lo, hi), Value::Number(n)) => match n.as_i64() {
            Some(i) if (lo..=hi).contains(&i) => None,
            _ => Some(format!("{n} is not a whole number from {lo} to {hi}")),
        },
        (Kind::Seconds, Value::Number(n)) if n.as_f64().is_some_and(|x| x > 0.0) => None,
        (Kind::Seconds, Value::Number(n)) => {
            Some(format!("{n} is not a positive number of seconds"))
        }
        (Kind::String, Value::String(_))
        | (Kind::Array, Value::Array(_))
        | (Kind::Object, Value::Object(_)) => None,
        (_, other) => Some(format!(
            "{} where {} is expected",
            json_type(other),
            expected(kind)
        )),
    }
}
fn json_type(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}
fn expected(kind: Kind) -> String {
    match kind {
        Kind::Bool => "true or false (no quotes)".into(),
        Kind::Enum(allowed) => format!("one of \"{}\"", allowed.join("\", \"")),
        Kind::Int(lo, hi) => format!("a whole number from {lo} to {hi}"),
        Kind::Seconds => "a positive number of seconds".into(),
        Kind::String => "a string".into(),
        Kind::Array => "a list".into(),
        Kind::Object => "an object".into(),
    }
}
/// `config-not-applied`: the file sets a value that health does not show as managed.
pub fn not_applied(cfg: &ManagedConfig, path: &str, health: &Health) -> Vec<Finding> {
    let mut out = Vec::new();
    for (section, key, field_name, marked) in APPLIED {
        let Some(file_value) = cfg.get(section, key) else {
            continue;
        };
        let Some(spec) = keys::find(section, key) else {
            continue;
        };
        if type_problem(spec.kind, file_value).is_some() {
            continue; // config-invalid-value already says why
        }
        let Some(field) = health.get(field_name) else {
            continue;
        };
        if field.value.as_str() == Some("DEPRECATED") {
            continue; // verify-sig-setting-deprecated covers it
        }
        let health_value = field.value.to_json();
        let same = match (file_value, &health_value) {
            (Value::String(a), Value::String(b)) => {
                a.trim_end_matches('/') == b.trim_end_matches('/')
            }
            (a, b) => a == b,
        };
        if same && (field.managed || !marked) {
            continue;
        }
        let why = if same {
            "without the [managed] marker"
        } else {
            "with a different value"
        };
        out.push(CONFIG_NOT_APPLIED.raise(Severity::Warning,
            format!("{section}.{key} is set in the file, but mdatp shows {field_name} {why}"),
            vec![
                Evidence::new(path, format!("{section}.{key}"), file_value.to_string()),
                Evidence::new("health", *field_name, format!("{}{}", health_value, if field.managed { " [managed]" } else { "" })),
            ],
            format!(
                "mdatp did not take the file's value: check the other config-* findings (spelling, section, JSON), that {path} is readable by root, and whether an Intune or portal policy sets it instead."
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests;
