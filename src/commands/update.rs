//! `mdatp-doctor update`: trigger `mdatp definitions update` under a lock, wait for the
//! outcome by re-reading health, and explain it with the diagnose rules.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::analyze::finding::{Finding, Severity};
use crate::analyze::rules;
use crate::analyze::update::{Outcome, Source, UpdateState, settle};
use crate::cli::UpdateArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::interrupt;
use crate::mdatp::{self, HealthReading, MdatpError, first_line};
use crate::process::{self as runner, ProcessError, Runner};
use crate::render;
use crate::report::SchemaVersion;
use crate::report::siem::{Run, severity_of_exit};
use crate::report::update::{Trigger, UpdateReport};
use crate::state::lock;

const DEFINITIONS: [&str; 3] = ["health", "--details", "definitions"];

pub fn exit_code(outcome: Outcome, trigger_ok: bool) -> ExitCode {
    match outcome {
        Outcome::Updated | Outcome::Current => ExitCode::Ok,
        Outcome::Fallback => ExitCode::Warning,
        Outcome::Failed => ExitCode::Critical,
        Outcome::Timeout | Outcome::Unknown => ExitCode::Unknown,
        Outcome::Triggered if trigger_ok => ExitCode::Ok,
        Outcome::Triggered => ExitCode::Unknown,
    }
}

/// A spinner on stderr, only for people at a terminal.
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn new(enabled: bool) -> Spinner {
        Spinner(enabled.then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        }))
    }

    fn say(&self, started: Instant, what: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!("{what} ({} s)", started.elapsed().as_secs()));
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

pub fn run(ctx: &Context, args: &UpdateArgs, managed_config: &Path) -> Result<Finished, Failure> {
    let started = Instant::now();
    let deadline = started + args.wait_timeout;
    let runner = ctx.mdatp_runner()?;
    let before = mdatp::fetch_health(&runner, &DEFINITIONS)?;
    let before_state = UpdateState::from_health(&before.health);

    let _lock = lock::acquire(&ctx.state_dir, args.wait_lock.then_some(args.wait_timeout))
        .map_err(|e| {
            super::lock_failure(e, "update", |holder| {
                Failure::unknown(
                    "update_lock_held",
                    format!("another update is running ({holder})"),
                    "wait for it to finish, or pass --wait-lock to queue behind it",
                )
            })
        })?;
    // From here an interrupt stops the wait and we still report what we know.
    interrupt::graceful();
    let spinner =
        Spinner::new(ctx.format == render::Format::Human && std::io::stderr().is_terminal());
    spinner.say(started, "running mdatp definitions update");

    let trigger_runner = Runner {
        limits: crate::process::Limits {
            timeout: deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
            ..runner.limits
        },
        ..runner.clone()
    };
    let triggered = mdatp::call(&trigger_runner, &["definitions", "update"]);
    let trigger = describe_trigger(&triggered);
    if ctx.verbose && !trigger.output.is_empty() {
        eprintln!(
            "mdatp-doctor: mdatp definitions update said: {}",
            crate::units::escape_controls(&trigger.output, true)
        );
    }

    let (outcome, after, note) = match &triggered {
        _ if interrupt::interrupted() => (
            Outcome::Unknown,
            None,
            Some("interrupted while mdatp definitions update ran".to_string()),
        ),
        Err(MdatpError::Run(ProcessError::TimedOut { timeout, .. })) => (
            Outcome::Timeout,
            None,
            Some(format!(
                "mdatp definitions update did not finish within {} s and was killed",
                timeout.as_secs()
            )),
        ),
        Err(
            e @ (MdatpError::NotFound { .. }
            | MdatpError::Run(ProcessError::NotExecutable { .. } | ProcessError::Spawn { .. })),
        ) => (Outcome::Unknown, None, Some(e.to_string())),
        _ if args.no_wait => (Outcome::Triggered, None, None),
        _ => wait(
            &runner,
            &before_state,
            deadline,
            args.poll_interval,
            &spinner,
            started,
        ),
    };
    spinner.done();
    // Health unchanged after a trigger that reported failure is not "already current":
    // the update did not happen, whatever health still shows.
    let (outcome, note) = match (outcome, trigger.exit_status) {
        (Outcome::Current, Some(code)) if code != 0 => (
            Outcome::Failed,
            Some(format!(
                "mdatp definitions update exited with status {code} and nothing changed"
            )),
        ),
        (outcome, _) => (outcome, note),
    };

    let findings = match &after {
        Some(reading) => explain(ctx, reading, managed_config),
        None => Vec::new(),
    };
    let after_state = after.as_ref().map(|r| UpdateState::from_health(&r.health));
    let source = after_state
        .as_ref()
        .map(UpdateState::source)
        .unwrap_or(Source::Unknown);
    let trigger_ok = trigger.exit_status == Some(0);
    let report = UpdateReport {
        schema_version: SchemaVersion,
        before: before_state,
        after: after_state,
        outcome,
        source,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        trigger,
        note,
        findings,
    };
    let exit = exit_code(outcome, trigger_ok);
    let done = Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit,
    };
    let mut run = Run::new("update", severity_of_exit(exit), exit, &report.findings);
    run.duration = Some(started.elapsed());
    run.outcome = serde_json::to_value(outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    let state = report.after.as_ref().unwrap_or(&report.before);
    run.definitions_version = state.definitions_version.clone();
    run.error = report.note.clone().or(report.trigger.error.clone());
    Ok(super::events::deliver(&args.events, run, done))
}

fn describe_trigger(result: &Result<runner::Output, MdatpError>) -> Trigger {
    match result {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .take(5)
                .collect();
            let mut output = lines.join(" / ");
            if output.is_empty() {
                output = first_line(&out.stderr);
            }
            Trigger {
                exit_status: Some(out.exit_code),
                output,
                error: None,
            }
        }
        Err(e) => Trigger {
            exit_status: None,
            output: String::new(),
            error: Some(e.to_string()),
        },
    }
}

/// Re-reads health until the update settles, the deadline passes or we are interrupted.
fn wait(
    runner: &Runner,
    before: &UpdateState,
    deadline: Instant,
    every: Duration,
    spinner: &Spinner,
    started: Instant,
) -> (Outcome, Option<HealthReading>, Option<String>) {
    let mut last: Option<HealthReading> = None;
    let mut last_error: Option<String> = None;
    loop {
        if interrupt::interrupted() {
            return (
                Outcome::Unknown,
                last,
                Some("interrupted while waiting; the state shown is the last one read".into()),
            );
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let note = match (&last_error, &last) {
                (Some(e), _) => {
                    format!("no outcome before --wait-timeout; health stopped answering: {e}")
                }
                (None, _) => "no outcome before --wait-timeout".to_string(),
            };
            let outcome = if last_error.is_some() {
                Outcome::Unknown
            } else {
                Outcome::Timeout
            };
            return (outcome, last, Some(note));
        }
        let poll = Runner {
            limits: crate::process::Limits {
                timeout: runner
                    .limits
                    .timeout
                    .min(left)
                    .max(Duration::from_millis(1)),
                ..runner.limits
            },
            ..runner.clone()
        };
        match mdatp::fetch_health(&poll, &DEFINITIONS) {
            Ok(reading) => {
                last_error = None;
                let now = UpdateState::from_health(&reading.health);
                spinner.say(
                    started,
                    &format!("waiting: status {}", now.status.as_deref().unwrap_or("?")),
                );
                if let Some(outcome) = settle(before, &now) {
                    return (outcome, Some(reading), None);
                }
                last = Some(reading);
            }
            Err(e) => {
                spinner.say(started, "waiting: health does not answer");
                last_error = Some(e.to_string());
            }
        }
        interrupt::sleep(every.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// The diagnose rules on the state after the update, keeping what deserves attention.
fn explain(ctx: &Context, after: &HealthReading, managed_config: &Path) -> Vec<Finding> {
    let snapshot =
        crate::gather::after_update(after, managed_config, &ctx.state_dir, &ctx.endpoint);
    rules::diagnose(&snapshot)
        .into_iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect()
}
