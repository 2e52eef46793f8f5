//! The numbers monitoring graphs and alerts on, derived from a snapshot and its findings.
//! Pure like the rules; the renderers only format them. A value we could not learn is
//! `None` and is left out, never reported as a made-up 0.

use super::facts::{definitions_age, last_update_from_mirror, offline_enabled, signature_verified};
use super::finding::{Finding, Severity};
use super::rules::predicted_stale;
use super::snapshot::Snapshot;
use crate::mdatp::health::DefinitionsStatus;
use crate::mirror::status::MirrorStatus;

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
    /// The mirror's last successful sync (its status file), Unix seconds.
    pub mirror_last_sync_timestamp_seconds: Option<f64>,
    /// The mirror's last sync attempt worked (its status file).
    pub mirror_last_sync_success: Option<bool>,
    /// When the definitions cross the warning age if no update arrives, Unix seconds.
    pub predicted_stale_timestamp_seconds: Option<f64>,
}

/// The mirror's sync history from its status file: the last successful sync (Unix
/// seconds) and whether the last attempt worked.
pub fn mirror_sync(s: &Snapshot) -> (Option<i64>, Option<bool>) {
    let Some(status) = s.mirror.status.as_ref().and_then(|r| r.status.as_ref()) else {
        return (None, None);
    };
    (
        status
            .last_success
            .as_deref()
            .and_then(MirrorStatus::time)
            .map(|t| t.as_second()),
        status.last_attempt.as_ref().map(|a| a.ok),
    )
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
        mirror_last_sync_timestamp_seconds: mirror_sync(s).0.map(|t| t as f64),
        mirror_last_sync_success: mirror_sync(s).1,
        predicted_stale_timestamp_seconds: predicted_stale(s).map(|t| t.as_second() as f64),
    }
}
