//! The `diagnose` rules: a snapshot in, findings out, most severe first. Each rule is a
//! small function so it can be read, and tested, on its own.

use std::cmp::Ordering;
use std::time::Duration;

use super::config::{ConfigFacts, file_findings, not_applied};
use super::finding::{self, Evidence, Finding, Severity};
use super::mirror::{self as mirror_rules, MirrorFacts};
use super::snapshot::Snapshot;
use crate::mdatp::health::DefinitionsStatus;
use crate::mdatp::value::Value;
use crate::units::human_age;
use crate::units::range::Range;

/// The first mdatp that supports offline security intelligence updates.
pub const MIN_VERSION: &str = "101.24022.0001";
/// From this build the engine signature is always verified and the setting is ignored.
pub const VERIFY_SIG_DEPRECATED_FROM: &str = "101.26062.0005";
/// More than ten years in minutes: not an age mdatp can mean.
const ABSURD_MINUTES: i64 = 10 * 366 * 24 * 60;

pub fn diagnose(s: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    mdatp_problem(s, &mut out);
    unlicensed(s, &mut out);
    version(s, &mut out);
    feature_switches(s, &mut out);
    url_mismatch(s, &mut out);
    verification(s, &mut out);
    update_failed(s, &mut out);
    stale(s, &mut out);
    reenable(s, &mut out);
    mirror_vs_endpoint(s, &mut out);
    mirror_findings(s, &mut out);
    config_findings(s, &mut out);
    if let Some(e) = &s.history_error {
        out.push(Finding::new(
            "history-off",
            Severity::Info,
            "The run history cannot be kept, so toggles of the feature over time cannot be seen".into(),
            vec![Evidence::new("state", "history", e)],
            "Make --state-dir (or MDATP_DOCTOR_STATE_DIR) a directory root can write, e.g. /var/lib/mdatp-doctor.".into(),
        ));
    }
    finding::sort(&mut out);
    out
}

fn ev(s: &Snapshot, name: &str) -> Evidence {
    let value = s
        .field(name)
        .map(|fl| {
            let text = fl.raw.clone().unwrap_or_else(|| match &fl.value {
                Value::Str(v) => format!("\"{v}\""),
                other => other.to_json().to_string(),
            });
            if fl.managed {
                format!("{text} [managed]")
            } else {
                text
            }
        })
        .unwrap_or_else(|| "(not reported)".into());
    Evidence::new("health", name, value)
}

fn mdatp_problem(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(p) = &s.mdatp_problem else { return };
    let (id, title) = if p.not_found {
        (
            "mdatp-not-found",
            "mdatp is not installed or not where expected".to_string(),
        )
    } else {
        (
            "mdatp-failed",
            "mdatp did not give a usable health report".to_string(),
        )
    };
    out.push(Finding::new(
        id,
        Severity::Unknown,
        title,
        vec![Evidence::new("mdatp", "error", &p.message)],
        p.hint.clone(),
    ));
}

fn unlicensed(s: &Snapshot, out: &mut Vec<Finding>) {
    let attention = s
        .definitions
        .iter()
        .chain(s.health.iter())
        .find_map(|h| h.attention.clone())
        .filter(|a| a.to_ascii_lowercase().contains("license"));
    if s.bool("licensed") == Some(false) || attention.is_some() {
        let mut evidence = vec![ev(s, "licensed")];
        if let Some(a) = attention {
            evidence.push(Evidence::new("health", "ATTENTION", a));
        }
        out.push(Finding::new(
            "mdatp-unlicensed",
            Severity::Critical,
            "Defender has no license on this device".into(),
            evidence,
            "Onboard the device (run the onboarding script from the security portal, then `mdatp health --field licensed`).".into(),
        ));
    }
}

/// Compares dotted versions numerically, component by component (`101.9` < `101.10`).
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let parse = |v: &str| {
        v.trim()
            .split('.')
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<Vec<_>>>()
    };
    let (mut x, mut y) = (parse(a)?, parse(b)?);
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    Some(x.cmp(&y))
}

fn app_version(s: &Snapshot) -> Option<&str> {
    s.str("app_version")
}

fn version(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(v) = app_version(s) else { return };
    if compare_versions(v, MIN_VERSION) == Some(Ordering::Less) {
        out.push(Finding::new(
            "mdatp-version-unsupported",
            Severity::Critical,
            format!("mdatp {v} is older than {MIN_VERSION}, the first version with offline updates"),
            vec![ev(s, "app_version")],
            "Upgrade Defender (`apt-get install --only-upgrade mdatp`, `dnf upgrade mdatp` or `zypper update mdatp`).".into(),
        ));
    }
}

fn offline_enabled(s: &Snapshot) -> Option<bool> {
    s.str("offline_definition_update").map(|v| v == "enabled")
}

/// `real_time`, `on_demand`, `passive` or `audit`, from health or else the managed file.
fn enforcement(s: &Snapshot) -> Option<(String, Evidence)> {
    if let Some(level) = s.str("enforcement_level") {
        return Some((level.to_string(), ev(s, "enforcement_level")));
    }
    match (
        s.bool("passive_mode_enabled"),
        s.bool("real_time_protection_enabled"),
    ) {
        (Some(true), _) => return Some(("passive".into(), ev(s, "passive_mode_enabled"))),
        (_, Some(true)) => {
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

fn feature_switches(s: &Snapshot, out: &mut Vec<Finding>) {
    if offline_enabled(s) == Some(false) {
        out.push(Finding::new(
            "offline-update-disabled",
            Severity::Warning,
            "Offline security intelligence updates are disabled: the endpoint updates from Microsoft's cloud".into(),
            vec![ev(s, "offline_definition_update")],
            format!(
                "To use the mirror, set antivirusEngine.offlineDefinitionUpdate to \"enabled\" in {} (not under \"features\").",
                s.config.path
            ),
        ));
    }
    if s.bool("automatic_definition_update_enabled") == Some(false) {
        out.push(Finding::new(
            "automatic-update-disabled",
            Severity::Warning,
            "Automatic security intelligence updates are disabled: only a manual `mdatp definitions update` pulls".into(),
            vec![ev(s, "automatic_definition_update_enabled")],
            format!("Set cloudService.automaticDefinitionUpdateEnabled to true in {}.", s.config.path),
        ));
    }
    if offline_enabled(s) == Some(true)
        && let Some((level, evidence)) = enforcement(s)
        && level != "real_time"
    {
        out.push(Finding::new(
            "enforcement-not-realtime",
            Severity::Warning,
            format!("Enforcement level is {level}: automatic pulls from the mirror only happen in real_time"),
            vec![evidence],
            format!(
                "Set antivirusEngine.enforcementLevel to \"real_time\" in {}, or schedule `mdatp definitions update` (e.g. with a systemd timer).",
                s.config.path
            ),
        ));
    }
}

/// A URL or path in one comparable spelling: lowercase scheme and host, no default port,
/// one trailing slash; `file://` URLs and plain paths become the path.
pub fn normalize_location(text: &str) -> String {
    let text = text.trim();
    let with_slash = |p: &str| format!("{}/", p.trim_end_matches('/'));
    if text.starts_with('/') {
        return with_slash(text);
    }
    match url::Url::parse(text) {
        Ok(u) if u.scheme() == "file" => with_slash(u.path()),
        Ok(mut u) => {
            let path = with_slash(u.path());
            u.set_path(&path);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => with_slash(&text.to_ascii_lowercase()),
    }
}

/// Whether an update source is one of Microsoft's own hosts.
pub fn is_microsoft(source: &str) -> bool {
    url::Url::parse(source)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|h| {
            [
                "microsoft.com",
                "microsoft.net",
                "windowsupdate.com",
                "msft.net",
            ]
            .iter()
            .any(|d| h == *d || h.ends_with(&format!(".{d}")))
        })
}

/// Whether `source` is the configured mirror (the source may name a file below it).
pub fn is_mirror_source(source: &str, configured: &str) -> bool {
    !source.trim().is_empty()
        && !is_microsoft(source)
        && normalize_location(source).starts_with(&normalize_location(configured))
}

fn url_mismatch(s: &Snapshot, out: &mut Vec<Finding>) {
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
    out.push(Finding::new(
        "url-mismatch",
        severity,
        title,
        vec![ev(s, "definitions_update_source_uri"), ev(s, "offline_definition_url_configured"), ev(s, "offline_definition_update_fallback_to_cloud")],
        "Find out why the mirror failed: `mdatp-doctor connectivity`, then `mdatp definitions update` and check that definitions_update_source_uri names the mirror.".into(),
    ));
}

fn verification(s: &Snapshot, out: &mut Vec<Finding>) {
    let deprecated_build = app_version(s)
        .and_then(|v| compare_versions(v, VERIFY_SIG_DEPRECATED_FROM))
        .map(|o| o != Ordering::Less);
    let sig = s.str("offline_definition_update_verify_sig");
    let engine = s.str("engine_signature_verification");
    let sig_disabled = sig == Some("disabled") && deprecated_build != Some(true);
    if sig_disabled || engine == Some("disabled") {
        out.push(Finding::new(
            "verify-sig-disabled",
            Severity::Critical,
            "Signature verification of offline packages is disabled: a tampered package on the mirror would be loaded".into(),
            vec![ev(s, "offline_definition_update_verify_sig"), ev(s, "engine_signature_verification"), ev(s, "app_version")],
            format!(
                "Set features.offlineDefinitionUpdateVerifySig to \"enabled\" in {} (or upgrade to {VERIFY_SIG_DEPRECATED_FROM}+, which always verifies).",
                s.config.path
            ),
        ));
    }
    let set_in_file = s
        .config()
        .and_then(|c| c.get("features", "offlineDefinitionUpdateVerifySig"))
        .is_some();
    if set_in_file && (sig == Some("DEPRECATED") || deprecated_build == Some(true)) {
        out.push(Finding::new(
            "verify-sig-setting-deprecated",
            Severity::Info,
            "features.offlineDefinitionUpdateVerifySig has no effect on this build: the engine signature is always verified".into(),
            vec![
                Evidence::new(&s.config.path, "features.offlineDefinitionUpdateVerifySig", "(set)"),
                ev(s, "offline_definition_update_verify_sig"),
                ev(s, "app_version"),
            ],
            format!("Remove features.offlineDefinitionUpdateVerifySig from {} when every endpoint runs {VERIFY_SIG_DEPRECATED_FROM} or later.", s.config.path),
        ));
    }
}

fn update_failed(s: &Snapshot, out: &mut Vec<Finding>) {
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
    out.push(Finding::new(
        "definitions-update-failed",
        Severity::Critical,
        title,
        vec![ev(s, "definitions_status"), ev(s, "definitions_update_fail_reason")],
        "Check the mirror with `mdatp-doctor connectivity`, fix what it reports, then run `mdatp definitions update` (or `mdatp-doctor update`) and check that the fail reason is empty.".into(),
    ));
}

/// How old the definitions are, and what the evidence says about that.
pub fn definitions_age(s: &Snapshot) -> Option<(Duration, Vec<Evidence>)> {
    let mut evidence = vec![
        ev(s, "definitions_updated"),
        ev(s, "definitions_updated_minutes_ago"),
    ];
    let from_date = s
        .field("definitions_updated")
        .and_then(|fl| match &fl.value {
            Value::DateTime(dt) => s.tz.to_timestamp(*dt).ok(),
            Value::Timestamp(ts) => Some(*ts),
            _ => None,
        });
    let minutes = s
        .field("definitions_updated_minutes_ago")
        .and_then(|fl| fl.value.as_i64());
    if let Some(m) = minutes.filter(|m| *m > ABSURD_MINUTES || *m < 0) {
        evidence.push(Evidence::new(
            "analysis",
            "definitions_updated_minutes_ago",
            format!("{m} is not a believable age; ignored"),
        ));
    }
    let age = match from_date {
        Some(ts) => {
            Duration::from_secs(u64::try_from(s.now.as_second() - ts.as_second()).unwrap_or(0))
        }
        None => Duration::from_secs(
            u64::try_from(minutes.filter(|m| (0..=ABSURD_MINUTES).contains(m))?).ok()? * 60,
        ),
    };
    Some((age, evidence))
}

fn stale(s: &Snapshot, out: &mut Vec<Finding>) {
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
    out.push(Finding::new(
        "definitions-stale",
        severity,
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

/// The known issue: enabled → disabled → re-enabled, after which offline updates fail.
fn reenable(s: &Snapshot, out: &mut Vec<Finding>) {
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
        out.push(Finding::new(
            "reenable-bug",
            Severity::Critical,
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
        out.push(Finding::new(
            "reenable-bug-suspected",
            Severity::Warning,
            "Offline updates fail or bypass the mirror: was the feature disabled and enabled again? (a known mdatp issue)".into(),
            vec![ev(s, "definitions_update_source_uri"), ev(s, "definitions_update_fail_reason"), ev(s, "offline_definition_update_fallback_to_cloud")],
            format!("If offlineDefinitionUpdate was toggled off and on: {fix}"),
        ));
    }
}

fn mirror_vs_endpoint(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(endpoint) = s.str("definitions_version") else {
        return;
    };
    let Some(mirror) = s.mirror.definitions_version() else {
        return;
    };
    let evidence = vec![
        ev(s, "definitions_version"),
        Evidence::new("mirror", "manifest.json DefinitionVersion", mirror),
    ];
    match compare_versions(mirror, endpoint) {
        Some(Ordering::Greater) => {
            // Only a problem once the endpoint had a chance to pull.
            let waited = definitions_age(s).is_none_or(|(age, _)| age > s.update_interval());
            if waited {
                out.push(Finding::new(
                    "endpoint-behind-mirror",
                    Severity::Warning,
                    format!("The mirror has {mirror} but the endpoint still runs {endpoint}: it is not pulling"),
                    evidence,
                    "Run `mdatp-doctor update` to pull now and see what fails; check the automatic-update and enforcement findings.".into(),
                ));
            }
        }
        Some(Ordering::Less) => out.push(Finding::new(
            "mirror-behind-endpoint",
            Severity::Warning,
            format!("The endpoint runs {endpoint}, newer than the mirror's {mirror}: it came from the cloud, and the mirror's downloader is stuck"),
            evidence,
            "On the mirror, run the downloader by hand and read its output; check its cron job and its proxy settings.".into(),
        )),
        _ => {}
    }
}

fn mirror_findings(s: &Snapshot, out: &mut Vec<Finding>) {
    if s.mirror.skipped && s.mirror.url.is_none() {
        return;
    }
    // Without offline updates on, a missing URL is not a problem of this feature.
    if s.mirror.url.is_none() && offline_enabled(s) != Some(true) {
        return;
    }
    let facts = MirrorFacts {
        url: s.mirror.url.as_ref().map(|(u, src)| (u.as_str(), *src)),
        checked: s.mirror.checked.as_ref(),
        probes: &s.mirror.probes,
        offline_enabled: offline_enabled(s),
        managed_config: &s.config.path,
        stale_after: s.thresholds.stale_after,
        now: std::time::SystemTime::try_from(s.now).unwrap_or(std::time::SystemTime::UNIX_EPOCH),
    };
    out.extend(mirror_rules::findings(&facts));
}

fn config_findings(s: &Snapshot, out: &mut Vec<Finding>) {
    let facts = ConfigFacts {
        path: &s.config.path,
        loaded: &s.config.loaded,
        keys: &s.config.keys,
    };
    out.extend(file_findings(&facts));
    if let (Ok(cfg), Some(defs)) = (&s.config.loaded, &s.definitions) {
        out.extend(not_applied(cfg, &s.config.path, defs));
    }
}

#[cfg(test)]
mod tests;
