//! `mirror promote` and `mirror rollback`: what each arch folder of each stage became, the
//! canary gate's reading, and what to do next.

use serde::Serialize;

use super::SchemaVersion;
use super::fleet::Unreadable;
use super::gate::Judged;
use crate::analyze::finding::Severity;

/// What happened to one arch folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Swapped in.
    Promoted,
    /// Already served; nothing to do.
    Unchanged,
    /// Not promoted, on purpose (bad, older, the gate).
    Refused,
    /// A step failed (a file system error); what was served before still is.
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepDoc {
    /// `<platform>/<ring>/arch_<arch>`.
    pub folder: String,
    /// The folder written (or that would have been).
    pub path: String,
    pub action: Action,
    /// The version it served before.
    pub from_version: Option<String>,
    /// The version offered.
    pub to_version: Option<String>,
    /// Why it was refused or failed, or what was left as it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Where the previous folder went (the back stage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_in: Option<String>,
}

/// The canary gate of one arch folder on offer.
#[derive(Debug, Clone, Serialize)]
pub struct FolderGate {
    #[serde(flatten)]
    pub judged: Judged,
    pub counted: usize,
    /// How long the canary folder has served its package.
    pub served_seconds: Option<u64>,
    pub passed: bool,
    /// Why not, when not.
    pub refusals: Vec<String>,
}

/// The gate's result, when one was read.
#[derive(Debug, Clone, Serialize)]
pub struct GateDoc {
    pub min_canaries: u32,
    pub soak_seconds: u64,
    /// Reports read (a host's newest counts).
    pub reports: usize,
    pub unreadable: Vec<Unreadable>,
    pub folders: Vec<FolderGate>,
    /// Every folder on offer passed.
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageDoc {
    pub schema_version: SchemaVersion,
    /// `mirror promote` or `mirror rollback`.
    pub command: &'static str,
    /// `canary` or `production` (`production`/`preview` for a rollback: the ring).
    pub to: String,
    pub root: String,
    pub verdict: Severity,
    /// What a killed earlier step left, finished or undone first.
    pub recovered: Vec<String>,
    pub steps: Vec<StepDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateDoc>,
    /// Why nothing could be done at all (no stage to read, a journal that cannot be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What to do next.
    pub next: Vec<String>,
    pub finished_unix: i64,
}

impl StageDoc {
    pub fn new(command: &'static str, to: &str, root: &std::path::Path) -> StageDoc {
        StageDoc {
            schema_version: SchemaVersion,
            command,
            to: to.to_string(),
            root: root.display().to_string(),
            verdict: Severity::Ok,
            recovered: Vec::new(),
            steps: Vec::new(),
            gate: None,
            error: None,
            next: Vec::new(),
            finished_unix: 0,
        }
    }

    /// The folders swapped in.
    pub fn promoted(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.action == Action::Promoted)
            .count()
    }

    /// The verdict the steps add up to: critical when anything was refused or failed or
    /// nothing could be done.
    pub fn settle(&mut self) {
        let bad = self
            .steps
            .iter()
            .any(|s| matches!(s.action, Action::Refused | Action::Failed));
        if bad || self.error.is_some() {
            self.verdict = self.verdict.max(Severity::Critical);
        }
        // Swapped in, but something was left to tidy by hand.
        if self
            .steps
            .iter()
            .any(|s| s.action == Action::Promoted && s.why.is_some())
        {
            self.verdict = self.verdict.max(Severity::Warning);
        }
        self.finished_unix = jiff::Timestamp::now().as_second();
    }
}

#[derive(Debug, Clone)]
pub struct StageReport {
    pub doc: StageDoc,
}
