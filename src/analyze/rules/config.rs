//! The managed configuration file: `config-*`. mdatp ignores what it does not understand
//! without a word, so each rule says what mdatp does instead. The same rules run on the
//! file alone (`config check`, e.g. in the CI of a configuration repository) and inside
//! `diagnose`, where what health and the mirror rules already judged is not said twice
//! ([`Judged`]). Facts and their sources: docs/config.md.

use std::collections::HashMap;

use super::prelude::*;
use crate::analyze::snapshot::UnusedUrl;
use crate::managed::config::{ConfigError, ManagedConfig};
use crate::managed::edit::Edit;
use crate::managed::keys::{
    self, COMMENT_KEYS, INTERVAL_INTUNE_LINUX, INTERVAL_MACOS_SCHEMA, Kind, SECTIONS,
};
use crate::managed::scan::{self, KeyAt, Keys, NodeId};
use crate::mdatp::health::Health;
use serde_json::Value;

pub static CONFIG_NOT_FOUND: Rule = Rule {
    id: "config-not-found",
    severity: "info",
    meaning: "There is no managed configuration file at the default path; settings may come from Intune or the security portal. For `config check PATH` (or --managed-config PATH) a missing PATH is an error (exit 3).",
    fix: "Nothing, if health shows the settings as [managed]; otherwise create the file.",
    basis: "Info: context: the settings may come from Intune or the portal, and health shows what mdatp applied. Documented: the managed file's path (offline page, linux-preferences); settings may come from Intune or the portal instead (release notes, 101.26042.0011).",
};

pub static CONFIG_UNREADABLE: Rule = Rule {
    id: "config-unreadable",
    severity: "warning",
    meaning: "The managed configuration exists but cannot be read: permissions, not a regular file (a directory, FIFO or device is refused unread, so nothing blocks), or over 1 MiB. For `config check PATH` (or --managed-config PATH) an unreadable PATH is an error (exit 3).",
    fix: "Make it a regular file of at most 1 MiB that root can read (mdatp follows symbolic links, and so does this check).",
    basis: "Warning: mdatp may not see the file's settings; health shows what it applied and the other findings grade the effect, so a person looks within a day. Inferred: mdatp cannot use a file it cannot read; the path is documented.",
};

pub static CONFIG_INVALID_JSON: Rule = Rule {
    id: "config-invalid-json",
    severity: "critical",
    meaning: "The file is not valid JSON (line and column given), so mdatp ignores all of it.",
    fix: "Fix the syntax; `python3 -m json.tool FILE` shows where.",
    basis: "Critical: mdatp ignores the whole file, so every setting in it, offline updates and their verification among them, is lost at once. Inferred: mdatp ignores a file that is not valid JSON; Microsoft does not say what it does.",
};

pub static CONFIG_UNKNOWN_KEY: Rule = Rule {
    id: "config-unknown-key",
    severity: "warning",
    meaning: "A key or section mdatp does not know, with a did-you-mean suggestion; mdatp presumably ignores it and the setting keeps its default. For the misspelling offlineDefintionUpdateFallbackToCloud (in Microsoft's own samples) that is not established: those samples pair it with `offline_definition_update_fallback_to_cloud : false[managed]` in health, so health decides what mdatp applied (its fallback line, with or without [managed]); if mdatp ignores it, fallback keeps its default, undocumented on Linux and true in the macOS schema.",
    fix: "Rename it to the suggested key.",
    basis: "Warning: the setting keeps its default and a person should correct it within a day; health shows what mdatp applied. Documented keys: linux-preferences. That mdatp ignores an unknown key without a word is inferred (new builds add keys).",
};

pub static CONFIG_WRONG_SECTION: Rule = Rule {
    id: "config-wrong-section",
    severity: "critical for offline keys, else warning",
    meaning: "A documented key placed in the wrong section (offlineDefinitionUpdate under features), so mdatp ignores it.",
    fix: "Move it to the section named in the finding.",
    basis: "Critical: for an update key (offlineDefinition*, automatic updates, the interval) mdatp ignores it where it is, so the endpoint's updates are not set as the file says and it may not update; warning for other keys: a setting keeps its default, for a person within a day. Documented sections: linux-preferences and the offline page (the March 2024 draft put the key under features).",
};

pub static CONFIG_INVALID_VALUE: Rule = Rule {
    id: "config-invalid-value",
    severity: "critical for offline keys, else warning",
    meaning: "A value of the wrong type or outside its documented values (\"true\" as a string, a negative interval, a section that is not an object). That mdatp then keeps the default is inferred, not documented.",
    fix: "Write the value in the documented type.",
    basis: "Critical: for an update key (offlineDefinition*, automatic updates, the interval) mdatp keeps the default, so the endpoint's updates are not set as the file says and it may not update; warning for other keys and for a section that is not an object: a setting keeps its default, for a person within a day. Documented types and values: linux-preferences. That mdatp then keeps the default is inferred.",
};

pub static CONFIG_DUPLICATE_KEY: Rule = Rule {
    id: "config-duplicate-key",
    severity: "info, warning if it hides settings",
    meaning: "A key appears more than once in one object: mdatp keeps the last and ignores what the earlier ones hold (inferred from how JSON parsers treat duplicates; not documented), so a repeated section loses the first copy's settings, listed.",
    fix: "Merge the repeated sections into one, or keep one of the repeated keys.",
    basis: "Info: when the last copy holds everything, nothing mdatp applies changes; warning when an earlier copy holds settings mdatp does not see: a person merges them within a day. Inferred: JSON readers keep the last duplicate; Microsoft's own sample repeats keys as comments.",
};

pub static CONFIG_NOT_APPLIED: Rule = Rule {
    id: "config-not-applied",
    severity: "warning",
    meaning: "The file sets an offline-update value, but health shows a different value or no [managed] marker: mdatp did not take it.",
    fix: "Check the other config findings, the file's permissions, and any Intune or portal policy.",
    basis: "Warning: mdatp runs with another value than the file's; the health findings grade what that value does, and a person finds out why within a day. Inferred from health: [managed] marks a setting read from management (health-status).",
};

pub static CONFIG_VERIFY_SIG_OFF: Rule = Rule {
    id: "config-verify-sig-off",
    severity: "critical if disabled, warning if absent",
    meaning: "Offline updates are on (health, or the file) and features.offlineDefinitionUpdateVerifySig is \"disabled\" (documented: packages unverified before 101.26062.0005, ignored from it) or absent (inferred: Microsoft's 2024 sample shows unset as disabled). Not raised when offline updates are off: Microsoft's own sample profiles set \"disabled\" without using them. If health reports verification, verify-sig-disabled decides.",
    fix: "Set features.offlineDefinitionUpdateVerifySig to \"enabled\" (harmless on 101.26062.0005 and later, which ignore it), or run 101.26062.0005+ everywhere.",
    basis: "Critical: \"disabled\" while offline updates are on is the policy's verification off with offline on (before 101.26062.0005 a tampered package would be loaded); warning when absent: that absent means off is inferred, so a person sets it within a day. Documented: the setting, its deprecation from 101.26062.0005 (offline page) and Microsoft's March 2024 sample; absent meaning off is inferred from that sample.",
};

pub static CONFIG_URL_UNUSED: Rule = Rule {
    id: "config-url-unused",
    severity: "warning",
    meaning: "The file sets antivirusEngine.offlineDefinitionUpdateUrl while antivirusEngine.offlineDefinitionUpdate is \"disabled\" or unset (disabled by default): mdatp never asks the mirror, so the endpoint updates from the cloud or not at all. In `diagnose`, health decides (offline-update-disabled).",
    fix: "Set antivirusEngine.offlineDefinitionUpdate to \"enabled\" to use the mirror, or remove the URL.",
    basis: "Warning: the mirror someone set up is unused, and a person should decide within a day; nothing is unprotected. Documented: both keys and the disabled default (linux-preferences, offline page).",
};

pub static CONFIG_INTERVAL_RANGE: Rule = Rule {
    id: "config-interval-range",
    severity: "warning",
    meaning: "cloudService.definitionUpdatesInterval is outside a documented range (60-86400 s in the macOS schema, 0-86400 s in Intune's Linux setting); the finding says which bound and whose. What mdatp on Linux does with it is not documented.",
    fix: "Use a number of seconds from 60 to 86400 (the default is 28800, 8 hours).",
    basis: "Warning: what mdatp does outside the documented range is unknown, and updates may come less than daily; a person sets a documented value within a day. Documented ranges: 60–86400 s in the macOS schema (mdatp-xplat); 0–86400 in the Intune Linux setting (Microsoft365DSC's export).",
};

pub static CONFIG_TOO_COMPLEX: Rule = Rule {
    id: "config-too-complex",
    severity: "warning",
    meaning: "The file has more keys (over 25000), deeper nesting (over 32 levels) or more findings of one kind (over 50) than any real configuration: the check stopped there and says what it left out.",
    fix: "Look for a generated, concatenated or corrupted file; fix the findings shown, then run the check again.",
    basis: "Warning: the check stopped short and part of the file is unjudged; a person looks for a generated or corrupted file within a day. This tool's own limits on what it reads (keys, depth, findings).",
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
    &CONFIG_VERIFY_SIG_OFF,
    &CONFIG_URL_UNUSED,
    &CONFIG_INTERVAL_RANGE,
    &CONFIG_TOO_COMPLEX,
    &CONFIG_NOT_APPLIED,
];

/// Findings of one rule past this many are counted, not listed.
pub const MAX_FINDINGS_PER_RULE: usize = 50;
/// Key names and values longer than this are cut in titles and evidence.
const MAX_SHOWN: usize = 120;

/// The file as loaded, with its keys as scanned.
#[derive(Debug, Clone)]
pub struct ConfigFacts<'a> {
    pub path: &'a str,
    pub loaded: &'a Result<ManagedConfig, ConfigError>,
    pub keys: &'a Keys,
    pub judged: Judged<'a>,
}

/// What `diagnose` already judged from health and the mirror, so the file rules do not
/// say it twice. Empty (the default) for `config check`: the file alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct Judged<'a> {
    /// The mirror URL the url rules checked (the one in use). The file's URL is checked
    /// here only when it is another one.
    pub url: Option<&'a str>,
    /// Health says whether offline updates are on: a missing URL is the url rules' call.
    pub offline: bool,
    /// What health says of offline updates, when it says (else the file decides).
    pub offline_on: Option<bool>,
    /// Health reports signature verification: `verify-sig-*` decide, not the file.
    pub verify_sig: bool,
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
/// The file rules. `config check` runs them on the file alone; `diagnose` with what it
/// already judged.
pub fn file_findings(f: &ConfigFacts) -> Vec<Finding> {
    let path = f.path;
    let cfg = match f.loaded {
        Ok(cfg) => cfg,
        Err(e) => return vec![load_failure(path, e)],
    };
    let mut out = Vec::new();
    let groups = duplicate_groups(f.keys);
    let children = hidden_children(f.keys);
    for k in f.keys {
        if k.duplicate
            && !COMMENT_KEYS.contains(&k.key.as_str())
            && let Some(group) = groups.get(&(k.parent, k.key.as_str()))
            && group.last().is_some_and(|last| std::ptr::eq(*last, k))
        {
            out.push(duplicate(f, group, &children));
        }
        if k.ignored {
            continue; // mdatp does not see it; the duplicate finding says so
        }
        match f.keys.level(k) {
            0 => top_level(f, cfg, k, &mut out),
            1 | 2 => {
                let parent = f.keys.parent(k);
                let section = parent.join(".");
                if keys::is_checked_object(&section) {
                    let value = cfg.get_path(&parent, &k.key).unwrap_or(&Value::Null);
                    in_section(f, k, &section, value, &mut out);
                }
            }
            _ => {} // nothing documented lies deeper
        }
    }
    missing_url(f, cfg, &mut out);
    url_unused(f, cfg, &mut out);
    verify_sig(f, cfg, &mut out);
    limit(f, &mut out);
    out
}
fn dotted(f: &ConfigFacts, k: &KeyAt) -> String {
    clip(&f.keys.dotted(k))
}
/// A name or value cut to [`MAX_SHOWN`] characters, saying how long it was.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_string(),
    }
}
fn at(f: &ConfigFacts, k: &KeyAt) -> String {
    format!("{}:{}", f.path, k.line)
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
        // At the Linux path, mdatp on Linux reads JSON only: the profile is ignored there.
        ConfigError::MacosProfile { kind, .. } => CONFIG_INVALID_JSON.raise(Severity::Critical,
            format!("{path} is {kind}, a macOS profile: mdatp on Linux reads JSON only and ignores it"),
            vec![Evidence::new(path, "document", *kind)],
            "Write the Linux settings as JSON (the same sections and keys as the profile's), e.g. from Microsoft's sample mdatp_managed.json.".into(),
        ),
        other => CONFIG_UNREADABLE.raise(Severity::Warning,
            format!("The managed configuration cannot be read: {other}"),
            vec![Evidence::new(path, "file", other.to_string())],
            format!("Make {path} a regular file of at most 1 MiB that root can read (`ls -lL {path}`): mdatp reads it as root."),
        ),
    }
}
/// The occurrences of each repeated key, by the object holding it, in document order.
fn duplicate_groups(keys: &Keys) -> HashMap<(NodeId, &str), Vec<&KeyAt>> {
    let mut groups: HashMap<(NodeId, &str), Vec<&KeyAt>> = HashMap::new();
    for k in keys.iter().filter(|k| k.duplicate) {
        groups
            .entry((k.parent, k.key.as_str()))
            .or_default()
            .push(k);
    }
    // Each group still lacks its first occurrence (the one not marked duplicate).
    for k in keys.iter().filter(|k| !k.duplicate) {
        if let Some(g) = groups.get_mut(&(k.parent, k.key.as_str())) {
            g.insert(0, k);
        }
    }
    groups
}
/// The keys directly inside objects that a later duplicate replaces.
fn hidden_children(keys: &Keys) -> HashMap<NodeId, Vec<&KeyAt>> {
    let hidden: std::collections::HashSet<NodeId> = keys
        .iter()
        .filter(|k| k.ignored)
        .filter_map(|k| k.value)
        .collect();
    let mut out: HashMap<NodeId, Vec<&KeyAt>> = HashMap::new();
    for k in keys.iter().filter(|k| hidden.contains(&k.parent)) {
        out.entry(k.parent).or_default().push(k);
    }
    out
}
/// One finding per repeated key: where each occurrence is, which one mdatp keeps, and
/// what the earlier ones held that it does not see.
fn duplicate(
    f: &ConfigFacts,
    group: &[&KeyAt],
    children: &HashMap<NodeId, Vec<&KeyAt>>,
) -> Finding {
    const SHOWN: usize = 12;
    let last = group[group.len() - 1];
    let name = dotted(f, last);
    let mut evidence: Vec<Evidence> = group
        .iter()
        .take(SHOWN)
        .map(|k| {
            let status = if std::ptr::eq(*k, last) {
                "(kept: the last one)"
            } else {
                "(ignored: a later one replaces it)"
            };
            Evidence::new(at(f, k), name.clone(), status)
        })
        .collect();
    let hidden: Vec<&KeyAt> = group[..group.len() - 1]
        .iter()
        .filter_map(|k| k.value.and_then(|v| children.get(&v)))
        .flatten()
        .copied()
        .collect();
    let shown = SHOWN.saturating_sub(evidence.len());
    evidence.extend(
        hidden
            .iter()
            .take(shown)
            .map(|k| Evidence::new(at(f, k), dotted(f, k), "(ignored: in an earlier copy)")),
    );
    if hidden.len() > shown || group.len() > SHOWN {
        evidence.push(Evidence::new(
            f.path,
            name.clone(),
            format!(
                "… {} more not shown",
                hidden.len().saturating_sub(shown) + group.len().saturating_sub(SHOWN)
            ),
        ));
    }
    let inferred = "mdatp keeps the last one (inferred: that is what JSON parsers do with duplicates; Microsoft does not document it)";
    if hidden.is_empty() {
        CONFIG_DUPLICATE_KEY.raise(
            Severity::Info,
            format!("{name} appears {} times; the last one wins", group.len()),
            evidence,
            format!(
                "Keep one {name} in {}: {inferred}, and a reader (or a later edit) may take the wrong one.",
                f.path
            ),
        )
    } else {
        CONFIG_DUPLICATE_KEY.raise(
            Severity::Warning,
            format!(
                "{name} appears {} times: {} setting(s) in the earlier one(s) are ignored, only the last (line {}) counts",
                group.len(),
                hidden.len(),
                last.line
            ),
            evidence,
            format!(
                "Merge the copies of {name} in {} into one: {inferred}, so the settings listed here do nothing.",
                f.path
            ),
        )
    }
}
fn top_level(f: &ConfigFacts, cfg: &ManagedConfig, k: &KeyAt, out: &mut Vec<Finding>) {
    let key = k.key.as_str();
    if COMMENT_KEYS.contains(&key) {
        return;
    }
    let shown = clip(key);
    if SECTIONS.contains(&key) {
        if let Some(v) = cfg.root.get(key).filter(|v| !v.is_object()) {
            out.push(CONFIG_INVALID_VALUE.raise(Severity::Warning,
                format!("\"{key}\" is {}, not an object", json_type(v)),
                vec![Evidence::new(at(f, k), key, clip(&v.to_string()))],
                format!("Make \"{key}\" in {} an object of settings ({{ \"key\": value, ... }}); mdatp cannot read settings from anything else.", f.path),
            ));
        }
        return;
    }
    let ev = vec![Evidence::new(at(f, k), shown.clone(), "(top level)")];
    let homes = keys::other_sections("", key);
    if !homes.is_empty() {
        out.push(wrong_section(f, key, None, &homes, ev));
        return;
    }
    let suggestion = keys::suggest(key, SECTIONS.iter().copied());
    let rename = suggestion.map(|s| Edit::Rename {
        section: None,
        from: key.to_string(),
        to: s.to_string(),
    });
    out.push(fixed_by(f.path, rename, CONFIG_UNKNOWN_KEY.raise(Severity::Warning,
        format!("Unknown section \"{shown}\"{}", did_you_mean(suggestion)),
        ev,
        match suggestion {
            Some(s) => format!("Rename \"{shown}\" to \"{s}\" in {}: mdatp ignores sections it does not know, with everything in them.", f.path),
            None => format!("Remove \"{shown}\" from {} or check Microsoft's list of settings; mdatp ignores it.", f.path),
        },
    )));
}
/// A finding with the edit that resolves it in `file`, when there is one.
fn fixed_by(file: &str, edit: Option<Edit>, finding: Finding) -> Finding {
    match edit {
        Some(e) => finding.fixed_by(e, file),
        None => finding,
    }
}
fn did_you_mean(s: Option<&str>) -> String {
    s.map(|s| format!(" (did you mean \"{s}\"?)"))
        .unwrap_or_default()
}
fn wrong_section(
    f: &ConfigFacts,
    key: &str,
    from: Option<&str>,
    homes: &[&str],
    evidence: Vec<Evidence>,
) -> Finding {
    let here = from.map_or("the top level".to_string(), |s| format!("\"{s}\""));
    // One documented home: move it there (a key documented in several sections is for a
    // person to place).
    let edit = (homes.len() == 1).then(|| Edit::Move {
        from: from.map(str::to_string),
        key: key.to_string(),
        to: homes[0].to_string(),
    });
    let severity = if is_offline_key(key) {
        Severity::Critical
    } else {
        Severity::Warning
    };
    fixed_by(f.path, edit, CONFIG_WRONG_SECTION.raise(severity,
        format!(
            "\"{key}\" is under {here}, but mdatp reads it under \"{}\"",
            homes[0]
        ),
        evidence,
        format!(
            "Move \"{key}\" into the \"{}\" section of {}: where it is now, mdatp ignores it and keeps the default.",
            homes[0], f.path
        ),
    ))
}
fn in_section(f: &ConfigFacts, k: &KeyAt, section: &str, value: &Value, out: &mut Vec<Finding>) {
    let key = k.key.as_str();
    let ev = || {
        vec![Evidence::new(
            at(f, k),
            dotted(f, k),
            clip(&value.to_string()),
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
            let edit = retyped(spec.kind, value).map(|v| Edit::Set {
                section: section.to_string(),
                key: key.to_string(),
                value: v,
            });
            out.push(fixed_by(f.path, edit, CONFIG_INVALID_VALUE.raise(severity,
                format!("{section}.{key} has an invalid value: {problem}"),
                ev(),
                format!("Set {section}.{key} in {} to {}; mdatp ignores an invalid value and keeps the default (inferred: Microsoft does not document what it does).", f.path, expected(spec.kind)),
            )));
            return;
        }
        if spec.kind == Kind::Interval
            && let Some(n) = value.as_f64()
        {
            interval_range(f, n, ev(), out);
        }
        if section == "antivirusEngine"
            && key == "offlineDefinitionUpdateUrl"
            && let Some(url) = value.as_str().filter(|u| !u.trim().is_empty())
            && f.judged
                .url
                .is_none_or(|used| normalize_location(used) != normalize_location(url))
        {
            out.extend(super::url::file_url_findings(url, &at(f, k), f.path));
        }
        return;
    }
    let shown = clip(key);
    let homes = keys::other_sections(section, key);
    if !homes.is_empty() {
        out.push(wrong_section(f, key, Some(section), &homes, ev()));
        return;
    }
    let same_section = keys::KEYS
        .iter()
        .filter(|s| s.section == section)
        .map(|s| s.key);
    let suggestion = keys::suggest(key, same_section)
        .or_else(|| keys::suggest(key, keys::KEYS.iter().map(|s| s.key)));
    let consequence = match suggestion {
        // The hedging (Microsoft's samples pair this spelling with a [managed] value)
        // is the rule's meaning, shown by --explain.
        Some("offlineDefinitionUpdateFallbackToCloud") => {
            " Then check the fallback line of `mdatp health --details definitions`."
        }
        Some(_) => " mdatp ignores it: the setting keeps its default.",
        None => " Newer builds add keys: compare with Microsoft's list.",
    };
    // A rename in place only when the suggestion is a key of this very section.
    let rename = suggestion
        .filter(|s| keys::find(section, s).is_some())
        .map(|s| Edit::Rename {
            section: Some(section.to_string()),
            from: key.to_string(),
            to: s.to_string(),
        });
    out.push(fixed_by(
        f.path,
        rename,
        CONFIG_UNKNOWN_KEY.raise(
            Severity::Warning,
            format!("Unknown key {section}.{shown}{}", did_you_mean(suggestion)),
            ev(),
            match suggestion {
                Some(s) => format!("Rename \"{shown}\" to \"{s}\" in {}.{consequence}", f.path),
                None => format!("Check \"{shown}\" in {}.{consequence}", f.path),
            },
        ),
    ));
}
/// `config-interval-range`: which documented bound the interval crosses, and whose.
fn interval_range(f: &ConfigFacts, seconds: f64, evidence: Vec<Evidence>, out: &mut Vec<Finding>) {
    let (mac_lo, mac_hi) = INTERVAL_MACOS_SCHEMA;
    let (intune_lo, intune_hi) = INTERVAL_INTUNE_LINUX;
    let crossed = if seconds > mac_hi.max(intune_hi) as f64 {
        format!(
            "above {mac_hi} s (one day), the maximum of both the macOS schema ({mac_lo}-{mac_hi}) and Intune's Linux setting ({intune_lo}-{intune_hi})"
        )
    } else if seconds < mac_lo as f64 && seconds >= intune_lo as f64 {
        format!(
            "below {mac_lo} s, the minimum of the macOS schema ({mac_lo}-{mac_hi}); Intune's Linux setting allows {intune_lo}-{intune_hi}"
        )
    } else {
        return;
    };
    out.push(CONFIG_INTERVAL_RANGE.raise(
        Severity::Warning,
        format!("cloudService.definitionUpdatesInterval is {seconds} s: {crossed}"),
        evidence,
        format!(
            "Set cloudService.definitionUpdatesInterval in {} to a number of seconds from {mac_lo} to {mac_hi} (default 28800, 8 hours); what mdatp on Linux does outside the documented range is not documented.",
            f.path
        ),
    ));
}
/// `url-missing` from the file: it turns offline updates on and names no mirror.
fn missing_url(f: &ConfigFacts, cfg: &ManagedConfig, out: &mut Vec<Finding>) {
    if f.judged.offline || f.judged.url.is_some() || !cfg.offline_enabled() {
        return;
    }
    if cfg.offline_url().is_some_and(|u| !u.trim().is_empty()) {
        return;
    }
    let switch = Evidence::new(
        located(f, "antivirusEngine", "offlineDefinitionUpdate"),
        "antivirusEngine.offlineDefinitionUpdate",
        "\"enabled\"",
    );
    out.push(super::url::file_url_missing(f.path, switch));
}
/// `config-verify-sig-off`, unless health reports verification (then it decides).
fn enable_verify_sig() -> Edit {
    Edit::Set {
        section: "features".into(),
        key: "offlineDefinitionUpdateVerifySig".into(),
        value: Value::String("enabled".into()),
    }
}
/// The value in the type the key takes, when the intent is unmistakable: `"true"` for a
/// boolean, `true` for an enabled/disabled switch, `"3600"` for a number.
fn retyped(kind: Kind, v: &Value) -> Option<Value> {
    match (kind, v) {
        (Kind::Bool, Value::String(s)) => match s.trim() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        (Kind::SwitchOrObject, Value::Bool(b)) => Some(Value::String(
            if *b { "enabled" } else { "disabled" }.into(),
        )),
        (Kind::Enum(values), Value::Bool(b)) if values == keys::ON_OFF => Some(Value::String(
            if *b { "enabled" } else { "disabled" }.into(),
        )),
        (Kind::Enum(values), Value::String(s)) => values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(s.trim()) && **v != s.as_str())
            .map(|v| Value::String((*v).to_string())),
        (Kind::Int(..) | Kind::Interval, Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .map(|n| Value::Number(n.into())),
        _ => None,
    }
}
fn verify_sig(f: &ConfigFacts, cfg: &ManagedConfig, out: &mut Vec<Finding>) {
    const KEY: &str = "features.offlineDefinitionUpdateVerifySig";
    if f.judged.verify_sig {
        return;
    }
    let from = VERIFY_SIG_DEPRECATED_FROM;
    match cfg.get("features", "offlineDefinitionUpdateVerifySig") {
        // Verification of offline packages only matters where offline updates are on:
        // Microsoft's own sample profiles set "disabled" without enabling them.
        Some(Value::String(v)) if v == "disabled" && offline_on(f, cfg) => out.push(CONFIG_VERIFY_SIG_OFF.raise(
            Severity::Critical,
            format!("{KEY} is \"disabled\": before {from} a tampered package on the mirror would be loaded (from {from} the setting is ignored and packages are always verified)"),
            vec![Evidence::new(located(f, "features", "offlineDefinitionUpdateVerifySig"), KEY, "\"disabled\"")],
            format!("Set {KEY} to \"enabled\" in {}, or make sure every endpoint runs {from} or later.", f.path),
        ).fixed_by(enable_verify_sig(), f.path)),
        None if offline_on(f, cfg) => out.push(CONFIG_VERIFY_SIG_OFF.raise(
            Severity::Warning,
            format!("{KEY} is not set while offline updates are on: before {from} that may mean unverified packages (Microsoft's March 2024 sample shows the unset value as disabled)"),
            vec![
                Evidence::new(f.path, KEY, "(not set)"),
                Evidence::new(located(f, "antivirusEngine", "offlineDefinitionUpdate"), "antivirusEngine.offlineDefinitionUpdate", "\"enabled\""),
            ],
            format!("Add \"offlineDefinitionUpdateVerifySig\": \"enabled\" to the \"features\" section of {} (ignored, and harmless, from {from}).", f.path),
        ).fixed_by(enable_verify_sig(), f.path)),
        _ => {}
    }
}
/// Offline updates are on: as health says in `diagnose`, else as the file says.
fn offline_on(f: &ConfigFacts, cfg: &ManagedConfig) -> bool {
    f.judged.offline_on.unwrap_or_else(|| cfg.offline_enabled())
}
/// `config-url-unused`: the file names a mirror but leaves offline updates off, so mdatp
/// never asks the mirror. Health decides in `diagnose` (offline-update-disabled).
fn url_unused(f: &ConfigFacts, cfg: &ManagedConfig, out: &mut Vec<Finding>) {
    if f.judged.offline || cfg.offline_enabled() {
        return;
    }
    // The switch written elsewhere (under features, or in a repeated section mdatp does
    // not see) is the wrong-section or duplicate finding's to explain.
    if cfg
        .get("antivirusEngine", "offlineDefinitionUpdate")
        .is_none()
        && f.keys.iter().any(|k| k.key == "offlineDefinitionUpdate")
    {
        return;
    }
    let Some(url) = cfg.offline_url().filter(|u| !u.trim().is_empty()) else {
        return;
    };
    let switch = match cfg.get("antivirusEngine", "offlineDefinitionUpdate") {
        Some(v) => v.to_string(),
        None => "(not set: disabled by default)".into(),
    };
    out.push(CONFIG_URL_UNUSED.raise(
        Severity::Warning,
        format!("antivirusEngine.offlineDefinitionUpdateUrl is set but antivirusEngine.offlineDefinitionUpdate is {switch}: the mirror is ignored"),
        vec![
            Evidence::new(located(f, "antivirusEngine", "offlineDefinitionUpdate"), "antivirusEngine.offlineDefinitionUpdate", switch),
            Evidence::new(located(f, "antivirusEngine", "offlineDefinitionUpdateUrl"), "antivirusEngine.offlineDefinitionUpdateUrl", clip(url)),
        ],
        format!("To use the mirror, set antivirusEngine.offlineDefinitionUpdate to \"enabled\" in {}; otherwise remove the URL.", f.path),
    ));
}
/// `path:line` of the key that is in effect at `section.key`, else the path.
fn located(f: &ConfigFacts, section: &str, key: &str) -> String {
    f.keys
        .iter()
        .find(|k| {
            !k.ignored && k.key == key && f.keys.level(k) == 1 && f.keys.parent(k) == [section]
        })
        .map(|k| at(f, k))
        .unwrap_or_else(|| f.path.to_string())
}
/// Keeps at most [`MAX_FINDINGS_PER_RULE`] of each rule and says what the scan and
/// this cut left out.
fn limit(f: &ConfigFacts, out: &mut Vec<Finding>) {
    let mut seen: HashMap<&'static str, usize> = HashMap::new();
    out.retain(|x| {
        let n = seen.entry(x.id).or_default();
        *n += 1;
        *n <= MAX_FINDINGS_PER_RULE
    });
    let mut evidence = Vec::new();
    if f.keys.unlisted > 0 {
        evidence.push(Evidence::new(
            f.path,
            "keys",
            format!(
                "{} keys, over the {} checked; the {} after them were not checked",
                f.keys.len() + f.keys.unlisted,
                scan::MAX_KEYS,
                f.keys.unlisted
            ),
        ));
    }
    if f.keys.too_deep() {
        evidence.push(Evidence::new(
            f.path,
            "nesting",
            format!(
                "{} levels deep; nothing below level {} was checked",
                f.keys.max_depth,
                scan::MAX_DEPTH
            ),
        ));
    }
    let mut cut: Vec<(&str, usize)> = seen
        .into_iter()
        .filter(|(_, n)| *n > MAX_FINDINGS_PER_RULE)
        .collect();
    cut.sort();
    for (id, n) in cut {
        evidence.push(Evidence::new(
            f.path,
            id,
            format!(
                "{n} findings; the first {MAX_FINDINGS_PER_RULE} are shown, {} more are not",
                n - MAX_FINDINGS_PER_RULE
            ),
        ));
    }
    if !evidence.is_empty() {
        out.push(CONFIG_TOO_COMPLEX.raise(
            Severity::Warning,
            format!(
                "{} is larger or deeper than any real configuration; the check stopped short",
                f.path
            ),
            evidence,
            format!(
                "Look for a generated, concatenated or corrupted {}; fix what is shown and check again.",
                f.path
            ),
        ));
    }
}
fn type_problem(kind: Kind, v: &Value) -> Option<String> {
    match (kind, v) {
        (Kind::Bool, Value::Bool(_)) => None,
        (Kind::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Some(format!("\"{s}\" is a string, not a boolean"))
        }
        (Kind::Enum(allowed), Value::String(s)) if allowed.contains(&s.as_str()) => None,
        (Kind::Enum(allowed), Value::String(s)) => Some(format!(
            "\"{}\" is not one of {}",
            clip(s),
            allowed.join(", ")
        )),
        (Kind::SwitchOrObject, Value::Object(_)) => None,
        (Kind::SwitchOrObject, v) => type_problem(Kind::Enum(keys::ON_OFF), v),
        (Kind::Int(lo, hi), Value::Number(n)) => match n.as_i64() {
            Some(i) if (lo..=hi).contains(&i) => None,
            _ => Some(format!("{n} is not a whole number from {lo} to {hi}")),
        },
        (Kind::Interval, Value::Number(n)) if n.as_f64().is_some_and(|x| x >= 0.0) => None,
        (Kind::Interval, Value::Number(n)) => {
            Some(format!("{n} is negative: not a number of seconds"))
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
        Value::String(s) => format!("the string \"{}\"", clip(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}
fn expected(kind: Kind) -> String {
    match kind {
        Kind::Bool => "true or false (no quotes)".into(),
        Kind::Enum(allowed) => format!("one of \"{}\"", allowed.join("\", \"")),
        Kind::SwitchOrObject => {
            "\"enabled\" or \"disabled\" (or an object of scan settings)".into()
        }
        Kind::Int(lo, hi) => format!("a whole number from {lo} to {hi}"),
        Kind::Interval => "a number of seconds from 60 to 86400".into(),
        Kind::String => "a string".into(),
        Kind::Array => "a list".into(),
        Kind::Object => "an object".into(),
    }
}
/// `config-not-applied`: the file sets a value that health does not show as managed.
/// `unused` is what became of the file's URL when mdatp uses another (`--probe-all`).
pub fn not_applied(
    cfg: &ManagedConfig,
    path: &str,
    health: &Health,
    unused: Option<&UnusedUrl>,
) -> Vec<Finding> {
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
        let same = same_setting(file_value, &health_value);
        if same && (field.managed || !marked) {
            continue;
        }
        let why = if same {
            "without the [managed] marker"
        } else {
            "with a different value"
        };
        let mut evidence = vec![
            Evidence::new(path, format!("{section}.{key}"), file_value.to_string()),
            Evidence::new(
                "health",
                *field_name,
                format!(
                    "{}{}",
                    health_value,
                    if field.managed { " [managed]" } else { "" }
                ),
            ),
        ];
        // Whether the file's mirror would work, when it is not the one in use.
        if let Some(u) = unused.filter(|_| *key == "offlineDefinitionUpdateUrl" && !same) {
            evidence.push(Evidence::new("probe", "the file's URL", unused_summary(u)));
        }
        out.push(CONFIG_NOT_APPLIED.raise(Severity::Warning,
            format!("{section}.{key} is set in the file, but mdatp shows {field_name} {why}"),
            evidence,
            format!(
                "mdatp did not take the file's value: check the other config-* findings (spelling, section, JSON), that {path} is readable by root, and whether an Intune or portal policy sets it instead."
            ),
        ));
    }
    out
}

/// Whether the file's value and the one health shows are the same setting (a URL's
/// trailing slash aside).
pub fn same_setting(file: &Value, shown: &Value) -> bool {
    match (file, shown) {
        (Value::String(a), Value::String(b)) => a.trim_end_matches('/') == b.trim_end_matches('/'),
        (a, b) => a == b,
    }
}

/// What a probe of the file's (unused) URL found, in one line.
fn unused_summary(u: &UnusedUrl) -> String {
    if !u.probed {
        return "not probed to the end: mdatp uses the other URL (--probe-all probes both)".into();
    }
    if u.probes.is_empty() {
        return "not probed: not a URL or path this tool can probe".into();
    }
    u.probes
        .iter()
        .map(|p| match p.steps.iter().find(|s| !s.ok) {
            Some(step) => format!(
                "{}: {} failed: {}",
                p.arch,
                step.name,
                step.error
                    .as_ref()
                    .map(|e| e.message.as_str())
                    .unwrap_or("?")
            ),
            None => match &p.manifest {
                Some(m) => format!("{}: answers, definitions {}", p.arch, m.definition_version),
                None => format!("{}: answers", p.arch),
            },
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
