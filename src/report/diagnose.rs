//! `diagnose` (and `check --format json`, the bundle's report.json): the snapshot as
//! gathered, the findings and the verdict. Reading these types back is lenient: a field
//! that is missing or of another type takes its default. `aggregate` and the canary gate
//! read reports through [`super::fleet::InputDoc`] instead, with the same leniency: only
//! the fields they use, borrowed, never through a `serde_json::Value` (a test keeps the
//! two in step).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SchemaVersion;
use crate::analyze::finding::{Evidence, Finding, Severity};
use crate::analyze::metrics::mirror_sync;
use crate::analyze::rules::predicted_stale;
use crate::analyze::snapshot::Snapshot;
use crate::bundle::redact::{is_secret_name, secrets};
use crate::gather::RunFacts;
use crate::managed::config::ConfigError;
use crate::mdatp::health::Health;
use crate::mirror::step::UrlSource;

/// Reads a field leniently: null or a value of another shape is the default, so a
/// report edited by hand, redacted with jq or written by another version still folds
/// into a fleet view instead of being rejected whole.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

/// A diagnose run as the renderers see it.
pub struct DiagnoseReport<'a> {
    pub snapshot: &'a Snapshot,
    pub run: &'a RunFacts,
    pub findings: &'a [Finding],
    pub verdict: Severity,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DiagnoseDoc {
    pub schema_version: SchemaVersion,
    #[serde(default, deserialize_with = "lenient")]
    pub snapshot: Option<SnapshotDoc>,
    /// Strict: a report whose findings cannot be read must not count as one without any.
    pub findings: Vec<FindingDoc>,
    #[serde(default, deserialize_with = "lenient")]
    pub verdict: Option<String>,
    /// Why there is no snapshot (`check` past its deadline; an error document's object).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotDoc {
    #[serde(default, deserialize_with = "lenient")]
    pub time: String,
    #[serde(default, deserialize_with = "lenient")]
    pub hostname: Option<String>,
    /// The endpoint's architecture (`x86_64`, `arm64`), when known.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub arch: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub mdatp: MdatpDoc,
    /// `mdatp health --details definitions`, field by field.
    #[serde(default, deserialize_with = "lenient")]
    pub definitions: Option<Value>,
    /// `mdatp health`, field by field.
    #[serde(default, deserialize_with = "lenient")]
    pub health: Option<Value>,
    #[serde(default, deserialize_with = "lenient")]
    pub managed_config: ManagedConfigDoc,
    #[serde(default, deserialize_with = "lenient")]
    pub mirror: MirrorDoc,
    #[serde(default, deserialize_with = "lenient")]
    pub history: HistoryDoc,
    /// When the definitions cross the warning age if no update arrives (Unix seconds;
    /// the `check --format prometheus` gauge of the same name).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub predicted_stale_timestamp_seconds: Option<i64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MdatpDoc {
    #[serde(default, deserialize_with = "lenient")]
    pub path: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub app_version: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<MdatpErrorDoc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MdatpErrorDoc {
    #[serde(default, deserialize_with = "lenient")]
    pub not_found: bool,
    #[serde(default, deserialize_with = "lenient")]
    pub message: String,
    #[serde(default, deserialize_with = "lenient")]
    pub hint: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedConfigDoc {
    #[serde(default, deserialize_with = "lenient")]
    pub path: String,
    /// `ok`, `not-found`, `invalid` or `unreadable`.
    #[serde(default, deserialize_with = "lenient")]
    pub status: String,
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub content: Option<Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MirrorDoc {
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub url_source: Option<UrlSource>,
    #[serde(default, deserialize_with = "lenient")]
    pub skipped: bool,
    #[serde(default, deserialize_with = "lenient")]
    pub proxy: Value,
    /// One probe record per architecture.
    #[serde(default, deserialize_with = "lenient")]
    pub arch: Value,
    /// The managed file's URL when mdatp uses another: `{url, probed, arch}`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Value::is_null"
    )]
    pub unused: Value,
    /// The mirror's status file as read with the probe: `{url, status, error}` (issue 28).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Value::is_null"
    )]
    pub status: Value,
    /// Its last successful sync (Unix seconds), as `check --format prometheus` exports it.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sync_timestamp_seconds: Option<i64>,
    /// Its last sync attempt worked.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sync_success: Option<bool>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryDoc {
    #[serde(default, deserialize_with = "lenient")]
    pub state_dir: String,
    #[serde(default, deserialize_with = "lenient")]
    pub entries: usize,
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<String>,
    /// Unreadable lines that were skipped (the rest of the history is used).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub note: Option<String>,
}

/// A finding as written; read back with any severity, but never without an id.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FindingDoc {
    pub id: String,
    #[serde(default, deserialize_with = "lenient")]
    pub severity: String,
    #[serde(default, deserialize_with = "lenient")]
    pub title: String,
    #[serde(default, deserialize_with = "lenient")]
    pub evidence: Vec<Evidence>,
    #[serde(default, deserialize_with = "lenient")]
    pub fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(default, deserialize_with = "lenient")]
    pub doc: Option<String>,
    /// `config fix` can make the change that resolves it.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub fixable: bool,
}

impl From<&Finding> for FindingDoc {
    fn from(f: &Finding) -> FindingDoc {
        FindingDoc {
            id: f.id.to_string(),
            severity: f.severity.as_str().to_string(),
            title: f.title.clone(),
            evidence: f.evidence.clone(),
            fix: f.fix.clone(),
            doc: f.doc.map(str::to_string),
            fixable: f.edit.is_some(),
        }
    }
}

fn fields(h: &Health) -> Value {
    serde_json::to_value(&h.fields).unwrap_or(Value::Null)
}

/// The document leaves the machine (the Ansible example ships it to the controller), so
/// every string in it passes the bundle's secret rules ([`secrets`]: a URL's `user:pass@`,
/// `Bearer`/`Basic` credentials, `password=…` and the like in free text such as mdatp's
/// fail reason), and the values of secret-named keys (`"apiKey": "…"`, also as a
/// finding's evidence) are replaced by `REDACTED`; nothing else changes. The JSON writer
/// and the event log both call this.
pub fn scrub(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::String(s) => scrub_in(s),
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    if is_secret_name(k) && (v.is_string() || v.is_number()) {
                        *v = Value::from(MASK);
                    } else {
                        walk(v);
                    }
                }
            }
            _ => {}
        }
    }
    walk(&mut v);
    v
}

const MASK: &str = "REDACTED";

fn scrub_in(s: &mut String) {
    if let std::borrow::Cow::Owned(clean) = secrets(s) {
        *s = clean;
    }
}

fn scrub_finding(mut f: FindingDoc) -> FindingDoc {
    scrub_in(&mut f.title);
    scrub_in(&mut f.fix);
    for e in &mut f.evidence {
        if is_secret_name(&e.key) {
            e.value = MASK.into();
        } else {
            scrub_in(&mut e.value);
        }
    }
    f
}

/// The managed file's status word and error, as the document and the header show them.
pub fn config_status(s: &Snapshot) -> (&'static str, Option<String>) {
    match &s.config.loaded {
        Ok(_) => ("ok", None),
        Err(ConfigError::NotFound { .. }) => ("not-found", None),
        Err(e @ (ConfigError::InvalidJson { .. } | ConfigError::NotAnObject { .. })) => {
            ("invalid", Some(e.to_string()))
        }
        Err(e) => ("unreadable", Some(e.to_string())),
    }
}

impl DiagnoseReport<'_> {
    pub fn document(&self) -> DiagnoseDoc {
        let (s, run) = (self.snapshot, self.run);
        let (status, error) = config_status(s);
        DiagnoseDoc {
            schema_version: SchemaVersion,
            snapshot: Some(SnapshotDoc {
                time: s.now.to_string(),
                hostname: Some(run.hostname.clone()),
                arch: run.arch.clone(),
                mdatp: MdatpDoc {
                    path: run.mdatp_path.clone(),
                    app_version: s.str("app_version").map(str::to_string),
                    error: s.mdatp_problem.as_ref().map(|p| MdatpErrorDoc {
                        not_found: p.not_found,
                        message: p.message.clone(),
                        hint: p.hint.clone(),
                    }),
                },
                definitions: s.definitions.as_ref().map(fields).map(scrub),
                health: s.health.as_ref().map(fields).map(scrub),
                managed_config: ManagedConfigDoc {
                    path: s.config.path.clone(),
                    status: status.into(),
                    error,
                    content: s.config.loaded.as_ref().ok().map(|c| scrub(c.root.clone())),
                },
                mirror: MirrorDoc {
                    url: s.mirror.url.as_ref().map(|(u, _)| secrets(u).into_owned()),
                    url_source: s.mirror.url.as_ref().map(|(_, src)| *src),
                    skipped: s.mirror.skipped,
                    proxy: scrub(serde_json::to_value(&run.proxy).unwrap_or(Value::Null)),
                    arch: scrub(serde_json::to_value(&s.mirror.probes).unwrap_or(Value::Null)),
                    unused: s.mirror.unused.as_ref().map_or(Value::Null, |u| {
                        scrub(serde_json::json!({
                            "url": secrets(&u.url),
                            "probed": u.probed,
                            "arch": u.probes,
                        }))
                    }),
                    status: s.mirror.status.as_ref().map_or(Value::Null, |r| {
                        let mut v = scrub(serde_json::to_value(r).unwrap_or(Value::Null));
                        v["url"] = Value::from(secrets(&r.url).into_owned());
                        v
                    }),
                    last_sync_timestamp_seconds: mirror_sync(s).0,
                    last_sync_success: mirror_sync(s).1,
                },
                history: HistoryDoc {
                    state_dir: run.state_dir.display().to_string(),
                    entries: s.history.len(),
                    error: s.history_error.clone(),
                    note: s.history_note.clone(),
                },
                predicted_stale_timestamp_seconds: predicted_stale(s).map(|t| t.as_second()),
            }),
            findings: self
                .findings
                .iter()
                .map(|f| scrub_finding(FindingDoc::from(f)))
                .collect(),
            verdict: Some(self.verdict.as_str().into()),
            error: None,
        }
    }
}

impl DiagnoseDoc {
    /// The document of a run that produced no snapshot, saying why.
    pub fn unknown(problem: Option<String>) -> DiagnoseDoc {
        DiagnoseDoc {
            verdict: Some(Severity::Unknown.as_str().into()),
            error: problem.map(Value::String),
            ..DiagnoseDoc::default()
        }
    }
}

/// `diagnose --from-bundle` / `--from-dir`: the usual report, with where its facts came
/// from and how today's findings compare with the report the capture holds.
pub struct FromCaptureReport<'a> {
    pub report: DiagnoseReport<'a>,
    pub source: SourceDoc,
}

/// The capture a re-diagnosis read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceDoc {
    /// `bundle` or `dir`.
    pub kind: &'static str,
    pub path: String,
    pub created: Option<String>,
    pub host: Option<String>,
    /// The mdatp-doctor version that wrote it.
    pub version: Option<String>,
    /// The moment ages and staleness are judged at, and what said so.
    pub judged_at: String,
    pub judged_at_source: String,
    /// The time zone the endpoint's local times were read in.
    pub time_zone: String,
    /// Values held only as redaction placeholders (compared, never judged by form).
    pub redacted: Vec<String>,
    /// Facts the live diagnose reads that the capture does not hold (not judged).
    pub not_captured: Vec<String>,
    pub notes: Vec<String>,
    /// Today's findings against the capture's own report; `None` when it has none.
    pub compared: Option<Comparison>,
}

/// Finding ids today's rules raise that the capture's report did not, and the reverse.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub verdict_then: Option<String>,
    pub added: Vec<String>,
    pub dropped: Vec<String>,
}

/// Ids of findings about the capture itself: the report inside could not have them.
const CAPTURE_IDS: [&str; 2] = ["bundle-altered", "bundle-redacted-value"];

impl SourceDoc {
    pub fn new(rebuilt: &crate::gather::from_bundle::Rebuilt, findings: &[Finding]) -> SourceDoc {
        use crate::gather::from_bundle::OriginKind;
        let o = &rebuilt.origin;
        let compared = rebuilt.earlier.as_ref().map(|earlier| {
            let now: Vec<&str> = findings
                .iter()
                .map(|f| f.id)
                .filter(|id| !CAPTURE_IDS.contains(id))
                .collect();
            let mut added: Vec<String> = Vec::new();
            for id in &now {
                if !earlier.ids.iter().any(|e| e == id) && !added.iter().any(|a| a == id) {
                    added.push(id.to_string());
                }
            }
            let mut dropped: Vec<String> = Vec::new();
            for id in &earlier.ids {
                if !now.contains(&id.as_str()) && !dropped.contains(id) {
                    dropped.push(id.clone());
                }
            }
            Comparison {
                verdict_then: earlier.verdict.clone(),
                added,
                dropped,
            }
        });
        SourceDoc {
            kind: match o.kind {
                OriginKind::Bundle => "bundle",
                OriginKind::Dir => "dir",
            },
            path: o.path.clone(),
            created: o.created.map(|t| t.to_string()),
            host: o.host.clone(),
            version: o.version.clone(),
            judged_at: o.judged_at.to_string(),
            judged_at_source: o.judged_at_source.clone(),
            time_zone: o.time_zone.clone(),
            redacted: rebuilt.redacted.clone(),
            not_captured: rebuilt.not_captured.clone(),
            notes: rebuilt
                .notes
                .iter()
                .map(|n| secrets(n).into_owned())
                .collect(),
            compared,
        }
    }
}

/// The diagnose document with the capture it was made from.
#[derive(Debug, Serialize)]
pub struct FromCaptureDoc {
    #[serde(flatten)]
    pub diagnose: DiagnoseDoc,
    pub source: SourceDoc,
}
