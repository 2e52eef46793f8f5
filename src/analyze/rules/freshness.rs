//! How old the definitions are and whether the last update failed: `definitions-*`.

use super::prelude::*;

pub static DEFINITIONS_UPDATE_FAILED: Rule = Rule {
    id: "definitions-update-failed",
    severity: "critical",
    meaning: "definitions_update_fail_reason is not empty (quoted verbatim), or definitions_status is update_failed. could_be_older alone is transient and not a failure.",
    fix: "Check the mirror with `mdatp-doctor connectivity`, fix it, run `mdatp-doctor update`.",
    basis: "Critical: the last update failed, so the endpoint will not update until the cause is fixed. Documented: definitions_update_fail_reason and the troubleshooting steps (offline page).",
};

pub static DEFINITIONS_STALE: Rule = Rule {
    id: "definitions-stale",
    severity: "warning / critical",
    meaning: "The definitions are older than --warn-age (default 24 h or twice the update interval, whichever is larger) or --crit-age (default 72 h); the age comes from definitions_updated, and an absurd definitions_updated_minutes_ago is reported, not believed.",
    fix: "Run `mdatp-doctor update` and read its outcome.",
    basis: "Warning: past --warn-age the definitions in place still protect but no update is arriving, so a person looks within a day; critical past --crit-age, the policy's stale past the critical threshold. Inferred thresholds (24 h or twice the interval, 72 h); the 8 h default interval is documented (linux-preferences).",
};

pub static DEFINITIONS_MISSING: Rule = Rule {
    id: "definitions-missing",
    severity: "critical",
    meaning: "definitions_version is 0.0.0.0 or absent in the definitions output: the endpoint has no security intelligence loaded (documented value of a device that never updated: health-status). The integer versions of 2020 builds (definitionsVersion : 79932) are versions.",
    fix: "Run `mdatp-doctor update` and read its outcome; `mdatp-doctor connectivity` shows whether the mirror serves a package.",
    basis: "Critical: the policy's no definitions: without security intelligence the endpoint is unprotected. Documented field (health-status); reading 0.0.0.0 or an absent version as no definitions is inferred.",
};

pub static DEFINITIONS_UNAVAILABLE: Rule = Rule {
    id: "definitions-unavailable",
    severity: "critical (warning when offline updates are off)",
    meaning: "definitions_status is unavailable: mdatp cannot tell or has no usable definitions (documented status: health-status).",
    fix: "Run `mdatp-doctor update`; if it fails, `mdatp-doctor connectivity` says why the mirror does not serve.",
    basis: "Critical: with offline updates on, mdatp has no usable definitions and the mirror is not giving it any; warning when offline updates are off: the cloud, not a mirror, is the source, and a person looks within a day. Documented status (health-status).",
};

pub static DEFINITIONS_UPDATING: Rule = Rule {
    id: "definitions-updating",
    severity: "info (warning when it stays so across runs for an hour)",
    meaning: "definitions_status is updating: an update is in progress (documented: health-status). Seen in the run history for an hour or more, it is stuck (inferred: an update takes minutes, mdatp documents >120 s for a manual one).",
    fix: "Wait for the update to end; if it stays `updating`, `systemctl restart mdatp` and read `journalctl -u mdatp`.",
    basis: "Info: an update in progress is a normal, documented state; warning when the run history shows it `updating` for an hour or more: it looks stuck, and a person looks within a day. Documented status (health-status); an hour as stuck is inferred.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &DEFINITIONS_UPDATE_FAILED,
    &DEFINITIONS_STALE,
    &DEFINITIONS_MISSING,
    &DEFINITIONS_UNAVAILABLE,
    &DEFINITIONS_UPDATING,
];

pub(super) fn update_failed(s: &Snapshot, out: &mut Vec<Finding>) {
    let reason = s
        .str("definitions_update_fail_reason")
        .filter(|r| !r.trim().is_empty());
    let failed_status = s.str("definitions_status").map(DefinitionsStatus::parse)
        == Some(DefinitionsStatus::UpdateFailed);
    if reason.is_none() && !failed_status {
        return;
    }
    let title = match reason {
        Some(r) => format!("The last security intelligence update failed: \"{r}\""),
        None => {
            "The last security intelligence update failed (definitions_status is update_failed)"
                .into()
        }
    };
    out.push(DEFINITIONS_UPDATE_FAILED.raise(Severity::Critical,
        title,
        vec![ev(s, "definitions_status"), ev(s, "definitions_update_fail_reason")],
        "Check the mirror with `mdatp-doctor connectivity`, fix what it reports, then run `mdatp definitions update` (or `mdatp-doctor update`) and check that the fail reason is empty.".into(),
    ));
}
pub(super) fn stale(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some((age, evidence)) = definitions_age(s) else {
        return;
    };
    let (warn, crit) = (s.warn_age(), s.thresholds.crit_age);
    let secs = age.as_secs_f64();
    let severity = if crit.alerts(secs) {
        Severity::Critical
    } else if warn.alerts(secs) {
        Severity::Warning
    } else {
        return;
    };
    out.push(DEFINITIONS_STALE.raise(severity,
        format!("Security intelligence is {} old (warning {}, critical {})", human_age(age), describe_range(&warn), describe_range(&crit)),
        evidence,
        "Run `mdatp-doctor update` (or `mdatp definitions update`) and read the outcome; if it fails, `mdatp-doctor connectivity` shows why the mirror does not serve.".into(),
    ));
}
/// "after 24 hours" for the usual upper bound, the plugin syntax for anything else.
fn describe_range(r: &Range) -> String {
    match r.upper_bound() {
        Some(e) => format!("after {}", human_age(Duration::from_secs_f64(e.max(0.0)))),
        None => format!("in range {} s", r.to_plugin_syntax()),
    }
}

/// No definitions at all, or a status that says none are usable or one is stuck.
pub(super) fn status(s: &Snapshot, out: &mut Vec<Finding>) {
    if s.definitions.is_some() {
        // 2020 builds print an integer (definitionsVersion : 79932): a version all the same.
        let version = s
            .field("definitions_version")
            .map(|f| match f.value.as_i64() {
                Some(n) => n.to_string(),
                None => f.value.as_str().unwrap_or("").trim().to_string(),
            });
        if version.is_none_or(|v| v.is_empty() || v == "0.0.0.0" || v == "0") {
            out.push(DEFINITIONS_MISSING.raise(
                Severity::Critical,
                "The endpoint has no security intelligence loaded (definitions_version is 0.0.0.0 or absent)".into(),
                vec![ev(s, "definitions_version"), ev(s, "definitions_status")],
                "Run `mdatp-doctor update` and read its outcome; if it fails, `mdatp-doctor connectivity` shows whether the mirror serves a package.".into(),
            ));
        }
    }
    match s.str("definitions_status").map(DefinitionsStatus::parse) {
        Some(DefinitionsStatus::Unavailable) => {
            let severity = if offline_enabled(s) == Some(true) {
                Severity::Critical
            } else {
                Severity::Warning
            };
            out.push(DEFINITIONS_UNAVAILABLE.raise(
                severity,
                "mdatp reports its security intelligence as unavailable".into(),
                vec![ev(s, "definitions_status"), ev(s, "definitions_version"), ev(s, "definitions_update_fail_reason")],
                "Run `mdatp-doctor update` and read the outcome; if it fails, `mdatp-doctor connectivity` says why the mirror does not serve.".into(),
            ));
        }
        Some(DefinitionsStatus::Updating) => {
            // How long it has said so: the oldest run of an unbroken `updating` streak.
            let since = s
                .history
                .iter()
                .rev()
                .take_while(|e| e.status.as_deref() == Some("updating"))
                .last()
                .map(|e| e.time);
            let stuck_for = since
                .map(|t| s.now.as_second() - t.as_second())
                .filter(|secs| *secs >= 3600);
            let (severity, title) = match stuck_for {
                Some(secs) => (
                    Severity::Warning,
                    format!(
                        "Security intelligence has been `updating` for {} across runs: the update looks stuck",
                        human_age(Duration::from_secs(secs.unsigned_abs()))
                    ),
                ),
                None => (
                    Severity::Info,
                    "An update of the security intelligence is in progress".to_string(),
                ),
            };
            let mut evidence = vec![ev(s, "definitions_status")];
            if let Some(t) = since {
                evidence.push(Evidence::new("history", "updating since", t.to_string()));
            }
            out.push(DEFINITIONS_UPDATING.raise(
                severity,
                title,
                evidence,
                "Wait for it to end (`mdatp-doctor update` waits and reports); if it stays `updating`, `systemctl restart mdatp` and read `journalctl -u mdatp`.".into(),
            ));
        }
        _ => {}
    }
}
