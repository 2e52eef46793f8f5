//! The switches that make an endpoint pull from its mirror: offline updates, automatic
//! updates, the enforcement level.

use super::prelude::*;

/// The first build with the `audit` enforcement level.
const AUDIT_FROM: &str = "101.26062.0007";

pub static OFFLINE_UPDATE_DISABLED: Rule = Rule {
    id: "offline-update-disabled",
    severity: "warning (info when no mirror is configured)",
    meaning: "offline_definition_update is disabled: the endpoint takes updates from Microsoft's cloud, not the mirror. Info on a cloud-only endpoint (no URL in health or the file, the file does not enable the feature); a warning when a mirror is configured but never asked.",
    fix: "Set antivirusEngine.offlineDefinitionUpdate to \"enabled\" in the managed configuration (not under features).",
    basis: "Warning: a mirror is configured (in health or the file) but never asked, so a person should decide within a day which source the endpoint uses; info when no mirror is configured: cloud-only is Microsoft's documented default, a healthy state. Documented: the conditions for pulls from the mirror (offline page).",
};

pub static AUTOMATIC_UPDATE_DISABLED: Rule = Rule {
    id: "automatic-update-disabled",
    severity: "warning",
    meaning: "automatic_definition_update_enabled is false: nothing pulls unless someone runs `mdatp definitions update`.",
    fix: "Set cloudService.automaticDefinitionUpdateEnabled to true.",
    basis: "Warning: nothing is unprotected yet, but no update comes until someone pulls by hand, so a person should act within a day; definitions-stale turns critical past the critical age. Documented: the conditions for pulls from the mirror (offline page).",
};

pub static ENFORCEMENT_NOT_REALTIME: Rule = Rule {
    id: "enforcement-not-realtime",
    severity: "warning",
    meaning: "Automatic pulls from the mirror only happen when the enforcement level is real_time; this endpoint runs passive, on_demand or audit. Read from antivirus_enforcement_level (101.26052.0012+), enforcement_level, the real-time booleans on builds without audit, or the managed file (documented: linux-preferences, release notes).",
    fix: "Set antivirusEngine.enforcementLevel to \"real_time\", or schedule `mdatp definitions update`.",
    basis: "Warning: offline updates are on but this level makes no automatic pulls, so a person should act within a day; the definitions in place stay, and definitions-stale turns critical past the critical age. Documented: only real_time pulls (offline page); the level fields (release notes); audit vs the real-time boolean is inferred.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &OFFLINE_UPDATE_DISABLED,
    &AUTOMATIC_UPDATE_DISABLED,
    &ENFORCEMENT_NOT_REALTIME,
];

/// The level from health (`antivirus_enforcement_level` on 101.26052.0012+, else
/// `enforcement_level`), else from the real-time booleans where they can tell, else the
/// managed file. Audit (101.26062.0007+) keeps real-time protection on, so on builds that
/// may run audit the boolean alone cannot say real_time.
pub(super) fn enforcement(s: &Snapshot) -> Option<(String, Evidence)> {
    for name in ["antivirus_enforcement_level", "enforcement_level"] {
        if let Some(level) = s.str(name).filter(|l| !l.trim().is_empty()) {
            return Some((level.to_string(), ev(s, name)));
        }
    }
    let audit_possible = app_version(s)
        .and_then(|v| compare_versions(v, AUDIT_FROM))
        .is_none_or(|o| o != Ordering::Less);
    match (
        s.bool("passive_mode_enabled"),
        s.bool("real_time_protection_enabled"),
    ) {
        (Some(true), _) => return Some(("passive".into(), ev(s, "passive_mode_enabled"))),
        (_, Some(true)) if !audit_possible => {
            return Some(("real_time".into(), ev(s, "real_time_protection_enabled")));
        }
        (Some(false), Some(false)) => {
            return Some(("on_demand".into(), ev(s, "real_time_protection_enabled")));
        }
        _ => {}
    }
    let level = s
        .config()?
        .get("antivirusEngine", "enforcementLevel")?
        .as_str()?;
    Some((
        level.to_string(),
        Evidence::new(&s.config.path, "antivirusEngine.enforcementLevel", level),
    ))
}

pub(super) fn feature_switches(s: &Snapshot, out: &mut Vec<Finding>) {
    if offline_enabled(s) == Some(false) {
        // A cloud-only endpoint is not a problem; one with a mirror set up for it that
        // is never asked is.
        let wanted = mirror_configured(s) || file_enables_offline(s);
        let (severity, title) = if wanted {
            (
                Severity::Warning,
                "Offline security intelligence updates are disabled although a mirror is configured: the endpoint updates from Microsoft's cloud",
            )
        } else {
            (
                Severity::Info,
                "Offline security intelligence updates are off: this endpoint updates from Microsoft's cloud (no mirror is configured)",
            )
        };
        let mut evidence = vec![
            ev(s, "offline_definition_update"),
            ev(s, "offline_definition_url_configured"),
        ];
        if let Some((url, source)) = &s.mirror.url {
            evidence.push(Evidence::new(
                source.as_str(),
                "antivirusEngine.offlineDefinitionUpdateUrl",
                url,
            ));
        }
        out.push(OFFLINE_UPDATE_DISABLED.raise(severity,
            title.into(),
            evidence,
            format!(
                "To use the mirror, set antivirusEngine.offlineDefinitionUpdate to \"enabled\" in {} (not under \"features\").",
                s.config.path
            ),
        ));
    }
    if s.bool("automatic_definition_update_enabled") == Some(false) {
        out.push(AUTOMATIC_UPDATE_DISABLED.raise(Severity::Warning,
            "Automatic security intelligence updates are disabled: only a manual `mdatp definitions update` pulls".into(),
            vec![ev(s, "automatic_definition_update_enabled")],
            format!("Set cloudService.automaticDefinitionUpdateEnabled to true in {}.", s.config.path),
        ));
    }
    if offline_enabled(s) == Some(true)
        && let Some((level, evidence)) = enforcement(s)
        && level != "real_time"
    {
        out.push(ENFORCEMENT_NOT_REALTIME.raise(Severity::Warning,
            format!("Enforcement level is {level}: automatic pulls from the mirror only happen in real_time"),
            vec![evidence],
            format!(
                "Set antivirusEngine.enforcementLevel to \"real_time\" in {}, or schedule `mdatp definitions update` (e.g. with a systemd timer).",
                s.config.path
            ),
        ));
    }
}
