//! The numbers monitoring graphs and alerts on, derived from a snapshot and its findings.
//! Pure like the rules; the renderers only format them. A value we could not learn is
//! `None` and is left out, never reported as a made-up 0.

use super::facts::{definitions_age, last_update_from_mirror, offline_enabled, signature_verified};
use super::finding::{Finding, Severity};
use super::snapshot::Snapshot;
use crate::mdatp::health::DefinitionsStatus;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metrics {
    pub definitions_age_seconds: Option<f64>,
    pub definitions_up_to_date: Option<bool>,
    pub offline_update_enabled: Option<bool>,
    pub signature_verification_enabled: Option<bool>,
    pub update_source_is_mirror: Option<bool>,
    /// Per probed architecture: every step succeeded.
    pub mirror_up: Vec<(String, bool)>,
    pub mirror_definitions_version: Option<String>,
    /// Time to the mirror's answer for the first architecture (all probe steps).
    pub mirror_latency_seconds: Option<f64>,
    pub findings_critical: usize,
    pub findings_warning: usize,
}

pub fn compute(s: &Snapshot, findings: &[Finding]) -> Metrics {
    Metrics {
        definitions_age_seconds: definitions_age(s).map(|(age, _)| age.as_secs_f64()),
        definitions_up_to_date: s
            .str("definitions_status")
            .map(|v| DefinitionsStatus::parse(v) == DefinitionsStatus::UpToDate),
        offline_update_enabled: offline_enabled(s),
        signature_verification_enabled: signature_verified(s),
        update_source_is_mirror: last_update_from_mirror(s),
        mirror_up: s
            .mirror
            .probes
            .iter()
            .map(|p| {
                (
                    p.arch.clone(),
                    !p.steps.is_empty() && p.steps.iter().all(|st| st.ok),
                )
            })
            .collect(),
        mirror_definitions_version: s.mirror.definitions_version().map(str::to_string),
        mirror_latency_seconds: s
            .mirror
            .probes
            .first()
            .filter(|p| !p.steps.is_empty())
            .map(|p| p.steps.iter().map(|st| st.duration_ms).sum::<u64>() as f64 / 1000.0),
        findings_critical: findings
            .iter()
            .filter(|f| f.severity == Severity::Critical)
            .count(),
        findings_warning: findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count(),
    }
}
