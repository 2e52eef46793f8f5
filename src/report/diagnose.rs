//! `diagnose` (and `check --format json`, the bundle's report.json): the snapshot as
//! gathered, the findings and the verdict. The same types read the document back
//! (`aggregate`), so the schema is written down once; reading is lenient: a field that
//! is missing takes its default.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SchemaVersion;
use crate::analyze::finding::{Evidence, Finding, Severity};
use crate::analyze::snapshot::Snapshot;
use crate::bundle::redact::{is_secret_name, url_credentials};
use crate::gather::RunFacts;
use crate::managed::config::ConfigError;
use crate::mdatp::health::Health;
use crate::mirror::step::UrlSource;

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
    pub snapshot: Option<SnapshotDoc>,
    pub findings: Vec<FindingDoc>,
    pub verdict: Option<String>,
    /// Why there is no snapshot (`check` past its deadline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotDoc {
    pub time: String,
    pub hostname: Option<String>,
    pub mdatp: MdatpDoc,
    /// `mdatp health --details definitions`, field by field.
    pub definitions: Option<Value>,
    /// `mdatp health`, field by field.
    pub health: Option<Value>,
    pub managed_config: ManagedConfigDoc,
    pub mirror: MirrorDoc,
    pub history: HistoryDoc,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MdatpDoc {
    pub path: Option<String>,
    pub app_version: Option<String>,
    pub error: Option<MdatpErrorDoc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MdatpErrorDoc {
    pub not_found: bool,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedConfigDoc {
    pub path: String,
    /// `ok`, `not-found`, `invalid` or `unreadable`.
    pub status: String,
    pub error: Option<String>,
    pub content: Option<Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MirrorDoc {
    pub url: Option<String>,
    pub url_source: Option<UrlSource>,
    pub skipped: bool,
    pub proxy: Value,
    /// One probe record per architecture.
    pub arch: Value,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryDoc {
    pub state_dir: String,
    pub entries: usize,
    pub error: Option<String>,
}

/// A finding as written; read back with any id and severity.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingDoc {
    pub id: String,
    pub severity: String,
    pub title: String,
    pub evidence: Vec<Evidence>,
    pub fix: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
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
        }
    }
}

fn fields(h: &Health) -> Value {
    serde_json::to_value(&h.fields).unwrap_or(Value::Null)
}

/// The document leaves the machine (the Ansible example ships it to the controller), so
/// the credentials of any URL in it (a proxy's `user:pass@`, a mirror's) and the values of
/// secret-named keys (`"apiKey": "…"`, also as a finding's evidence) are replaced by
/// `REDACTED`; nothing else changes.
fn scrub(mut v: Value) -> Value {
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
    if let std::borrow::Cow::Owned(clean) = url_credentials(s) {
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
                    url: s
                        .mirror
                        .url
                        .as_ref()
                        .map(|(u, _)| url_credentials(u).into_owned()),
                    url_source: s.mirror.url.as_ref().map(|(_, src)| *src),
                    skipped: s.mirror.skipped,
                    proxy: scrub(serde_json::to_value(&run.proxy).unwrap_or(Value::Null)),
                    arch: scrub(serde_json::to_value(&s.mirror.probes).unwrap_or(Value::Null)),
                },
                history: HistoryDoc {
                    state_dir: run.state_dir.display().to_string(),
                    entries: s.history.len(),
                    error: s.history_error.clone(),
                },
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
            error: problem,
            ..DiagnoseDoc::default()
        }
    }
}
