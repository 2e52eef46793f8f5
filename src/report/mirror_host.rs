//! `mirror check`: the mirror host's findings and the state of each arch folder.

use serde::Serialize;

use super::SchemaVersion;
use crate::analyze::finding::{Finding, Severity};
use crate::mirror_host::MirrorHostSnapshot;
use crate::mirror_host::stage::{Stage, StageArch};

/// One arch folder as monitoring sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ArchRow {
    pub platform: String,
    pub ring: String,
    pub backup: bool,
    pub arch: String,
    pub path: String,
    pub package_bytes: Option<u64>,
    pub package_age_seconds: Option<f64>,
    pub package_ok: Option<bool>,
    pub package_sha256: Option<String>,
    pub engine_version: Option<String>,
    pub definitions_version: Option<String>,
    /// `--online`: what Microsoft publishes for this slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_definitions_version: Option<String>,
    /// `--online`: how long a newer version has been out (0 when current).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behind_seconds: Option<f64>,
}

/// One arch folder of one stage of a staged root (`mirror check --folder ROOT`).
#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    pub stage: Stage,
    pub platform: String,
    pub ring: String,
    pub arch: String,
    pub path: String,
    /// What its manifest.json says, when it can be read.
    pub definitions_version: Option<String>,
    pub engine_version: Option<String>,
    pub package_bytes: Option<u64>,
    pub package_sha256: Option<String>,
    /// How long ago updates.zip was last changed (its mtime).
    pub package_age_seconds: Option<f64>,
    /// Since when it has served what it holds (Unix time): its stage marker, else the
    /// time its last file went in.
    pub since_unix: Option<i64>,
    /// Canary and production: how long it has served what it holds.
    pub served_seconds: Option<f64>,
    /// The stage it was promoted from (its marker); `None` for incoming/ and for a folder
    /// filled by hand.
    pub from: Option<Stage>,
    /// Fit to serve: a complete zip whose entries pass their CRC and a manifest with both
    /// versions (what `mirror promote` requires).
    pub ok: bool,
    /// Why it is not fit to serve.
    pub why_not: Option<String>,
    /// Its marker cannot be read (the served files are judged all the same).
    pub marker_error: Option<String>,
}

/// The journal of a promote or rollback step, present while one runs or after one was
/// killed.
#[derive(Debug, Clone, Serialize)]
pub struct StageJournalRow {
    pub path: String,
    pub age_seconds: Option<f64>,
    pub op: Option<String>,
    pub folder: Option<String>,
    pub to_version: Option<String>,
    pub error: Option<String>,
}

/// What one ring folder's `mdatp-doctor-status.json` says of its syncs (`aggregate` keeps
/// the same rows, and one for a status file given whole, with no platform or ring).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncRow {
    /// Empty for a status file given whole (it does not name its folder).
    pub platform: String,
    pub ring: String,
    /// RFC 3339, as the file has them.
    pub last_attempt_at: Option<String>,
    pub last_attempt_ok: Option<bool>,
    pub last_attempt_error: Option<String>,
    pub last_success: Option<String>,
}

/// `--url`: what was checked as the endpoints see it.
#[derive(Debug, Clone, Serialize)]
pub struct ServingRow {
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MirrorCheckDoc {
    pub schema_version: SchemaVersion,
    pub command: &'static str,
    pub verdict: Severity,
    /// The mirror host's name (`aggregate` joins a report without `serving` by it).
    pub hostname: String,
    /// `--url`: the URL checked (`aggregate` joins the report to the endpoints using it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serving: Option<ServingRow>,
    pub settings: Option<String>,
    pub folder: String,
    pub log: Option<String>,
    /// The user the schedule runs the downloader as, and where that comes from (root is
    /// assumed, and said, when no schedule names one).
    pub runs_as: Option<String>,
    pub arches: Vec<ArchRow>,
    /// `--folder ROOT` of a staged mirror: every stage's arch folders, platform by
    /// platform, ring by ring, incoming → canary → production → back. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<StageRow>>,
    /// A staged root's journal, when a step is in progress or was killed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_journal: Option<StageJournalRow>,
    /// What the ring folders' status files (written by `mirror run`) say of the syncs;
    /// absent when none has one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sync: Vec<SyncRow>,
    pub findings: Vec<Finding>,
    /// When the check read the tree (Unix time), for monitoring: package ages are as of
    /// this instant, so a textfile that stopped being rewritten can be told from a fresh one.
    #[serde(skip)]
    pub checked_unix: i64,
}

#[derive(Debug, Clone)]
pub struct MirrorCheckReport {
    pub doc: MirrorCheckDoc,
}

impl MirrorCheckReport {
    pub fn new(s: &MirrorHostSnapshot, findings: Vec<Finding>) -> MirrorCheckReport {
        let verdict = crate::analyze::finding::worst(&findings);
        let arches = s
            .tree
            .iter()
            .map(|a| {
                let pkg = a.package.as_ref().and_then(|p| p.as_ref().ok());
                let man = a.manifest.as_ref().and_then(|m| m.as_ref().ok());
                let published = s
                    .online
                    .iter()
                    .flatten()
                    .filter(|_| !a.slot.back)
                    .find(|r| {
                        r.platform == a.slot.platform
                            && r.ring == a.slot.ring
                            && r.arch == a.slot.arch
                    })
                    .and_then(|r| r.result.as_ref().ok());
                ArchRow {
                    platform: a.slot.platform.clone(),
                    ring: a.slot.ring.clone(),
                    backup: a.slot.back,
                    arch: a.slot.arch.clone(),
                    path: a.path.display().to_string(),
                    package_bytes: pkg.map(|p| p.meta.size),
                    package_age_seconds: pkg.and_then(|p| p.meta.modified).map(|m| {
                        s.now
                            .duration_since(m)
                            .unwrap_or_default()
                            .as_secs_f64()
                            .round()
                    }),
                    package_ok: pkg.map(|p| p.zip.is_ok()),
                    package_sha256: pkg.and_then(|p| p.sha256.clone()),
                    engine_version: man.map(|m| m.engine_version.clone()),
                    definitions_version: man.map(|m| m.definition_version.clone()),
                    published_definitions_version: published.map(|p| p.definitions.clone()),
                    behind_seconds: published.and_then(|p| {
                        crate::analyze::rules::behind_seconds(
                            man.map_or("", |m| m.definition_version.as_str()),
                            p,
                            s.now,
                        )
                    }),
                }
            })
            .collect();
        MirrorCheckReport {
            doc: MirrorCheckDoc {
                schema_version: SchemaVersion,
                command: "mirror check",
                verdict,
                hostname: s.hostname.clone(),
                serving: s
                    .serving
                    .as_ref()
                    .map(|v| ServingRow { url: v.url.clone() }),
                settings: s.settings_path.as_ref().map(|p| p.display().to_string()),
                folder: s.folder.display().to_string(),
                log: s.log_path.as_ref().map(|p| p.display().to_string()),
                runs_as: s.job.as_ref().map(|j| {
                    if j.assumed {
                        format!("{} (assumed: {})", j.user, j.source)
                    } else {
                        format!("{} ({})", j.user, j.source)
                    }
                }),
                arches,
                stages: s
                    .staged
                    .as_ref()
                    .map(|st| st.stages.iter().map(|a| stage_row(s, a)).collect()),
                stage_journal: s
                    .staged
                    .as_ref()
                    .and_then(|st| st.journal.as_ref())
                    .map(|j| StageJournalRow {
                        path: j.path.display().to_string(),
                        age_seconds: j.modified.map(|m| seconds_since(s, m)),
                        op: j.op.clone(),
                        folder: j.folder.clone(),
                        to_version: j.to_version.clone(),
                        error: j.error.clone(),
                    }),
                sync: s
                    .statuses
                    .iter()
                    .filter_map(|r| {
                        let Some(Ok(st)) = &r.status else { return None };
                        let a = st.last_attempt.as_ref();
                        Some(SyncRow {
                            platform: r.platform.clone(),
                            ring: r.ring.clone(),
                            last_attempt_at: a.map(|a| a.at.clone()),
                            last_attempt_ok: a.map(|a| a.ok),
                            last_attempt_error: a.and_then(|a| a.error.clone()),
                            last_success: st.last_success.clone(),
                        })
                    })
                    .collect(),
                findings,
                checked_unix: s
                    .now
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            },
        }
    }
}

/// Whole seconds from `then` to the check (0 for a time ahead of it).
fn seconds_since(s: &MirrorHostSnapshot, then: std::time::SystemTime) -> f64 {
    s.now
        .duration_since(then)
        .unwrap_or_default()
        .as_secs_f64()
        .round()
}

fn stage_row(s: &MirrorHostSnapshot, a: &StageArch) -> StageRow {
    let pkg = a.state.package.as_ref().and_then(|p| p.as_ref().ok());
    let man = a.state.manifest.as_ref().and_then(|m| m.as_ref().ok());
    let since = a.since();
    let good = a.good();
    StageRow {
        stage: a.stage,
        platform: a.platform.clone(),
        ring: a.ring.clone(),
        arch: a.arch.clone(),
        path: a.state.path.display().to_string(),
        definitions_version: man.map(|m| m.definition_version.clone()),
        engine_version: man.map(|m| m.engine_version.clone()),
        package_bytes: pkg.map(|p| p.meta.size),
        package_sha256: pkg.and_then(|p| p.sha256.clone()),
        package_age_seconds: pkg
            .and_then(|p| p.meta.modified)
            .map(|m| seconds_since(s, m)),
        since_unix: since.and_then(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_secs()).ok())
        }),
        served_seconds: matches!(a.stage, Stage::Canary | Stage::Production)
            .then_some(since)
            .flatten()
            .map(|t| seconds_since(s, t)),
        from: a.marker.as_ref().map(|m| m.from),
        ok: good.is_ok(),
        why_not: good.err(),
        marker_error: a.marker_error.clone(),
    }
}

/// `mirror run`: what the script did, what the check found after it, what was restored.
#[derive(Debug, Clone, Serialize)]
pub struct MirrorRunDoc {
    pub schema_version: SchemaVersion,
    pub command: &'static str,
    pub verdict: Severity,
    pub script: String,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub interrupted: bool,
    pub duration_seconds: f64,
    /// Why the script could not be started, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spawn_error: Option<String>,
    /// `Error (N):` lines of its output.
    pub errors: Vec<String>,
    /// Arch folders put back to the package and manifest they had before the run.
    pub restored: Vec<String>,
    pub restore_errors: Vec<String>,
    /// The check of the tree the run left (before any restore).
    pub check: MirrorCheckDoc,
    /// The verdict after the restore, when something was restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_after_restore: Option<Severity>,
    /// Status files (`mdatp-doctor-status.json`) that could not be written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub status_errors: Vec<String>,
    /// `--promote-canary`: the promote to the canary ring that followed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promote: Option<super::stage::StageDoc>,
    pub finished_unix: i64,
}

#[derive(Debug, Clone)]
pub struct MirrorRunReport {
    pub doc: MirrorRunDoc,
}
