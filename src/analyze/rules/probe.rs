//! What probing the mirror found, and the mirror's versions against the endpoint's:
//! `mirror-*`, `endpoint-behind-mirror`.

use super::prelude::*;
use crate::analyze::snapshot::OsFamily;
use crate::mirror::step::Key;
use crate::mirror::tls::TlsFailureKind;
use crate::mirror::{ArchProbe, ErrorKind, Step, StepError, StepName, age};

pub static ENDPOINT_BEHIND_MIRROR: Rule = Rule {
    id: "endpoint-behind-mirror",
    severity: "warning",
    meaning: "The mirror's manifest has newer definitions than the endpoint and the last update is older than the update interval: the endpoint is not pulling.",
    fix: "Run `mdatp-doctor update` to see what fails.",
    basis: "Warning: the endpoint had an update interval to pull and did not, but the definitions in place still protect; a person looks within a day, and definitions-stale turns critical past the critical age. Inferred from the manifest the downloader writes (mdatp-xplat) and the documented update interval.",
};

pub static MIRROR_BEHIND_ENDPOINT: Rule = Rule {
    id: "mirror-behind-endpoint",
    severity: "warning",
    meaning: "The endpoint runs newer definitions than the mirror offers: they came from the cloud, and the mirror's downloader is stuck.",
    fix: "Run the downloader by hand on the mirror; check its cron job and proxy: it must reach go.microsoft.com and definitionupdates.microsoft.com.",
    basis: "Warning: this endpoint is current (from the cloud); the mirror's downloader needs a person within a day before endpoints without cloud access fall behind. Inferred from the manifest the downloader writes (mdatp-xplat).",
};

pub static MIRROR_DNS_FAILED: Rule = Rule {
    id: "mirror-dns-failed",
    severity: "critical",
    meaning: "The mirror's host name does not resolve on the endpoint.",
    fix: "Fix DNS or /etc/hosts, or use the mirror's address in the URL.",
    basis: "Critical: the endpoint cannot find its mirror, so it will not update from it. Measured by this tool's probe, connecting as the endpoint would.",
};

pub static MIRROR_UNREACHABLE: Rule = Rule {
    id: "mirror-unreachable",
    severity: "critical",
    meaning: "The mirror refuses connections or has no route.",
    fix: "Check the web server runs and listens, and the firewall.",
    basis: "Critical: the mirror refuses or cannot be reached (or its folder cannot be read), so the endpoint will not update from it. Measured by this tool's probe, connecting as the endpoint would.",
};

pub static MIRROR_TIMEOUT: Rule = Rule {
    id: "mirror-timeout",
    severity: "critical (warning when only --verify-package's download outlived --package-timeout)",
    meaning: "No connection (--connect-timeout per address), no answer (--probe-timeout), or a download cut by its deadline (--package-timeout for --verify-package), with how much arrived and how fast.",
    fix: "Check for a firewall dropping packets or a hung server or mount.",
    basis: "Critical: a mirror that does not connect or answer gives the endpoint no update; warning when the mirror answered and only the full download outlived this tool's own --package-timeout: nothing says the package is bad, a person checks the link within a day. Measured by this tool's probe, with its own time limits.",
};

pub static MIRROR_TLS_ERROR: Rule = Rule {
    id: "mirror-tls-error",
    severity: "critical",
    meaning: "TLS fails: unknown issuer, expired or not yet valid certificate, name mismatch, or handshake failure; the certificate's subject, issuer and dates are in the evidence.",
    fix: "Trust the issuing CA in the system store, renew the certificate, or issue one for the URL's host name.",
    basis: "Critical: the endpoint cannot open a trusted connection to its mirror, so it will not update from it. Measured by this tool's probe against the system trust store; trust store paths per distribution are each distribution's documentation.",
};

pub static MIRROR_HTTP_ERROR: Rule = Rule {
    id: "mirror-http-error",
    severity: "critical",
    meaning: "The mirror answers with an HTTP error other than 404, redirects in a loop or more than 5 times.",
    fix: "Check the web server's configuration and error log.",
    basis: "Critical: the mirror does not hand out its files (an HTTP error, a redirect loop, a link-local redirect), so the endpoint will not update from it. Measured by this tool's probe.",
};

pub static MIRROR_REDIRECT_CROSS_HOST: Rule = Rule {
    id: "mirror-redirect-cross-host",
    severity: "warning",
    meaning: "The mirror redirects requests to another host (or port): what the endpoint downloads comes from there, not from the mirror configured. A redirect to a link-local address (a cloud metadata service) is refused and reported as mirror-http-error.",
    fix: "Make sure the other host is meant to serve the updates, or serve the files from the mirror itself.",
    basis: "Warning: updates still arrive, but from a host nobody configured here, which a person should confirm within a day; nothing is unprotected yet. Measured; refusing link-local targets is this tool's policy.",
};

pub static MIRROR_MANIFEST_MISSING: Rule = Rule {
    id: "mirror-manifest-missing",
    severity: "warning",
    meaning: "arch_<arch>/manifest.json is missing: a downloader older than script 0.0.2, or a failed run.",
    fix: "Update and run the downloader.",
    basis: "Warning: the package is judged on its own (mirror-package-*); a missing manifest points at an old downloader or a failed run, for a person within a day. Documented layout: the downloader (mdatp-xplat, script 0.0.2) writes arch_*/manifest.json.",
};

pub static MIRROR_MANIFEST_INVALID: Rule = Rule {
    id: "mirror-manifest-invalid",
    severity: "warning",
    meaning: "manifest.json is not JSON, or its versions are empty (the downloader got a proxy or error page).",
    fix: "Run the downloader by hand and read its output.",
    basis: "Warning: a sign that the downloader's last run got an error page; the package itself is judged by mirror-package-invalid, so a person reruns the downloader within a day. Documented behaviour of the downloader (mdatp-xplat): curl without -f keeps error pages.",
};

pub static MIRROR_PACKAGE_MISSING: Rule = Rule {
    id: "mirror-package-missing",
    severity: "critical",
    meaning: "arch_<arch>/updates.zip is missing (404, or absent from the directory).",
    fix: "Run the downloader; delete a manifest.json left without its updates.zip first.",
    basis: "Critical: without updates.zip (or its arch folder) the endpoint gets no package from the mirror and will not update from it. Documented layout: the downloader (mdatp-xplat) writes arch_*/updates.zip.",
};

pub static MIRROR_PACKAGE_INVALID: Rule = Rule {
    id: "mirror-package-invalid",
    severity: "critical",
    meaning: "updates.zip is not a zip (an HTML error page saved by curl without -f), cannot be read as a zip, or is over --max-package-size.",
    fix: "Delete the package and manifest on the mirror and run the downloader again.",
    basis: "Critical: the package the endpoint would fetch is not a usable zip (or is over the size limit), so it gets a bad package or none. Measured (the zip is read); the cause named is the downloader's documented behaviour (mdatp-xplat).",
};

pub static MIRROR_STALE: Rule = Rule {
    id: "mirror-stale",
    severity: "warning",
    meaning: "The package was last changed more than --stale-after ago (default 7 days).",
    fix: "Check the downloader's cron job and that its folder is not under /tmp.",
    basis: "Warning: the mirror still serves a package, only an old one, so a person checks its downloader within a day; the endpoint's own age is definitions-stale's to grade. Inferred threshold (--stale-after, 7 days by default).",
};

pub static MIRROR_PERMISSIONS: Rule = Rule {
    id: "mirror-permissions",
    severity: "warning (critical when a read fails)",
    meaning: "Directory-mirror files or folders are not readable by everyone; on a root-squashed NFS export the daemon reads as nobody.",
    fix: "chmod -R a+rX on the mirror folder.",
    basis: "Warning: files not readable by everyone may still be read by mdatp as root, except on a root-squashed share, so a person checks within a day; critical when a read fails: the endpoint cannot fetch the package and will not update from the mirror. Inferred: mdatp reads a share as root, which root_squash maps to nobody.",
};

pub static ENGINE_BEHIND_MIRROR: Rule = Rule {
    id: "engine-behind-mirror",
    severity: "warning",
    meaning: "The mirror's manifest.json offers a newer EngineVersion than the endpoint's engine_version, and the endpoint has had an update interval to pull it (the same comparison as endpoint-behind-mirror, for the engine) — or, at once, when the endpoint already runs the mirror's DefinitionVersion: it took the package and the engine in it did not apply.",
    fix: "Run `mdatp-doctor update` to pull now and read what fails. Since 2026 an engine that fails signature verification is not loaded (documented: the offline-update page): check engine_load_status too.",
    basis: "Warning: the endpoint still runs a loaded engine, only not the newer one; a person looks within a day, and engine-not-loaded is the critical case. Inferred from the manifest's EngineVersion (mdatp-xplat) and the documented update interval.",
};

pub static MIRROR_ENGINE_BEHIND_ENDPOINT: Rule = Rule {
    id: "mirror-engine-behind-endpoint",
    severity: "warning",
    meaning: "The endpoint runs a newer engine than the mirror offers: it came from the cloud, and the mirror's downloader is stuck.",
    fix: "On the mirror, run the downloader by hand and read its output; it must reach go.microsoft.com and definitionupdates.microsoft.com.",
    basis: "Warning: this endpoint is current (from the cloud); the mirror's downloader needs a person within a day before endpoints without cloud access fall behind. Inferred from the manifest's EngineVersion (mdatp-xplat).",
};

pub static MDATP_TEST_MIRROR_FAILED: Rule = Rule {
    id: "mdatp-test-mirror-failed",
    severity: "warning",
    meaning: "`mdatp connectivity test` printed a line for the mirror (builds from 101.26052.0012 test the offline update paths; the output format is not published) and it did not end in OK: mdatp itself cannot reach the mirror, whatever this tool's own probe saw.",
    fix: "Compare with this tool's probe: a difference points at what mdatp uses and we do not (its proxy, its trust store, its name resolution).",
    basis: "Warning: a lead for a person within a day, not proof that the endpoint cannot update: the line's format is unpublished, and the probe and update findings judge the mirror. Documented that 101.26052.0012 tests the offline paths (release notes); the output format is not published.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[
    &MDATP_TEST_MIRROR_FAILED,
    &ENDPOINT_BEHIND_MIRROR,
    &ENGINE_BEHIND_MIRROR,
    &MIRROR_ENGINE_BEHIND_ENDPOINT,
    &MIRROR_BEHIND_ENDPOINT,
    &MIRROR_DNS_FAILED,
    &MIRROR_UNREACHABLE,
    &MIRROR_TIMEOUT,
    &MIRROR_TLS_ERROR,
    &MIRROR_HTTP_ERROR,
    &MIRROR_REDIRECT_CROSS_HOST,
    &MIRROR_MANIFEST_MISSING,
    &MIRROR_MANIFEST_INVALID,
    &MIRROR_PACKAGE_MISSING,
    &MIRROR_PACKAGE_INVALID,
    &MIRROR_STALE,
    &MIRROR_PERMISSIONS,
];

/// The engine: the same comparison as the definitions, on the manifest's EngineVersion.
pub(super) fn engine_vs_mirror(s: &Snapshot, out: &mut Vec<Finding>) {
    let (Some(endpoint), Some(mirror)) = (s.str("engine_version"), s.mirror.engine_version())
    else {
        return;
    };
    let evidence = vec![
        ev(s, "engine_version"),
        Evidence::new("mirror", "manifest.json EngineVersion", mirror),
    ];
    match compare_versions(mirror, endpoint) {
        Some(Ordering::Greater) => {
            // Same definitions as the mirror's package, older engine: the endpoint took
            // the package and the engine in it did not apply. No interval to wait for.
            let took_package = s
                .str("definitions_version")
                .zip(s.mirror.definitions_version())
                .is_some_and(|(e, m)| compare_versions(e, m) == Some(Ordering::Equal));
            if took_package {
                let mut evidence = evidence;
                evidence.push(ev(s, "definitions_version"));
                evidence.push(Evidence::new("mirror", "manifest.json DefinitionVersion", s.mirror.definitions_version().unwrap_or("")));
                out.push(ENGINE_BEHIND_MIRROR.raise(
                    Severity::Warning,
                    format!("The endpoint took the mirror's package (same definitions) but its engine is still {endpoint}, not the package's {mirror}: the engine did not apply"),
                    evidence,
                    "Check engine_load_status and `journalctl -u mdatp` for the engine update, verify the package (`mdatp-doctor connectivity --verify-package`), then `mdatp definitions update`.".into(),
                ));
                return;
            }
            let waited = definitions_age(s).is_none_or(|(age, _)| age > s.update_interval());
            if waited {
                out.push(ENGINE_BEHIND_MIRROR.raise(
                    Severity::Warning,
                    format!("The mirror has engine {mirror} but the endpoint still runs {endpoint}"),
                    evidence,
                    "Run `mdatp-doctor update` to pull now and read what fails; an engine that fails signature verification is not loaded (check engine_load_status and the package with `mdatp-doctor connectivity --verify-package`).".into(),
                ));
            }
        }
        Some(Ordering::Less) => out.push(MIRROR_ENGINE_BEHIND_ENDPOINT.raise(
            Severity::Warning,
            format!("The endpoint runs engine {endpoint}, newer than the mirror's {mirror}: it came from the cloud, and the mirror's downloader is stuck"),
            evidence,
            "On the mirror, run the downloader by hand and read its output; it must reach go.microsoft.com and definitionupdates.microsoft.com (check its proxy: curl takes cron's environment).".into(),
        )),
        _ => {}
    }
}

pub(super) fn mirror_vs_endpoint(s: &Snapshot, out: &mut Vec<Finding>) {
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
                out.push(ENDPOINT_BEHIND_MIRROR.raise(Severity::Warning,
                    format!("The mirror has {mirror} but the endpoint still runs {endpoint}: it is not pulling"),
                    evidence,
                    "Run `mdatp-doctor update` to pull now and see what fails; check the automatic-update and enforcement findings.".into(),
                ));
            }
        }
        Some(Ordering::Less) => out.push(MIRROR_BEHIND_ENDPOINT.raise(Severity::Warning,
            format!("The endpoint runs {endpoint}, newer than the mirror's {mirror}: it came from the cloud, and the mirror's downloader is stuck"),
            evidence,
            "On the mirror, run the downloader by hand and read its output; check its cron job and its proxy (curl takes cron's environment): it must reach go.microsoft.com and definitionupdates.microsoft.com.".into(),
        )),
        _ => {}
    }
}
pub(super) fn probe_findings(probe: &ArchProbe, facts: &MirrorFacts, out: &mut Vec<Finding>) {
    let arch = &probe.arch;
    let src = format!("probe:{arch}");
    for step in &probe.steps {
        let Some(err) = &step.error else {
            if step.name == StepName::Manifest && step.note.is_some() {
                out.push(MIRROR_MANIFEST_INVALID.raise(Severity::Warning,
                    format!("manifest.json for {arch} has empty versions: the downloader's last run got a proxy or error page instead of version information"),
                    step_evidence(&src, step),
                    "Run the downloader by hand on the mirror and read its output; check that it reaches go.microsoft.com and definitionupdates.microsoft.com (its proxy settings: curl takes cron's environment).".into(),
                ));
            }
            continue;
        };
        if let Some(f) = step_failure(probe, step, err, &src, facts) {
            out.push(f);
        }
    }
    cross_host_redirects(probe, &src, out);
    if let Some(pkg) = &probe.package
        && let Some(modified) = pkg.last_modified
        && let Some(old) = age(modified, facts.now)
        && old > facts.stale_after
    {
        out.push(MIRROR_STALE.raise(Severity::Warning,
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
        out.push(MIRROR_PERMISSIONS.raise(Severity::Warning,
            format!("Files of the {arch} mirror folder are not readable by everyone"),
            evidence,
            format!(
                "Make the mirror world-readable on the server: `chmod -R a+rX {}` (mdatp reads it as root, which an NFS export with root_squash maps to nobody).",
                probe.location
            ),
        ));
    }
}
/// Redirects to another host, once per architecture, each hop named.
fn cross_host_redirects(probe: &ArchProbe, src: &str, out: &mut Vec<Finding>) {
    let mut evidence = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for step in &probe.steps {
        let Some(hops) = step.get(Key::Redirects).and_then(|v| v.as_array()) else {
            continue;
        };
        for hop in hops.iter().filter(|h| h["cross_host"] == true) {
            let (from, to) = (
                hop["from"].as_str().unwrap_or("?"),
                hop["to"].as_str().unwrap_or("?"),
            );
            let host = url::Url::parse(to)
                .ok()
                .and_then(|u| {
                    u.host_str().map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_string(),
                    })
                })
                .unwrap_or_else(|| to.to_string());
            if !targets.contains(&host) {
                targets.push(host);
            }
            if evidence.len() < 5 {
                evidence.push(Evidence::new(
                    src,
                    format!("{}.redirect", step.name),
                    format!("{from} → {to}"),
                ));
            }
        }
    }
    if targets.is_empty() {
        return;
    }
    out.push(MIRROR_REDIRECT_CROSS_HOST.raise(Severity::Warning,
        format!("The mirror redirects {}'s requests to another host: {}", probe.arch, targets.join(", ")),
        evidence,
        format!(
            "Downloads that follow the redirect come from elsewhere than the configured mirror: make sure {} is meant to serve the updates (a CDN or load balancer you run), or serve the files from the mirror itself; a redirect nobody set up is a sign of a misconfigured or compromised server.",
            targets.join(", ")
        ),
    ));
}

fn step_evidence(src: &str, step: &Step) -> Vec<Evidence> {
    let mut ev = Vec::new();
    for key in [
        Key::Host,
        Key::Url,
        Key::Path,
        Key::Status,
        Key::Redirects,
        Key::Signature,
        Key::ContentType,
        Key::EngineVersion,
        Key::DefinitionVersion,
    ] {
        if let Some(v) = step
            .get(key)
            .filter(|v| v.as_array().is_none_or(|a| !a.is_empty()))
        {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            ev.push(Evidence::new(
                src,
                format!("{}.{}", step.name, key.as_str()),
                text,
            ));
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
fn step_failure(
    probe: &ArchProbe,
    step: &Step,
    err: &StepError,
    src: &str,
    facts: &MirrorFacts,
) -> Option<Finding> {
    let arch = &probe.arch;
    let ev = step_evidence(src, step);
    let target = step
        .get(Key::Url)
        .or_else(|| step.get(Key::Path))
        .and_then(|v| v.as_str())
        .unwrap_or(&probe.location)
        .to_string();
    let missing = err.kind == ErrorKind::NotFound || err.status == Some(404);
    // A directory mirror (a mount or a local folder) needs file-system fixes, never a
    // web server's.
    let on_disk =
        !(probe.location.starts_with("http://") || probe.location.starts_with("https://"));
    // What stands where a file should be (a FIFO, a directory), when that is the fault.
    let not_a_file = step
        .get(Key::FileType)
        .and_then(|v| v.as_str())
        .filter(|t| *t != "file");
    let f = match (step.name, err.kind) {
        // Cut by --package-timeout: the link is slow, the package may well be fine.
        // A warning: only this tool's own deadline was missed, and the manifest and the
        // package's first bytes (earlier steps) answered.
        (StepName::PackageVerify, ErrorKind::Timeout) => MIRROR_TIMEOUT.raise(Severity::Warning,
            format!("The download of updates.zip for {arch} did not finish in time: {}", err.message),
            ev,
            "Nothing says the package is bad: the download outlived --package-timeout. Raise it for this link and compare the throughput (evidence) with what endpoints need; a proxy may be shaping it.".into(),
        ),
        (_, ErrorKind::Timeout | ErrorKind::ConnectTimeout) => MIRROR_TIMEOUT.raise(Severity::Critical,
            "The mirror did not answer in time".into(),
            ev,
            "Something drops or stalls the traffic: check the route and any firewall between the endpoint and the mirror, and that the mirror's server (or mount) is not hung.".into(),
        ),
        (_, ErrorKind::PermissionDenied) => MIRROR_PERMISSIONS.raise(Severity::Critical,
            format!("{target} cannot be read"),
            ev,
            format!("Make the mirror readable on the server: `chmod -R a+rX {}`; on NFS, mdatp's root is mapped to nobody unless the export has no_root_squash.", probe.location),
        ),
        (StepName::Dns, _) => MIRROR_DNS_FAILED.raise(Severity::Critical,
            "The mirror's host name does not resolve".into(),
            ev,
            "Check that the endpoint resolves the mirror's name (`getent hosts <host>`): fix DNS or /etc/hosts, or use the mirror's IP address in the URL.".into(),
        ),
        (StepName::Tcp, _) => MIRROR_UNREACHABLE.raise(Severity::Critical,
            "The mirror refuses or cannot be reached".into(),
            ev,
            "Check that the mirror's web server runs and listens on that address and port, and that no firewall blocks it (`curl -v <url>` from the endpoint).".into(),
        ),
        (StepName::Tls, _) | (_, ErrorKind::Tls) => MIRROR_TLS_ERROR.raise(Severity::Critical,
            format!("TLS to the mirror fails: {}", err.tls.map(|k| k.describe()).unwrap_or("handshake failure")),
            tls_evidence(src, step, ev),
            tls_fix(err.tls, step, facts.os_family),
        ),
        (StepName::Directory, ErrorKind::NotFound | ErrorKind::Invalid) if on_disk => MIRROR_PACKAGE_MISSING.raise(Severity::Critical,
            format!("The mirror has no usable arch_{arch} folder: {}", err.message),
            ev,
            format!(
                "{target} must be a directory the downloader fills: check that the mirror's share is mounted (`findmnt -T {target}`), remove whatever stands in its place, and run the downloader on the mirror.{}",
                if arch == "arm64" { " Downloaders from before November 2024 leave arch_arm64 empty: update it." } else { "" }
            ),
        ),
        (StepName::Manifest, _) if missing => MIRROR_MANIFEST_MISSING.raise(Severity::Warning,
            format!("The mirror has no manifest.json for {arch}"),
            ev,
            format!("Update the downloader (xplat_offline_updates_download.sh from microsoft/mdatp-xplat, script 0.0.2 or later) and run it: it writes arch_*/manifest.json.{}", downloader_switch(&probe.location)),
        ),
        (StepName::Manifest, ErrorKind::Invalid | ErrorKind::TooLarge) => MIRROR_MANIFEST_INVALID.raise(Severity::Warning,
            format!("manifest.json for {arch} is not a valid manifest"),
            ev,
            match not_a_file {
                Some(kind) => format!("{target} is a {kind}, not a file: remove it on the mirror and run the downloader again; it writes manifest.json as a plain file."),
                None => format!("Delete {target} on the mirror and run the downloader again; it rewrites the manifest."),
            },
        ),
        (StepName::Package, _) if missing => MIRROR_PACKAGE_MISSING.raise(Severity::Critical,
            format!("The mirror has no updates.zip for {arch}"),
            ev,
            format!(
                "Run the downloader on the mirror. If manifest.json is there without updates.zip, delete {}manifest.json first: the script skips a version its manifest already names.{}{}",
                with_slash(&probe.location),
                if arch == "arm64" { " Downloaders from before November 2024 leave arch_arm64 empty: update it." } else { "" },
                downloader_switch(&probe.location)
            ),
        ),
        // updates.zip is no regular file (a FIFO, a directory, a symlink loop).
        (StepName::Package, ErrorKind::Invalid | ErrorKind::TooLarge) => MIRROR_PACKAGE_INVALID.raise(Severity::Critical,
            format!("updates.zip for {arch} is not a usable package: {}", err.message),
            ev,
            format!(
                "{target} must be a plain file: remove what stands there on the mirror (`ls -l {target}`), delete {}manifest.json too, and run the downloader again.",
                with_slash(&probe.location)
            ),
        ),
        (StepName::PackageSignature | StepName::PackageVerify, ErrorKind::Invalid | ErrorKind::TooLarge) => MIRROR_PACKAGE_INVALID.raise(Severity::Critical,
            format!("updates.zip for {arch} is not a usable package: {}", err.message),
            ev,
            format!(
                "The downloader runs curl without -f and can save an error page as the package: delete {0}updates.zip and {0}manifest.json on the mirror, run the downloader again and read its output.{1}",
                with_slash(&probe.location),
                if err.kind == ErrorKind::TooLarge { " If the size is expected, raise --max-package-size." } else { "" }
            ),
        ),
        // Any other failure of a mount or folder: the file system, not a web server.
        _ if on_disk => MIRROR_UNREACHABLE.raise(Severity::Critical,
            format!("The mirror folder for {arch} cannot be read: {}", err.message),
            ev,
            format!(
                "The file system returned an error: check the mount holding {target} (`findmnt -T {target}`, `dmesg`); remount a share whose server went away (a stale NFS handle), and check the files with `ls -l` on the mirror."
            ),
        ),
        (_, ErrorKind::RedirectRefused) => MIRROR_HTTP_ERROR.raise(Severity::Critical,
            format!("The mirror redirects {arch}'s requests to a link-local address, which was not followed"),
            ev,
            "A redirect to a link-local address (169.254.0.0/16, fe80::/10) points at a cloud metadata service, never at updates: find and remove that redirect in the web server's (or its proxy's) configuration, and check the server was not tampered with.".into(),
        ),
        _ if err.status == Some(403) => MIRROR_HTTP_ERROR.raise(Severity::Critical,
            format!("The mirror forbids {arch}'s files: {}", err.message),
            ev,
            "The web server may not read the files: make the download folder world-readable (`chmod -R a+rX <downloadFolder>`), and on an SELinux host (RHEL) give it the web content label: `semanage fcontext -a -t httpd_sys_content_t '<downloadFolder>(/.*)?'` then `restorecon -Rv <downloadFolder>` (a relabel or a copy from /tmp loses it).".into(),
        ),
        _ => MIRROR_HTTP_ERROR.raise(Severity::Critical,
            format!("The mirror answered badly for {arch}: {}", err.message),
            ev,
            "Check the web server's configuration and error log: it must serve the download folder as plain files, without redirect loops or authentication.".into(),
        ),
    };
    Some(f)
}
/// The downloader setting that fills the folder a 404 came from (its settings.json):
/// preview rings, the n-1 backup and the Linux packages are each opt-in.
fn downloader_switch(location: &str) -> String {
    let l = location.to_ascii_lowercase();
    if l.contains("_back/") || l.trim_end_matches('/').contains("_back") {
        " A _back folder exists only with \"backupPreviousUpdates\": true in the downloader's settings.json, and stays empty until a second version has been downloaded.".into()
    } else if l.contains("/preview") {
        " The preview ring is downloaded only with \"downloadPreviewUpdates\": true in the downloader's settings.json.".into()
    } else if !l.contains("/linux/") {
        " Linux packages are downloaded only with \"downloadLinuxUpdates\": true in the downloader's settings.json.".into()
    } else {
        String::new()
    }
}

fn with_slash(s: &str) -> String {
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}
fn tls_evidence(src: &str, step: &Step, mut ev: Vec<Evidence>) -> Vec<Evidence> {
    if let Some(cert) = step.get(Key::Certificate) {
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
fn tls_fix(kind: Option<TlsFailureKind>, step: &Step, os: Option<OsFamily>) -> String {
    let cert = step.get(Key::Certificate);
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
        Some(TlsFailureKind::UnknownIssuer) => {
            let store = match os {
                Some(os) => {
                    let (dir, cmd) = os.trust_store();
                    format!("copy it to {dir} and run {cmd}")
                }
                None => "copy it to /usr/local/share/ca-certificates/ (as .crt) and run update-ca-certificates on Debian and Ubuntu, to /etc/pki/ca-trust/source/anchors/ and run update-ca-trust on RHEL, or to /etc/pki/trust/anchors/ and run update-ca-certificates on SUSE".into(),
            };
            format!(
                "Trust the CA that signed the mirror's certificate (issuer: {}): {store}; test first with `mdatp-doctor connectivity --ca-cert <ca.pem>`.",
                field("issuer")
            )
        }
        Some(TlsFailureKind::Expired) => format!("Renew the mirror's certificate (valid until {}).", field("not_after")),
        Some(TlsFailureKind::NotYetValid) => "The certificate starts in the future: check the clock of the endpoint and of the CA (`timedatectl`).".into(),
        Some(TlsFailureKind::NameMismatch) => format!(
            "The certificate is for {}: issue one that includes the host name used in the URL, or use a name it covers.",
            field("names")
        ),
        _ => "Check the mirror's TLS configuration (certificate chain, protocol versions) with `openssl s_client -connect <host>:<port> -showcerts`.".into(),
    }
}

/// mdatp's own test, where it printed a line for the configured mirror.
pub(super) fn mdatp_test_of_mirror(facts: &MirrorFacts, out: &mut Vec<Finding>) {
    let (Some(test), Some((configured, _))) = (facts.mdatp_test, facts.url) else {
        return;
    };
    let mirror = normalize_location(configured);
    for r in &test.results {
        if r.ok || !normalize_location(&r.url).starts_with(&mirror) {
            continue;
        }
        let mut evidence = vec![Evidence::new(
            "mdatp connectivity test",
            &r.url,
            format!("[{}]", r.result),
        )];
        evidence.extend(
            r.details
                .iter()
                .map(|d| Evidence::new("mdatp connectivity test", "detail", d.as_str())),
        );
        out.push(MDATP_TEST_MIRROR_FAILED.raise(
            Severity::Warning,
            format!("mdatp's own connectivity test fails on the mirror ({})", r.url),
            evidence,
            "Compare with the probe above: when it passes and mdatp's test fails, look at what mdatp uses and this tool may not — its proxy (`mdatp health --field proxy`, the service environment), its trust store, its name resolution.".into(),
        ));
    }
}
