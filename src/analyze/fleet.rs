//! One picture of a fleet from many `diagnose --format json` reports. Reports are folded
//! in one at a time; memory grows with the number of distinct values (finding ids,
//! mirrors, versions), not with the number of reports: every list keeps a few examples.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::facts::compare_versions;

/// How many example hosts each list keeps.
pub const EXAMPLES: usize = 3;

/// The parts of a diagnose report the fleet view reads; everything else is skipped
/// while parsing.
#[derive(Debug, Deserialize)]
pub struct Report {
    #[serde(default)]
    pub snapshot: Option<SnapshotIn>,
    #[serde(default)]
    pub findings: Vec<FindingIn>,
    #[serde(default)]
    pub verdict: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SnapshotIn {
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub definitions: Option<DefinitionsIn>,
    #[serde(default)]
    pub mirror: Option<MirrorIn>,
}

#[derive(Debug, Deserialize)]
pub struct DefinitionsIn {
    #[serde(default)]
    pub definitions_version: Option<FieldIn>,
    #[serde(default)]
    pub offline_definition_url_configured: Option<FieldIn>,
}

#[derive(Debug, Deserialize)]
pub struct FieldIn {
    #[serde(default)]
    pub value: serde_json::Value,
}

#[derive(Debug, Deserialize)]
pub struct MirrorIn {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub arch: Vec<ProbeIn>,
}

#[derive(Debug, Deserialize)]
pub struct ProbeIn {
    #[serde(default)]
    pub manifest: Option<ManifestIn>,
}

#[derive(Debug, Deserialize)]
pub struct ManifestIn {
    #[serde(default)]
    pub definition_version: String,
}

#[derive(Debug, Deserialize)]
pub struct FindingIn {
    pub id: String,
    #[serde(default)]
    pub severity: String,
}

/// A count with a few example hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub count: u64,
    pub examples: Vec<String>,
}

impl Tally {
    fn add(&mut self, host: &str) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(host.to_string());
        }
    }
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
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fleet {
    pub reports: u64,
    pub verdicts: BTreeMap<String, Tally>,
    pub findings: BTreeMap<String, FindingTally>,
    pub mirrors: BTreeMap<String, MirrorTally>,
    /// Reports that could not be read, by name: never fatal.
    pub unreadable: Vec<Unreadable>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub report: String,
    pub error: String,
}

fn text(v: &serde_json::Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

impl Fleet {
    /// Folds one parsed report in; `name` stands for the host when the report has none.
    pub fn add(&mut self, report: &Report, name: &str) {
        self.reports += 1;
        let snap = report.snapshot.as_ref();
        let host = snap
            .and_then(|s| s.hostname.as_deref())
            .filter(|h| !h.is_empty())
            .unwrap_or(name);
        let verdict = report.verdict.as_deref().unwrap_or("unknown");
        self.verdicts
            .entry(verdict.to_string())
            .or_default()
            .add(host);
        for f in &report.findings {
            let t = self.findings.entry(f.id.clone()).or_default();
            if t.severity.is_empty() {
                t.severity = f.severity.clone();
            }
            t.endpoints.add(host);
        }
        let defs = snap.and_then(|s| s.definitions.as_ref());
        let version = defs
            .and_then(|d| d.definitions_version.as_ref())
            .and_then(|f| text(&f.value));
        let url = snap
            .and_then(|s| s.mirror.as_ref())
            .and_then(|m| m.url.as_deref())
            .or_else(|| {
                defs.and_then(|d| d.offline_definition_url_configured.as_ref())
                    .and_then(|f| text(&f.value))
            });
        let Some(url) = url else { return };
        let mirror_version = snap.and_then(|s| s.mirror.as_ref()).and_then(|m| {
            m.arch
                .iter()
                .filter_map(|p| p.manifest.as_ref())
                .map(|m| m.definition_version.as_str())
                .find(|v| !v.is_empty())
        });
        let m = self.mirrors.entry(url.to_string()).or_default();
        m.endpoints += 1;
        if let Some(v) = version {
            *m.endpoint_versions.entry(v.to_string()).or_default() += 1;
        }
        if let Some(mv) = mirror_version
            && m.mirror_version
                .as_deref()
                .is_none_or(|old| compare_versions(mv, old) == Some(std::cmp::Ordering::Greater))
        {
            m.mirror_version = Some(mv.to_string());
        }
        if let (Some(v), Some(mv)) = (version, mirror_version) {
            match compare_versions(v, mv) {
                Some(std::cmp::Ordering::Less) => m.endpoints_behind.add(host),
                Some(std::cmp::Ordering::Greater) => m.endpoints_ahead.add(host),
                _ => {}
            }
        }
    }

    pub fn unreadable(&mut self, report: &str, error: impl Into<String>) {
        self.unreadable.push(Unreadable {
            report: report.into(),
            error: error.into(),
        });
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
