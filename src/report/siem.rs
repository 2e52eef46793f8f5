//! The SIEM event log (`--log-json`, `--journal`): one event per run and one per finding,
//! with ECS field names (`@timestamp`, `event.*`, `host.name`, `rule.*`, `message`) so
//! Splunk, Elastic, Wazuh and Sentinel read it without a custom parser. The fields are an
//! interface, documented in docs/siem.md: add, never rename.
//!
//! Events leave the machine, so they are scrubbed like the JSON report, with the support
//! bundle's secret rules (`bundle::redact::secrets`): credentials in URLs, `Bearer` and
//! `Basic` credentials, `password=…` in free text such as mdatp's fail reason, and the
//! values of secret-named keys (also as a finding's evidence) become `REDACTED`.

use serde::Serialize;

use super::SchemaVersion;
use super::diagnose::{DiagnoseDoc, FindingDoc, SnapshotDoc, scrub};
use crate::analyze::finding::{Evidence, Finding, Severity};
use crate::bundle::redact::is_secret_name;
use crate::exit_codes::ExitCode;

/// The most one event line may take, its newline included: beyond it a line is cut down
/// (see [`fit`]) so no shipper drops or splits it (Splunk's and Filebeat's defaults are
/// larger; syslog relays often stop at 64 KiB).
pub const MAX_LINE: usize = 64 * 1024;

/// One line of the event log.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    pub message: String,
    pub event: EventMeta,
    pub host: Host,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleRef>,
    pub log: Log,
    pub mdatp_doctor: Detail,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventMeta {
    /// `event` for the run, `alert` for a finding of warning or worse, `event` below.
    pub kind: &'static str,
    /// `mdatp_doctor.run` or `mdatp_doctor.finding`.
    pub dataset: &'static str,
    /// The command: `diagnose`, `check`, `update`, `mirror-run`.
    pub action: &'static str,
    /// `success` (ok, info), `failure` (warning, critical) or `unknown`.
    pub outcome: &'static str,
    /// The syslog severity number (journald's PRIORITY): 2 critical, 3 unknown, 4 warning,
    /// 6 info and ok.
    pub severity: u8,
    /// The run's duration in nanoseconds, when measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    /// The finding's stable id (`diagnose --explain ID`).
    pub id: String,
    /// What this occurrence says (the finding's title).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Log {
    /// The severity word: ok, info, warning, unknown, critical.
    pub level: &'static str,
}

/// Our own fields, under one name as ECS asks of custom fields.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub schema_version: SchemaVersion,
    /// mdatp-doctor's version.
    pub version: &'static str,
    pub command: &'static str,
    /// Shared by every line of one run, to group them.
    pub run_id: String,
    /// The run's verdict (on finding lines too, so each line stands alone).
    pub verdict: &'static str,
    pub exit_code: u8,
    /// The finding's severity (finding lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Every finding id of the run (run lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fixable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definitions_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// `update`: updated, current, fallback, failed, timeout, unknown, triggered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why the run could not judge (an UNKNOWN without findings says why here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The mirror's last successful sync, from its status file (run lines; RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror_last_sync: Option<String>,
    /// The mirror's last sync attempt worked (run lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mirror_last_sync_success: Option<bool>,
    /// When the definitions cross the warning age if no update arrives (run lines; RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_stale: Option<String>,
    /// Long values were cut so the line fits [`MAX_LINE`].
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// What a run says, whatever the command; [`Run::events`] turns it into lines.
#[derive(Debug)]
pub struct Run {
    pub command: &'static str,
    pub host: String,
    pub time: jiff::Timestamp,
    pub run_id: String,
    pub verdict: Severity,
    pub exit: ExitCode,
    pub duration: Option<std::time::Duration>,
    pub findings: Vec<FindingDoc>,
    pub definitions_version: Option<String>,
    pub app_version: Option<String>,
    pub outcome: Option<String>,
    pub error: Option<String>,
    /// The mirror's sync history and the predicted staleness (diagnose, check).
    pub sync: MirrorSync,
}

/// What the mirror's status file said, as the run line carries it (issue 28).
#[derive(Debug, Clone, Default)]
pub struct MirrorSync {
    pub last_sync: Option<String>,
    pub last_sync_success: Option<bool>,
    pub predicted_stale: Option<String>,
}

/// Unix seconds as RFC 3339.
fn rfc3339(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.to_string())
}

/// The severity a process exit code stands for (a command whose verdict is its exit).
pub fn severity_of_exit(exit: ExitCode) -> Severity {
    match exit {
        ExitCode::Ok => Severity::Ok,
        ExitCode::Warning => Severity::Warning,
        ExitCode::Critical => Severity::Critical,
        ExitCode::Unknown | ExitCode::Usage => Severity::Unknown,
    }
}

/// A run id: unique enough to group one run's lines (time and process id), and telling
/// nothing about the machine.
pub fn run_id(time: jiff::Timestamp) -> String {
    format!("{:x}-{:x}", time.as_nanosecond(), std::process::id())
}

fn outcome(s: Severity) -> &'static str {
    match s {
        Severity::Ok | Severity::Info => "success",
        Severity::Warning | Severity::Critical => "failure",
        Severity::Unknown => "unknown",
    }
}

/// The syslog severity (and journald PRIORITY) of a verdict.
pub fn priority(s: Severity) -> u8 {
    match s {
        Severity::Critical => 2,
        Severity::Unknown => 3,
        Severity::Warning => 4,
        Severity::Info | Severity::Ok => 6,
    }
}

impl Run {
    /// The findings of a diagnose document (already scrubbed when it was made).
    pub fn from_diagnose(command: &'static str, doc: &DiagnoseDoc) -> Run {
        let verdict = doc
            .verdict
            .as_deref()
            .map_or(Severity::Unknown, Severity::from_word);
        let default = SnapshotDoc::default();
        let snapshot = doc.snapshot.as_ref().unwrap_or(&default);
        let definitions_version = snapshot
            .definitions
            .as_ref()
            .and_then(|d| d.get("definitions_version"))
            // Health fields are `{"value": …, "managed": …}`.
            .and_then(|v| v.get("value").unwrap_or(v).as_str())
            .map(str::to_string);
        let time = jiff::Timestamp::now();
        Run {
            command,
            host: snapshot
                .hostname
                .clone()
                .unwrap_or_else(crate::system::hostname),
            time,
            run_id: run_id(time),
            verdict,
            exit: verdict.exit_code(),
            duration: None,
            // The document's types hold no Clone; a round trip copies them.
            findings: serde_json::to_value(&doc.findings)
                .and_then(serde_json::from_value)
                .unwrap_or_default(),
            definitions_version,
            app_version: snapshot.mdatp.app_version.clone(),
            outcome: None,
            error: doc
                .error
                .as_ref()
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
                .or(snapshot.mdatp.error.as_ref().map(|e| e.message.clone())),
            sync: MirrorSync {
                last_sync: rfc3339(snapshot.mirror.last_sync_timestamp_seconds),
                last_sync_success: snapshot.mirror.last_sync_success,
                predicted_stale: rfc3339(snapshot.predicted_stale_timestamp_seconds),
            },
        }
    }

    /// A run of a command with raw findings (`update`, `mirror run`).
    pub fn new(
        command: &'static str,
        verdict: Severity,
        exit: ExitCode,
        findings: &[Finding],
    ) -> Run {
        let time = jiff::Timestamp::now();
        Run {
            command,
            host: crate::system::hostname(),
            time,
            run_id: run_id(time),
            verdict,
            exit,
            duration: None,
            findings: findings.iter().map(FindingDoc::from).collect(),
            definitions_version: None,
            app_version: None,
            outcome: None,
            error: None,
            sync: MirrorSync::default(),
        }
    }

    /// The run's line, then one line per finding; scrubbed.
    pub fn events(&self) -> Vec<Event> {
        let timestamp = format!("{:.3}", self.time);
        let detail = |severity: Option<String>| Detail {
            schema_version: SchemaVersion,
            version: env!("CARGO_PKG_VERSION"),
            command: self.command,
            run_id: self.run_id.clone(),
            verdict: self.verdict.as_str(),
            exit_code: self.exit.code(),
            severity,
            finding_ids: None,
            evidence: Vec::new(),
            fix: None,
            fixable: false,
            definitions_version: self.definitions_version.clone(),
            app_version: self.app_version.clone(),
            outcome: self.outcome.clone(),
            error: None,
            mirror_last_sync: None,
            mirror_last_sync_success: None,
            predicted_stale: None,
            truncated: false,
        };
        let action = self.command;
        let host = Host {
            name: self.host.clone(),
        };
        let ids: Vec<String> = self.findings.iter().map(|f| f.id.clone()).collect();
        let mut message = format!("mdatp-doctor {}: {}", self.command, self.verdict.as_str());
        if !ids.is_empty() {
            message.push_str(&format!(" ({})", ids.join(", ")));
        } else if let Some(e) = &self.error {
            message.push_str(&format!(": {e}"));
        }
        let mut out = vec![Event {
            timestamp: timestamp.clone(),
            message,
            event: EventMeta {
                kind: "event",
                dataset: "mdatp_doctor.run",
                action,
                outcome: outcome(self.verdict),
                severity: priority(self.verdict),
                duration: self
                    .duration
                    .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
            },
            host: host.clone(),
            rule: None,
            log: Log {
                level: self.verdict.as_str(),
            },
            mdatp_doctor: Detail {
                finding_ids: Some(ids),
                error: self.error.clone(),
                mirror_last_sync: self.sync.last_sync.clone(),
                mirror_last_sync_success: self.sync.last_sync_success,
                predicted_stale: self.sync.predicted_stale.clone(),
                ..detail(None)
            },
        }];
        for f in &self.findings {
            let sev = Severity::from_word(&f.severity);
            out.push(Event {
                timestamp: timestamp.clone(),
                message: f.title.clone(),
                event: EventMeta {
                    kind: if sev >= Severity::Warning {
                        "alert"
                    } else {
                        "event"
                    },
                    dataset: "mdatp_doctor.finding",
                    action,
                    outcome: outcome(sev),
                    severity: priority(sev),
                    duration: None,
                },
                host: host.clone(),
                rule: Some(RuleRef {
                    id: f.id.clone(),
                    name: f.title.clone(),
                    reference: f.doc.clone(),
                }),
                log: Log {
                    level: sev.as_str(),
                },
                mdatp_doctor: Detail {
                    evidence: f
                        .evidence
                        .iter()
                        .map(|e| Evidence {
                            value: if is_secret_name(&e.key) {
                                "REDACTED".into()
                            } else {
                                e.value.clone()
                            },
                            ..e.clone()
                        })
                        .collect(),
                    fix: Some(f.fix.clone()),
                    fixable: f.fixable,
                    ..detail(Some(sev.as_str().to_string()))
                },
            });
        }
        out
    }
}

/// The event as one line (no newline), scrubbed and cut to fit [`MAX_LINE`]: long strings
/// are shortened first, then the evidence goes; the fields that identify the event stay.
pub fn line(event: &Event) -> String {
    let value = scrub(serde_json::to_value(event).unwrap_or_default());
    let text = value.to_string();
    if text.len() < MAX_LINE {
        return text;
    }
    fit(value)
}

fn fit(mut value: serde_json::Value) -> String {
    for keep in [4096, 512, 64] {
        shorten(&mut value, keep);
        value["mdatp_doctor"]["truncated"] = true.into();
        let text = value.to_string();
        if text.len() < MAX_LINE {
            return text;
        }
    }
    if let Some(d) = value["mdatp_doctor"].as_object_mut() {
        d.remove("evidence");
        d.remove("finding_ids");
    }
    value.to_string()
}

/// Cuts every string longer than `keep` bytes (at a character boundary) and marks the cut.
fn shorten(v: &mut serde_json::Value, keep: usize) {
    match v {
        serde_json::Value::String(s) if s.len() > keep => {
            let mut end = keep;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
            s.push_str("…[cut]");
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| shorten(x, keep)),
        serde_json::Value::Object(m) => m.values_mut().for_each(|x| shorten(x, keep)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
