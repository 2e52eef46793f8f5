//! Sequences across runs (the run history): the re-enable known issue, `reenable-*`.

use super::prelude::*;

pub static REENABLE_BUG: Rule = Rule {
    id: "reenable-bug",
    severity: "critical",
    meaning: "The known mdatp issue: offline update was enabled and served from the mirror, then disabled, then enabled again, and now updates do not come from the mirror; the run history shows the toggles with their times.",
    fix: "systemctl restart mdatp, mdatp definitions update, check again; if it persists enable offlineDefinitionUpdateFallbackToCloud for now and upgrade mdatp. Microsoft has published no fix version.",
};

pub static REENABLE_BUG_SUSPECTED: Rule = Rule {
    id: "reenable-bug-suspected",
    severity: "warning",
    meaning: "The same symptoms with fallback off, but no run history to prove the toggle sequence.",
    fix: "If the feature was toggled off and on, apply the reenable-bug fix.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&REENABLE_BUG, &REENABLE_BUG_SUSPECTED];

/// The known issue: enabled → disabled → re-enabled, after which offline updates fail.
pub(super) fn reenable(s: &Snapshot, out: &mut Vec<Finding>) {
    if offline_enabled(s) != Some(true) {
        return;
    }
    let configured = s.str("offline_definition_url_configured").unwrap_or("");
    let source = s.str("definitions_update_source_uri").unwrap_or("");
    let not_from_mirror = !source.is_empty() && !is_mirror_source(source, configured);
    let reason = s
        .str("definitions_update_fail_reason")
        .is_some_and(|r| !r.trim().is_empty());
    let is_stale =
        definitions_age(s).is_some_and(|(age, _)| s.warn_age().alerts(age.as_secs_f64()));
    if !(not_from_mirror || reason || is_stale) {
        return;
    }
    let fix = "Restart the daemon (`systemctl restart mdatp`), run `mdatp definitions update`, and check again. If it persists, enable antivirusEngine.offlineDefinitionUpdateFallbackToCloud for the time being and upgrade mdatp. Microsoft has published no fix version for this issue.";
    let h = &s.history;
    let enabled_from_mirror = h.iter().position(|e| {
        e.offline_enabled == Some(true)
            && e.source_uri
                .as_deref()
                .is_some_and(|src| is_mirror_source(src, e.url.as_deref().unwrap_or(configured)))
    });
    let disabled = enabled_from_mirror.and_then(|i| {
        h.iter()
            .skip(i + 1)
            .position(|e| e.offline_enabled == Some(false))
            .map(|j| i + 1 + j)
    });
    let reenabled = disabled.and_then(|j| {
        h.iter()
            .skip(j + 1)
            .position(|e| e.offline_enabled == Some(true))
            .map(|k| j + 1 + k)
    });
    if let (Some(i), Some(j), Some(k)) = (enabled_from_mirror, disabled, reenabled) {
        out.push(REENABLE_BUG.raise(Severity::Critical,
            "Offline updates stopped working after the feature was disabled and enabled again (a known mdatp issue)".into(),
            vec![
                Evidence::new("history", "enabled, updated from the mirror", h[i].time.to_string()),
                Evidence::new("history", "disabled", h[j].time.to_string()),
                Evidence::new("history", "enabled again", h[k].time.to_string()),
                ev(s, "definitions_update_source_uri"),
                ev(s, "definitions_update_fail_reason"),
            ],
            fix.into(),
        ));
    } else if h.len() < 2
        && (not_from_mirror || reason)
        && s.bool("offline_definition_update_fallback_to_cloud") == Some(false)
    {
        // Staleness alone is definitions-stale's business, not a sign of the toggle bug.
        out.push(REENABLE_BUG_SUSPECTED.raise(Severity::Warning,
            "Offline updates fail or bypass the mirror: was the feature disabled and enabled again? (a known mdatp issue)".into(),
            vec![ev(s, "definitions_update_source_uri"), ev(s, "definitions_update_fail_reason"), ev(s, "offline_definition_update_fallback_to_cloud")],
            format!("If offlineDefinitionUpdate was toggled off and on: {fix}"),
        ));
    }
}
