//! `mdatp-doctor diagnose`: gather everything at once into a snapshot, run the rules,
//! render. Gathering is concurrent so the run takes about as long as its slowest call.

use std::path::{Path, PathBuf};

use crate::analyze::catalogue;
use crate::analyze::finding;
use crate::analyze::rules::{self, normalize_location};
use crate::analyze::snapshot::{ConfigSnap, MdatpProblem, MirrorSnap, Snapshot, Thresholds};
use crate::cli::{AgeThresholds, DiagnoseArgs, ProbeArgs};
use crate::commands::connectivity::{arches, choose_proxy, load_trust, probe_options};
use crate::commands::{Context, Output, Report};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::managed::config;
use crate::mdatp::{self, HealthError, HealthReading, MdatpError};
use crate::mirror::step::UrlSource;
use crate::mirror::{self, ProbeOptions, url};
use crate::render;
use crate::state::history::{self, Entry};

/// Facts about this run the renderers show besides the snapshot.
pub struct RunFacts {
    /// This endpoint's name, so fleet reports can be told apart (`aggregate`).
    pub hostname: String,
    pub mdatp_path: Option<String>,
    pub state_dir: PathBuf,
    pub proxy: crate::mirror::step::ProxyInfo,
    /// The raw outputs of the mdatp calls that gave a reading, so `bundle` need not
    /// run them again.
    pub outputs: Vec<crate::process::Output>,
}

pub fn run(ctx: &Context, args: &DiagnoseArgs, managed_config: &Path) -> Result<Report, Failure> {
    if args.list {
        return Ok(Report {
            stdout: render::diagnose::catalogue(ctx.format, ctx.style),
            exit: ExitCode::Ok,
        });
    }
    if let Some(id) = &args.explain {
        return explain(id, ctx.format);
    }
    let trust = load_trust(&args.probe)?;
    let gather_args = GatherArgs {
        probe: args.probe.clone(),
        skip_network: args.skip_network,
        thresholds: args.thresholds.clone(),
        light: false,
        command: "diagnose",
    };
    let (snapshot, extra) = gather(ctx, &gather_args, managed_config, trust);
    let findings = rules::diagnose(&snapshot);
    let verdict = finding::worst(&findings);
    let stdout = match ctx.format {
        Output::Json => render::diagnose::json(&snapshot, &extra, &findings, verdict),
        Output::Human => render::diagnose::human(&snapshot, &extra, &findings, verdict, ctx.style),
    };
    Ok(Report {
        stdout,
        exit: verdict.exit_code(),
    })
}

fn explain(id: &str, format: Output) -> Result<Report, Failure> {
    match catalogue::find(id) {
        Some(rule) => Ok(Report {
            stdout: render::diagnose::explain(rule, format),
            exit: ExitCode::Ok,
        }),
        None => {
            let suggestion =
                crate::managed::keys::suggest(id, catalogue::RULES.iter().map(|r| r.id));
            Err(Failure {
                kind: "bad_argument",
                message: format!("no finding has the id `{id}`"),
                hint: match suggestion {
                    Some(s) => format!("did you mean `{s}`? `diagnose --list` shows every id"),
                    None => "`diagnose --list` shows every id".into(),
                },
                exit: ExitCode::Usage,
            })
        }
    }
}

fn problem_of(e: &HealthError) -> MdatpProblem {
    MdatpProblem {
        not_found: matches!(e, HealthError::Run(MdatpError::NotFound { .. })),
        message: e.to_string(),
        hint: e.hint(),
    }
}

/// What a gather needs from the command line (owned, so `check` can run it on a thread).
#[derive(Debug, Clone)]
pub struct GatherArgs {
    pub probe: ProbeArgs,
    pub skip_network: bool,
    pub thresholds: AgeThresholds,
    /// Probe manifest and HEAD only (monitoring).
    pub light: bool,
    /// Recorded in the history.
    pub command: &'static str,
}

/// Gathers the snapshot: the managed file first (local, instant; it may name the mirror),
/// then both health calls and the mirror probe side by side.
pub fn gather(
    ctx: &Context,
    args: &GatherArgs,
    managed_config: &Path,
    trust: mirror::tls::Trust,
) -> (Snapshot, RunFacts) {
    let now = jiff::Timestamp::now();
    let (loaded, keys) = config::load_with_keys(managed_config);
    let proxy = choose_proxy(&args.probe, loaded.as_ref().ok());
    let mut opts = probe_options(&args.probe, &proxy, trust, false, 0);
    opts.light = args.light;
    let arch_list = arches(args.probe.arch);
    let runner = ctx.mdatp_runner();
    let mdatp_path = runner
        .as_ref()
        .ok()
        .map(|r| r.program.display().to_string());

    // The URL to probe before health answers: the argument, else the managed file's.
    let early_url: Option<(String, UrlSource)> = match &args.probe.url {
        Some(u) => Some((u.clone(), UrlSource::Argument)),
        None => loaded
            .as_ref()
            .ok()
            .and_then(|c| c.offline_url())
            .filter(|u| !u.trim().is_empty())
            .map(|u| (u.to_string(), UrlSource::ManagedConfig)),
    };

    let (definitions, full, early_probes) = std::thread::scope(|scope| {
        // Both health calls, when there is an mdatp to call; the probe meanwhile.
        let calls = match &runner {
            Ok(r) => Ok((
                scope
                    .spawn(move || mdatp::fetch_health(r, &["health", "--details", "definitions"])),
                scope.spawn(move || mdatp::fetch_health(r, &["health"]).ok()),
            )),
            Err(e) => Err(MdatpProblem {
                not_found: matches!(e, MdatpError::NotFound { .. }),
                message: e.to_string(),
                hint: e.hint(),
            }),
        };
        let probes = (!args.skip_network)
            .then_some(early_url.as_ref())
            .flatten()
            .map(|(u, _)| probe_text(u, &arch_list, &opts));
        let (defs, full) = match calls {
            Ok((defs, full)) => (
                defs.join()
                    .map_err(|_| MdatpProblem {
                        not_found: false,
                        message: "the health thread failed".into(),
                        hint: "run `mdatp health --details definitions` by hand".into(),
                    })
                    .and_then(|r| r.map_err(|e| problem_of(&e))),
                full.join().ok().flatten(),
            ),
            Err(problem) => (Err(problem), None),
        };
        (defs, full, probes)
    });

    // The URL mdatp actually uses wins over the file's, unless --url was given.
    let health_url = definitions
        .as_ref()
        .ok()
        .and_then(|h| h.health.str("offline_definition_url_configured"))
        .filter(|u| !u.trim().is_empty())
        .map(str::to_string);
    let (url, probes) = match (&args.probe.url, health_url) {
        (Some(_), _) | (None, None) => (early_url.clone(), early_probes.unwrap_or_default()),
        (None, Some(h)) => {
            let same = early_url
                .as_ref()
                .is_some_and(|(u, _)| normalize_location(u) == normalize_location(&h));
            let probes = match (same, early_probes) {
                (true, Some(p)) => p,
                _ if args.skip_network => Vec::new(),
                _ => probe_text(&h, &arch_list, &opts),
            };
            (Some((h, UrlSource::Health)), probes)
        }
    };

    let (definitions, mdatp_problem) = match definitions {
        Ok(reading) => (Some(reading), None),
        Err(problem) => (None, Some(problem)),
    };
    let outputs = definitions
        .iter()
        .chain(full.iter())
        .filter_map(|r| r.output.clone())
        .collect();
    let state_dir = ctx.state_dir.clone();
    let (history, history_error) =
        record_history(&state_dir, args.command, definitions.as_ref(), now);

    let snapshot = Snapshot {
        now,
        tz: jiff::tz::TimeZone::system(),
        definitions: definitions.map(|r| r.health),
        health: full.map(|r: HealthReading| r.health),
        mdatp_problem,
        config: ConfigSnap {
            path: managed_config.display().to_string(),
            loaded,
            keys,
        },
        mirror: MirrorSnap {
            checked: url.as_ref().map(|(u, _)| url::check(u)),
            url,
            probes,
            skipped: args.skip_network,
        },
        history,
        history_error,
        thresholds: Thresholds {
            warn_age: args.thresholds.warn_age,
            crit_age: args.thresholds.crit_age,
            stale_after: args.probe.stale_after,
        },
    };
    (
        snapshot,
        RunFacts {
            hostname: crate::system::hostname(),
            mdatp_path,
            state_dir,
            proxy,
            outputs,
        },
    )
}

fn probe_text(text: &str, arches: &[&str], opts: &ProbeOptions) -> Vec<mirror::ArchProbe> {
    match url::check(text).location {
        Some(location) => mirror::probe_all(&location, arches, opts),
        None => Vec::new(),
    }
}

/// Reads the history and appends this run; the current state is part of the sequence
/// (a re-enable is often what just happened). Never fatal.
pub fn record_history(
    dir: &Path,
    command: &str,
    reading: Option<&HealthReading>,
    now: jiff::Timestamp,
) -> (Vec<Entry>, Option<String>) {
    let mut entries = match history::read(dir) {
        Ok(e) => e,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let Some(reading) = reading else {
        return (entries, None);
    };
    let entry = Entry::from_health(command, &reading.health, now);
    let error = history::append(dir, &entry).err();
    entries.push(entry);
    (entries, error)
}
