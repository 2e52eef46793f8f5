//! `mdatp-doctor check`: the diagnose gather and rules, for a monitoring scheduler. It
//! always answers, in the chosen format, within `--deadline`: every failure, even a bad
//! argument, becomes an UNKNOWN result rather than a crash or a silence.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::analyze::finding::{self, Severity};
use crate::analyze::metrics::{self, Metrics};
use crate::analyze::rules;
use crate::cli::CheckArgs;
use crate::commands::{Context, Finished};
use crate::gather::{self, target};
use crate::process::kill_active_children;
use crate::render::{self, Format};
use crate::report::check::{CheckReport, CheckResult};
use crate::report::diagnose::{DiagnoseDoc, DiagnoseReport};
use crate::report::siem::Run;

/// What node_exporter's textfile collector reads.
pub const TEXTFILE_NAME: &str = render::check::TEXTFILE_NAME;

pub fn run(ctx: &Context, args: &CheckArgs, format: Format) -> Finished {
    let ctx_style = ctx.style;
    let started = Instant::now();
    let started_unix = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
    let warn_default = args.thresholds.warn_age;
    let unknown = |problem: String| CheckResult {
        verdict: Severity::Unknown,
        findings: Vec::new(),
        metrics: Metrics::default(),
        warn: warn_default
            .unwrap_or_else(|| crate::units::range::Range::above(Duration::from_secs(86_400))),
        crit: args.thresholds.crit_age,
        definitions_version: None,
        complete: false,
        problem: Some(problem),
        started_unix,
        duration_seconds: started.elapsed().as_secs_f64(),
    };

    let mut plan = super::gather_plan(
        ctx,
        &args.probe,
        &args.thresholds,
        args.skip_network,
        "check",
    );
    let result = match target::load_trust(&plan.probe) {
        Err(f) => (unknown(format!("{} ({})", f.message, f.hint)), None),
        Ok(trust) => {
            // Every inner limit fits inside the deadline, which stays the last resort.
            let inner = args.deadline.mul_f64(0.8);
            let mut ctx = ctx.clone();
            ctx.limits.timeout = ctx.limits.timeout.min(inner);
            plan.probe.probe_timeout = plan.probe.probe_timeout.min(inner);
            plan.probe.connect_timeout = plan.probe.connect_timeout.min(inner);
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let (snapshot, facts) = gather::gather(&plan, ctx.mdatp_runner(), trust);
                let findings = rules::diagnose(&snapshot);
                let _ = tx.send((snapshot, facts, findings));
            });
            let left = args.deadline.saturating_sub(started.elapsed());
            match rx.recv_timeout(left) {
                Ok((snapshot, facts, findings)) => {
                    let verdict = finding::worst(&findings);
                    let result = CheckResult {
                        verdict,
                        metrics: metrics::compute(&snapshot, &findings),
                        warn: snapshot.warn_age(),
                        crit: snapshot.thresholds.crit_age,
                        definitions_version: snapshot
                            .str("definitions_version")
                            .map(str::to_string),
                        findings,
                        complete: true,
                        problem: None,
                        started_unix,
                        duration_seconds: started.elapsed().as_secs_f64(),
                    };
                    let report = DiagnoseReport {
                        snapshot: &snapshot,
                        run: &facts,
                        findings: &result.findings,
                        verdict,
                    };
                    let human = (format == Format::Human)
                        .then(|| render::emit(&report, Format::Human, ctx_style));
                    let doc = report.document();
                    (result, Some((doc, human)))
                }
                Err(_) => {
                    // Whatever still runs (a hung mdatp, a stuck mount) must not outlive us.
                    kill_active_children();
                    (
                        unknown(format!(
                            "no result within the {} s deadline (mdatp or the mirror did not answer in time)",
                            args.deadline.as_secs_f32()
                        )),
                        None,
                    )
                }
            }
        }
    };
    let (result, done) = result;
    let (doc, human) = done.unwrap_or_else(|| (DiagnoseDoc::unknown(result.problem.clone()), None));
    let mut run = Run::from_diagnose("check", &doc);
    run.duration = Some(Duration::from_secs_f64(result.duration_seconds.max(0.0)));
    let report = CheckReport { result, doc, human };
    let out = render::monitor::finish(&report, format, ctx.style, args.textfile_dir.as_deref());
    let done = Finished {
        stdout: out.stdout,
        exit: out.exit,
    };
    super::events::deliver(&args.events, run, done)
}

/// The UNKNOWN line for a command line clap refused, in nagios mode.
pub fn usage_unknown(message: &str) -> String {
    let first = message
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad argument")
        .trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    format!(
        "{} UNKNOWN - bad argument: {}\n",
        render::check::SERVICE,
        first.replace('|', "/")
    )
}

/// Whether a raw command line asks for `check` in nagios mode (the default for `check`;
/// `mirror check` only with `--format nagios`, its default being human), so that even a
/// refused command line answers as a plugin must.
pub fn is_nagios_check(args: &[String]) -> bool {
    let mut is_check = false;
    let mut mirror = false;
    // `config check` checks a file, not a monitored service.
    let mut config = false;
    let mut format: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a == "mirror" && !is_check {
            mirror = true;
        } else if a == "config" && !is_check {
            config = true;
        } else if a == "check" && !is_check {
            is_check = true;
        } else if a == "--format" {
            format = args.get(i + 1).map(String::as_str);
            i += 1;
        } else if let Some(v) = a.strip_prefix("--format=") {
            format = Some(v);
        }
        i += 1;
    }
    is_check && !config && format.map_or(!mirror, |f| f == "nagios")
}

#[cfg(test)]
mod tests;
