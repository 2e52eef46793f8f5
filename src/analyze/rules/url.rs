//! The configured mirror location, and whether updates really come from it: `url-*`.

use super::prelude::*;
use crate::managed::edit::Edit;
use crate::mirror::url::{Checked, UrlProblem};

pub static URL_MISSING: Rule = Rule {
    id: "url-missing",
    severity: "critical (info when the feature is off, warning when that is not known)",
    meaning: "No mirror URL in health (offline_definition_url_configured) nor in the managed configuration.",
    fix: "Set antivirusEngine.offlineDefinitionUpdateUrl to the mirror's ring folder, e.g. http://mirror:8000/linux/production/.",
    basis: "Critical: offline updates are on (in health or the file) and no mirror is named, so the endpoint has nowhere to take its offline updates from; info when health says the feature is off (a cloud-only endpoint is a documented healthy state: nothing to probe); warning when that is not known (`connectivity` without health): a person sets the URL if a mirror is meant to be used. Documented: offlineDefinitionUpdateUrl (offline page).",
};

pub static URL_MALFORMED: Rule = Rule {
    id: "url-malformed",
    severity: "critical (warning for a URL without a scheme)",
    meaning: "The configured URL cannot be used: an unsupported scheme, or unparseable (critical); or it has no scheme (host:8000/linux/production/). How mdatp treats a URL without a scheme is not documented, and Microsoft's own example on the French page has none, so that case is a warning: this tool cannot probe it, and the update findings say whether mdatp could.",
    fix: "Write it with http://, https:// or as an absolute directory path; the finding suggests the corrected value.",
    basis: "Critical: an unsupported scheme or an unparseable URL cannot be fetched, so the endpoint will not update from the mirror; warning for a URL without a scheme: mdatp may still read it, and the update findings say whether it did. The seed's own example has no scheme; how mdatp reads one is not documented.",
};

pub static URL_INCLUDES_ARCH: Rule = Rule {
    id: "url-includes-arch",
    severity: "critical",
    meaning: "The URL contains arch_x86_64 or arch_arm64; the endpoint appends arch_<arch>/ itself and asks for a folder that does not exist.",
    fix: "Cut the URL at the ring folder (…/linux/production/).",
    basis: "Critical: the endpoint asks for a folder that does not exist, so it will not update from the mirror. Documented layout: the endpoint appends arch_<arch>/ (offline page, mdatp-xplat).",
};

pub static URL_PLATFORM_MISMATCH: Rule = Rule {
    id: "url-platform-mismatch",
    severity: "critical",
    meaning: "The URL points at the macOS packages (/mac/) on a Linux endpoint.",
    fix: "Use the /linux/ ring folder.",
    basis: "Critical: a Linux endpoint pointed at the macOS packages gets no package it can use, so it will not update from the mirror. Documented layout: linux/ and mac/ folders (offline page, mdatp-xplat).",
};

pub static URL_NOT_RING_FOLDER: Rule = Rule {
    id: "url-not-ring-folder",
    severity: "warning",
    meaning: "The URL does not end at linux/production/ or linux/preview/ (or their _back copies), the folders the downloader writes.",
    fix: "Point it at <downloadFolder>/linux/production/.",
    basis: "Warning: a folder laid out by hand may still serve, so nothing is known to fail yet; a person checks within a day, and the probe findings say whether it serves. Documented layout: the ring folders the downloader writes (mdatp-xplat).",
};

pub static URL_ROLLBACK: Rule = Rule {
    id: "url-rollback",
    severity: "info",
    meaning: "The URL points at a *_back folder: the endpoint takes the previous package (a rollback).",
    fix: "Point it back at the ring folder when the rollback is over.",
    basis: "Info: context: a rollback is a deliberate choice, and the previous package still protects. Documented: the _back folder is the previous package (offline page).",
};

pub static URL_MISMATCH: Rule = Rule {
    id: "url-mismatch",
    severity: "critical with a fail reason or definitions past the critical age; warning otherwise (fresh with no fail reason, older but under the critical age, or from the cloud with fallback on); info when fresh and the mirror offers nothing newer",
    meaning: "definitions_update_source_uri (where the last update came from) is not the configured mirror; compared after normalising scheme and host case, default ports, trailing slashes and file:// paths. Fresh definitions with an empty fail reason are what Microsoft's 2025/2026 pages show for a successfully updated device, and the normal state after offline updates are switched on until the mirror has something newer: a warning, or info when the mirror's manifest is not newer than the endpoint.",
    fix: "Find out why the mirror failed (`mdatp-doctor connectivity`), then `mdatp definitions update`.",
    basis: "Critical: with a fail reason (and no fallback that served), or definitions past the critical age, the mirror is failing and the endpoint will not update from it; warning otherwise (nothing failed yet, or the cloud served by fallback): a person looks within a day; info when the definitions are fresh and the probed mirror offers nothing newer: the state Microsoft's pages show after a successful update, nothing to do. Documented: troubleshooting step 1 compares the source with the configured URL, and the sample output of a successful update (offline page).",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &URL_MISSING,
    &URL_MALFORMED,
    &URL_INCLUDES_ARCH,
    &URL_PLATFORM_MISMATCH,
    &URL_NOT_RING_FOLDER,
    &URL_ROLLBACK,
    &URL_MISMATCH,
];

pub(super) fn url_mismatch(s: &Snapshot, out: &mut Vec<Finding>) {
    if offline_enabled(s) != Some(true) {
        return;
    }
    let (Some(source), Some(configured)) = (
        s.str("definitions_update_source_uri"),
        s.str("offline_definition_url_configured"),
    ) else {
        return;
    };
    if configured.trim().is_empty() || last_update_from_mirror(s) != Some(false) {
        return;
    }
    let fallback = s.bool("offline_definition_update_fallback_to_cloud");
    let from_cloud = is_microsoft(source);
    let reason = s
        .str("definitions_update_fail_reason")
        .is_some_and(|r| !r.trim().is_empty());
    // The policy's bar: critical once the definitions are past the critical age (what
    // definitions-stale calls critical) or an update failed; fresh means under the
    // warning age. An age health does not give is neither.
    let age = definitions_age(s).map(|(a, _)| a.as_secs_f64());
    let past_crit = age.is_some_and(|a| s.thresholds.crit_age.alerts(a));
    let fresh = age.is_some_and(|a| !s.warn_age().alerts(a));
    // Microsoft's 2025/2026 pages show a fresh update from the fwlink, fallback off and no
    // fail reason as a successful device: the normal state until the mirror has a newer
    // package (and since 101.26032.0000 a restart does not pull).
    let mirror_nothing_newer = s
        .mirror
        .definitions_version()
        .zip(s.str("definitions_version"))
        .is_some_and(|(m, e)| compare_versions(m, e).is_some_and(|o| o != Ordering::Greater));
    // With fallback on, a Microsoft source means the mirror failed and the cloud served
    // (troubleshooting step 1 of the offline page).
    let fallback_served = from_cloud && fallback == Some(true) && !past_crit;
    let (severity, title) = if fallback_served {
        (Severity::Warning, "The last update came from Microsoft's cloud: the mirror failed and the cloud served it (fallback is on)".to_string())
    } else if reason || past_crit {
        let from = if from_cloud {
            "Microsoft's cloud"
        } else {
            "another source than the configured mirror"
        };
        (
            Severity::Critical,
            format!(
                "The last update came from {from}, not the mirror, and the mirror is failing (a fail reason, or definitions past the critical age)"
            ),
        )
    } else if fresh && mirror_nothing_newer {
        (Severity::Info, "The last update came from another source than the mirror, and the mirror offers nothing newer yet: the next newer package will come from the mirror".to_string())
    } else if fresh {
        (Severity::Warning, "The last update did not come from the mirror; it is fresh and nothing failed, so the mirror may simply have had nothing newer yet".to_string())
    } else {
        (Severity::Warning, "The last update did not come from the mirror and nothing newer has arrived since; no update failed yet".to_string())
    };
    let mut evidence = vec![
        ev(s, "definitions_update_source_uri"),
        ev(s, "offline_definition_url_configured"),
        ev(s, "offline_definition_update_fallback_to_cloud"),
        ev(s, "definitions_update_fail_reason"),
        ev(s, "definitions_updated"),
    ];
    if let Some(m) = s.mirror.definitions_version() {
        evidence.push(Evidence::new(
            "mirror",
            "manifest.json DefinitionVersion",
            m,
        ));
    }
    out.push(URL_MISMATCH.raise(severity,
        title,
        evidence,
        "Run `mdatp-doctor connectivity` to see whether the mirror serves, then `mdatp definitions update` and check that definitions_update_source_uri names the mirror.".into(),
    ));
}
pub(super) const URL_KEY: &str = "antivirusEngine.offlineDefinitionUpdateUrl";
const EXAMPLE_URL: &str = "http://mirror.example:8000/linux/production/";
fn set_url_fix(managed_config: &str, value: &str) -> String {
    format!(
        "Set {URL_KEY} in {managed_config} to \"{value}\" (or the same setting in your Intune/portal policy), then check `mdatp health --details definitions`."
    )
}
pub(super) fn url_findings(facts: &MirrorFacts, out: &mut Vec<Finding>) {
    let Some((text, source)) = facts.url else {
        let severity = match facts.offline_enabled {
            Some(true) => Severity::Critical,
            // Cloud-only: nothing to probe, nothing wrong.
            Some(false) => Severity::Info,
            None => Severity::Warning,
        };
        let mut evidence = vec![Evidence::new(
            "health",
            "offline_definition_url_configured",
            "(not set)",
        )];
        evidence.push(Evidence::new(facts.managed_config, URL_KEY, "(not set)"));
        if let Some(enabled) = facts.offline_enabled {
            evidence.push(Evidence::new(
                "health",
                "offline_definition_update",
                if enabled { "enabled" } else { "disabled" },
            ));
        }
        out.push(URL_MISSING.raise(
            severity,
            "No mirror URL is configured".into(),
            evidence,
            set_url_fix(facts.managed_config, EXAMPLE_URL),
        ));
        return;
    };
    let Some(checked) = facts.checked else { return };
    let ev = Evidence::new(source.as_str(), URL_KEY, text);
    if facts.macos {
        // A Mac's output (read from a file or a bundle) rightly points at /mac/.
        let mut checked = checked.clone();
        checked
            .problems
            .retain(|p| !matches!(p, UrlProblem::PlatformMismatch { .. }));
        problem_findings(&checked, &ev, "The mirror URL", facts.managed_config, out);
        return;
    }
    problem_findings(checked, &ev, "The mirror URL", facts.managed_config, out);
}

/// The url rules on a URL read from the managed file alone (`config check`, or
/// `diagnose` when the URL in use is another one): the same findings as on the URL in
/// use, with `at` (`path:line`) as the evidence and titles naming the file.
pub(super) fn file_url_findings(text: &str, at: &str, managed_config: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let ev = Evidence::new(at, URL_KEY, text);
    let checked = crate::mirror::url::check(text);
    problem_findings(
        &checked,
        &ev,
        "The managed file's mirror URL",
        managed_config,
        &mut out,
    );
    // Cutting an arch_* folder is unambiguous (the endpoint appends it itself); a missing
    // scheme is not (http or https is for a person to say: `config fix --set`).
    if checked.location.is_some() {
        let fixed = fully_fixed(text);
        if let Some(f) = out.iter_mut().find(|f| f.id == URL_INCLUDES_ARCH.id)
            && fixed != text
        {
            *f = f.clone().fixed_by(
                Edit::Set {
                    section: "antivirusEngine".into(),
                    key: "offlineDefinitionUpdateUrl".into(),
                    value: fixed.into(),
                },
                managed_config,
            );
        }
    }
    out
}

/// `url-missing` from the file alone: it turns offline updates on and names no mirror.
pub(super) fn file_url_missing(managed_config: &str, switch: Evidence) -> Finding {
    URL_MISSING.raise(
        Severity::Critical,
        "The managed file turns offline updates on but names no mirror URL".into(),
        vec![switch, Evidence::new(managed_config, URL_KEY, "(not set)")],
        format!(
            "{} Leave it out only if an Intune or portal policy sets the URL (health then shows offline_definition_url_configured with [managed]).",
            set_url_fix(managed_config, EXAMPLE_URL)
        ),
    )
}

/// `text` with every fix the url rules suggest applied (arch folder cut, /mac/ made
/// /linux/), so one suggestion fixes all.
fn fully_fixed(text: &str) -> String {
    let mut fixed = text.to_string();
    for _ in 0..3 {
        let next = crate::mirror::url::check(&fixed)
            .problems
            .into_iter()
            .find_map(|p| match p {
                UrlProblem::IncludesArch { suggestion, .. }
                | UrlProblem::PlatformMismatch { suggestion } => Some(suggestion),
                _ => None,
            });
        match next {
            Some(s) if s != fixed => fixed = s,
            _ => break,
        }
    }
    fixed
}

fn problem_findings(
    checked: &Checked,
    ev: &Evidence,
    subject: &str,
    managed_config: &str,
    out: &mut Vec<Finding>,
) {
    let ev = || vec![ev.clone()];
    // A URL without a scheme is read once more with http:// in front, so what else is
    // wrong with it (arch_*, /mac/, no ring folder) is said now, not after the first fix.
    let mut problems = checked.problems.clone();
    if let [
        UrlProblem::Malformed {
            suggestion: Some(with_scheme),
            ..
        },
    ] = problems.as_slice()
    {
        let again = crate::mirror::url::check(with_scheme).problems;
        problems.extend(
            again
                .into_iter()
                .filter(|p| !matches!(p, UrlProblem::Malformed { .. })),
        );
    }
    for problem in &problems {
        match problem {
            UrlProblem::Malformed { reason, suggestion } => out.push(URL_MALFORMED.raise(
                // mdatp's handling of a scheme-less URL is undocumented; the seed uses one.
                if suggestion.is_some() { Severity::Warning } else { Severity::Critical },
                format!("{subject} is not usable: {reason}"),
                ev(),
                match suggestion.as_deref().map(fully_fixed) {
                    // A scheme is for a person to choose (config fix does not guess it);
                    // the command that writes the likely one is named.
                    Some(s) => format!(
                        "{} `mdatp-doctor config fix --set {} --apply {}` makes the change, if http:// is the scheme the mirror serves.",
                        set_url_fix(managed_config, &s),
                        crate::analyze::finding::shell_word(&format!("{URL_KEY}={s}")),
                        crate::analyze::finding::shell_word(managed_config),
                    ),
                    None => set_url_fix(managed_config, EXAMPLE_URL),
                },
            )),
            UrlProblem::IncludesArch { segment, suggestion } => out.push(URL_INCLUDES_ARCH.raise(Severity::Critical,
                format!("{subject} includes `{segment}`: the endpoint appends arch_<arch>/ itself, so it asks for a folder that does not exist"),
                ev(),
                set_url_fix(managed_config, suggestion),
            )),
            UrlProblem::PlatformMismatch { suggestion } => out.push(URL_PLATFORM_MISMATCH.raise(Severity::Critical,
                format!("{subject} points at the macOS packages (/mac/) on a Linux endpoint"),
                ev(),
                set_url_fix(managed_config, suggestion),
            )),
            UrlProblem::NotRingFolder => out.push(URL_NOT_RING_FOLDER.raise(Severity::Warning,
                format!("{subject} does not end at a ring folder (linux/production/ or linux/preview/)"),
                ev(),
                format!(
                    "Point {URL_KEY} at the folder the downloader writes, <downloadFolder>/linux/production/ (or preview/), e.g. \"{EXAMPLE_URL}\"."
                ),
            )),
            UrlProblem::Rollback { ring } => out.push(URL_ROLLBACK.raise(Severity::Info,
                format!("{subject} points at {ring}/: a rollback to the previous package is in effect"),
                ev(),
                format!(
                    "When the rollback is over, point {URL_KEY} back at {}/.",
                    ring.trim_end_matches("_back")
                ),
            )),
        }
    }
}
