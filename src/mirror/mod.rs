//! The mirror prober (an adapter, driven by `gather`): checks the configured location the way the endpoint
//! uses it, step by step, and records each step's outcome, timing and facts. It judges
//! nothing; the probe rules (`analyze::rules`, probe and url families) turn the record into findings.

pub mod conn;
pub mod dir;
pub mod http;
pub mod package;
pub mod status;
pub mod step;
pub mod tls;
pub mod url;

use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use package::{Manifest, Signature, Verified};
pub use step::StepName;

/// How a probe may behave.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Per address, for each TCP connection attempt.
    pub connect_timeout: Duration,
    /// Everything for one architecture, all steps included.
    pub probe_timeout: Duration,
    pub proxy: Option<String>,
    pub trust: tls::Trust,
    pub verify_package: bool,
    pub max_package_bytes: u64,
    /// `--verify-package`'s own budget for downloading the whole package, apart from
    /// `probe_timeout` (real packages are 100-200 MB).
    pub package_timeout: Duration,
}

/// Why a step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    DnsFailed,
    Refused,
    Unreachable,
    ConnectTimeout,
    Timeout,
    Tls,
    HttpStatus,
    TooManyRedirects,
    RedirectLoop,
    /// A redirect to a link-local address (a cloud metadata service), not followed.
    RedirectRefused,
    TooLarge,
    NotFound,
    PermissionDenied,
    Invalid,
    Io,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<tls::TlsFailureKind>,
}

impl StepError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> StepError {
        StepError {
            kind,
            message: message.into(),
            status: None,
            tls: None,
        }
    }
}

/// One step of a probe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: StepName,
    pub ok: bool,
    pub duration_ms: u64,
    /// The facts the step saw (addresses, status, headers, sizes, certificate, ...).
    pub detail: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
    /// Something odd that did not make the step fail (shown as `!`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Step {
    /// A recorded fact, when the step has it (null counts as absent).
    pub fn get(&self, key: step::Key) -> Option<&serde_json::Value> {
        self.detail.get(key.as_str()).filter(|v| !v.is_null())
    }
}

/// Times a step.
pub(crate) struct Timer(Instant);

impl Timer {
    pub fn start() -> Timer {
        Timer(Instant::now())
    }

    pub fn ok(&self, name: StepName, detail: serde_json::Value) -> Step {
        self.step(name, detail, None)
    }

    pub fn fail(&self, name: StepName, detail: serde_json::Value, error: StepError) -> Step {
        self.step(name, detail, Some(error))
    }

    fn step(&self, name: StepName, detail: serde_json::Value, error: Option<StepError>) -> Step {
        Step {
            name,
            ok: error.is_none(),
            duration_ms: u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX),
            detail,
            error,
            note: None,
        }
    }
}

/// The manifest step's outcome from the bytes read (HTTP body or file).
pub(crate) fn manifest_outcome(
    t: &Timer,
    bytes: &[u8],
    mut detail: serde_json::Value,
    manifest: &mut Option<Manifest>,
) -> Step {
    match package::parse_manifest(bytes) {
        Ok(m) => {
            detail["engine_version"] = serde_json::json!(m.engine_version);
            detail["definition_version"] = serde_json::json!(m.definition_version);
            let empty = m.is_empty();
            *manifest = Some(m);
            let mut step = t.ok(StepName::Manifest, detail);
            if empty {
                step.note = Some(
                    "the versions are empty: the downloader's last run got no version information"
                        .into(),
                );
            }
            step
        }
        Err(e) => t.fail(
            StepName::Manifest,
            detail,
            StepError::new(ErrorKind::Invalid, format!("manifest.json is {e}")),
        ),
    }
}

/// The signature step's outcome from the first bytes of `updates.zip`.
pub(crate) fn signature_outcome(
    t: &Timer,
    first: &[u8],
    mut detail: serde_json::Value,
    facts: &mut PackageFacts,
) -> Step {
    let sig = package::sniff(first);
    detail["bytes_read"] = serde_json::json!(first.len());
    detail["signature"] = serde_json::json!(sig.describe());
    facts.is_zip = Some(sig.is_zip());
    facts.signature = Some(sig.clone());
    if sig.is_zip() {
        t.ok(StepName::PackageSignature, detail)
    } else {
        t.fail(
            StepName::PackageSignature,
            detail,
            StepError::new(
                ErrorKind::Invalid,
                format!("updates.zip is {}", sig.describe()),
            ),
        )
    }
}

/// The verify step's outcome; `cut` names a read that stopped early (a deadline, a
/// dropped connection), which says nothing about the package itself.
pub(crate) fn verify_outcome(
    t: &Timer,
    result: Result<Verified, package::VerifyError>,
    mut detail: serde_json::Value,
    facts: &mut PackageFacts,
    cut: impl FnOnce(&package::Cut) -> StepError,
) -> Step {
    match result {
        Ok(v) => {
            let elapsed = t.0.elapsed();
            detail["bytes"] = serde_json::json!(v.bytes);
            detail["sha256"] = serde_json::json!(v.sha256);
            detail["entries"] = serde_json::json!(v.entries);
            detail["seconds"] = serde_json::json!((elapsed.as_secs_f64() * 10.0).round() / 10.0);
            detail["throughput"] = serde_json::json!(package::throughput(v.bytes, elapsed));
            facts.verified = Some(v);
            t.ok(StepName::PackageVerify, detail)
        }
        Err(package::VerifyError::TooLarge(m)) => t.fail(
            StepName::PackageVerify,
            detail,
            StepError::new(ErrorKind::TooLarge, m),
        ),
        Err(package::VerifyError::Invalid(m)) => t.fail(
            StepName::PackageVerify,
            detail,
            StepError::new(ErrorKind::Invalid, m),
        ),
        Err(package::VerifyError::Cut(c)) => {
            detail["bytes_read"] = serde_json::json!(c.bytes);
            detail["seconds"] = serde_json::json!((c.elapsed.as_secs_f64() * 10.0).round() / 10.0);
            detail["throughput"] = serde_json::json!(package::throughput(c.bytes, c.elapsed));
            let error = cut(&c);
            t.fail(StepName::PackageVerify, detail, error)
        }
    }
}

/// What the package looked like.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `Last-Modified` over HTTP, the file's mtime for a directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<jiff::Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
    pub is_zip: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verified>,
}

/// A permission that may keep the mdatp daemon (root, or `nobody` on a root-squashed NFS
/// mount) from reading a directory mirror.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionFact {
    pub path: String,
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    pub problem: String,
}

/// Everything probed for one architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchProbe {
    pub arch: String,
    /// The `arch_<arch>` folder probed.
    pub location: String,
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageFacts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<PermissionFact>,
    /// The file system type of a directory mirror (nfs, nfs4, cifs, ext4, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_type: Option<String>,
}

impl ArchProbe {
    pub fn new(arch: &str, location: String) -> ArchProbe {
        ArchProbe {
            arch: arch.to_string(),
            location,
            steps: Vec::new(),
            manifest: None,
            package: None,
            permissions: Vec::new(),
            mount_type: None,
        }
    }

    pub fn step(&self, name: StepName) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// Probes one architecture folder below the ring folder.
pub fn probe(location: &url::Location, arch: &str, opts: &ProbeOptions) -> ArchProbe {
    let target = url::arch_location(location, arch);
    match &target {
        url::Location::Http(u) => http::probe(u, arch, opts),
        url::Location::Dir(p) => dir::probe(p, arch, opts),
    }
}

/// Probes several architectures at once: the run takes as long as the slowest one.
pub fn probe_all(location: &url::Location, arches: &[&str], opts: &ProbeOptions) -> Vec<ArchProbe> {
    probe_arches(location, arches, opts, false).0
}

/// What an endpoint probe reads of its ring folder: every architecture, as
/// [`probe_all`], and the mirror's status file ([`status::STATUS_FILE`]) in the same round
/// as the first architecture's manifest. The reading is `None` when there was nothing to
/// probe or the probe got no connection (its own failure says why).
pub fn probe_ring(
    location: &url::Location,
    arches: &[&str],
    opts: &ProbeOptions,
) -> (Vec<ArchProbe>, Option<status::StatusReading>) {
    probe_arches(location, arches, opts, true)
}

/// The ring folder's status file URL (a directory mirror's is a path).
fn status_url(location: &url::Location) -> Option<::url::Url> {
    match url::arch_location(location, "x") {
        // `<ring>/arch_x/` joined with `../<file>`: the ring folder as mdatp joins it.
        url::Location::Http(u) => u.join(&format!("../{}", status::STATUS_FILE)).ok(),
        url::Location::Dir(_) => None,
    }
}

fn probe_arches(
    location: &url::Location,
    arches: &[&str],
    opts: &ProbeOptions,
    with_status: bool,
) -> (Vec<ArchProbe>, Option<status::StatusReading>) {
    let http_status = with_status.then(|| status_url(location)).flatten();
    std::thread::scope(|scope| {
        let dir_status = match location {
            url::Location::Dir(ring) if with_status && !arches.is_empty() => {
                Some(scope.spawn(move || dir::read_status(ring, opts)))
            }
            _ => None,
        };
        let handles: Vec<_> = arches
            .iter()
            .enumerate()
            .map(|(i, arch)| {
                let status = http_status.as_ref().filter(|_| i == 0);
                scope.spawn(move || match (url::arch_location(location, arch), status) {
                    (url::Location::Http(u), Some(s)) => {
                        http::probe_with_status(&u, arch, opts, Some(s))
                    }
                    _ => (probe(location, arch, opts), None),
                })
            })
            .collect();
        let mut reading = None;
        let probes: Vec<ArchProbe> = handles
            .into_iter()
            .zip(arches)
            .map(|(h, arch)| {
                let (p, r) = h.join().unwrap_or_else(|_| {
                    let mut p =
                        ArchProbe::new(arch, url::arch_location(location, arch).to_string());
                    p.steps.push(Timer::start().fail(
                        StepName::Probe,
                        serde_json::json!({}),
                        StepError::new(ErrorKind::Io, "the probe thread failed unexpectedly"),
                    ));
                    (p, None)
                });
                reading = reading.take().or(r);
                p
            })
            .collect();
        // A directory the probe could not read (a hung mount, no permission) fails the
        // status file the same way: the probe's own failure says it.
        let folder_failed = probes
            .iter()
            .all(|p| p.step(StepName::Directory).is_some_and(|s| !s.ok));
        let dir_reading = dir_status
            .and_then(|h| h.join().ok())
            .filter(|r| !(folder_failed && r.error.is_some()));
        (probes, reading.or(dir_reading))
    })
}

/// Seconds since a time, for ages in messages; `None` for times in the future.
pub fn age(then: jiff::Timestamp, now: SystemTime) -> Option<Duration> {
    let now = jiff::Timestamp::try_from(now).ok()?;
    let secs = now.as_second() - then.as_second();
    u64::try_from(secs).ok().map(Duration::from_secs)
}
