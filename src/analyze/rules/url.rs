//! The configured mirror location, and whether updates really come from it: `url-*`.

use super::prelude::*;
use crate::mirror::url::UrlProblem;

pub static URL_MISSING: Rule = Rule {
    id: "url-missing",
    severity: "critical (warning when the feature is off)",
    meaning: "No mirror URL in health (offline_definition_url_configured) nor in the managed configuration.",
    fix: "Set antivirusEngine.offlineDefinitionUpdateUrl to the mirror's ring folder, e.g. http://mirror:8000/linux/production/.",
    basis: "Documented: offlineDefinitionUpdateUrl (offline page).",
};

pub static URL_MALFORMED: Rule = Rule {
    id: "url-malformed",
    severity: "critical (warning for a URL without a scheme)",
    meaning: "The configured URL cannot be used: an unsupported scheme, or unparseable (critical); or it has no scheme (host:8000/linux/production/). How mdatp treats a URL without a scheme is not documented, and Microsoft's own example on the French page has none, so that case is a warning: this tool cannot probe it, and the update findings say whether mdatp could.",
    fix: "Write it with http://, https:// or as an absolute directory path; the finding suggests the corrected value.",
    basis: "The seed's own example has no scheme; how mdatp reads one is not documented.",
};

pub static URL_INCLUDES_ARCH: Rule = Rule {
    id: "url-includes-arch",
    severity: "critical",
    meaning: "The URL contains arch_x86_64 or arch_arm64; the endpoint appends arch_<arch>/ itself and asks for a folder that does not exist.",
    fix: "Cut the URL at the ring folder (…/linux/production/).",
    basis: "Documented layout: the endpoint appends arch_<arch>/ (offline page, mdatp-xplat).",
};

pub static URL_PLATFORM_MISMATCH: Rule = Rule {
    id: "url-platform-mismatch",
    severity: "critical",
    meaning: "The URL points at the macOS packages (/mac/) on a Linux endpoint.",
    fix: "Use the /linux/ ring folder.",
    basis: "Documented layout: linux/ and mac/ folders (offline page, mdatp-xplat).",
};

pub static URL_NOT_RING_FOLDER: Rule = Rule {
    id: "url-not-ring-folder",
    severity: "warning",
    meaning: "The URL does not end at linux/production/ or linux/preview/ (or their _back copies), the folders the downloader writes.",
    fix: "Point it at <downloadFolder>/linux/production/.",
    basis: "Documented layout: the ring folders the downloader writes (mdatp-xplat).",
};

pub static URL_ROLLBACK: Rule = Rule {
    id: "url-rollback",
    severity: "info",
    meaning: "The URL points at a *_back folder: the endpoint takes the previous package (a rollback).",
    fix: "Point it back at the ring folder when the rollback is over.",
    basis: "Documented: the _back folder is the previous package (offline page).",
};

pub static URL_MISMATCH: Rule = Rule {
    id: "url-mismatch",
    severity: "critical, or warning with fallback on and a Microsoft source",
    meaning: "definitions_update_source_uri (where the last update came from) is not the configured mirror; compared after normalising scheme and host case, default ports, trailing slashes and file:// paths.",
    fix: "Find out why the mirror failed (`mdatp-doctor connectivity`), then `mdatp definitions update`.",
    basis: "Documented: troubleshooting step 1 compares the source with the configured URL (offline page).",
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
    if source.trim().is_empty()
        || configured.trim().is_empty()
        || is_mirror_source(source, configured)
    {
        return;
    }
    let fallback = s.bool("offline_definition_update_fallback_to_cloud");
    let from_cloud = is_microsoft(source);
    let (severity, title) = if from_cloud && fallback == Some(true) {
        (Severity::Warning, "The last update came from Microsoft's cloud: the mirror failed and the cloud served it (fallback is on)".to_string())
    } else if from_cloud {
        (Severity::Critical, "The last update came from Microsoft's cloud, not the mirror, and fallback to the cloud is off".to_string())
    } else {
        (
            Severity::Critical,
            "The last update came from another source than the configured mirror".to_string(),
        )
    };
    out.push(URL_MISMATCH.raise(severity,
        title,
        vec![ev(s, "definitions_update_source_uri"), ev(s, "offline_definition_url_configured"), ev(s, "offline_definition_update_fallback_to_cloud")],
        "Find out why the mirror failed: `mdatp-doctor connectivity`, then `mdatp definitions update` and check that definitions_update_source_uri names the mirror.".into(),
    ));
}
pub(super) const URL_KEY: &str = "antivirusEngine.offlineDefinitionUpdateUrl";
const EXAMPLE_URL: &str = "http://mirror.example:8000/linux/production/";
fn set_url_fix(facts: &MirrorFacts, value: &str) -> String {
    format!(
        "Set {URL_KEY} in {} to \"{value}\" (or the same setting in your Intune/portal policy), then check `mdatp health --details definitions`.",
        facts.managed_config
    )
}
pub(super) fn url_findings(facts: &MirrorFacts, out: &mut Vec<Finding>) {
    let Some((text, source)) = facts.url else {
        let severity = if facts.offline_enabled == Some(true) {
            Severity::Critical
        } else {
            Severity::Warning
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
            set_url_fix(facts, EXAMPLE_URL),
        ));
        return;
    };
    let Some(checked) = facts.checked else { return };
    let ev = || vec![Evidence::new(source.as_str(), URL_KEY, text)];
    for problem in &checked.problems {
        match problem {
            UrlProblem::Malformed { reason, suggestion } => out.push(URL_MALFORMED.raise(
                // mdatp's handling of a scheme-less URL is undocumented; the seed uses one.
                if suggestion.is_some() { Severity::Warning } else { Severity::Critical },
                format!("The mirror URL is not usable: {reason}"),
                ev(),
                set_url_fix(facts, suggestion.as_deref().unwrap_or(EXAMPLE_URL)),
            )),
            UrlProblem::IncludesArch { segment, suggestion } => out.push(URL_INCLUDES_ARCH.raise(Severity::Critical,
                format!("The mirror URL includes `{segment}`: the endpoint appends arch_<arch>/ itself, so it asks for a folder that does not exist"),
                ev(),
                set_url_fix(facts, suggestion),
            )),
            UrlProblem::PlatformMismatch { suggestion } => out.push(URL_PLATFORM_MISMATCH.raise(Severity::Critical,
                "The mirror URL points at the macOS packages (/mac/) on a Linux endpoint".into(),
                ev(),
                set_url_fix(facts, suggestion),
            )),
            UrlProblem::NotRingFolder => out.push(URL_NOT_RING_FOLDER.raise(Severity::Warning,
                "The mirror URL does not end at a ring folder (linux/production/ or linux/preview/)".into(),
                ev(),
                format!(
                    "Point {URL_KEY} at the folder the downloader writes, <downloadFolder>/linux/production/ (or preview/), e.g. \"{EXAMPLE_URL}\"."
                ),
            )),
            UrlProblem::Rollback { ring } => out.push(URL_ROLLBACK.raise(Severity::Info,
                format!("The mirror URL points at {ring}/: a rollback to the previous package is in effect"),
                ev(),
                format!(
                    "When the rollback is over, point {URL_KEY} back at {}/.",
                    ring.trim_end_matches("_back")
                ),
            )),
        }
    }
}
