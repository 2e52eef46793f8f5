//! Sequences across runs (the run history): the re-enable known issue, `reenable-*`.

use super::prelude::*;

pub static REENABLE_BUG: Rule = Rule {
    id: "reenable-bug",
    severity: "critical",
    meaning: "The known issue (documented only on the French offline-update page): offline update was enabled and served from the mirror, then disabled, then enabled again, and now updates fail (a fail reason, or definitions past the warning age); a fresh cloud update with nothing failed is not enough, since every re-enabled endpoint shows one until the mirror has something newer. The run history shows the toggles with their times. Microsoft's only mitigation text is \"a fix is planned\"; later builds may have fixed it (not stated; fixes to the update flow have shipped since). A restart does not trigger an offline pull since 101.26032.0000 (at most one per interval), and cloud fallback cannot help endpoints without internet access.",
    fix: "No documented fix. Upgrade mdatp to the current build, then run `mdatp definitions update` and read the outcome.",
    basis: "Critical: after the toggles the endpoint's offline updates fail and Microsoft documents no fix, so an endpoint without internet access will not update. Documented only on the French offline page (Microsoft: 'a fix is planned'); the toggle sequence is this tool's run history.",
};

pub static REENABLE_BUG_SUSPECTED: Rule = Rule {
    id: "reenable-bug-suspected",
    severity: "info",
    meaning: "An update failed with offline updates on and fallback off, its fail reason names no download or network error, and there is no run history to prove or rule out the toggle sequence of the known issue (inferred from the French page's description). A hint beside definitions-update-failed, never a verdict of its own.",
    fix: "If the feature was toggled off and on, see reenable-bug; otherwise follow the fail reason.",
    basis: "Info: a possible explanation, not a state; the failure itself is definitions-update-failed. Inferred from the French page (\"Problèmes connus\"): the known issue needs a cloud update between the toggles, so a plain download failure is not evidence of it.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&REENABLE_BUG, &REENABLE_BUG_SUSPECTED];

/// The known issue: enabled → disabled → re-enabled, after which offline updates fail.
pub(super) fn reenable(s: &Snapshot, out: &mut Vec<Finding>) {
    if offline_enabled(s) != Some(true) {
        return;
    }
    let configured = s.str("offline_definition_url_configured").unwrap_or("");
    let reason = s
        .str("definitions_update_fail_reason")
        .is_some_and(|r| !r.trim().is_empty());
    let is_stale =
        definitions_age(s).is_some_and(|(age, _)| s.warn_age().alerts(age.as_secs_f64()));
    // The known issue is a failure after the toggles. A fresh cloud update with nothing
    // failed is also what every re-enabled endpoint shows until the mirror has something
    // newer (url-mismatch says so): no failure, no claim.
    if !(reason || is_stale) {
        return;
    }
    let fix = "No documented fix (`--explain reenable-bug` says why). Upgrade mdatp to the current build, then run `mdatp definitions update` and read the outcome.";
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
        && reason
        && !names_download_error(s.str("definitions_update_fail_reason").unwrap_or(""))
        && s.bool("offline_definition_update_fallback_to_cloud") == Some(false)
    {
        // A failure, not a mere cloud source (url-mismatch) or staleness (definitions-stale):
        // Microsoft's own up-to-date sample has a cloud source with fallback off.
        out.push(REENABLE_BUG_SUSPECTED.raise(Severity::Info,
            "Offline updates fail with fallback off: was the feature disabled and enabled again? (a known issue)".into(),
            vec![ev(s, "definitions_update_source_uri"), ev(s, "definitions_update_fail_reason"), ev(s, "offline_definition_update_fallback_to_cloud")],
            "If offlineDefinitionUpdate was toggled off and on, see `--explain reenable-bug`; otherwise follow the fail reason.".into(),
        ));
    }
}

/// The fail reason names a download or network failure: the mirror is the cause, not
/// the toggle sequence of the known issue.
fn names_download_error(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    [
        "download",
        "network",
        "connect",
        "timeout",
        "timed out",
        "resolve",
        "dns",
        "http",
        "proxy",
        "unreachable",
        "ssl",
        "tls",
        "certificate",
        "404",
        "403",
    ]
    .iter()
    .any(|w| r.contains(w))
}
