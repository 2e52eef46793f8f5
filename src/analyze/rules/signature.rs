//! Signature verification of offline packages: `verify-sig-*`.

use super::prelude::*;

pub static VERIFY_SIG_DISABLED: Rule = Rule {
    id: "verify-sig-disabled",
    severity: "critical",
    meaning: "Offline updates are in effect and signature verification of their packages is off (offline_definition_update_verify_sig disabled before 101.26062.0005, or engine_signature_verification disabled): a tampered package would be loaded. Not raised on endpoints that do not use offline updates.",
    fix: "Set features.offlineDefinitionUpdateVerifySig to \"enabled\", or upgrade to 101.26062.0005+.",
    basis: "Critical: the policy's verification off with offline on: a tampered package on the mirror would be loaded. Documented: the setting and its deprecation from 101.26062.0005 (offline page, release notes); the default \"disabled\" on cloud-only endpoints (Microsoft's 2024 sample).",
};

pub static VERIFY_SIG_SETTING_DEPRECATED: Rule = Rule {
    id: "verify-sig-setting-deprecated",
    severity: "info",
    meaning: "The managed file still sets features.offlineDefinitionUpdateVerifySig on 101.26062.0005+, where it has no effect (health shows DEPRECATED).",
    fix: "Remove the key once every endpoint runs 101.26062.0005 or later.",
    basis: "Info: context: the key does nothing on builds that always verify, so nothing is at risk. Documented: deprecated and ignored from 101.26062.0005 (offline page).",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&VERIFY_SIG_DISABLED, &VERIFY_SIG_SETTING_DEPRECATED];

pub(super) fn verification(s: &Snapshot, out: &mut Vec<Finding>) {
    let deprecated_build = verification_always_on(s);
    let sig = s.str("offline_definition_update_verify_sig");
    // Verification of offline packages is moot where no offline package is pulled (the
    // default "disabled" is printed by cloud-only endpoints too: 101.24022-101.26062).
    if signature_verification_off(s) && offline_in_effect(s) {
        out.push(VERIFY_SIG_DISABLED.raise(Severity::Critical,
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
        out.push(VERIFY_SIG_SETTING_DEPRECATED.raise(Severity::Info,
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
