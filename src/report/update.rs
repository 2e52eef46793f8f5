//! `update`: what the trigger did and how health changed.

use serde::Serialize;

use super::SchemaVersion;
use crate::analyze::finding::Finding;
use crate::analyze::update::{Outcome, Source, UpdateState};

/// What `definitions update` itself said.
#[derive(Debug, Clone, Serialize)]
pub struct Trigger {
    pub exit_status: Option<i32>,
    pub output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    pub schema_version: SchemaVersion,
    pub before: UpdateState,
    pub after: Option<UpdateState>,
    pub outcome: Outcome,
    pub source: Source,
    pub duration_ms: u64,
    pub trigger: Trigger,
    /// Why the outcome is what it is, when that is not obvious (timeout, interrupt).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub findings: Vec<Finding>,
}
