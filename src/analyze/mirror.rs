//! Rules about the mirror location and what probing it found: `url-*` and `mirror-*`.
//! Pure: the configured text, its check and the probe record in, findings out.

use crate::units::human_age;
use std::time::{Duration, SystemTime};

use super::finding::{Evidence, Finding, Severity};
use crate::mirror::step::UrlSource;
use crate::mirror::tls::TlsFailureKind;
use crate::mirror::url::{Checked, UrlProblem};
use crate::mirror::{ArchProbe, ErrorKind, Step, StepError, StepName, age};

/// Everything the rules look at.
#[derive(Debug, Clone)]
pub struct MirrorFacts<'a> {
    /// The configured text, when any source had one.
    pub url: Option<(&'a str, UrlSource)>,
    pub checked: Option<&'a Checked>,
    pub probes: &'a [ArchProbe],
    /// `offline_definition_update` from health, when known.
    pub offline_enabled: Option<bool>,
    pub managed_config: &'a str,
    pub stale_after: Duration,
    pub now: SystemTime,
}

const URL_KEY: &str = "antivirusEngine.offlineDefinitionUpdateUrl";
const EXAMPLE_URL: &str = "http://mirror.example:8000/linux/production/";

pub fn findings(facts: &MirrorFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    url_findings(facts, &mut out);
    for probe in facts.probes {
        probe_findings(probe, facts, &mut out);
    }
    // Host-level failures (DNS, TCP, TLS) repeat for every architecture: keep one.
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert((f.id, f.title.clone())));
    out
}

fn set_url_fix(facts: &MirrorFacts, value: &str) -> String {
    format!(
        "Set {URL_KEY} in {} to \"{value}\" (or the same setting in your Intune/portal policy), then check `mdatp health --details definitions`.",
        facts.managed_config
    )
}

fn url_findings(facts: &MirrorFacts, out: &mut Vec<Finding>) {
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
        out.push(Finding::new(
            "url-missing",
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
            UrlProblem::Malformed { reason, suggestion } => out.push(Finding::new(
                "url-malformed",
                Severity::Critical,
                format!("The mirror URL is not usable: {reason}"),
                ev(),
                set_url_fix(facts, suggestion.as_deref().unwrap_or(EXAMPLE_URL)),
            )),
            UrlProblem::IncludesArch { segment, suggestion } => out.push(Finding::new(
                "url-includes-arch",
                Severity::Critical,
                format!("The mirror URL includes `{segment}`: the endpoint appends arch_<arch>/ itself, so it asks for a folder that does not exist"),
                ev(),
                set_url_fix(facts, suggestion),
            )),
            UrlProblem::PlatformMismatch { suggestion } => out.push(Finding::new(
                "url-platform-mismatch",
                Severity::Critical,
                "The mirror URL points at the macOS packages (/mac/) on a Linux endpoint".into(),
                ev(),
                set_url_fix(facts, suggestion),
            )),
            UrlProblem::NotRingFolder => out.push(Finding::new(
                "url-not-ring-folder",
                Severity::Warning,
                "The mirror URL does not end at a ring folder (linux/production/ or linux/preview/)".into(),
                ev(),
                format!(
                    "Point {URL_KEY} at the folder the downloader writes, <downloadFolder>/linux/production/ (or preview/), e.g. \"{EXAMPLE_URL}\"."
                ),
            )),
            UrlProblem::Rollback { ring } => out.push(Finding::new(
                "url-rollback",
                Severity::Info,
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

fn probe_findings(probe: &ArchProbe, facts: &MirrorFacts, out: &mut Vec<Finding>) {
    let arch = &probe.arch;
    let src = format!("probe:{arch}");
    for step in &probe.steps {
        let Some(err) = &step.error else {
            if step.name == StepName::Manifest && step.note.is_some() {
                out.push(Finding::new(
                    "mirror-manifest-invalid",
                    Severity::Warning,
                    format!("manifest.json for {arch} has empty versions: the downloader's last run got a proxy or error page instead of version information"),
                    step_evidence(&src, step),
                    "Run the downloader by hand on the mirror and read its output; check that it reaches go.microsoft.com (its proxy settings).".into(),
                ));
            }
            continue;
        };
        if let Some(f) = step_failure(probe, step, err, &src) {
            out.push(f);
        }
    }
    if let Some(pkg) = &probe.package
        && let Some(modified) = pkg.last_modified
        && let Some(old) = age(modified, facts.now)
        && old > facts.stale_after
    {
        out.push(Finding::new(
            "mirror-stale",
            Severity::Warning,
            format!("updates.zip for {arch} was last changed {} ago", human_age(old)),
            vec![Evidence::new(&src, "updates.zip last modified", modified.to_string())],
            "The downloader has stopped refreshing it: check its cron job on the mirror (`crontab -l`), its output, and that its download folder is not under /tmp (cleaned at boot).".into(),
        ));
    }
    if !probe.permissions.is_empty() {
        let evidence = probe
            .permissions
            .iter()
            .map(|p| {
                Evidence::new(
                    &src,
                    format!("{} (mode {}, uid {})", p.path, p.mode, p.uid),
                    &p.problem,
                )
            })
            .collect();
        out.push(Finding::new(
            "mirror-permissions",
            Severity::Warning,
            format!("Files of the {arch} mirror folder are not readable by everyone"),
            evidence,
            format!(
                "Make the mirror world-readable on the server: `chmod -R a+rX {}` (mdatp reads it as root, which an NFS export with root_squash maps to nobody).",
                probe.location
            ),
        ));
    }
}

fn step_evidence(src: &str, step: &Step) -> Vec<Evidence> {
    let mut ev = Vec::new();
    for key in [
        "host",
        "url",
        "path",
        "status",
        "redirects",
        "signature",
        "content_type",
        "engine_version",
        "definition_version",
    ] {
        if let Some(v) = step
            .detail
            .get(key)
            .filter(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
        {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            ev.push(Evidence::new(src, format!("{}.{key}", step.name), text));
        }
    }
    if let Some(err) = &step.error {
        ev.push(Evidence::new(
            src,
            format!("{}.error", step.name),
            &err.message,
        ));
    }
    ev
}

fn step_failure(probe: &ArchProbe, step: &Step, err: &StepError, src: &str) -> Option<Finding> {
    let arch = &probe.arch;
    let ev = step_evidence(src, step);
    let target = step
        .detail
        .get("url")
        .or_else(|| step.detail.get("path"))
        .and_then(|v| v.as_str())
        .unwrap_or(&probe.location)
        .to_string();
    let missing = err.kind == ErrorKind::NotFound || err.status == Some(404);
    let f = match (step.name, err.kind) {
        (_, ErrorKind::Timeout | ErrorKind::ConnectTimeout) => Finding::new(
            "mirror-timeout",
            Severity::Critical,
            "The mirror did not answer in time".into(),
            ev,
            "Something drops or stalls the traffic: check the route and any firewall between the endpoint and the mirror, and that the mirror's server (or mount) is not hung.".into(),
        ),
        (_, ErrorKind::PermissionDenied) => Finding::new(
            "mirror-permissions",
            Severity::Critical,
            format!("{target} cannot be read"),
            ev,
            format!("Make the mirror readable on the server: `chmod -R a+rX {}`; on NFS, mdatp's root is mapped to nobody unless the export has no_root_squash.", probe.location),
        ),
        (StepName::Dns, _) => Finding::new(
            "mirror-dns-failed",
            Severity::Critical,
            "The mirror's host name does not resolve".into(),
            ev,
            "Check that the endpoint resolves the mirror's name (`getent hosts <host>`): fix DNS or /etc/hosts, or use the mirror's IP address in the URL.".into(),
        ),
        (StepName::Tcp, _) => Finding::new(
            "mirror-unreachable",
            Severity::Critical,
            "The mirror refuses or cannot be reached".into(),
            ev,
            "Check that the mirror's web server runs and listens on that address and port, and that no firewall blocks it (`curl -v <url>` from the endpoint).".into(),
        ),
        (StepName::Tls, _) | (_, ErrorKind::Tls) => Finding::new(
            "mirror-tls-error",
            Severity::Critical,
            format!("TLS to the mirror fails: {}", err.tls.map(|k| k.describe()).unwrap_or("handshake failure")),
            tls_evidence(src, step, ev),
            tls_fix(err.tls, step),
        ),
        (StepName::Manifest, _) if missing => Finding::new(
            "mirror-manifest-missing",
            Severity::Warning,
            format!("The mirror has no manifest.json for {arch}"),
            ev,
            "Update the downloader (xplat_offline_updates_download.sh from microsoft/mdatp-xplat, script 0.0.2 or later) and run it: it writes arch_*/manifest.json.".into(),
        ),
        (StepName::Manifest, ErrorKind::Invalid | ErrorKind::TooLarge) => Finding::new(
            "mirror-manifest-invalid",
            Severity::Warning,
            format!("manifest.json for {arch} is not a valid manifest"),
            ev,
            format!("Delete {target} on the mirror and run the downloader again; it rewrites the manifest."),
        ),
        (StepName::Package, _) if missing => Finding::new(
            "mirror-package-missing",
            Severity::Critical,
            format!("The mirror has no updates.zip for {arch}"),
            ev,
            format!(
                "Run the downloader on the mirror. If manifest.json is there without updates.zip, delete {}manifest.json first: the script skips a version its manifest already names.{}",
                with_slash(&probe.location),
                if arch == "arm64" { " Downloaders from before November 2024 leave arch_arm64 empty: update it." } else { "" }
            ),
        ),
        (StepName::PackageSignature | StepName::PackageVerify, ErrorKind::Invalid | ErrorKind::TooLarge) => Finding::new(
            "mirror-package-invalid",
            Severity::Critical,
            format!("updates.zip for {arch} is not a usable package: {}", err.message),
            ev,
            format!(
                "The downloader runs curl without -f and can save an error page as the package: delete {0}updates.zip and {0}manifest.json on the mirror, run the downloader again and read its output.{1}",
                with_slash(&probe.location),
                if err.kind == ErrorKind::TooLarge { " If the size is expected, raise --max-package-size." } else { "" }
            ),
        ),
        _ => Finding::new(
            "mirror-http-error",
            Severity::Critical,
            format!("The mirror answered badly for {arch}: {}", err.message),
            ev,
            "Check the web server's configuration and error log: it must serve the download folder as plain files, without redirect loops or authentication.".into(),
        ),
    };
    Some(f)
}

fn with_slash(s: &str) -> String {
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

fn tls_evidence(src: &str, step: &Step, mut ev: Vec<Evidence>) -> Vec<Evidence> {
    if let Some(cert) = step.detail.get("certificate") {
        for key in ["subject", "issuer", "not_after", "names"] {
            if let Some(v) = cert.get(key) {
                ev.push(Evidence::new(
                    src,
                    format!("certificate.{key}"),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                ));
            }
        }
    }
    ev
}

fn tls_fix(kind: Option<TlsFailureKind>, step: &Step) -> String {
    let cert = step.detail.get("certificate");
    let field = |k: &str| {
        cert.and_then(|c| c.get(k))
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_else(|| "?".into())
    };
    match kind {
        Some(TlsFailureKind::UnknownIssuer) => format!(
            "Trust the CA that signed the mirror's certificate (issuer: {}): copy it to /usr/local/share/ca-certificates/ and run update-ca-certificates (Debian, Ubuntu), or to /etc/pki/ca-trust/source/anchors/ and run update-ca-trust (RHEL, SUSE); test first with `mdatp-doctor connectivity --ca-cert <ca.pem>`.",
            field("issuer")
        ),
        Some(TlsFailureKind::Expired) => format!("Renew the mirror's certificate (valid until {}).", field("not_after")),
        Some(TlsFailureKind::NotYetValid) => "The certificate starts in the future: check the clock of the endpoint and of the CA (`timedatectl`).".into(),
        Some(TlsFailureKind::NameMismatch) => format!(
            "The certificate is for {}: issue one that includes the host name used in the URL, or use a name it covers.",
            field("names")
        ),
        _ => "Check the mirror's TLS configuration (certificate chain, protocol versions) with `openssl s_client -connect <host>:<port> -showcerts`.".into(),
    }
}

#[cfg(test)]
mod tests;
