//! `mirror promote` and `mirror rollback` (and `mirror run --promote-canary`): the staged
//! mirror of docs/mirror-staging.md. Each arch folder is judged on its own, built aside
//! and swapped in whole by `mirror_host::stage`; this decides what goes where.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::cli::{MirrorPromoteArgs, MirrorRollbackArgs, PromoteTarget};
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::mirror_host::stage::{self, Install, Marker, Source, Stage, StageArch};
use crate::mirror_host::tree::ARCHES;
use crate::render::{self, Format};
use crate::report::gate::Gate;
use crate::report::siem::Run;
use crate::report::stage::{Action, FolderGate, GateDoc, StageDoc, StageReport, StepDoc};
use crate::units::compare_versions;

/// The lock `mirror run` takes: a promote never overlaps a download or another promote.
pub fn lock(ctx: &Context, command: &str) -> Result<crate::state::lock::Lock, Failure> {
    crate::state::lock::acquire_named(&ctx.state_dir, "mirror-run.lock", None).map_err(|e| {
        super::lock_failure(e, command, |holder| Failure {
            kind: "lock_held",
            message: format!(
                "{command}: another mirror run, promote or rollback holds the lock ({holder})"
            ),
            hint: "another mirror run, promote or rollback is in progress; run again when it ends"
                .into(),
            exit: ExitCode::Unknown,
        })
    })
}

pub fn promote(ctx: &Context, args: &MirrorPromoteArgs) -> Result<Finished, Failure> {
    let _lock = lock(ctx, "mirror promote")?;
    let doc = match args.to {
        PromoteTarget::Canary => to_canary(&args.root),
        PromoteTarget::Production => to_production(
            &args.root,
            &args.canary_reports,
            args.min_canaries,
            args.soak,
        ),
    };
    Ok(deliver(ctx, &args.events, "mirror-promote", doc))
}

pub fn rollback(ctx: &Context, args: &MirrorRollbackArgs) -> Result<Finished, Failure> {
    let _lock = lock(ctx, "mirror rollback")?;
    let doc = roll_back(&args.root, &args.ring);
    Ok(deliver(ctx, &args.events, "mirror-rollback", doc))
}

fn deliver(
    ctx: &Context,
    events: &crate::cli::EventArgs,
    command: &'static str,
    doc: StageDoc,
) -> Finished {
    let exit = doc.verdict.exit_code();
    let mut run = Run::new(command, doc.verdict, exit, &[]);
    run.outcome = Some(format!(
        "{} folder(s) swapped in to {}",
        doc.promoted(),
        doc.to
    ));
    run.definitions_version = doc
        .steps
        .iter()
        .filter(|s| s.action == Action::Promoted)
        .find_map(|s| s.to_version.clone());
    run.error = doc.error.clone().or_else(|| {
        doc.steps
            .iter()
            .find(|s| matches!(s.action, Action::Refused | Action::Failed))
            .and_then(|s| s.why.clone())
    });
    let format = match ctx.format {
        Format::Json => Format::Json,
        _ => Format::Human,
    };
    let stdout = render::emit(&StageReport { doc }, format, ctx.style);
    super::events::deliver(events, run, Finished { stdout, exit })
}

fn now_unix() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Opens the root (it must exist and be one only root or this user may write),
/// finishes or undoes what a killed step left, and reads the packages rolled back;
/// `None` (with the doc's error set) when nothing may be done.
fn begin(root: &Path, doc: &mut StageDoc) -> Option<(std::fs::File, Vec<stage::Rejected>)> {
    match crate::mirror_host::folder::Dir::open_top(root) {
        Ok(Some(_)) => {}
        Ok(None) => {
            doc.error = Some(format!("{} does not exist", root.display()));
            doc.next.push(
                "create the served root and point the downloader's downloadFolder at <root>/incoming (docs/mirror-staging.md)".into(),
            );
            return None;
        }
        Err(e) => {
            doc.error = Some(e);
            return None;
        }
    }
    let lock = match stage::lock_root(root) {
        Ok(l) => l,
        Err(e) => {
            doc.error = Some(e);
            doc.next.push("run it again when the other one ends".into());
            return None;
        }
    };
    match stage::recover(root) {
        Ok(done) => doc.recovered = done,
        Err(e) => {
            doc.error = Some(format!("an interrupted step could not be settled: {e}"));
            return None;
        }
    }
    match stage::rejected(root) {
        Ok(r) => Some((lock, r)),
        Err(e) => {
            doc.error = Some(format!(
                "the list of packages rolled back cannot be read: {e} (fix or remove it)"
            ));
            None
        }
    }
}

/// The SHA-256 of the package a folder was judged on.
fn package_sha(a: &StageArch) -> Option<String> {
    a.state
        .package
        .as_ref()
        .and_then(|p| p.as_ref().ok())
        .and_then(|p| p.sha256.clone())
}

fn folder_name(platform: &str, ring: &str, arch: &str) -> String {
    format!("{platform}/{ring}/arch_{arch}")
}

fn served_version(a: Option<&StageArch>) -> Option<String> {
    a.and_then(|a| a.good().ok())
        .map(|m| m.definition_version.clone())
}

/// The offer `src` makes to the stage that holds `dst`: `Ok(None)` nothing new, `Err` a
/// refusal.
fn judge_offer(
    src: &StageArch,
    dst: Option<&StageArch>,
    dst_stage: Stage,
    rejected: &[stage::Rejected],
) -> Result<Option<crate::mirror::package::Manifest>, String> {
    let m = src
        .good()
        .map_err(|e| format!("{}: {e}", src.state.path.display()))?
        .clone();
    if let Some(r) = rejected.iter().find(|r| {
        (&r.platform, &r.ring, &r.arch) == (&src.platform, &src.ring, &src.arch)
            && r.definition_version == m.definition_version
            && r.engine_version == m.engine_version
    }) {
        let when = jiff::Timestamp::from_second(r.rejected_unix)
            .map(|t| t.to_string())
            .unwrap_or_default();
        return Err(format!(
            "{} (engine {}) was rolled back from {}/{} at {when}: it is not promoted again (a newer package will be; or remove its entry from {})",
            m.definition_version,
            m.engine_version,
            r.platform,
            r.ring,
            stage::REJECTED
        ));
    }
    let Some(have) = served_version(dst) else {
        return Ok(Some(m));
    };
    match compare_versions(&m.definition_version, &have) {
        Some(std::cmp::Ordering::Greater) => Ok(Some(m)),
        Some(std::cmp::Ordering::Equal) => {
            // Same definitions with a newer engine still moves on.
            let dst_engine = dst
                .and_then(|d| d.good().ok())
                .map(|d| d.engine_version.clone())
                .unwrap_or_default();
            if compare_versions(&m.engine_version, &dst_engine) == Some(std::cmp::Ordering::Greater)
            {
                Ok(Some(m))
            } else {
                Ok(None)
            }
        }
        Some(std::cmp::Ordering::Less) => Err(format!(
            "{} holds {}, older than the {} the {} stage serves",
            src.state.path.display(),
            m.definition_version,
            have,
            dst_stage.name()
        )),
        None => Err(format!(
            "{} and {} are not versions to compare",
            m.definition_version, have
        )),
    }
}

fn do_install(root: &Path, step: &Install, doc_step: &mut StepDoc) {
    match stage::install(root, step) {
        Ok(done) => {
            doc_step.action = Action::Promoted;
            doc_step.path = done.path;
            doc_step.kept_in = done.kept_in;
            if !done.notes.is_empty() {
                doc_step.why = Some(done.notes.join("; "));
            }
        }
        Err(e) => {
            doc_step.action = Action::Failed;
            doc_step.why = Some(e);
        }
    }
}

/// A package one stage offers the next.
struct Offer {
    src: StageArch,
    manifest: crate::mirror::package::Manifest,
    /// The folder it replaces is fit to serve (worth keeping as the back).
    keep_old: bool,
}

/// Every arch folder of `from`, judged against what `to` serves: its step (refused or
/// unchanged, with why), and the offer when it is to be swapped in.
fn offers(
    root: &Path,
    from: Stage,
    to: Stage,
    rejected: &[stage::Rejected],
) -> Vec<(StepDoc, Option<Offer>)> {
    let mut out = Vec::new();
    for platform in stage::PLATFORMS {
        for ring in stage::RINGS {
            for arch in ARCHES {
                let Some(src) = stage::read_arch(root, from, platform, ring, arch, None) else {
                    continue;
                };
                let dst = stage::read_arch(root, to, platform, ring, arch, None);
                let mut s = StepDoc {
                    folder: folder_name(platform, ring, arch),
                    path: to
                        .arch_path(root, platform, ring, arch)
                        .display()
                        .to_string(),
                    action: Action::Unchanged,
                    from_version: served_version(dst.as_ref()),
                    to_version: src.good().ok().map(|m| m.definition_version.clone()),
                    why: None,
                    kept_in: None,
                };
                let offer = match judge_offer(&src, dst.as_ref(), to, rejected) {
                    Err(e) => {
                        s.action = Action::Refused;
                        s.why = Some(e);
                        None
                    }
                    Ok(None) => {
                        s.why = Some(match to {
                            Stage::Canary => "the canary already serves this package".into(),
                            _ => "production already serves the canary's package".into(),
                        });
                        None
                    }
                    Ok(Some(manifest)) => Some(Offer {
                        keep_old: dst.as_ref().is_some_and(|d| d.good().is_ok()),
                        src,
                        manifest,
                    }),
                };
                out.push((s, offer));
            }
        }
    }
    out
}

/// `--to canary`: each good incoming package newer than the canary's goes to the canary.
pub fn to_canary(root: &Path) -> StageDoc {
    let mut doc = StageDoc::new("mirror promote", "canary", root);
    let Some((_root_lock, rejected)) = begin(root, &mut doc) else {
        doc.settle();
        return doc;
    };
    for (mut s, offer) in offers(root, Stage::Incoming, Stage::Canary, &rejected) {
        if let Some(o) = offer {
            do_install(
                root,
                &Install {
                    op: "promote to canary".into(),
                    stage: Stage::Canary,
                    platform: o.src.platform.clone(),
                    ring: o.src.ring.clone(),
                    arch: o.src.arch.clone(),
                    source: Source {
                        dir: o.src.state.path.clone(),
                        link: false,
                    },
                    keep_old_in: None,
                    package_sha256: package_sha(&o.src),
                    marker: Marker {
                        since_unix: now_unix(),
                        from: Stage::Incoming,
                        definition_version: o.manifest.definition_version,
                        engine_version: o.manifest.engine_version,
                        token: String::new(),
                    },
                },
                &mut s,
            );
        }
        doc.steps.push(s);
    }
    if doc.steps.is_empty() {
        doc.error = Some(format!(
            "no package in {}/<platform>/<ring>/arch_*",
            root.join(stage::INCOMING).display()
        ));
        doc.next.push(format!(
            "set the downloader's downloadFolder to {} and run it (mirror run --promote-canary does both)",
            root.join(stage::INCOMING).display()
        ));
    }
    if doc.steps.iter().any(|s| s.action == Action::Refused) {
        doc.next.push("the canary keeps what it had; run the downloader again (mirror run) once the incoming package is good, and see mirror check --folder <root>/incoming".into());
    }
    refresh_statuses(root, Stage::Canary, &mut doc, "mirror promote");
    if doc.promoted() > 0 {
        doc.next.push("let the canary endpoints (offlineDefinitionUpdateUrl …/canary/<platform>/<ring>/) update, collect their diagnose --format json reports, then mirror promote --to production --canary-reports DIR".into());
    }
    failed_next(&mut doc);
    doc.settle();
    doc
}

/// Rewrites the status file of each ring folder a step swapped something into, so
/// endpoints read what it serves now; the sync history is the downloader's (incoming's
/// status file), else what the folder's own said. What cannot be written is said.
fn refresh_statuses(root: &Path, stage: Stage, doc: &mut StageDoc, by: &str) {
    use crate::mirror_host::status::{self, History};
    let mut rings: Vec<(String, String)> = doc
        .steps
        .iter()
        .filter(|s| s.action == Action::Promoted)
        .filter_map(|s| {
            let mut parts = s.folder.splitn(3, '/');
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        })
        .collect();
    rings.sort();
    rings.dedup();
    let now = jiff::Timestamp::now().to_string();
    for (platform, ring) in rings {
        let rel = stage.ring_rel(&platform, &ring);
        let dir = rel.iter().fold(root.to_path_buf(), |p, n| p.join(n));
        let incoming = Stage::Incoming
            .ring_rel(&platform, &ring)
            .iter()
            .fold(root.to_path_buf(), |p, n| p.join(n));
        let history = History::of(
            status::previous(&incoming)
                .or_else(|| status::previous(&dir))
                .as_ref(),
        );
        let held = stage::read_ring(root, stage, &platform, &ring, None);
        let arch = status::arch_map(held.iter().map(|a| &a.state));
        if let Err(e) = status::write(root, &rel, arch, &history, by, &now) {
            doc.next.push(format!(
                "the status file endpoints read could not be written ({e}): they see the previous one until the next mirror run"
            ));
            doc.verdict = doc.verdict.max(crate::analyze::finding::Severity::Warning);
        }
    }
}

fn failed_next(doc: &mut StageDoc) {
    if doc.steps.iter().any(|s| s.action == Action::Failed) {
        doc.next.push(
            "a failed step changed nothing served; fix the cause named above and run the same command again".into(),
        );
    }
}

/// `--to production`: the canary's packages, through the gate.
pub fn to_production(
    root: &Path,
    reports: &[PathBuf],
    min_canaries: u32,
    soak: Duration,
) -> StageDoc {
    let mut doc = StageDoc::new("mirror promote", "production", root);
    let Some((_root_lock, rejected)) = begin(root, &mut doc) else {
        doc.settle();
        return doc;
    };
    // What the canary offers, arch folder by arch folder.
    let mut offered = Vec::new();
    for (s, offer) in offers(root, Stage::Canary, Stage::Production, &rejected) {
        if let Some(o) = offer {
            offered.push((doc.steps.len(), o.src, o.manifest, o.keep_old));
        }
        doc.steps.push(s);
    }
    if doc.steps.is_empty() {
        doc.error = Some(format!(
            "no package in {}/<platform>/<ring>/arch_*",
            root.join(stage::CANARY).display()
        ));
        doc.next
            .push("stage one first: mirror promote --to canary".into());
        doc.settle();
        return doc;
    }
    if offered.is_empty() {
        doc.settle();
        return doc;
    }
    // The gate, folder by folder: enough healthy canaries of that folder (its platform,
    // ring and arch) on its version, none of them unwell, and the soak served. An
    // unreadable report may be the canary that failed: it stops every folder.
    let mut gate = Gate::default();
    super::aggregate::read_inputs(reports, &mut gate);
    gate.finish();
    let now = SystemTime::now();
    let mut folders = Vec::new();
    for (i, src, m, keep_old) in offered {
        let judged = gate.judge(&src.platform, &src.ring, &src.arch, &m.definition_version);
        let served = src
            .since()
            .map(|t| now.duration_since(t).unwrap_or_default().as_secs());
        let want = &m.definition_version;
        let counted = judged.counted();
        let mut refusals = Vec::new();
        if judged.failing() > 0 {
            refusals.push(format!(
                "{} canary host(s) of this folder are unwell (named below with ✘): evidence against the package",
                judged.failing()
            ));
        }
        if !gate.unreadable.is_empty() {
            refusals.push(format!(
                "{} report(s) could not be read (named below): fix or remove them",
                gate.unreadable.len()
            ));
        }
        if counted < min_canaries as usize {
            refusals.push(format!(
                "{counted} canary host(s) of the {min_canaries} needed run {want} or newer, healthy, from this canary folder"
            ));
        }
        match served {
            Some(s) if s >= soak.as_secs() => {}
            Some(s) => refusals.push(format!(
                "the canary has served {want} for {}, less than the {} soak",
                crate::units::human_age(Duration::from_secs(s)),
                crate::units::human_age(soak)
            )),
            None if soak.is_zero() => {}
            None => refusals.push("how long the canary has served its package is not known".into()),
        }
        let passed = refusals.is_empty();
        if passed {
            let step = Install {
                op: "promote to production".into(),
                stage: Stage::Production,
                platform: src.platform.clone(),
                ring: src.ring.clone(),
                arch: src.arch.clone(),
                source: Source {
                    dir: src.state.path.clone(),
                    link: true,
                },
                // A broken production folder never replaces a good back.
                keep_old_in: keep_old.then_some(Stage::Back),
                package_sha256: package_sha(&src),
                marker: Marker {
                    since_unix: now_unix(),
                    from: Stage::Canary,
                    definition_version: m.definition_version.clone(),
                    engine_version: m.engine_version.clone(),
                    token: String::new(),
                },
            };
            do_install(root, &step, &mut doc.steps[i]);
        } else {
            doc.steps[i].action = Action::Refused;
            doc.steps[i].why = Some(format!(
                "the canary gate is not met: {}",
                refusals.join("; ")
            ));
        }
        folders.push(FolderGate {
            counted,
            judged,
            served_seconds: served,
            passed,
            refusals,
        });
    }
    let passed = folders.iter().all(|f| f.passed);
    doc.gate = Some(GateDoc {
        min_canaries,
        soak_seconds: soak.as_secs(),
        reports: gate.reports,
        unreadable: gate.unreadable.clone(),
        folders,
        passed,
    });
    if !passed {
        doc.next.push(
            "each refused folder keeps what it had; wait for its canary endpoints to update (or fix the hosts named above), collect fresh reports and run this again".into(),
        );
    }
    refresh_statuses(root, Stage::Production, &mut doc, "mirror promote");
    if doc.promoted() > 0 {
        doc.next.push(
            "if the fleet misbehaves on the new package: mirror rollback --root <root>".into(),
        );
    }
    failed_next(&mut doc);
    doc.settle();
    doc
}

/// `mirror rollback`: production ← back, for every platform and arch of `ring`.
pub fn roll_back(root: &Path, ring: &str) -> StageDoc {
    let mut doc = StageDoc::new("mirror rollback", ring, root);
    let Some((_root_lock, _)) = begin(root, &mut doc) else {
        doc.settle();
        return doc;
    };
    for platform in stage::PLATFORMS {
        for arch in ARCHES {
            let dst = stage::read_arch(root, Stage::Production, platform, ring, arch, None);
            let back = stage::read_arch(root, Stage::Back, platform, ring, arch, None);
            if dst.is_none() && back.is_none() {
                continue;
            }
            let mut s = StepDoc {
                folder: folder_name(platform, ring, arch),
                path: Stage::Production
                    .arch_path(root, platform, ring, arch)
                    .display()
                    .to_string(),
                action: Action::Unchanged,
                from_version: served_version(dst.as_ref()),
                to_version: served_version(back.as_ref()),
                why: None,
                kept_in: None,
            };
            let Some(back) = back else {
                s.action = Action::Refused;
                s.why = Some(format!(
                    "nothing to roll back to: {} is missing (a promote to production makes it)",
                    Stage::Back.arch_path(root, platform, ring, arch).display()
                ));
                doc.steps.push(s);
                continue;
            };
            let m = match back.good() {
                Ok(m) => m.clone(),
                Err(e) => {
                    s.action = Action::Refused;
                    s.why = Some(format!(
                        "{} is not fit to serve: {e}",
                        back.state.path.display()
                    ));
                    doc.steps.push(s);
                    continue;
                }
            };
            let same = dst.as_ref().and_then(|d| d.good().ok()).is_some_and(|d| {
                d.definition_version == m.definition_version && d.engine_version == m.engine_version
            });
            if same {
                s.why = Some("production already serves the back folder's package".into());
                doc.steps.push(s);
                continue;
            }
            let step = Install {
                op: "rollback".into(),
                stage: Stage::Production,
                platform: platform.into(),
                ring: ring.into(),
                arch: arch.into(),
                source: Source {
                    dir: back.state.path.clone(),
                    link: true,
                },
                keep_old_in: None,
                package_sha256: package_sha(&back),
                marker: Marker {
                    since_unix: now_unix(),
                    from: Stage::Back,
                    definition_version: m.definition_version,
                    engine_version: m.engine_version,
                    token: String::new(),
                },
            };
            do_install(root, &step, &mut s);
            // What was rolled back is never promoted again (the canary may still serve it).
            if s.action == Action::Promoted
                && let Some(old) = dst.as_ref().and_then(|d| d.good().ok())
                && let Err(e) = stage::reject(
                    root,
                    stage::Rejected {
                        platform: platform.into(),
                        ring: ring.into(),
                        arch: arch.into(),
                        definition_version: old.definition_version.clone(),
                        engine_version: old.engine_version.clone(),
                        rejected_unix: now_unix(),
                    },
                )
            {
                s.why = Some(format!(
                    "rolled back, but not recorded as rejected ({e}): the next promote to production may put it back"
                ));
            }
            doc.steps.push(s);
        }
    }
    refresh_statuses(root, Stage::Production, &mut doc, "mirror rollback");
    if doc.steps.is_empty() {
        doc.error = Some(format!(
            "no {ring} or {ring}_back arch folder under {}",
            root.display()
        ));
    }
    if doc.promoted() > 0 {
        doc.next.push(format!("the package rolled back is recorded in {} and never promoted again; the canary may still serve it until a newer one is staged (mirror promote --to canary)", stage::REJECTED));
    }
    failed_next(&mut doc);
    doc.settle();
    doc
}

/// `mirror run --promote-canary`: the root is the parent of the downloader's
/// `downloadFolder`, which must be named `incoming`.
pub fn root_of_download_folder(folder: &Path) -> Result<PathBuf, String> {
    match (folder.file_name(), folder.parent()) {
        (Some(n), Some(p)) if n == stage::INCOMING && !p.as_os_str().is_empty() => {
            Ok(p.to_path_buf())
        }
        _ => Err(format!(
            "--promote-canary needs the downloader's downloadFolder to be <root>/{}; it is {}",
            stage::INCOMING,
            folder.display()
        )),
    }
}
