//! Can mdatp be read at all, is it licensed, is the build new enough: `mdatp-*`.

use super::prelude::*;

pub static MDATP_NOT_FOUND: Rule = Rule {
    id: "mdatp-not-found",
    severity: "unknown",
    meaning: "The mdatp client is not on PATH nor at /opt/microsoft/mdatp/sbin/wdavdaemonclient, so nothing about the endpoint can be read.",
    fix: "Install Defender for Endpoint, or point --mdatp (MDATP_DOCTOR_MDATP) at the client.",
};

pub static MDATP_FAILED: Rule = Rule {
    id: "mdatp-failed",
    severity: "unknown",
    meaning: "mdatp ran but gave no usable health report: it timed out, crashed, exited non-zero, or printed something unreadable.",
    fix: "Run `mdatp health` by hand, check `systemctl status mdatp` and /var/log/microsoft/mdatp/.",
};

pub static MDATP_UNLICENSED: Rule = Rule {
    id: "mdatp-unlicensed",
    severity: "critical",
    meaning: "Health says licensed: false or prints 'ATTENTION: No license found': the device is not onboarded.",
    fix: "Run the onboarding script from the security portal; check `mdatp health --field licensed`.",
};

pub static MDATP_VERSION_UNSUPPORTED: Rule = Rule {
    id: "mdatp-version-unsupported",
    severity: "critical",
    meaning: "app_version is below 101.24022.0001, the first release with offline security intelligence updates (versions compared per component).",
    fix: "Upgrade the mdatp package.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &MDATP_NOT_FOUND,
    &MDATP_FAILED,
    &MDATP_UNLICENSED,
    &MDATP_VERSION_UNSUPPORTED,
];

pub(super) fn mdatp_problem(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(p) = &s.mdatp_problem else { return };
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
pub(super) fn unlicensed(s: &Snapshot, out: &mut Vec<Finding>) {
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
        out.push(MDATP_UNLICENSED.raise(Severity::Critical,
            "Defender has no license on this device".into(),
            evidence,
            "Onboard the device (run the onboarding script from the security portal, then `mdatp health --field licensed`).".into(),
        ));
    }
}
pub(super) fn version(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(v) = app_version(s) else { return };
    if compare_versions(v, MIN_VERSION) == Some(Ordering::Less) {
        out.push(MDATP_VERSION_UNSUPPORTED.raise(Severity::Critical,
            format!("mdatp {v} is older than {MIN_VERSION}, the first version with offline updates"),
            vec![ev(s, "app_version")],
            "Upgrade Defender (`apt-get install --only-upgrade mdatp`, `dnf upgrade mdatp` or `zypper update mdatp`).".into(),
        ));
    }
}
