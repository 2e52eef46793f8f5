//! `mdatp-doctor config check [PATH]` and `config fix`: the managed-configuration rules alone, on this
//! endpoint's file or on one copied from elsewhere (a configuration repository's CI).
//! Runs no mdatp. A PATH named on the command line (or with --managed-config) must be a
//! readable regular file: one that is missing or unreadable is an error (exit 3), while at
//! the default path (or one from MDATP_DOCTOR_MANAGED_CONFIG) a missing file only means
//! the settings may come from Intune.

use std::io::IsTerminal;
use std::path::Path;

use crate::analyze::finding;
use crate::analyze::fix;
use crate::analyze::rules::{ConfigFacts, Judged, file_findings};
use crate::cli::{ConfigCheckArgs, ConfigFixArgs};
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::gather::fix as gfix;
use crate::managed::config::{self, ConfigError, ManagedConfig};
use crate::managed::edit::Edit;
use crate::render;
use crate::report::SchemaVersion;
use crate::report::fix::{FixMode, FixReport, VerifyDoc};
use crate::report::misc::ConfigReport;

pub fn check(
    ctx: &Context,
    args: &ConfigCheckArgs,
    default_path: &Path,
) -> Result<Finished, Failure> {
    let path = args.path.as_deref().unwrap_or(default_path);
    let (loaded, keys) = config::load_with_keys(path);
    // A file the user named (PATH, or --managed-config) must be there; only the default
    // path may be missing (the settings may come from Intune or the portal).
    if (args.path.is_some() || ctx.managed_config_named)
        && let Err(e) = &loaded
        && let Some(failure) = named_file_failure(e)
    {
        return Err(failure);
    }
    let name = path.display().to_string();
    let mut found = file_findings(&ConfigFacts {
        path: &name,
        loaded: &loaded,
        keys: &keys,
        judged: Judged::default(),
    });
    finding::sort(&mut found);
    let verdict = finding::worst(&found);
    let report = ConfigReport {
        schema_version: SchemaVersion,
        path: name,
        findings: found,
        verdict,
    };
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit: verdict.exit_code(),
    })
}

/// The file named on the command line could not be read at all: nothing was checked,
/// which is not a verdict on the file (exit 3, the path in the message).
fn named_file_failure(e: &ConfigError) -> Option<Failure> {
    let (kind, hint) = match e {
        ConfigError::NotFound { .. } => (
            "config_not_found",
            "check the path; without PATH, `config check` reads --managed-config",
        ),
        ConfigError::Unreadable { .. } => (
            "config_unreadable",
            "check the file's permissions (`ls -lL PATH`)",
        ),
        ConfigError::NotAFile { .. } => (
            "config_not_a_file",
            "name a regular file (a FIFO, device or directory is never read)",
        ),
        // Judging a Mac's profile by the Linux JSON rules would be wrong advice ("not
        // valid JSON, so mdatp ignores all of it" is false on a Mac): nothing checked.
        ConfigError::MacosProfile { .. } => (
            "config_macos_profile",
            "this check reads the Linux JSON file (mdatp_managed.json); on a Mac, `mdatp health --details definitions` shows what the profile set",
        ),
        // Read, and found wanting: the findings say what is wrong with it.
        ConfigError::TooLarge { .. }
        | ConfigError::InvalidJson { .. }
        | ConfigError::NotAnObject { .. } => return None,
    };
    Some(Failure {
        kind,
        message: e.to_string(),
        hint: hint.into(),
        exit: ExitCode::Unknown,
    })
}

/// `mdatp-doctor config fix [PATH]`: the dry run, `--apply` or `--undo`.
pub fn fix(ctx: &Context, args: &ConfigFixArgs, default_path: &Path) -> Result<Finished, Failure> {
    let path = args.path.as_deref().unwrap_or(default_path);
    let name = path.display().to_string();
    let backups = args
        .backup_dir
        .clone()
        .unwrap_or_else(|| ctx.state_dir.join("backups"));
    let sets = args
        .set
        .iter()
        .map(|s| fix::parse_set(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure {
            kind: "usage",
            message: format!("--set {e}"),
            hint: "`mdatp-doctor diagnose --list` and docs/config.md list the settings".into(),
            exit: ExitCode::Usage,
        })?;
    let text = read_text(path).map_err(|mut f| {
        // SAFETY: geteuid has no preconditions.
        if f.kind == "config_unreadable" && unsafe { libc::geteuid() } != 0 {
            f.hint = format!(
                "{}; config fix reads and replaces the root-owned managed file: run it as root (sudo mdatp-doctor config fix …)",
                f.hint
            );
        }
        f
    })?;
    // `--undo` never takes the next word as its backup (`config fix FILE --undo` undoes
    // FILE): a backup is named only with `--undo=BACKUP` or `--undo-from BACKUP`.
    if args.undo.is_some() || args.undo_from.is_some() {
        let named = args
            .undo_from
            .as_deref()
            .or(args.undo.as_ref().and_then(|u| u.as_deref()));
        return undo(ctx, args, path, &text, named, &backups);
    }
    let (loaded, found) = file_state(path, &text);
    let plan = fix::plan(&text, &found, &sets).map_err(|e| {
        Failure::unknown(
            "config_not_fixable",
            format!("{name}: {e}"),
            "fix the JSON syntax by hand first (`mdatp-doctor config check` shows where)",
        )
    })?;
    // A safety net under the editor: nothing it was not asked to touch may change.
    fix::preserved(&text, &plan).map_err(|e| {
        Failure::unknown(
            "config_fix_internal",
            format!("{name}: the computed change is wrong ({e}); nothing was written"),
            "please report this with the file (secrets removed)",
        )
    })?;
    let mode = if args.apply {
        FixMode::Apply
    } else {
        FixMode::DryRun
    };
    let old = loaded
        .as_ref()
        .ok()
        .map(|c| crate::report::fix::old_values(&c.root, &plan));
    // A dry run reads nothing more of the file as it was: its document goes before the
    // report parses the new one.
    let loaded = if args.apply {
        Some(loaded)
    } else {
        drop(loaded);
        None
    };
    let mut report = FixReport::new(&name, &text, &plan, old.as_ref(), mode);
    if !args.apply || plan.edits.is_empty() {
        let exit = if plan.edits.is_empty() && plan.left.is_empty() {
            ExitCode::Ok
        } else {
            ExitCode::Warning
        };
        return Ok(Finished {
            stdout: render::emit(&report, ctx.format, ctx.style),
            exit,
        });
    }
    let meta = gfix::check_target(path, args.force)?;
    let runner = runner_for(ctx, args)?;
    let mut before = None;
    // The policy guard does not depend on reading health: unread, it cannot say no policy
    // manages these settings, so a person must say so.
    if runner.is_none() && !args.force {
        return Err(Failure::unknown(
            "config_policy_unknown",
            format!(
                "--no-verify: health was not read, so whether a policy (Intune, the security portal) also manages the settings of {name} cannot be seen"
            ),
            "drop --no-verify so health is read, or pass --force to edit the file anyway",
        ));
    }
    if let Some(r) = &runner {
        let health = gfix::read_health(r)?;
        report.policy_managed =
            fix::policy_managed(&health, loaded.as_ref().and_then(|l| l.as_ref().ok()));
        before = Some(health);
        if !report.policy_managed.is_empty() && !args.force {
            return Err(Failure::unknown(
                "config_policy_managed",
                format!(
                    "health shows {} as [managed] without {name} holding them: a policy (Intune, the security portal) sets them, and may override or ignore a local edit",
                    report.policy_managed.join(", ")
                ),
                "change the policy instead, or pass --force to edit the file anyway",
            ));
        }
    }
    let (_lock, backup) = replace(ctx, path, &meta, &backups, &text, &plan.text)?;
    report.backup = Some(backup);
    finish(
        ctx,
        args,
        report,
        runner,
        before,
        &plan.edits,
        (path, &plan.text),
    )
}

/// `--undo`: the backup back in place, the same careful way; the file as it was just
/// before is backed up too, so an undo can be undone.
fn undo(
    ctx: &Context,
    args: &ConfigFixArgs,
    path: &Path,
    current: &str,
    named: Option<&Path>,
    backups: &Path,
) -> Result<Finished, Failure> {
    let name = path.display().to_string();
    let from = match named {
        None => gfix::newest_backup(backups, path)?,
        Some(p) => p.to_path_buf(),
    };
    let bytes = gfix::read_backup(&from, path, args.force)?;
    let restored = String::from_utf8(bytes).map_err(|_| {
        Failure::unknown(
            "backup_unreadable",
            format!("{} is not UTF-8 text", from.display()),
            "name a backup written by config fix --apply",
        )
    })?;
    let meta = gfix::check_target(path, args.force)?;
    let runner = runner_for(ctx, args)?;
    let before = match &runner {
        Some(r) => Some(gfix::read_health(r)?),
        None => None,
    };
    let (loaded, _) = file_state(path, &restored);
    // The change the undo makes, shown like any other: every setting that differs.
    let plan = fix::Plan {
        edits: undo_edits(
            file_state(path, current).0.ok().as_ref(),
            loaded.as_ref().ok(),
        ),
        left: Vec::new(),
        text: restored.clone(),
    };
    let mut report = FixReport::new(&name, current, &plan, None, FixMode::Undo);
    let (_lock, backup) = replace(ctx, path, &meta, backups, current, &restored)?;
    report.backup = Some(backup);
    finish(
        ctx,
        args,
        report,
        runner,
        before,
        &plan.edits,
        (path, &restored),
    )
}

/// The settings whose values differ between two versions of the file, as edits to the
/// second (only those health shows are checked afterwards).
fn undo_edits(now: Option<&ManagedConfig>, then: Option<&ManagedConfig>) -> Vec<fix::Planned> {
    let Some(then) = then else { return Vec::new() };
    crate::analyze::rules::APPLIED
        .iter()
        .filter_map(|(s, k, _, _)| {
            let value = then.get(s, k)?;
            (now.and_then(|n| n.get(s, k)) != Some(value)).then(|| fix::Planned {
                finding: None,
                edit: Edit::Set {
                    section: (*s).into(),
                    key: (*k).into(),
                    value: value.clone(),
                },
                repeated: None,
            })
        })
        .collect()
}

/// After the write: health until it shows the new values, and the file's findings now.
fn finish(
    ctx: &Context,
    args: &ConfigFixArgs,
    mut report: FixReport,
    runner: Option<crate::process::Runner>,
    before: Option<crate::mdatp::health::Health>,
    edits: &[fix::Planned],
    (path, written): (&Path, &str),
) -> Result<Finished, Failure> {
    let (new, remaining) = file_state(path, written);
    let (mut expect, unchecked) = new
        .as_ref()
        .ok()
        .map(|c| fix::expectations(edits, c))
        .unwrap_or_default();
    if let Some(h) = &before {
        fix::note_before(&mut expect, h);
    }
    let mut missed = false;
    report.verify = Some(match runner {
        None => VerifyDoc {
            checked: Vec::new(),
            unchecked,
            skipped: Some("--no-verify".into()),
        },
        Some(r) => {
            let spinner = (ctx.format == render::Format::Human && std::io::stderr().is_terminal())
                .then(|| {
                    let bar = indicatif::ProgressBar::new_spinner();
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                    bar
                });
            let checked = gfix::verify(&r, &expect, args.verify_timeout, |done, all| {
                if let Some(b) = &spinner {
                    b.set_message(format!(
                        "waiting for mdatp to show the change: {done}/{all} settings"
                    ));
                }
            })?;
            if let Some(b) = spinner {
                b.finish_and_clear();
            }
            missed = checked.iter().any(|c| c.result != fix::Taken::Applied);
            VerifyDoc {
                checked,
                unchecked,
                skipped: None,
            }
        }
    });
    let exit = if missed || !report.left_alone.is_empty() {
        ExitCode::Warning
    } else {
        ExitCode::Ok
    };
    report.remaining = Some(remaining);
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit,
    })
}

fn runner_for(
    ctx: &Context,
    args: &ConfigFixArgs,
) -> Result<Option<crate::process::Runner>, Failure> {
    if args.no_verify {
        return Ok(None);
    }
    ctx.mdatp_runner().map(Some).map_err(|e| {
        let mut f = Failure::from(e);
        f.hint = format!(
            "{}; or pass --no-verify to write the file without checking that mdatp takes it",
            f.hint
        );
        f
    })
}

/// Under the update lock: the file must still be what was planned on; it is backed up,
/// then replaced. Returns the lock (held through the health check) and the backup's path.
fn replace(
    ctx: &Context,
    path: &Path,
    meta: &std::fs::Metadata,
    backups: &Path,
    current: &str,
    new: &str,
) -> Result<(crate::state::lock::Lock, String), Failure> {
    let held = lock(ctx)?;
    if read_text(path)? != current {
        return Err(Failure::unknown(
            "config_changed",
            format!(
                "{} changed while the fix was computed; nothing was written",
                path.display()
            ),
            "run config fix again",
        ));
    }
    let backup = gfix::backup(backups, path, current.as_bytes(), jiff::Timestamp::now())?;
    for leftover in gfix::write_preserving(path, new.as_bytes(), meta, current.as_bytes())? {
        eprintln!(
            "mdatp-doctor: removed {}, left by an earlier config fix that was interrupted",
            crate::render::escape::line(&leftover)
        );
    }
    Ok((held, backup.display().to_string()))
}

fn lock(ctx: &Context) -> Result<crate::state::lock::Lock, Failure> {
    crate::state::lock::acquire(&ctx.state_dir, None).map_err(|e| {
        super::lock_failure(e, "config fix", |holder| {
            Failure::unknown(
                "lock_held",
                format!("another update or config fix is running ({holder})"),
                "wait for it to finish, then run config fix again",
            )
        })
    })
}

/// The file's text: it must exist and be UTF-8 (mdatp reads JSON, which is).
fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = config::read(path).map_err(|e| {
        named_file_failure(&e).unwrap_or_else(|| {
            Failure::unknown(
                "config_unreadable",
                e.to_string(),
                "config fix edits an existing managed file",
            )
        })
    })?;
    String::from_utf8(bytes).map_err(|_| {
        Failure::unknown(
            "config_not_utf8",
            format!(
                "{} is not UTF-8 text: mdatp cannot read it as JSON",
                path.display()
            ),
            "recreate it as UTF-8 JSON",
        )
    })
}

/// The file's config findings, judged on the file alone.
fn file_state(
    path: &Path,
    text: &str,
) -> (
    Result<ManagedConfig, ConfigError>,
    Vec<crate::analyze::finding::Finding>,
) {
    let name = path.display().to_string();
    let loaded = config::parse(path, text.as_bytes());
    let keys = crate::managed::scan::keys(text);
    let mut found = file_findings(&ConfigFacts {
        path: &name,
        loaded: &loaded,
        keys: &keys,
        judged: Judged::default(),
    });
    finding::sort(&mut found);
    (loaded, found)
}
