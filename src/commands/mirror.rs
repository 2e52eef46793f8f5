//! `mdatp-doctor mirror check`: the mirror host's downloader, settings, log and tree.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::analyze::finding::Severity;
use crate::analyze::rules;
use crate::cli::{MirrorCheckArgs, MirrorCommand, MirrorRunArgs};
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::gather::mirror_host::{self, MirrorHostPlan};
use crate::mirror_host::run;
use crate::mirror_host::tree::ArchState;
use crate::render::{self, Format};
use crate::report::mirror_host::MirrorCheckReport;
use crate::report::mirror_host::{MirrorRunDoc, MirrorRunReport};
use crate::report::siem::Run;
use crate::state;

/// What node_exporter's textfile collector reads for the mirror host.
pub const TEXTFILE_NAME: &str = render::mirror_host::TEXTFILE_NAME;

pub fn run(ctx: &Context, cmd: &MirrorCommand) -> Result<Finished, Failure> {
    match cmd {
        MirrorCommand::Check(args) => Ok(check(ctx, args)),
        MirrorCommand::Run(args) => run_downloader(ctx, args),
        MirrorCommand::Promote(args) => super::stage::promote(ctx, args),
        MirrorCommand::Rollback(args) => super::stage::rollback(ctx, args),
    }
}

fn plan(args: &MirrorCheckArgs) -> MirrorHostPlan {
    MirrorHostPlan {
        settings: args.settings.clone(),
        folder: args.folder.clone(),
        root: args.root.clone(),
        interval: args.interval,
        home: std::env::var("HOME").ok(),
        script: args.script.clone(),
        url: args.url.clone(),
        probe_timeout: args.probe_timeout,
        online: args.online.then(|| {
            args.fwlink_url
                .clone()
                .unwrap_or_else(|| mirror_host::FWLINK.to_string())
        }),
        deadline: None,
    }
}

pub fn check(ctx: &Context, args: &MirrorCheckArgs) -> Finished {
    let snapshot = mirror_host::gather(&plan(args));
    let findings = rules::mirror_host_findings(&snapshot);
    let report = MirrorCheckReport::new(&snapshot, findings);
    let out = render::monitor::finish(&report, ctx.format, ctx.style, args.textfile_dir.as_deref());
    Finished {
        stdout: out.stdout,
        exit: out.exit,
    }
}

/// Writes `mdatp-doctor-status.json` in every ring folder of the download tree (and, when
/// the download folder is a staged root's `incoming/`, in the canary's and production's
/// ring folders, which are what endpoints pull); returns what could not be written.
fn write_statuses(folder: &Path, tree: &[ArchState], sync_error: Option<String>) -> Vec<String> {
    use crate::mirror_host::stage::{self, Stage};
    use crate::mirror_host::status::{self, History};
    let now = jiff::Timestamp::now().to_string();
    let mut errors = Vec::new();
    let mut rings: Vec<(String, String)> = tree
        .iter()
        .filter(|a| !a.slot.back)
        .map(|a| (a.slot.platform.clone(), a.slot.ring.clone()))
        .collect();
    rings.dedup();
    let staged_root = stage::staged_root_of(folder);
    for (platform, ring) in rings {
        let arches: Vec<&ArchState> = tree
            .iter()
            .filter(|a| !a.slot.back && a.slot.platform == platform && a.slot.ring == ring)
            .collect();
        let rel = vec![platform.clone(), ring.clone()];
        let ring_dir = folder.join(&platform).join(&ring);
        if !ring_dir.is_dir() {
            continue;
        }
        let fetched = arches
            .iter()
            .filter_map(|a| status::arch_status(a))
            .map(|a| a.definition_version)
            .max_by(|a, b| {
                crate::units::compare_versions(a, b).unwrap_or(std::cmp::Ordering::Equal)
            });
        let before = status::previous(&ring_dir);
        let history = History::after_attempt(
            before.as_ref(),
            &now,
            sync_error.clone(),
            fetched.as_deref(),
        );
        if let Err(e) = status::write(
            folder,
            &rel,
            status::arch_map(arches.iter().copied()),
            &history,
            "mirror run",
            &now,
        ) {
            errors.push(e);
        }
        // A staged root: the stages endpoints pull get the same history, each with the
        // packages it serves.
        if let Some(root) = staged_root {
            for st in [Stage::Canary, Stage::Production] {
                let rel = st.ring_rel(&platform, &ring);
                if !rel
                    .iter()
                    .fold(root.to_path_buf(), |p, n| p.join(n))
                    .is_dir()
                {
                    continue;
                }
                // What a stage serves changes only by promote and rollback, which rewrite
                // its file: reuse what that file says rather than read every package again
                // on each run (read only when there is no file yet).
                let dir = rel.iter().fold(root.to_path_buf(), |p, n| p.join(n));
                let arch = match status::previous(&dir) {
                    Some(before) => before.arch,
                    None => status::arch_map(
                        stage::read_ring(root, st, &platform, &ring, None)
                            .iter()
                            .map(|a| &a.state),
                    ),
                };
                if let Err(e) = status::write(root, &rel, arch, &history, "mirror run", &now) {
                    errors.push(e);
                }
            }
        }
    }
    errors
}

/// What node_exporter reads for the last `mirror run`.
pub const RUN_TEXTFILE_NAME: &str = "mdatp_mirror_run.prom";

fn run_plan(args: &MirrorRunArgs) -> MirrorHostPlan {
    let dir = args
        .script
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    MirrorHostPlan {
        settings: Some(dir.join("settings.json")),
        folder: None,
        root: args.root.clone(),
        interval: args.interval,
        home: std::env::var("HOME").ok(),
        script: Some(args.script.clone()),
        url: None,
        probe_timeout: Duration::from_secs(60),
        online: None,
        deadline: None,
    }
}

/// Each check of the tree in `mirror run` reads nothing after the run's deadline, or after
/// this long when the deadline is nearer (a script that used its whole time still gets its
/// tree checked).
const CHECK_AT_LEAST: Duration = Duration::from_secs(60);

/// When a check of the tree starting now must end.
fn check_deadline(run_deadline: Instant) -> Instant {
    run_deadline.max(Instant::now() + CHECK_AT_LEAST)
}

/// A folder the endpoints must never be served in this state.
fn bad(a: &ArchState) -> bool {
    let pkg_bad = !matches!(&a.package, Some(Ok(p)) if p.zip.is_ok());
    let man_bad = !matches!(&a.manifest, Some(Ok(m)) if !m.is_empty());
    pkg_bad || man_bad
}

pub fn run_downloader(ctx: &Context, args: &MirrorRunArgs) -> Result<Finished, Failure> {
    let _lock = match state::lock::acquire_named(&ctx.state_dir, "mirror-run.lock", None) {
        Ok(l) => l,
        Err(e) => {
            return Err(super::lock_failure(e, "mirror run", |holder| Failure {
                kind: "lock_held",
                message: format!(
                    "mirror run: another mirror run, promote or rollback holds the lock ({holder})"
                ),
                hint: "another mirror run is in progress; two runs must never overlap".into(),
                exit: ExitCode::Unknown,
            }));
        }
    };
    let run_deadline = Instant::now() + args.run_timeout;
    let mut plan = run_plan(args);
    // 1. Keep a private copy of every good current arch folder.
    plan.deadline = Some(check_deadline(run_deadline));
    let before = mirror_host::gather(&plan);
    let keep = tempfile::Builder::new()
        .prefix("mirror-snapshot-")
        .tempdir_in(&ctx.state_dir)
        .map_err(|e| Failure {
            kind: "io",
            message: format!(
                "cannot create a snapshot directory in {}: {e}",
                ctx.state_dir.display()
            ),
            hint: "make --state-dir writable".into(),
            exit: ExitCode::Unknown,
        })?;
    let mut saved = Vec::new();
    let mut snapshot_errors = Vec::new();
    for (i, a) in before.tree.iter().enumerate() {
        if a.slot.back || bad(a) {
            continue;
        }
        match run::save(&before.folder, &a.slot, keep.path(), &format!("slot{i}")) {
            Ok(s) => saved.push((a.slot.clone(), s)),
            Err(e) => {
                snapshot_errors.push(format!("{}: cannot keep a copy: {e}", a.path.display()))
            }
        }
    }
    // A restore that a kill cut short left its temporary files in the arch folder.
    for a in before.tree.iter().filter(|a| !a.slot.back) {
        for p in run::remove_stale_temps(&before.folder, &a.slot) {
            eprintln!(
                "mdatp-doctor: removed {}, left by a mirror run killed while restoring",
                crate::units::escape_controls(&p.display().to_string(), false)
            );
        }
    }
    // 2. The script, unchanged. An interrupt kills it and still lets the check and the
    // restore below run.
    crate::interrupt::graceful();
    let script = run::run_script(&args.script, &args.args, args.run_timeout, true);
    // 3. What it left.
    plan.deadline = Some(check_deadline(run_deadline));
    let after = mirror_host::gather(&plan);
    let findings = rules::mirror_host_findings(&after);
    let check = MirrorCheckReport::new(&after, findings).doc;
    let mut verdict = check.verdict;
    let failed = script.spawn_error.is_some()
        || script.timed_out
        || script.interrupted
        || script.exit_code != Some(0)
        || !script.errors.is_empty();
    if failed {
        verdict = verdict.max(Severity::Critical);
    }
    if script.spawn_error.is_some() {
        verdict = Severity::Unknown.max(verdict);
    }
    // 4. Put back what the run broke.
    let mut restored = Vec::new();
    let mut restore_errors = Vec::new();
    if !args.no_restore {
        for (slot, s) in &saved {
            // A folder the run removed (or the whole download folder) is restored too.
            if after
                .tree
                .iter()
                .find(|a| &a.slot == slot)
                .is_some_and(|now| !bad(now))
            {
                continue;
            }
            let dir = s.dir().display().to_string();
            match run::restore(s) {
                Ok(recreated) => restored.push(match recreated.first() {
                    None => dir,
                    Some(top) => format!(
                        "{dir} (recreated: the run had removed {}; made again with the owner and mode it had)",
                        top.display()
                    ),
                }),
                Err(e) => restore_errors.push(format!("{dir}: {e}")),
            }
        }
    }
    let again = (!restored.is_empty()).then(|| {
        plan.deadline = Some(check_deadline(run_deadline));
        mirror_host::gather(&plan)
    });
    let verdict_after_restore = again
        .as_ref()
        .map(|a| crate::analyze::finding::worst(&rules::mirror_host_findings(a)));
    if !restore_errors.is_empty() {
        verdict = verdict.max(Severity::Critical);
    }
    // Without a copy nothing could have been restored: worth a warning, not a failed run.
    if !snapshot_errors.is_empty() {
        verdict = verdict.max(Severity::Warning);
    }
    restore_errors.extend(snapshot_errors);
    // 5. Tell the endpoints how fresh the mirror is (issue 28): a status file in each ring
    // folder served, good run or bad.
    let sync_error = if let Some(e) = &script.spawn_error {
        Some(format!("the downloader could not be started: {e}"))
    } else if script.timed_out {
        Some(format!(
            "the downloader ran past {} s and was killed",
            args.run_timeout.as_secs()
        ))
    } else if script.interrupted {
        Some("the run was interrupted".to_string())
    } else if let Some(e) = script.errors.first() {
        Some(e.clone())
    } else if script.exit_code != Some(0) {
        Some(format!("the downloader exited {:?}", script.exit_code))
    } else if check.verdict >= Severity::Critical {
        Some(format!(
            "the run left a bad tree: {}",
            check
                .findings
                .iter()
                .find(|f| f.severity >= Severity::Critical)
                .map_or("see mirror check", |f| f.title.as_str())
        ))
    } else {
        None
    };
    let final_tree = again.as_ref().map_or(&after.tree, |a| &a.tree);
    let status_errors = write_statuses(&after.folder, final_tree, sync_error);
    if !status_errors.is_empty() {
        verdict = verdict.max(Severity::Warning);
    }
    // 6. Stage to the canary: each arch folder is verified again there, so a bad one left
    // by --no-restore is refused, and a restored one the canary already has is unchanged.
    // Only after a run that went well: a failed one may have left a package without its
    // manifest's version, which no check of the folder can tell.
    let promote = args.promote_canary.then(|| {
        if failed {
            let mut d = crate::report::stage::StageDoc::new("mirror promote", "canary", &after.folder);
            d.error = Some("the run failed: nothing was staged to the canary".into());
            d.next.push("fix the run (see above), then run mirror run --promote-canary again".into());
            d.settle();
            return d;
        }
        match super::stage::root_of_download_folder(&after.folder) {
            Ok(root) => super::stage::to_canary(&root),
            Err(e) => {
                let mut d = crate::report::stage::StageDoc::new("mirror promote", "canary", &after.folder);
                d.error = Some(e);
                d.next.push("set downloadFolder in the downloader's settings.json to <root>/incoming (docs/mirror-staging.md)".into());
                d.settle();
                d
            }
        }
    });
    if let Some(p) = &promote {
        verdict = verdict.max(p.verdict);
    }
    let doc = MirrorRunDoc {
        schema_version: crate::report::SchemaVersion,
        command: "mirror run",
        verdict,
        script: args.script.display().to_string(),
        exit_code: script.exit_code,
        timed_out: script.timed_out,
        interrupted: script.interrupted,
        duration_seconds: script.duration.as_secs_f64(),
        spawn_error: script.spawn_error,
        errors: script.errors,
        restored,
        restore_errors,
        check,
        verdict_after_restore,
        status_errors,
        promote,
        finished_unix: jiff::Timestamp::now().as_second(),
    };
    let mut exit = verdict.exit_code();
    if let Some(dir) = &args.textfile_dir {
        let text = render::mirror_host::run_textfile(&doc);
        if !render::monitor::write_textfile(&dir.join(RUN_TEXTFILE_NAME), &text) {
            exit = exit.max(ExitCode::Unknown);
        }
    }
    let format = match ctx.format {
        Format::Json => Format::Json,
        _ => Format::Human,
    };
    let mut run = Run::new("mirror-run", doc.verdict, exit, &doc.check.findings);
    run.duration = Some(script.duration);
    run.error = doc.spawn_error.clone().or_else(|| {
        doc.timed_out.then(|| {
            format!(
                "the script ran past {} s and was killed",
                args.run_timeout.as_secs()
            )
        })
    });
    let stdout = render::emit(&MirrorRunReport { doc }, format, ctx.style);
    Ok(super::events::deliver(
        &args.events,
        run,
        Finished { stdout, exit },
    ))
}
