//! One picture of a fleet from many `diagnose --format json` reports. Reports are folded
//! in one at a time; memory grows with the number of distinct values (finding ids,
//! mirrors, versions), not with the number of reports: every list keeps a few examples.
//! The picture does not depend on the order the reports come in (a directory lists its
//! files in no set order): examples are the first host names in sorted order, and a
//! choice between two values takes the greater. Every string taken from a report is cut
//! to [`MAX_TEXT_CHARS`] as it is folded in, so one report cannot make the summary (or
//! its JSON) grow with the length of its strings.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::lenient::{Lenient, Rows, Shape, lenient};
use crate::analyze::facts::compare_versions;
use crate::analyze::finding::Severity;

/// How many example hosts each list keeps.
pub const EXAMPLES: usize = 3;

/// The most characters of any one string the summary keeps from a report (a host name,
/// finding id, severity, verdict, mirror URL, version): a DNS name has at most 253, a
/// mirror URL is far shorter. Longer strings are cut to this many characters in all,
/// ending in `…(N chars)` with the length of the whole. Examples are copied into every
/// list a host appears in: uncut, one 10 MB host name became 60 MB of JSON.
pub const MAX_TEXT_CHARS: usize = 256;

/// `text` cut to at most `max` characters in all (or the marker alone, if `max` is
/// shorter): the first ones, then `…(N chars)` with the length of the whole, so cutting
/// a cut text changes nothing. Linear in the length; what fits comes back borrowed.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    // Bytes bound characters from above: most texts are decided without counting.
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let total = text.chars().count();
    if total <= max {
        return Cow::Borrowed(text);
    }
    let marker = format!("…({total} chars)");
    let keep = max.saturating_sub(marker.chars().count());
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}{marker}", &text[..end]))
}

/// A string from a report as the summary keeps it: secrets masked first (a cut
/// could split `user:pass@` and hide it from the mask), then cut to [`MAX_TEXT_CHARS`].
fn kept(text: &str) -> Cow<'_, str> {
    match crate::bundle::redact::secrets(text) {
        Cow::Borrowed(t) => cut(t, MAX_TEXT_CHARS),
        Cow::Owned(t) => match cut(&t, MAX_TEXT_CHARS) {
            Cow::Borrowed(_) => Cow::Owned(t),
            Cow::Owned(short) => Cow::Owned(short),
        },
    }
}

/// A count with a few example hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: u64,
    /// The first [`EXAMPLES`] host names in sorted order (not the first seen, which would
    /// change with the order of the files).
    pub examples: Vec<String>,
}

impl Tally {
    fn add(&mut self, host: &str) {
        self.count += 1;
        if self.examples.len() == EXAMPLES
            && self
                .examples
                .last()
                .is_some_and(|last| host >= last.as_str())
        {
            return;
        }
        let at = self.examples.partition_point(|e| e.as_str() <= host);
        self.examples.insert(at, host.to_string());
        self.examples.truncate(EXAMPLES);
    }
}

/// Orders severities as the tool ranks them; a word it does not know ranks lowest.
fn severity_rank(s: &str) -> (Option<Severity>, &str) {
    let known = match s {
        "ok" => Some(Severity::Ok),
        "info" => Some(Severity::Info),
        "warning" => Some(Severity::Warning),
        "unknown" => Some(Severity::Unknown),
        "critical" => Some(Severity::Critical),
        _ => None,
    };
    (known, s)
}

/// Orders versions as [`compare_versions`] does ("1.2" and "1.2.0" are one version), then
/// by their text, and ranks anything that is not a version lowest: a total order, so the
/// newest of many does not depend on which came first.
fn version_rank(v: &str) -> (Option<Vec<u64>>, &str) {
    let mut parts = v
        .trim()
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>();
    if let Some(p) = parts.as_mut() {
        while p.last() == Some(&0) {
            p.pop();
        }
    }
    (parts, v)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FindingTally {
    pub severity: String,
    pub endpoints: Tally,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MirrorTally {
    pub endpoints: u64,
    /// Definitions versions the endpoints using this mirror run, with how many run each.
    pub endpoint_versions: BTreeMap<String, u64>,
    /// The newest version any probe saw in this mirror's manifest.
    pub mirror_version: Option<String>,
    /// Endpoints running older definitions than the mirror offers.
    pub endpoints_behind: Tally,
    /// Endpoints running newer definitions than the mirror offers (they got them from the
    /// cloud: the mirror is behind).
    pub endpoints_ahead: Tally,
    /// The newest last successful sync any endpoint read in this mirror's status file
    /// (Unix seconds; issue 28).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sync_timestamp_seconds: Option<i64>,
    /// Endpoints whose reading of the status file says the mirror's last sync failed.
    #[serde(skip_serializing_if = "tally_is_empty")]
    pub sync_failing: Tally,
    /// The endpoints using this mirror per verdict.
    pub verdicts: BTreeMap<String, Tally>,
    /// The `mirror check` report joined to this mirror (see [`Fleet::finish`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<MirrorReport>,
}

/// The most findings and served arch folders kept of one mirror report.
pub const MAX_MIRROR_ROWS: usize = 100;

/// What `aggregate` reads from one file: a `diagnose` report, or a `mirror check` report
/// (told apart by its `command`), or a mirror's status file; only the fields the fleet
/// summary and the canary gate use, borrowed from the input where they hold no escapes.
/// Every field but `findings` is lenient, as the diagnose document is read back
/// ([`DiagnoseDoc`](super::diagnose::DiagnoseDoc)): one of another type counts as absent
/// (see [`super::lenient`]). The test `the_input_reads_what_the_document_writes` keeps it
/// in step with the document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InputDoc<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    pub snapshot: Option<SnapshotIn<'a>>,
    /// Strict: a report whose findings cannot be read must not count as one without any.
    #[serde(borrow)]
    pub findings: Vec<FindingIn<'a>>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub verdict: Option<Cow<'a, str>>,
    /// Why there is no snapshot: present (not null) or not.
    pub error: Option<IgnoredAny>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub command: Option<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub hostname: Option<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub serving: Option<ServingIn<'a>>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub arches: Rows<ArchIn<'a>, MAX_MIRROR_ROWS>,
    /// A `mirror check` report's status-file rows.
    #[serde(borrow, deserialize_with = "lenient")]
    pub sync: Rows<SyncIn<'a>, MAX_MIRROR_ROWS>,
    /// A mirror's `mdatp-doctor-status.json` (fetched from the mirror, or copied off it).
    #[serde(borrow, deserialize_with = "lenient")]
    pub written_at: Option<Cow<'a, str>>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub last_attempt: Option<AttemptIn<'a>>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub last_success: Option<Cow<'a, str>>,
}

/// A test's report, read as `aggregate` reads it (the text kept for the rest of the run).
#[cfg(test)]
pub(crate) fn input(report: serde_json::Value) -> InputDoc<'static> {
    let text: &'static str = Box::leak(report.to_string().into_boxed_str());
    serde_json::from_str(text).expect("a report")
}

impl InputDoc<'_> {
    /// A `mirror check` report (anything else with a verdict is an endpoint's report).
    pub fn is_mirror_check(&self) -> bool {
        self.command.as_deref() == Some("mirror check")
    }

    /// A mirror's status file (`mdatp-doctor-status.json`): no verdict, no command, a
    /// `written_at`.
    pub fn is_status_file(&self) -> bool {
        self.verdict.is_none() && self.command.is_none() && self.written_at.is_some()
    }
}

/// A finding as written: read with any severity, but never without an id (the rest of
/// what it holds is skipped).
#[derive(Debug, Deserialize)]
// Its name is in the errors that refuse a report: as the document's reader named it.
#[serde(expecting = "struct FindingDoc")]
pub struct FindingIn<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    pub severity: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "lenient")]
    pub title: Cow<'a, str>,
    // Named, so that one given twice is refused as the document's reader refuses it.
    #[allow(dead_code)]
    #[serde(default)]
    evidence: IgnoredAny,
    #[allow(dead_code)]
    #[serde(default)]
    fix: IgnoredAny,
    #[allow(dead_code)]
    #[serde(default)]
    doc: IgnoredAny,
    #[allow(dead_code)]
    #[serde(default)]
    fixable: IgnoredAny,
}

crate::lenient_struct! {
    /// The snapshot's fields the fleet and the gate read.
    pub struct SnapshotIn<'a> {
        pub time: Cow<'a, str>,
        pub hostname: Option<Cow<'a, str>>,
        pub arch: Option<Cow<'a, str>>,
        /// `mdatp health --details definitions`, field by field.
        pub definitions: FieldsIn<'a>,
        /// `mdatp health`, field by field.
        pub health: FieldsIn<'a>,
        pub mirror: MirrorIn<'a>,
    }
}

crate::lenient_struct! {
    /// The health fields read (each `{"value": …, "managed": …}`).
    pub struct FieldsIn<'a> {
        pub definitions_version: FieldIn<'a>,
        pub offline_definition_url_configured: FieldIn<'a>,
        pub definitions_update_source_uri: FieldIn<'a>,
        pub definitions_status: FieldIn<'a>,
        pub engine_load_status: FieldIn<'a>,
    }
}

crate::lenient_struct! {
    /// One health field: its value when that is a string.
    pub struct FieldIn<'a> {
        pub value: Option<Cow<'a, str>>,
    }
}

impl FieldIn<'_> {
    /// The value, unless empty.
    pub fn text(&self) -> Option<&str> {
        self.value.as_deref().filter(|s| !s.is_empty())
    }
}

crate::lenient_struct! {
    pub struct MirrorIn<'a> {
        pub url: Option<Cow<'a, str>>,
        /// One probe record per architecture.
        pub arch: ProbesIn<'a>,
        pub last_sync_timestamp_seconds: Option<i64>,
        pub last_sync_success: Option<bool>,
    }
}

crate::lenient_struct! {
    /// One probe record: only what the summary reads of it.
    pub struct ProbeIn<'a> {
        pub arch: Option<Cow<'a, str>>,
        pub manifest: ManifestIn<'a>,
    }
}

crate::lenient_struct! {
    pub struct ManifestIn<'a> {
        pub definition_version: Option<Cow<'a, str>>,
    }
}

/// The probe records, folded as they are read (a report may hold any number): the first
/// definitions version any manifest showed, the first architecture named, and how many
/// records name one. A record that is not an object names nothing.
#[derive(Debug, Default)]
pub struct ProbesIn<'a> {
    pub mirror_version: Option<Cow<'a, str>>,
    pub first_arch: Option<Cow<'a, str>>,
    pub arches: usize,
}

impl<'a> Shape<'a> for ProbesIn<'a> {
    fn from_seq<A: serde::de::SeqAccess<'a>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        let mut out = ProbesIn::default();
        while let Some(Lenient(probe)) = seq.next_element::<Lenient<ProbeIn<'a>>>()? {
            let Some(probe) = probe else { continue };
            let nonempty = |s: &Option<Cow<'a, str>>| s.as_ref().is_some_and(|s| !s.is_empty());
            if out.mirror_version.is_none() && nonempty(&probe.manifest.definition_version) {
                out.mirror_version = probe.manifest.definition_version;
            }
            if nonempty(&probe.arch) {
                out.arches += 1;
                if out.first_arch.is_none() {
                    out.first_arch = probe.arch;
                }
            }
        }
        Ok(Some(out))
    }
}

crate::lenient_struct! {
    pub struct ServingIn<'a> {
        pub url: Option<Cow<'a, str>>,
    }
}

crate::lenient_struct! {
    pub struct ArchIn<'a> {
        pub platform: Cow<'a, str>,
        pub ring: Cow<'a, str>,
        pub arch: Cow<'a, str>,
        pub backup: bool,
        pub definitions_version: Option<Cow<'a, str>>,
        pub engine_version: Option<Cow<'a, str>>,
        pub package_age_seconds: Option<f64>,
    }
}

crate::lenient_struct! {
    pub struct SyncIn<'a> {
        pub platform: Cow<'a, str>,
        pub ring: Cow<'a, str>,
        pub last_attempt_at: Option<Cow<'a, str>>,
        pub last_attempt_ok: Option<bool>,
        pub last_attempt_error: Option<Cow<'a, str>>,
        pub last_success: Option<Cow<'a, str>>,
    }
}

crate::lenient_struct! {
    pub struct AttemptIn<'a> {
        pub at: Option<Cow<'a, str>>,
        pub ok: Option<bool>,
        pub error: Option<Cow<'a, str>>,
    }
}

/// What a mirror said of its syncs: a ring folder's status file, read by `mirror check`
/// or given to `aggregate` itself.
pub use super::mirror_host::SyncRow as Sync;

/// A `mirror check` report, or a mirror's status file, as the fleet keeps it
/// (`mirrors[url].report`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MirrorReport {
    /// `mirror check`, or `status file` (no verdict, no findings: it only tells of syncs).
    pub kind: String,
    /// The mirror host's name (or the report's file name).
    pub host: String,
    /// Empty for a status file.
    pub verdict: String,
    /// How it was joined: `url` (its `serving.url`, `mirror check --url`) or `hostname`
    /// (its host name is the host of the endpoints' mirror URL).
    pub joined_by: String,
    pub findings: Vec<MirrorFinding>,
    /// What its download tree holds, arch folder by arch folder.
    pub served: Vec<Served>,
    /// What its status files say of its syncs, ring folder by ring folder.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync: Vec<Sync>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MirrorFinding {
    pub id: String,
    pub severity: String,
    pub title: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Served {
    pub platform: String,
    pub ring: String,
    pub arch: String,
    pub backup: bool,
    pub definitions_version: Option<String>,
    pub engine_version: Option<String>,
    pub package_age_seconds: Option<u64>,
}

impl MirrorReport {
    /// The report kept: every string masked and cut, at most [`MAX_MIRROR_ROWS`] rows.
    pub fn from_input(doc: &InputDoc, name: &str) -> MirrorReport {
        let host = doc
            .hostname
            .as_deref()
            .filter(|h| !h.is_empty())
            .unwrap_or(name);
        let opt = |s: &Option<Cow<str>>| s.as_deref().map(|s| kept(s).into_owned());
        if doc.is_status_file() {
            let a = doc.last_attempt.as_ref();
            return MirrorReport {
                kind: "status file".into(),
                host: kept(host).into_owned(),
                sync: vec![Sync {
                    last_attempt_at: a.and_then(|a| opt(&a.at)),
                    last_attempt_ok: a.and_then(|a| a.ok),
                    last_attempt_error: a.and_then(|a| opt(&a.error)),
                    last_success: opt(&doc.last_success),
                    ..Sync::default()
                }],
                ..MirrorReport::default()
            };
        }
        MirrorReport {
            kind: "mirror check".into(),
            host: kept(host).into_owned(),
            verdict: kept(doc.verdict.as_deref().unwrap_or("unknown")).into_owned(),
            sync: doc
                .sync
                .iter()
                .take(MAX_MIRROR_ROWS)
                .map(|r| Sync {
                    platform: kept(&r.platform).into_owned(),
                    ring: kept(&r.ring).into_owned(),
                    last_attempt_at: opt(&r.last_attempt_at),
                    last_attempt_ok: r.last_attempt_ok,
                    last_attempt_error: opt(&r.last_attempt_error),
                    last_success: opt(&r.last_success),
                })
                .collect(),
            joined_by: String::new(),
            findings: doc
                .findings
                .iter()
                .take(MAX_MIRROR_ROWS)
                .map(|f| MirrorFinding {
                    id: kept(&f.id).into_owned(),
                    severity: kept(&f.severity).into_owned(),
                    title: kept(&f.title).into_owned(),
                })
                .collect(),
            served: doc
                .arches
                .iter()
                .take(MAX_MIRROR_ROWS)
                .map(|a| Served {
                    platform: kept(&a.platform).into_owned(),
                    ring: kept(&a.ring).into_owned(),
                    arch: kept(&a.arch).into_owned(),
                    backup: a.backup,
                    definitions_version: a
                        .definitions_version
                        .as_deref()
                        .map(|v| kept(v).into_owned()),
                    engine_version: a.engine_version.as_deref().map(|v| kept(v).into_owned()),
                    package_age_seconds: a
                        .package_age_seconds
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .map(|s| s.round() as u64),
                })
                .collect(),
        }
    }

    /// Which of two reports joined to one mirror is kept, whatever the order they came
    /// in: the worse verdict, then the greater host name.
    fn rank(&self) -> ((Option<Severity>, &str), &str) {
        (severity_rank(&self.verdict), &self.host)
    }
}

/// A mirror URL as two reports are compared: scheme and host in lower case, no trailing
/// slash.
fn url_key(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            format!(
                "{}://{}{}",
                url[..i].to_ascii_lowercase(),
                rest[..end].to_ascii_lowercase(),
                &rest[end..]
            )
        }
        None => url.to_string(),
    }
}

/// The host of a URL (no user, no port), lower case.
pub fn url_host(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A mirror host's name names the host of a URL: the same, or one is the other's first
/// label(s) (`mirror01` and `mirror01.example.com`).
fn names_host(hostname: &str, url_host: &str) -> bool {
    let h = hostname.to_ascii_lowercase();
    !h.is_empty()
        && (h == url_host
            || url_host
                .strip_prefix(h.as_str())
                .is_some_and(|r| r.starts_with('.'))
            || h.strip_prefix(url_host).is_some_and(|r| r.starts_with('.')))
}

fn tally_is_empty(t: &Tally) -> bool {
    t.count == 0
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fleet {
    pub reports: u64,
    pub verdicts: BTreeMap<String, Tally>,
    pub findings: BTreeMap<String, FindingTally>,
    pub mirrors: BTreeMap<String, MirrorTally>,
    /// Reports that could not be read, or were skipped (`skipped: ...`), by name: never
    /// fatal, never silent.
    pub unreadable: Vec<Unreadable>,
    /// Endpoints with no mirror URL (they update from the cloud) per verdict.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cloud_only: BTreeMap<String, Tally>,
    /// Mirror reports no endpoint's mirror URL matched (see [`Fleet::finish`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unjoined_mirror_reports: Vec<MirrorReport>,
    /// Mirror reports read, joined by [`Fleet::finish`]: the `serving.url`, if any.
    #[serde(skip)]
    pending_mirrors: Vec<(Option<String>, MirrorReport)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub report: String,
    pub error: String,
}

/// Where the reports a command reads go (`aggregate`'s fleet, `mirror promote`'s gate).
pub trait Sink {
    /// One parsed report; `name` stands for the host when the report has none.
    fn add(&mut self, report: &InputDoc, name: &str);
    /// A report that could not be read, and why.
    fn unreadable(&mut self, report: &str, error: impl Into<String>);
    /// Something not read on purpose, and why.
    fn skipped(&mut self, report: &str, why: impl AsRef<str>) {
        self.unreadable(report, format!("skipped: {}", why.as_ref()));
    }
    /// A `mirror check` report or a mirror's status file; skipped where only endpoints
    /// count.
    fn mirror(&mut self, report: &InputDoc, name: &str) {
        if report.is_status_file() {
            self.skipped(name, "a mirror's status file, not an endpoint's report");
        } else {
            self.skipped(name, "a `mirror check` report, not an endpoint's");
        }
    }
}

impl Sink for Fleet {
    fn add(&mut self, report: &InputDoc, name: &str) {
        Fleet::add(self, report, name)
    }
    fn unreadable(&mut self, report: &str, error: impl Into<String>) {
        Fleet::unreadable(self, report, error)
    }
    fn mirror(&mut self, report: &InputDoc, name: &str) {
        Fleet::add_mirror(self, report, name)
    }
}

impl Fleet {
    /// Folds one parsed report in; `name` stands for the host when the report has none.
    pub fn add(&mut self, report: &InputDoc, name: &str) {
        self.reports += 1;
        let snap = report.snapshot.as_ref();
        let host = kept(
            snap.and_then(|s| s.hostname.as_deref())
                .filter(|h| !h.is_empty())
                .unwrap_or(name),
        );
        let host = host.as_ref();
        let verdict = kept(report.verdict.as_deref().unwrap_or("unknown"));
        self.verdicts
            .entry(verdict.to_string())
            .or_default()
            .add(host);
        for f in &report.findings {
            let t = self.findings.entry(kept(&f.id).into_owned()).or_default();
            let severity = kept(&f.severity);
            // Reports may disagree (one rule raises at two levels): the worst is kept.
            if severity_rank(&severity) > severity_rank(&t.severity) || t.endpoints.count == 0 {
                t.severity = severity.into_owned();
            }
            t.endpoints.add(host);
        }
        let defs = snap.map(|s| &s.definitions);
        let version = defs.and_then(|d| d.definitions_version.text()).map(kept);
        let version = version.as_deref();
        let url = snap
            .and_then(|s| s.mirror.url.as_deref())
            .or_else(|| defs.and_then(|d| d.offline_definition_url_configured.text()));
        let Some(url) = url else {
            self.cloud_only
                .entry(verdict.into_owned())
                .or_default()
                .add(host);
            return;
        };
        let mirror_version = snap
            .and_then(|s| s.mirror.arch.mirror_version.as_deref())
            .map(kept);
        let mirror_version = mirror_version.as_deref();
        let m = self.mirrors.entry(kept(url).into_owned()).or_default();
        m.endpoints += 1;
        m.verdicts
            .entry(verdict.into_owned())
            .or_default()
            .add(host);
        if let Some(v) = version {
            *m.endpoint_versions.entry(v.to_string()).or_default() += 1;
        }
        if let Some(mv) = mirror_version
            && m.mirror_version
                .as_deref()
                .is_none_or(|old| version_rank(mv) > version_rank(old))
        {
            m.mirror_version = Some(mv.to_string());
        }
        if let Some(mirror) = snap.map(|s| &s.mirror) {
            if let Some(t) = mirror.last_sync_timestamp_seconds
                && m.last_sync_timestamp_seconds.is_none_or(|old| t > old)
            {
                m.last_sync_timestamp_seconds = Some(t);
            }
            if mirror.last_sync_success == Some(false) {
                m.sync_failing.add(host);
            }
        }
        if let (Some(v), Some(mv)) = (version, mirror_version) {
            match compare_versions(v, mv) {
                Some(std::cmp::Ordering::Less) => m.endpoints_behind.add(host),
                Some(std::cmp::Ordering::Greater) => m.endpoints_ahead.add(host),
                _ => {}
            }
        }
    }

    /// A report that could not be read, and why (both cut like every kept string: a
    /// parse error may quote the value it choked on).
    pub fn unreadable(&mut self, report: &str, error: impl Into<String>) {
        let error = error.into();
        self.unreadable.push(Unreadable {
            report: kept(report).into_owned(),
            error: kept(&error).into_owned(),
        });
    }

    /// Something not read on purpose (too deep, a symlink, not a file): listed with the
    /// unreadable reports, `skipped: ` and why, so nothing is left out silently.
    pub fn skipped(&mut self, report: &str, why: impl AsRef<str>) {
        self.unreadable(report, format!("skipped: {}", why.as_ref()));
    }

    /// A `mirror check` report, joined to its mirror by [`Fleet::finish`].
    pub fn add_mirror(&mut self, report: &InputDoc, name: &str) {
        let url = report
            .serving
            .as_ref()
            .and_then(|s| s.url.as_deref())
            .filter(|u| !u.trim().is_empty())
            .map(|u| kept(u).into_owned());
        self.pending_mirrors
            .push((url, MirrorReport::from_input(report, name)));
    }

    /// Puts the unreadable reports in name order, once all are in (they are listed
    /// whole, and must not come out in the order a directory happened to list them),
    /// and joins the mirror reports to the endpoints' mirrors: a report with a
    /// `serving.url` (`mirror check --url`) to that URL (scheme and host in any case, a
    /// trailing slash or not; a URL no endpoint uses gets a mirror of its own, with no
    /// endpoints), else to every mirror URL whose host its host name names (the same
    /// name, or the first label(s) of it: `mirror01` names `mirror01.example.com`).
    /// Where two reports join one mirror, the worse verdict is kept (then the greater
    /// host name); a report that joins nothing is listed in `unjoined_mirror_reports`.
    pub fn finish(&mut self) {
        self.unreadable
            .sort_by(|a, b| (&a.report, &a.error).cmp(&(&b.report, &b.error)));
        let mut pending = std::mem::take(&mut self.pending_mirrors);
        pending.sort_by(|a, b| (&a.0, &a.1.host).cmp(&(&b.0, &b.1.host)));
        fn join(m: &mut MirrorTally, report: &MirrorReport, by: &str) {
            let mut r = report.clone();
            r.joined_by = by.to_string();
            let (mut kept, other) = match m.report.take() {
                Some(old) if old.rank() >= r.rank() => (old, r),
                Some(old) => (r, old),
                None => (r, MirrorReport::default()),
            };
            // A status file beside a `mirror check` report that read none: its syncs
            // are still told.
            if kept.sync.is_empty() {
                kept.sync = other.sync;
            }
            m.report = Some(kept);
        }
        for (url, report) in pending {
            if let Some(url) = url {
                let key = url_key(&url);
                let known = self
                    .mirrors
                    .keys()
                    .find(|k| url_key(k) == key)
                    .cloned()
                    .unwrap_or(url);
                join(self.mirrors.entry(known).or_default(), &report, "url");
                continue;
            }
            let mut joined = false;
            for (u, m) in self.mirrors.iter_mut() {
                if url_host(u).is_some_and(|h| names_host(&report.host, &h)) {
                    join(m, &report, "hostname");
                    joined = true;
                }
            }
            if !joined {
                self.unjoined_mirror_reports.push(report);
            }
        }
    }

    /// Mirrors some endpoint is ahead of: their downloader is stuck behind the cloud.
    pub fn mirrors_behind_cloud(&self) -> Vec<&str> {
        self.mirrors
            .iter()
            .filter(|(_, m)| m.endpoints_ahead.count > 0)
            .map(|(u, _)| u.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests;
