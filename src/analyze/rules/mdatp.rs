//! Can mdatp be read at all, is it licensed, is the build new enough: `mdatp-*`.

use super::prelude::*;
use crate::mdatp::value::Value;

pub static MDATP_NOT_FOUND: Rule = Rule {
    id: "mdatp-not-found",
    severity: "unknown",
    meaning: "The mdatp client is not on PATH nor at /opt/microsoft/mdatp/sbin/wdavdaemonclient, so nothing about the endpoint can be read.",
    fix: "Install Defender for Endpoint, or point --mdatp (MDATP_DOCTOR_MDATP) at the client.",
    basis: "Unknown: without the client nothing about the endpoint can be read, and what could not be read is never reported as OK. Documented paths: /usr/bin/mdatp links to /opt/microsoft/mdatp/sbin/wdavdaemonclient.",
};

pub static MDATP_FAILED: Rule = Rule {
    id: "mdatp-failed",
    severity: "unknown",
    meaning: "mdatp ran but gave no usable health report: it timed out, crashed, exited non-zero, or printed something unreadable.",
    fix: "Run `mdatp health` by hand, check `systemctl status mdatp` and /var/log/microsoft/mdatp/.",
    basis: "Unknown: mdatp answered but gave nothing this tool can judge, and what could not be read is never reported as OK. Inferred: without a usable health output the state is unknown.",
};

pub static MDATP_DAEMON_DOWN: Rule = Rule {
    id: "mdatp-daemon-down",
    severity: "critical",
    meaning: "The mdatp client could not reach its daemon, wdavdaemon (`Failed to connect` and similar): nothing is protected or updated until it runs. `systemctl is-active mdatp` is shown when systemd answers. The client's exact wording is not documented (seen in public issue threads).",
    fix: "`systemctl status mdatp` and `journalctl -u mdatp` say why it stopped; `systemctl enable --now mdatp` starts it.",
    basis: "Critical: the policy's daemon down: until wdavdaemon runs the endpoint is neither protected nor updated. Seen in public issue threads ('Failed to connect'); the mdatp service is documented.",
};

pub static MDATP_UNLICENSED: Rule = Rule {
    id: "mdatp-unlicensed",
    severity: "critical",
    meaning: "Health says licensed: false or prints 'ATTENTION: No license found'. Microsoft documents three causes: not onboarded, an expired build, or an offboarding file; the last two have findings of their own when seen.",
    fix: "Not onboarded: run the onboarding script. Expired build: upgrade mdatp. Offboarded: remove mdatp_offboard.json, then onboard.",
    basis: "Critical: the policy's unlicensed: without a license Defender neither protects nor updates the device. Documented: health-status ('No license found' and its causes).",
};

pub static MDATP_VERSION_UNSUPPORTED: Rule = Rule {
    id: "mdatp-version-unsupported",
    severity: "critical",
    meaning: "Offline updates are configured (enabled, or a mirror URL set) but app_version is below the first release that has them: 101.24022.0001 on Linux, 101.25012.0003 on macOS (versions compared per component).",
    fix: "Upgrade the mdatp package.",
    basis: "Critical: the build cannot use the offline updates it is configured for, so an endpoint that relies on its mirror will not update. Documented floors: the Linux and macOS offline pages.",
};

pub static MDATP_OFFBOARDED: Rule = Rule {
    id: "mdatp-offboarded",
    severity: "critical",
    meaning: "No license, and the offboarding file /etc/opt/microsoft/mdatp/mdatp_offboard.json exists: the device was offboarded, and while that file is there onboarding again does not take (documented: Microsoft's offboarding page).",
    fix: "If the device should be protected again, find out why it was offboarded, remove mdatp_offboard.json, then run the onboarding script from the portal.",
    basis: "Critical: an offboarded device has no license, so it is unprotected and not updated, and onboarding does not take while the file is there. Documented: the offboarding steps for Linux and the 'No license found' causes.",
};

pub static MDATP_EXPIRED: Rule = Rule {
    id: "mdatp-expired",
    severity: "critical",
    meaning: "product_expiration is in the past: mdatp builds expire about nine months after their release and then stop protecting and updating (documented: Microsoft's 'No license found' troubleshooting and release notes).",
    fix: "Upgrade the mdatp package to a current build.",
    basis: "Critical: the policy's expired: an expired build stops protecting and updating. Documented: builds expire (release notes, health-status); about nine months is Microsoft's figure.",
};

pub static MDATP_UNHEALTHY: Rule = Rule {
    id: "mdatp-unhealthy",
    severity: "warning",
    meaning: "Health says healthy: false; each entry of health_issues is shown as evidence (documented: Microsoft's health-status page). Issues with a finding of their own (license, engine) are reported there.",
    fix: "Read each health issue; `mdatp health` and /var/log/microsoft/mdatp/ say more.",
    basis: "Warning: mdatp says something is wrong and a person should read it within a day; the issues that leave the endpoint unprotected (license, engine) are critical findings of their own. Documented: healthy and health_issues (health-status).",
};

pub static ENGINE_STATUS_UNDOCUMENTED: Rule = Rule {
    id: "engine-status-undocumented",
    severity: "info",
    meaning: "engine_load_status holds a value Microsoft does not document (health-status lists \"Engine load succeeded\" and \"Engine not loaded\"): shown with its value, not graded.",
    fix: "Nothing unless scans or updates fail; then read `journalctl -u mdatp`.",
    basis: "Info: context only; an undocumented value proves neither an unprotected endpoint nor a healthy one. Documented values: health-status.",
};

pub static ENGINE_NOT_LOADED: Rule = Rule {
    id: "engine-not-loaded",
    severity: "critical",
    meaning: "engine_load_status says the antivirus engine is not loaded: no scanning and no use for new definitions (documented: health-status). Since 2026 an engine whose signature fails verification is not loaded, so a bad package on the mirror is one cause (documented: the 2026 offline-update page).",
    fix: "Check the last update (definitions_update_fail_reason), the package on the mirror (`mdatp-doctor connectivity --verify-package`), then `systemctl restart mdatp` and `journalctl -u mdatp`.",
    basis: "Critical: the policy's engine not loaded: nothing is scanned and new definitions are of no use. Documented: engine_load_status (health-status); an unverified engine is not loaded (offline page, 2026).",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &MDATP_NOT_FOUND,
    &MDATP_FAILED,
    &MDATP_DAEMON_DOWN,
    &MDATP_UNLICENSED,
    &MDATP_OFFBOARDED,
    &MDATP_EXPIRED,
    &MDATP_VERSION_UNSUPPORTED,
    &MDATP_UNHEALTHY,
    &ENGINE_NOT_LOADED,
    &ENGINE_STATUS_UNDOCUMENTED,
];

pub(super) fn mdatp_problem(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(p) = &s.mdatp_problem else { return };
    if p.daemon_down {
        let mut evidence = vec![Evidence::new("mdatp", "error", &p.message)];
        if let Some(state) = &s.endpoint.service_state {
            evidence.push(Evidence::new("systemctl", "is-active mdatp", state));
        }
        out.push(MDATP_DAEMON_DOWN.raise(
            Severity::Critical,
            "The mdatp daemon is not answering: the endpoint is neither protected nor updated".into(),
            evidence,
            "Run `systemctl status mdatp` and `journalctl -u mdatp` to see why it stopped, then `systemctl enable --now mdatp`; check again with `mdatp health`.".into(),
        ));
        return;
    }
    let (rule, title) = if p.not_found {
        (
            &MDATP_NOT_FOUND,
            "mdatp is not installed or not where expected".to_string(),
        )
    } else {
        (
            &MDATP_FAILED,
            "mdatp did not give a usable health report".to_string(),
        )
    };
    out.push(rule.raise(
        Severity::Unknown,
        title,
        vec![Evidence::new("mdatp", "error", &p.message)],
        p.hint.clone(),
    ));
}
/// "No license found" has three documented causes with different fixes: offboarded,
/// an expired build, or never onboarded.
pub(super) fn unlicensed(s: &Snapshot, out: &mut Vec<Finding>) {
    let attention = s
        .definitions
        .iter()
        .chain(s.health.iter())
        .find_map(|h| h.attention.clone())
        .filter(|a| a.to_ascii_lowercase().contains("license"));
    let expired = expiry(s).filter(|ts| *ts < s.now);
    if let Some(ts) = expired {
        out.push(MDATP_EXPIRED.raise(
            Severity::Critical,
            format!("This mdatp build expired on {}: it no longer protects or updates", ts.strftime("%Y-%m-%d")),
            vec![ev(s, "product_expiration"), ev(s, "app_version")],
            "Upgrade the mdatp package (`apt-get install --only-upgrade mdatp`, `dnf upgrade mdatp` or `zypper update mdatp`); builds expire about nine months after release.".into(),
        ));
    }
    if s.bool("licensed") != Some(false) && attention.is_none() {
        return;
    }
    let mut evidence = vec![ev(s, "licensed")];
    if let Some(a) = attention {
        evidence.push(Evidence::new("health", "ATTENTION", a));
    }
    if let Some(file) = &s.endpoint.offboard_file {
        evidence.push(Evidence::new("system", "offboarding file", file));
        out.push(MDATP_OFFBOARDED.raise(
            Severity::Critical,
            "The device was offboarded: the offboarding file is present, so it has no license".into(),
            evidence,
            format!("If the device should be protected, find out why it was offboarded, remove {file}, then run the onboarding script from the portal (onboarding does not take while the file exists)."),
        ));
    } else if expired.is_none() {
        out.push(MDATP_UNLICENSED.raise(Severity::Critical,
            "Defender has no license on this device".into(),
            evidence,
            "Three documented causes: not onboarded (run the portal's onboarding script), an expired build (upgrade mdatp), or /etc/opt/microsoft/mdatp/mdatp_offboard.json present (remove it, then onboard).".into(),
        ));
    }
}

/// When this build expires, as health prints it (local wall-clock time).
fn expiry(s: &Snapshot) -> Option<jiff::Timestamp> {
    match &s.field("product_expiration")?.value {
        Value::DateTime(dt) => s.tz.to_timestamp(*dt).ok(),
        Value::Timestamp(ts) => Some(*ts),
        _ => None,
    }
}

/// `healthy : false`: each issue as evidence, leaving out those with their own finding.
pub(super) fn unhealthy(s: &Snapshot, out: &mut Vec<Finding>) {
    if s.bool("healthy") != Some(false) {
        return;
    }
    let issues: Vec<String> = match s.field("health_issues").map(|f| &f.value) {
        Some(Value::Json(serde_json::Value::Array(items))) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect(),
        _ => Vec::new(),
    };
    let own_finding = |i: &str| {
        let i = i.to_ascii_lowercase();
        i.contains("license") || i.contains("engine")
    };
    if !issues.is_empty() && issues.iter().all(|i| own_finding(i)) {
        return;
    }
    let mut evidence = vec![ev(s, "healthy")];
    evidence.extend(
        issues
            .iter()
            .map(|i| Evidence::new("health", "health_issues", i.as_str())),
    );
    if issues.is_empty() {
        evidence.push(ev(s, "health_issues"));
    }
    out.push(MDATP_UNHEALTHY.raise(
        Severity::Warning,
        format!(
            "mdatp reports itself unhealthy{}",
            match issues.len() {
                0 => String::new(),
                1 => format!(": {}", issues[0]),
                n => format!(" ({n} issues)"),
            }
        ),
        evidence,
        "Read each health issue in `mdatp health`; the daemon's log in /var/log/microsoft/mdatp/ says more.".into(),
    ));
}

/// `engine_load_status`: health-status documents two values, "Engine load succeeded"
/// and "Engine not loaded". Only the second is a failure; any other text is shown, never
/// graded, since this tool cannot know what it means.
pub(super) fn engine(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(status) = s.str("engine_load_status") else {
        return;
    };
    let l = status.trim().to_ascii_lowercase();
    if l == "engine load succeeded" {
        return;
    }
    if l != "engine not loaded" {
        out.push(ENGINE_STATUS_UNDOCUMENTED.raise(
            Severity::Info,
            format!("engine_load_status says \"{status}\", a value Microsoft does not document"),
            vec![ev(s, "engine_load_status"), ev(s, "engine_version")],
            "Nothing unless scans or updates fail; `mdatp health --field engine_load_status` shows it again.".into(),
        ));
        return;
    }
    out.push(ENGINE_NOT_LOADED.raise(
        Severity::Critical,
        format!("The antivirus engine is not loaded ({status})"),
        vec![ev(s, "engine_load_status"), ev(s, "engine_version"), ev(s, "definitions_update_fail_reason")],
        "Read the fail reason; check the mirror's package with `mdatp-doctor connectivity --verify-package` (an engine failing signature verification is not loaded); then `systemctl restart mdatp`.".into(),
    ));
}

/// Only a problem where offline updates are asked for: an old build that updates from
/// the cloud is not this feature's concern.
pub(super) fn version(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(v) = app_version(s) else { return };
    if !offline_configured(s) {
        return;
    }
    let (floor, platform) = if is_macos_output(s) {
        (MIN_VERSION_MACOS, "macOS")
    } else {
        (MIN_VERSION, "Linux")
    };
    if compare_versions(v, floor) == Some(Ordering::Less) {
        out.push(MDATP_VERSION_UNSUPPORTED.raise(Severity::Critical,
            format!("mdatp {v} is older than {floor}, the first {platform} version with offline updates"),
            vec![ev(s, "app_version"), ev(s, "offline_definition_update"), ev(s, "offline_definition_url_configured")],
            "Upgrade Defender (`apt-get install --only-upgrade mdatp`, `dnf upgrade mdatp` or `zypper update mdatp`).".into(),
        ));
    }
}
