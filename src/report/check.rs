//! `check`: the verdict, findings and metrics a monitoring system reads, and for
//! `--format json` the diagnose document of the same run.

use super::diagnose::DiagnoseDoc;
use crate::analyze::finding::{Finding, Severity};
use crate::analyze::metrics::Metrics;
use crate::units::range::Range;

/// Everything a monitoring renderer shows.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub verdict: Severity,
    pub findings: Vec<Finding>,
    pub metrics: Metrics,
    pub warn: Range,
    pub crit: Range,
    pub definitions_version: Option<String>,
    /// The run finished (false: deadline passed or an internal error).
    pub complete: bool,
    /// Why the state is unknown, when it is.
    pub problem: Option<String>,
    pub started_unix: f64,
    pub duration_seconds: f64,
}

/// A check run: what the monitoring formats show, and the JSON document.
#[derive(Debug)]
pub struct CheckReport {
    pub result: CheckResult,
    pub doc: DiagnoseDoc,
    /// `--format human`: the diagnose view of the same run, when there was a run.
    pub human: Option<String>,
}
