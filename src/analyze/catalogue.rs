//! Every finding id, with what it means and what fixes it: the text of
//! `diagnose --list` and `diagnose --explain ID`. Ids are an interface; a test checks that
//! every id the rules can emit is listed here and in the README.

pub struct RuleInfo {
    pub id: &'static str,
    pub severity: &'static str,
    pub meaning: &'static str,
    pub fix: &'static str,
}

const fn r(
    id: &'static str,
    severity: &'static str,
    meaning: &'static str,
    fix: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        meaning,
        fix,
    }
}

pub const RULES: &[RuleInfo] = &[
    r(
        "mdatp-not-found",
        "unknown",
        "The mdatp client is not on PATH nor at /opt/microsoft/mdatp/sbin/wdavdaemonclient, so nothing about the endpoint can be read.",
        "Install Defender for Endpoint, or point --mdatp (MDATP_DOCTOR_MDATP) at the client.",
    ),
    r(
        "mdatp-failed",
        "unknown",
        "mdatp ran but gave no usable health report: it timed out, crashed, exited non-zero, or printed something unreadable.",
        "Run `mdatp health` by hand, check `systemctl status mdatp` and /var/log/microsoft/mdatp/.",
    ),
    r(
        "mdatp-unlicensed",
        "critical",
        "Health says licensed: false or prints 'ATTENTION: No license found': the device is not onboarded.",
        "Run the onboarding script from the security portal; check `mdatp health --field licensed`.",
    ),
    r(
        "mdatp-version-unsupported",
        "critical",
        "app_version is below 101.24022.0001, the first release with offline security intelligence updates (versions compared per component).",
        "Upgrade the mdatp package.",
    ),
    r(
        "offline-update-disabled",
        "warning",
        "offline_definition_update is disabled: the endpoint takes updates from Microsoft's cloud, not the mirror.",
        "Set antivirusEngine.offlineDefinitionUpdate to \"enabled\" in the managed configuration (not under features).",
    ),
    r(
        "automatic-update-disabled",
        "warning",
        "automatic_definition_update_enabled is false: nothing pulls unless someone runs `mdatp definitions update`.",
        "Set cloudService.automaticDefinitionUpdateEnabled to true.",
    ),
    r(
        "enforcement-not-realtime",
        "warning",
        "Automatic pulls from the mirror only happen when the enforcement level is real_time; this endpoint runs passive, on_demand or audit.",
        "Set antivirusEngine.enforcementLevel to \"real_time\", or schedule `mdatp definitions update`.",
    ),
    r(
        "url-missing",
        "critical (warning when the feature is off)",
        "No mirror URL in health (offline_definition_url_configured) nor in the managed configuration.",
        "Set antivirusEngine.offlineDefinitionUpdateUrl to the mirror's ring folder, e.g. http://mirror:8000/linux/production/.",
    ),
    r(
        "url-malformed",
        "critical",
        "The configured URL cannot be used: no scheme (host:8000/linux/production/), an unsupported scheme, or unparseable.",
        "Write it with http://, https:// or as an absolute directory path; the finding suggests the corrected value.",
    ),
    r(
        "url-includes-arch",
        "critical",
        "The URL contains arch_x86_64 or arch_arm64; the endpoint appends arch_<arch>/ itself and asks for a folder that does not exist.",
        "Cut the URL at the ring folder (…/linux/production/).",
    ),
    r(
        "url-platform-mismatch",
        "critical",
        "The URL points at the macOS packages (/mac/) on a Linux endpoint.",
        "Use the /linux/ ring folder.",
    ),
    r(
        "url-not-ring-folder",
        "warning",
        "The URL does not end at linux/production/ or linux/preview/ (or their _back copies), the folders the downloader writes.",
        "Point it at <downloadFolder>/linux/production/.",
    ),
    r(
        "url-rollback",
        "info",
        "The URL points at a *_back folder: the endpoint takes the previous package (a rollback).",
        "Point it back at the ring folder when the rollback is over.",
    ),
    r(
        "url-mismatch",
        "critical, or warning with fallback on and a Microsoft source",
        "definitions_update_source_uri (where the last update came from) is not the configured mirror; compared after normalising scheme and host case, default ports, trailing slashes and file:// paths.",
        "Find out why the mirror failed (`mdatp-doctor connectivity`), then `mdatp definitions update`.",
    ),
    r(
        "verify-sig-disabled",
        "critical",
        "Signature verification of offline packages is off (offline_definition_update_verify_sig disabled before 101.26062.0005, or engine_signature_verification disabled): a tampered package would be loaded.",
        "Set features.offlineDefinitionUpdateVerifySig to \"enabled\", or upgrade to 101.26062.0005+.",
    ),
    r(
        "verify-sig-setting-deprecated",
        "info",
        "The managed file still sets features.offlineDefinitionUpdateVerifySig on 101.26062.0005+, where it has no effect (health shows DEPRECATED).",
        "Remove the key once every endpoint runs 101.26062.0005 or later.",
    ),
    r(
        "definitions-update-failed",
        "critical",
        "definitions_update_fail_reason is not empty (quoted verbatim), or definitions_status is update_failed. could_be_older alone is transient and not a failure.",
        "Check the mirror with `mdatp-doctor connectivity`, fix it, run `mdatp-doctor update`.",
    ),
    r(
        "definitions-stale",
        "warning / critical",
        "The definitions are older than --warn-age (default 24 h or twice the update interval, whichever is larger) or --crit-age (default 72 h); the age comes from definitions_updated, and an absurd definitions_updated_minutes_ago is reported, not believed.",
        "Run `mdatp-doctor update` and read its outcome.",
    ),
    r(
        "reenable-bug",
        "critical",
        "The known mdatp issue: offline update was enabled and served from the mirror, then disabled, then enabled again, and now updates do not come from the mirror; the run history shows the toggles with their times.",
        "systemctl restart mdatp, mdatp definitions update, check again; if it persists enable offlineDefinitionUpdateFallbackToCloud for now and upgrade mdatp. Microsoft has published no fix version.",
    ),
    r(
        "reenable-bug-suspected",
        "warning",
        "The same symptoms with fallback off, but no run history to prove the toggle sequence.",
        "If the feature was toggled off and on, apply the reenable-bug fix.",
    ),
    r(
        "endpoint-behind-mirror",
        "warning",
        "The mirror's manifest has newer definitions than the endpoint and the last update is older than the update interval: the endpoint is not pulling.",
        "Run `mdatp-doctor update` to see what fails.",
    ),
    r(
        "mirror-behind-endpoint",
        "warning",
        "The endpoint runs newer definitions than the mirror offers: they came from the cloud, and the mirror's downloader is stuck.",
        "Run the downloader by hand on the mirror; check its cron job and proxy.",
    ),
    r(
        "mirror-dns-failed",
        "critical",
        "The mirror's host name does not resolve on the endpoint.",
        "Fix DNS or /etc/hosts, or use the mirror's address in the URL.",
    ),
    r(
        "mirror-unreachable",
        "critical",
        "The mirror refuses connections or has no route.",
        "Check the web server runs and listens, and the firewall.",
    ),
    r(
        "mirror-timeout",
        "critical",
        "No connection (--connect-timeout per address) or no answer (--probe-timeout) from the mirror.",
        "Check for a firewall dropping packets or a hung server or mount.",
    ),
    r(
        "mirror-tls-error",
        "critical",
        "TLS fails: unknown issuer, expired or not yet valid certificate, name mismatch, or handshake failure; the certificate's subject, issuer and dates are in the evidence.",
        "Trust the issuing CA in the system store, renew the certificate, or issue one for the URL's host name.",
    ),
    r(
        "mirror-http-error",
        "critical",
        "The mirror answers with an HTTP error other than 404, redirects in a loop or more than 5 times.",
        "Check the web server's configuration and error log.",
    ),
    r(
        "mirror-manifest-missing",
        "warning",
        "arch_<arch>/manifest.json is missing: a downloader older than script 0.0.2, or a failed run.",
        "Update and run the downloader.",
    ),
    r(
        "mirror-manifest-invalid",
        "warning",
        "manifest.json is not JSON, or its versions are empty (the downloader got a proxy or error page).",
        "Run the downloader by hand and read its output.",
    ),
    r(
        "mirror-package-missing",
        "critical",
        "arch_<arch>/updates.zip is missing (404, or absent from the directory).",
        "Run the downloader; delete a manifest.json left without its updates.zip first.",
    ),
    r(
        "mirror-package-invalid",
        "critical",
        "updates.zip is not a zip (an HTML error page saved by curl without -f), cannot be read as a zip, or is over --max-package-size.",
        "Delete the package and manifest on the mirror and run the downloader again.",
    ),
    r(
        "mirror-stale",
        "warning",
        "The package was last changed more than --stale-after ago (default 7 days).",
        "Check the downloader's cron job and that its folder is not under /tmp.",
    ),
    r(
        "mirror-permissions",
        "warning (critical when a read fails)",
        "Directory-mirror files or folders are not readable by everyone; on a root-squashed NFS export the daemon reads as nobody.",
        "chmod -R a+rX on the mirror folder.",
    ),
    r(
        "config-not-found",
        "info",
        "There is no managed configuration file; settings may come from Intune or the security portal.",
        "Nothing, if health shows the settings as [managed]; otherwise create the file.",
    ),
    r(
        "config-unreadable",
        "warning",
        "The managed configuration exists but cannot be read (permissions, a directory, over 1 MiB).",
        "Fix the file's type, size and permissions.",
    ),
    r(
        "config-invalid-json",
        "critical",
        "The file is not valid JSON (line and column given), so mdatp ignores all of it.",
        "Fix the syntax; `python3 -m json.tool FILE` shows where.",
    ),
    r(
        "config-unknown-key",
        "warning",
        "A key or section mdatp does not know, with a did-you-mean suggestion; mdatp ignores it and the setting keeps its default (offlineDefintionUpdateFallbackToCloud leaves fallback on).",
        "Rename it to the suggested key.",
    ),
    r(
        "config-wrong-section",
        "critical for offline keys, else warning",
        "A documented key placed in the wrong section (offlineDefinitionUpdate under features), so mdatp ignores it.",
        "Move it to the section named in the finding.",
    ),
    r(
        "config-invalid-value",
        "critical for offline keys, else warning",
        "A value of the wrong type or outside its allowed values (\"true\" as a string, a non-positive interval).",
        "Write the value in the documented type.",
    ),
    r(
        "config-duplicate-key",
        "info",
        "A key appears more than once in one object; the last one wins.",
        "Keep one.",
    ),
    r(
        "config-not-applied",
        "warning",
        "The file sets an offline-update value, but health shows a different value or no [managed] marker: mdatp did not take it.",
        "Check the other config findings, the file's permissions, and any Intune or portal policy.",
    ),
    r(
        "history-off",
        "info",
        "The state directory cannot be written, so no run history is kept and toggle sequences cannot be seen.",
        "Make --state-dir writable by root.",
    ),
];

pub fn find(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests;
