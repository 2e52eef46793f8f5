//! `diagnose --from-bundle` and `--from-dir`: the snapshot rebuilt from what an endpoint
//! captured (a support bundle, or a folder of outputs saved under the same names),
//! so today's rules judge it offline: no mdatp, no network, no state directory, nothing
//! written. Times are judged at the capture's moment, local times in the endpoint's zone.
//!
//! Everything read is untrusted: the archive is streamed with caps (see
//! [`crate::bundle::read`]), a folder is walked without following symlinks, every file
//! is capped, and a missing or unreadable output becomes what the live gather would
//! have had without it (an mdatp problem, an unreadable file), never a silent pass.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::analyze::rules::BundleFacts;
use crate::analyze::snapshot::{
    ConfigSnap, EndpointFacts, MdatpProblem, MirrorSnap, OsFamily, Snapshot, Thresholds, UnusedUrl,
};
use crate::bundle::nofollow;
use crate::bundle::read::{self, MAX_KEPT};
use crate::bundle::redact::is_redacted;
use crate::managed::config::{self, ConfigError};
use crate::mirror::step::{ProxyInfo, ProxySource, UrlSource};
use crate::mirror::{ArchProbe, url};
use crate::process::Output;
use crate::state::history;

use super::RunFacts;

use crate::bundle::names;

/// Where the facts came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginKind {
    Bundle,
    Dir,
}

/// The capture, as the output names it.
#[derive(Debug, Clone)]
pub struct Origin {
    pub kind: OriginKind,
    /// The file or folder as given.
    pub path: String,
    /// When the bundle was written (its manifest).
    pub created: Option<jiff::Timestamp>,
    pub host: Option<String>,
    /// The mdatp-doctor version that wrote it.
    pub version: Option<String>,
    /// The moment ages are judged at, and what said so.
    pub judged_at: jiff::Timestamp,
    pub judged_at_source: String,
    /// The time zone local times were read in, and what said so.
    pub time_zone: String,
    /// The bundle's redaction: (secrets, ids); `None` when it does not say.
    pub redaction: Option<(bool, bool)>,
}

/// What the endpoint's own report (inside the capture) concluded.
#[derive(Debug, Clone, Default)]
pub struct Earlier {
    pub ids: Vec<String>,
    pub verdict: Option<String>,
}

/// The snapshot rebuilt, with what the report says about the capture.
pub struct Rebuilt {
    pub snapshot: Snapshot,
    pub run: RunFacts,
    pub origin: Origin,
    pub facts: BundleFacts,
    /// Values the capture holds only as redaction placeholders (`where: field`).
    pub redacted: Vec<String>,
    /// Facts the live diagnose reads that the capture does not hold (not judged).
    pub not_captured: Vec<String>,
    /// Other remarks on the capture (files too large, unreadable records).
    pub notes: Vec<String>,
    /// The report inside the capture, when it has a readable one.
    pub earlier: Option<Earlier>,
}

/// Why nothing could be rebuilt.
#[derive(Debug)]
pub struct NotReadable(pub String);

/// Reads a bundle written by `mdatp-doctor bundle`.
pub fn from_bundle(file: &Path, thresholds: Thresholds) -> Result<Rebuilt, NotReadable> {
    // A folder given for the bundle: said as such, with the option that reads one.
    if std::fs::metadata(file).is_ok_and(|m| m.is_dir()) {
        return Err(NotReadable(format!(
            "{} is a directory, not a bundle file (a folder of saved outputs is read with --from-dir)",
            file.display()
        )));
    }
    let contents = read::read(file, |name| names::ALL.contains(&name))
        .map_err(|e| NotReadable(format!("{} is not a readable bundle: {e}", file.display())))?;
    let altered: Vec<(String, String)> = contents
        .check()
        .into_iter()
        .filter(|c| c.status != "ok")
        .map(|c| (c.path, c.status))
        .collect();
    let notes: Vec<String> = contents
        .too_large
        .iter()
        .map(|n| format!("{n} is larger than {} MiB: not read", MAX_KEPT >> 20))
        .collect();
    let mut files = HashMap::new();
    for name in names::ALL {
        if let Some(bytes) = contents.get(name) {
            files.insert(name.to_string(), bytes.to_vec());
        }
    }
    let capture = Capture {
        kind: OriginKind::Bundle,
        path: file.display().to_string(),
        manifest: Some(contents.manifest),
        files,
    };
    Ok(rebuilt(&capture, thresholds, altered, notes))
}

/// The snapshot rebuilt from a capture, with what reading it found: files that do not
/// match its manifest, and notes (read first, so they come first).
fn rebuilt(
    capture: &Capture,
    thresholds: Thresholds,
    altered: Vec<(String, String)>,
    mut notes: Vec<String>,
) -> Rebuilt {
    let mut rebuilt = rebuild(capture, thresholds);
    rebuilt.facts.altered = altered;
    notes.append(&mut rebuilt.notes);
    rebuilt.notes = notes;
    rebuilt
}

/// Reads a folder of saved outputs named as in a bundle (`mdatp/health.txt`, ...).
/// Only regular files are read, each capped, none through a symlink.
pub fn from_dir(dir: &Path, thresholds: Thresholds) -> Result<Rebuilt, NotReadable> {
    let shown = dir.display().to_string();
    // The folder the user named may be reached through a symlink; nothing below it is.
    let resolved =
        std::fs::canonicalize(dir).map_err(|e| NotReadable(format!("cannot open {shown}: {e}")))?;
    let root = match nofollow::Dir::open(&resolved) {
        Ok(nofollow::DirOpened::Dir(d)) => d,
        Ok(nofollow::DirOpened::Not(kind)) => {
            return Err(NotReadable(match kind {
                nofollow::Kind::Regular => format!(
                    "{shown} is a file, not a directory (a bundle written by `mdatp-doctor bundle` is read with --from-bundle)"
                ),
                other => format!("{shown} is {}, not a directory", other.noun()),
            }));
        }
        Err(e) => return Err(NotReadable(format!("cannot open {shown}: {e}"))),
    };
    let mut files = HashMap::new();
    let mut notes = Vec::new();
    let mut unread = Vec::new();
    for name in names::ALL {
        match read_beneath(&root, name) {
            Ok(Some(bytes)) => {
                files.insert(name.to_string(), bytes);
            }
            Ok(None) => {}
            Err(why) => {
                notes.push(format!("{name}: {}: not read", why.why()));
                unread.push((name, why));
            }
        }
    }
    if !names::ALL[..5].iter().any(|n| files.contains_key(*n)) {
        return Err(NotReadable(format!(
            "{shown} holds none of {}: not a folder of saved outputs",
            names::ALL[..5].join(", ")
        )));
    }
    // Parsed within the bundle reader's budget (values, entries): a forged manifest costs
    // bounded memory here too.
    let parsed = files
        .get(names::MANIFEST)
        .map(|b| crate::bundle::read::parse_manifest(b));
    let manifest = match parsed {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            notes.push(format!("{e}: the files are not checked against it"));
            None
        }
        None => None,
    };
    let altered = manifest
        .as_ref()
        .map(|m| check_against_manifest(m, &files, &unread))
        .unwrap_or_default();
    let capture = Capture {
        kind: OriginKind::Dir,
        path: shown,
        manifest,
        files,
    };
    Ok(rebuilt(&capture, thresholds, altered, notes))
}

/// A folder holding a MANIFEST.json is an unpacked bundle: the files the snapshot is
/// rebuilt from are checked against it, with the statuses a bundle's check gives
/// (`hash mismatch`, `missing`, `not a regular file`, `not in manifest`). Other files
/// of the bundle (logs) are not read at all.
fn check_against_manifest(
    manifest: &Value,
    files: &HashMap<String, Vec<u8>>,
    unread: &[(&str, Unread)],
) -> Vec<(String, String)> {
    use sha2::{Digest, Sha256};
    // Only the files read here are judged; one that an I/O error kept from being read
    // says nothing either way (its note says why).
    let judged = |name: &str| {
        names::ALL.contains(&name)
            && name != names::MANIFEST
            && !unread
                .iter()
                .any(|(n, why)| *n == name && why.status().is_none())
    };
    let listed: Vec<crate::bundle::archive::EntryInfo> = serde_json::from_value::<
        Vec<crate::bundle::archive::EntryInfo>,
    >(manifest["entries"].clone())
    .unwrap_or_default()
    .into_iter()
    .filter(|e| judged(&e.path))
    .collect();
    let member = |path: &str, size: u64, sha256: String, regular: bool| read::Member {
        path: path.to_string(),
        size,
        sha256,
        copies: 1,
        regular,
    };
    let mut members: Vec<read::Member> = files
        .iter()
        .filter(|(name, _)| judged(name))
        .map(|(name, bytes)| {
            member(
                name,
                bytes.len() as u64,
                crate::bundle::archive::hex(Sha256::digest(bytes)),
                true,
            )
        })
        .collect();
    for (name, why) in unread {
        match why {
            // Too large to have been written so: no hash can match.
            Unread::TooLarge(_) => members.push(member(name, 0, String::new(), true)),
            Unread::NotRegular(_) => members.push(member(name, 0, String::new(), false)),
            Unread::Io(_) => {}
        }
    }
    read::check(&listed, &members)
        .into_iter()
        .filter(|c| c.status != "ok")
        .map(|c| (c.path, c.status))
        .collect()
}

/// One file below `root` (`a/b` walked a component at a time, no symlink followed):
/// `None` when it is not there; an error when it is there but not a plain, small file.
fn read_beneath(root: &nofollow::Dir, rel: &str) -> Result<Option<Vec<u8>>, Unread> {
    let parts: Vec<&str> = rel.split('/').collect();
    let Some((last, dirs)) = parts.split_last() else {
        return Ok(None);
    };
    let mut owned: Option<nofollow::Dir> = None;
    for part in dirs {
        let here = owned.as_ref().unwrap_or(root);
        match here.subdir(std::ffi::OsStr::new(part)) {
            Ok(nofollow::DirOpened::Dir(d)) => owned = Some(d),
            Ok(nofollow::DirOpened::Not(kind)) => {
                return Err(Unread::NotRegular(format!("{part} {}", kind.why_skipped())));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Unread::Io(e.to_string())),
        }
    }
    let here = owned.as_ref().unwrap_or(root);
    match here.open_file(std::ffi::OsStr::new(last)) {
        Ok(nofollow::Opened::File(f, _)) => {
            let mut bytes = Vec::new();
            f.take(MAX_KEPT + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Unread::Io(e.to_string()))?;
            if bytes.len() as u64 > MAX_KEPT {
                return Err(Unread::TooLarge(format!(
                    "larger than {} MiB",
                    MAX_KEPT >> 20
                )));
            }
            Ok(Some(bytes))
        }
        Ok(nofollow::Opened::Not(kind)) => Err(Unread::NotRegular(kind.why_skipped().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Unread::Io(e.to_string())),
    }
}

/// Why a file of a folder was not read.
enum Unread {
    /// A symlink, FIFO or device in its place (or on its way).
    NotRegular(String),
    TooLarge(String),
    Io(String),
}

impl Unread {
    fn why(&self) -> &str {
        match self {
            Unread::NotRegular(w) | Unread::TooLarge(w) | Unread::Io(w) => w,
        }
    }

    /// What the manifest check says of a listed file that could not be read: a file
    /// swapped for a link is as altered as an edited one; an I/O error says nothing.
    fn status(&self) -> Option<&'static str> {
        match self {
            Unread::NotRegular(_) => Some("not a regular file"),
            Unread::TooLarge(_) => Some("hash mismatch"),
            Unread::Io(_) => None,
        }
    }
}

/// What was read, whatever it came from.
struct Capture {
    kind: OriginKind,
    path: String,
    manifest: Option<Value>,
    files: HashMap<String, Vec<u8>>,
}

impl Capture {
    fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    fn json(&self, name: &str) -> Option<Value> {
        self.get(name)
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .filter(Value::is_object)
    }

    /// The manifest's record of the file: the command line, exit status and stderr of
    /// an mdatp call.
    fn source(&self, name: &str) -> Option<&serde_json::Map<String, Value>> {
        self.manifest
            .as_ref()?
            .get("entries")?
            .as_array()?
            .iter()
            .find(|e| e.get("path").and_then(Value::as_str) == Some(name))?
            .get("source")?
            .as_object()
    }

    /// `skipped` and `failed` lines of the manifest that name `collector`.
    fn left_out(&self, collector: &str) -> Option<String> {
        let m = self.manifest.as_ref()?;
        let skipped = m
            .get("skipped")?
            .as_array()?
            .iter()
            .filter_map(Value::as_str);
        if let Some(s) = skipped
            .filter_map(|s| s.strip_prefix(collector))
            .find_map(|s| s.strip_prefix(": "))
        {
            return Some(s.to_string());
        }
        m.get("failed")?
            .as_array()?
            .iter()
            .find(|f| f.get("collector").and_then(Value::as_str) == Some(collector))
            .and_then(|f| f.get("error").and_then(Value::as_str))
            .map(str::to_string)
    }
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

fn rebuild(c: &Capture, thresholds: Thresholds) -> Rebuilt {
    let mut notes = Vec::new();
    let mut not_captured = Vec::new();
    let manifest = c.manifest.clone().unwrap_or(Value::Null);
    let report = c.json(names::REPORT);
    let system = c.json(names::SYSTEM);
    let endpoint_json = c.json(names::ENDPOINT);
    let report_snap = report.as_ref().and_then(|r| r.get("snapshot"));

    let created = str_at(&manifest, &["created"]).and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let (judged_at, judged_at_source) = judged_at(c, created, report_snap, system.as_ref());
    let (tz, time_zone) = time_zone(endpoint_json.as_ref(), system.as_ref());
    let redaction = manifest
        .get("redaction")
        // --redact-domain writes the same `host-N` placeholders as --redact-ids.
        .map(|r| {
            let domains = r["domains"].as_u64().is_some_and(|n| n > 0);
            (r["enabled"] == true, r["ids"] == true || domains)
        });
    // Without a manifest saying otherwise a saved output may still hold `REDACTED` (a
    // user may have masked it by hand); ids placeholders only count when the bundle says
    // it wrote them.
    let ids = redaction.is_some_and(|(_, ids)| ids);
    let redacted_fn: fn(&str) -> bool = if ids {
        |t| is_redacted(t, true)
    } else {
        |t| is_redacted(t, false)
    };

    // mdatp's outputs, judged exactly as the live calls would be.
    let defs_args = ["health", "--details", "definitions"];
    let (definitions, mdatp_problem) = match output(c, names::DEFINITIONS, &defs_args) {
        Some(Ok(reading)) => (Some(reading.health), None),
        Some(Err(e)) => (None, Some(super::problem_of(&e))),
        None => (None, Some(missing_health(c, report_snap))),
    };
    let full = match output(c, names::HEALTH, &["health"]) {
        Some(Ok(r)) => Some(r.health),
        _ => match output(c, names::HEALTH_JSON, &["health", "--output", "json"]) {
            Some(Ok(r)) => Some(r.health),
            _ => None,
        },
    };

    // The managed configuration, as the endpoint had it.
    let config_path = report_snap
        .and_then(|s| str_at(s, &["managed_config", "path"]))
        .unwrap_or(names::CONFIG)
        .to_string();
    let (loaded, keys) = match c.get(names::CONFIG) {
        Some(bytes) if bytes.len() as u64 > config::MAX_CONFIG_BYTES => (
            Err(ConfigError::TooLarge {
                path: config_path.clone(),
            }),
            Default::default(),
        ),
        Some(bytes) => {
            let loaded = config::parse(Path::new(&config_path), bytes);
            let keys = if loaded.is_ok() {
                crate::managed::scan::keys(&String::from_utf8_lossy(bytes))
            } else {
                Default::default()
            };
            (loaded, keys)
        }
        None => (
            Err(missing_config(c, report_snap, &config_path)),
            Default::default(),
        ),
    };

    // The mirror as probed then: its record, or the report's copy of it.
    let mirror_doc = c
        .json(names::MIRROR)
        .or_else(|| report_snap.and_then(|s| s.get("mirror")).cloned());
    let mut mirror = MirrorSnap::default();
    let mut proxy = ProxyInfo {
        url: None,
        source: ProxySource::None,
    };
    match &mirror_doc {
        Some(m) => {
            mirror.url = m.get("url").and_then(Value::as_str).map(|u| {
                let source = m
                    .get("url_source")
                    .and_then(|s| serde_json::from_value::<UrlSource>(s.clone()).ok())
                    .unwrap_or(UrlSource::ManagedConfig);
                (u.to_string(), source)
            });
            mirror.checked = mirror.url.as_ref().map(|(u, _)| url::check(u));
            mirror.skipped = m.get("skipped") == Some(&Value::Bool(true));
            match m
                .get("arch")
                .cloned()
                .map(serde_json::from_value::<Vec<ArchProbe>>)
            {
                Some(Ok(probes)) => mirror.probes = probes,
                Some(Err(e)) if !m["arch"].is_null() => {
                    notes.push(format!(
                        "the mirror probe record cannot be read ({e}): not judged"
                    ));
                    not_captured.push("the mirror probe".into());
                }
                _ => {}
            }
            mirror.status = m.get("status").and_then(status_reading);
            if let Some(p) = m
                .get("proxy")
                .and_then(|p| serde_json::from_value::<ProxyInfo>(p.clone()).ok())
            {
                proxy = p;
            }
        }
        None => {
            not_captured.push("the mirror probe".into());
            mirror.skipped = true;
        }
    }
    if let Some(u) = report_snap
        .and_then(|s| s.get("mirror"))
        .and_then(|m| m.get("unused"))
        && let Some(text) = u.get("url").and_then(Value::as_str)
    {
        mirror.unused = Some(UnusedUrl {
            url: text.to_string(),
            probes: u
                .get("arch")
                .cloned()
                .and_then(|a| serde_json::from_value(a).ok())
                .unwrap_or_default(),
            probed: u.get("probed") == Some(&Value::Bool(true)),
        });
    }

    // The run history as it stood (the bundle's own run included).
    let (entries, history_note) = match c.get(names::HISTORY) {
        Some(bytes) => {
            let h = history::parse(bytes);
            (h.entries.clone(), h.skipped_note())
        }
        None => (Vec::new(), None),
    };
    // The endpoint's own trouble with its state directory, as its report said.
    let history_error = report_snap
        .and_then(|s| str_at(s, &["history", "error"]))
        .map(str::to_string);

    let endpoint = endpoint_facts(endpoint_json.as_ref(), system.as_ref(), &mut not_captured);

    let snapshot = Snapshot {
        now: judged_at,
        tz,
        definitions,
        health: full,
        mdatp_problem,
        config: ConfigSnap {
            path: config_path,
            loaded,
            keys,
        },
        mirror,
        history: entries,
        history_error,
        history_note,
        thresholds,
        endpoint,
    };
    let redacted = redacted_fields(&snapshot, &proxy, redacted_fn);
    let run = RunFacts {
        hostname: str_at(&manifest, &["hostname"])
            .or_else(|| system.as_ref().and_then(|s| str_at(s, &["hostname"])))
            .or_else(|| report_snap.and_then(|s| str_at(s, &["hostname"])))
            .unwrap_or("")
            .to_string(),
        // The bundle's own, never this machine's.
        arch: report_snap
            .and_then(|s| str_at(s, &["arch"]))
            .map(str::to_string),
        mdatp_path: c
            .source(names::DEFINITIONS)
            .and_then(|s| s.get("command")?.as_array()?.first()?.as_str())
            .or_else(|| report_snap.and_then(|s| str_at(s, &["mdatp", "path"])))
            .map(str::to_string),
        state_dir: PathBuf::from(
            report_snap
                .and_then(|s| str_at(s, &["history", "state_dir"]))
                .unwrap_or(""),
        ),
        proxy,
        outputs: Vec::new(),
    };
    let earlier = report.as_ref().and_then(|r| {
        let ids = r
            .get("findings")?
            .as_array()?
            .iter()
            .filter_map(|f| f.get("id").and_then(Value::as_str))
            .map(str::to_string)
            .collect();
        Some(Earlier {
            ids,
            verdict: r.get("verdict").and_then(Value::as_str).map(str::to_string),
        })
    });
    let origin = Origin {
        kind: c.kind.clone(),
        path: c.path.clone(),
        created,
        host: str_at(&manifest, &["hostname"]).map(str::to_string),
        version: str_at(&manifest, &["tool", "version"]).map(str::to_string),
        judged_at,
        judged_at_source,
        time_zone,
        redaction,
    };
    Rebuilt {
        snapshot,
        run,
        origin,
        facts: BundleFacts {
            altered: Vec::new(),
            redacted: redacted_fn,
        },
        redacted,
        not_captured,
        notes,
        earlier,
    }
}

/// The moment the capture was made: the bundle's creation, else the report's time, else
/// the clock the system facts read, else now.
fn judged_at(
    c: &Capture,
    created: Option<jiff::Timestamp>,
    report: Option<&Value>,
    system: Option<&Value>,
) -> (jiff::Timestamp, String) {
    let from = |v: Option<&Value>, path: &[&str]| {
        v.and_then(|v| str_at(v, path))
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
    };
    if let Some(t) = created {
        return (t, "the bundle's creation time".into());
    }
    if let Some(t) = from(report, &["time"]) {
        return (t, format!("the time of {}", names::REPORT));
    }
    if let Some(t) = from(system, &["clock_utc"]) {
        return (t, format!("the clock in {}", names::SYSTEM));
    }
    let what = match c.kind {
        OriginKind::Bundle => "the bundle",
        OriginKind::Dir => "the folder",
    };
    (
        crate::system::now(),
        format!("now: {what} does not say when it was captured"),
    )
}

/// The endpoint's time zone (mdatp prints local times): recorded by the bundle, else
/// `timedatectl`'s, else UTC, said so.
fn time_zone(endpoint: Option<&Value>, system: Option<&Value>) -> (jiff::tz::TimeZone, String) {
    let names = [
        endpoint.and_then(|e| str_at(e, &["time_zone"])),
        system.and_then(|s| str_at(s, &["time_zone"])),
        system.and_then(|s| str_at(s, &["time_sync", "Timezone"])),
    ];
    for name in names.into_iter().flatten() {
        if let Ok(tz) = jiff::tz::TimeZone::get(name) {
            return (tz, name.to_string());
        }
    }
    (
        jiff::tz::TimeZone::UTC,
        "UTC (the capture does not name the endpoint's time zone)".into(),
    )
}

/// A saved mdatp output judged as the live call's would be; `None` when not captured.
fn output(
    c: &Capture,
    name: &str,
    args: &[&str],
) -> Option<Result<crate::mdatp::HealthReading, crate::mdatp::HealthError>> {
    let stdout = c.get(name)?.to_vec();
    let source = c.source(name);
    let exit_code = source
        .and_then(|s| s.get("exit_status"))
        .and_then(Value::as_i64)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(0);
    let stderr = source
        .and_then(|s| s.get("stderr"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .as_bytes()
        .to_vec();
    let program = source
        .and_then(|s| s.get("command")?.as_array()?.first()?.as_str())
        .unwrap_or("mdatp");
    let out = Output {
        program: PathBuf::from(program),
        args: args.iter().map(|a| a.to_string()).collect(),
        stdout,
        stderr,
        exit_code,
        duration: Duration::ZERO,
    };
    Some(crate::mdatp::health_from_output(out, args))
}

/// Why there is no `health --details definitions` output: what the endpoint's report
/// said of mdatp, else what the manifest recorded, else that it is not there.
fn missing_health(c: &Capture, report: Option<&Value>) -> MdatpProblem {
    if let Some(e) = report
        .and_then(|s| s.get("mdatp"))
        .and_then(|m| m.get("error"))
    {
        let message = e.get("message").and_then(Value::as_str).unwrap_or("");
        if !message.is_empty() {
            return MdatpProblem {
                not_found: e.get("not_found") == Some(&Value::Bool(true)),
                daemon_down: message.contains("could not reach the Defender daemon"),
                message: message.to_string(),
                hint: e
                    .get("hint")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            };
        }
    }
    let why = c
        .left_out("mdatp health --details definitions")
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    MdatpProblem {
        not_found: false,
        daemon_down: false,
        message: format!("the capture has no output of `mdatp health --details definitions`{why}"),
        hint: format!(
            "save the output of `mdatp health --details definitions` as {}",
            names::DEFINITIONS
        ),
    }
}

/// Why there is no managed file: absent on the endpoint, or not captured.
fn missing_config(c: &Capture, report: Option<&Value>, path: &str) -> ConfigError {
    let status = report.and_then(|s| str_at(s, &["managed_config", "status"]));
    let left_out = c.left_out("managed config");
    if status == Some("not-found")
        || left_out
            .as_deref()
            .is_some_and(|w| w.ends_with("does not exist"))
    {
        return ConfigError::NotFound {
            path: path.to_string(),
        };
    }
    ConfigError::Unreadable {
        path: path.to_string(),
        reason: match left_out {
            Some(w) => format!("not in the capture: {w}"),
            None => "not in the capture".into(),
        },
    }
}

/// The endpoint facts as recorded (endpoint.json), else what the system facts hold.
fn endpoint_facts(
    endpoint: Option<&Value>,
    system: Option<&Value>,
    not_captured: &mut Vec<String>,
) -> EndpointFacts {
    let family = |name: &str| match name {
        "debian" => Some(OsFamily::Debian),
        "rhel" => Some(OsFamily::Rhel),
        "suse" => Some(OsFamily::Suse),
        _ => None,
    };
    let free = |v: Option<&Value>| {
        let v = v?;
        Some((
            v.get("dir")?.as_str()?.to_string(),
            v.get("bytes")?.as_u64()?,
        ))
    };
    if let Some(e) = endpoint {
        let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        return EndpointFacts {
            offboard_file: s("offboard_file"),
            service_state: s("service_state"),
            service_proxy: s("service_proxy"),
            definitions_free: free(e.get("definitions_free")),
            mirror_free: free(e.get("mirror_free")),
            os_family: e.get("os_family").and_then(Value::as_str).and_then(family),
        };
    }
    not_captured.extend(
        [
            "the offboarding file",
            "the mdatp service's state and proxy",
            "free space on a directory mirror",
        ]
        .map(String::from),
    );
    let Some(sys) = system else {
        not_captured.push("free space where definitions are kept".into());
        return EndpointFacts::default();
    };
    let os = sys.get("os_release");
    let words = [
        os.and_then(|o| str_at(o, &["id"])),
        os.and_then(|o| str_at(o, &["id_like"])),
    ];
    let release: String = words
        .iter()
        .zip(["ID", "ID_LIKE"])
        .filter_map(|(w, k)| w.map(|w| format!("{k}={w}\n")))
        .collect();
    let defs_dir = crate::gather::endpoint::DEFINITIONS_DIR;
    EndpointFacts {
        definitions_free: sys
            .get("free_bytes")
            .and_then(|f| f.get(defs_dir))
            .and_then(Value::as_u64)
            .map(|b| (defs_dir.to_string(), b)),
        os_family: OsFamily::from_os_release(&release),
        ..EndpointFacts::default()
    }
}

/// Every value the snapshot holds only as a redaction placeholder, by where it is.
fn redacted_fields(s: &Snapshot, proxy: &ProxyInfo, redacted: fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    for (what, health) in [("definitions", &s.definitions), ("health", &s.health)] {
        let Some(h) = health else { continue };
        for (name, field) in &h.fields {
            let text = field.raw.as_deref().or(field.value.as_str()).unwrap_or("");
            if redacted(text) {
                out.push(format!("{what}: {name}"));
            }
        }
    }
    if let Ok(cfg) = &s.config.loaded {
        let mut paths = Vec::new();
        walk(&cfg.root, &mut String::new(), redacted, &mut paths);
        out.extend(paths.into_iter().map(|p| format!("managed config: {p}")));
    }
    if let Some((u, _)) = &s.mirror.url
        && redacted(u)
    {
        out.push("mirror: url".into());
    }
    if proxy.url.as_deref().is_some_and(redacted) {
        out.push("mirror: proxy".into());
    }
    out
}

/// At most this many redacted places of the managed config are named: the output says
/// where redaction is, not every value.
const MAX_NAMED: usize = 50;

fn walk(v: &Value, path: &mut String, redacted: fn(&str) -> bool, out: &mut Vec<String>) {
    if out.len() >= MAX_NAMED {
        return;
    }
    match v {
        Value::String(s) if redacted(s) => out.push(path.clone()),
        Value::Object(m) => {
            for (k, v) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(v, path, redacted, out);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(v, path, redacted, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The status file reading a capture holds, read as warily as the mirror's own file: the
/// status through the same parser (bounded, control characters out), the rest cut short.
fn status_reading(v: &Value) -> Option<crate::mirror::status::StatusReading> {
    use crate::mirror::status;
    let v = v.as_object()?;
    let text = |k: &str| {
        v.get(k).and_then(Value::as_str).map(|s| {
            s.chars()
                .filter(|c| !c.is_control())
                .take(512)
                .collect::<String>()
        })
    };
    let parsed = v
        .get("status")
        .filter(|s| !s.is_null())
        .map(|s| status::parse(s.to_string().as_bytes()));
    let (st, parse_error) = match parsed {
        Some(Ok(s)) => (Some(s), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    Some(status::StatusReading {
        url: text("url").unwrap_or_default(),
        status: st,
        error: text("error").or(parse_error),
    })
}
