//! How old the definitions are and whether the last update failed: `definitions-*`.

use super::prelude::*;

pub static DEFINITIONS_UPDATE_FAILED: Rule = Rule {
    id: "definitions-update-failed",
    severity: "critical",
    meaning: "definitions_update_fail_reason is not empty (quoted verbatim), or definitions_status is update_failed. could_be_older alone is transient and not a failure.",
    fix: "Check the mirror with `mdatp-doctor connectivity`, fix it, run `mdatp-doctor update`.",
};

pub static DEFINITIONS_STALE: Rule = Rule {
    id: "definitions-stale",
    severity: "warning / critical",
    meaning: "The definitions are older than --warn-age (default 24 h or twice the update interval, whichever is larger) or --crit-age (default 72 h); the age comes from definitions_updated, and an absurd definitions_updated_minutes_ago is reported, not believed.",
    fix: "Run `mdatp-doctor update` and read its outcome.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&DEFINITIONS_UPDATE_FAILED, &DEFINITIONS_STALE];

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
