//! Gathering: the only code that asks the world (mdatp, the managed file, the mirror,
//! the run history) on a command's behalf. It takes a plain plan, free of command-line
//! types, and returns a [`Snapshot`] for the pure rules plus the facts of the run.

pub mod endpoint;
pub mod fix;
pub mod from_bundle;
pub mod mirror_host;
pub mod probe;
pub mod target;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use crate::analyze::facts::normalize_location;
use crate::analyze::snapshot::{
    ConfigSnap, MdatpProblem, MirrorSnap, Snapshot, Thresholds, UnusedUrl,
};
use crate::failure::Failure;
use crate::managed::config;
use crate::mdatp::{self, HealthError, HealthReading, MdatpError};
use crate::mirror::status::StatusReading;
use crate::mirror::step::{ProxyInfo, UrlSource};
use crate::mirror::{self, ProbeOptions, url};
use crate::process::Runner;
use crate::state::history::{self, Entry};

pub use endpoint::EndpointPlan;
pub use target::{Arches, ProbePlan, ProxyChoice};

/// What one gather needs (owned, so `check` can run it on a thread).
#[derive(Debug, Clone)]
pub struct GatherPlan {
    pub probe: ProbePlan,
    pub skip_network: bool,
    pub thresholds: Thresholds,
    /// The managed configuration file mdatp reads.
    pub managed_config: PathBuf,
    pub state_dir: PathBuf,
    /// Recorded in the history.
    pub command: &'static str,
    pub endpoint: EndpointPlan,
}

/// Facts about this run the reports show besides the snapshot.
pub struct RunFacts {
    /// This endpoint's name, so fleet reports can be told apart (`aggregate`).
    pub hostname: String,
    /// The endpoint's architecture as Defender names it (`x86_64`, `arm64`): which
    /// `arch_*` package it runs (the canary gate judges each by its own endpoints).
    pub arch: Option<String>,
    pub mdatp_path: Option<String>,
    pub state_dir: PathBuf,
    pub proxy: ProxyInfo,
    /// The raw outputs of the mdatp calls that gave a reading, so `bundle` need not
    /// run them again.
    pub outputs: Vec<crate::process::Output>,
}

pub fn problem_of(e: &HealthError) -> MdatpProblem {
    MdatpProblem {
        not_found: matches!(e, HealthError::Run(MdatpError::NotFound { .. })),
        daemon_down: e.is_daemon_down(),
        message: e.to_string(),
        hint: e.hint(),
    }
}

/// Gathers the snapshot: the managed file first (local, instant; it may name the mirror),
/// then both health calls, the endpoint's own facts (`systemctl show mdatp`: the
/// service's proxy) and the mirror probe side by side; when health names another mirror,
/// that one is probed as soon as the definitions call answers (it holds the URL), in one
/// probe round, and again only if the full health names another proxy.
pub fn gather(
    plan: &GatherPlan,
    runner: Result<Runner, MdatpError>,
    trust: mirror::tls::Trust,
) -> (Snapshot, RunFacts) {
    let now = crate::system::now();
    let (loaded, keys) = config::load_with_keys(&plan.managed_config);
    let arch_list = target::arches(plan.probe.arches);
    let mdatp_path = runner
        .as_ref()
        .ok()
        .map(|r| r.program.display().to_string());

    let failed_thread = || MdatpProblem {
        not_found: false,
        daemon_down: false,
        message: "the health thread failed".into(),
        hint: "run `mdatp health --details definitions` by hand".into(),
    };
    let gathered = std::thread::scope(|scope| {
        // Both health calls first, when there is an mdatp to call: they take longest.
        let calls = match &runner {
            Ok(r) => Ok((
                scope
                    .spawn(move || mdatp::fetch_health(r, &["health", "--details", "definitions"])),
                scope.spawn(move || mdatp::fetch_health(r, &["health"]).ok()),
            )),
            Err(e) => Err(MdatpProblem {
                not_found: matches!(e, MdatpError::NotFound { .. }),
                daemon_down: false,
                message: e.to_string(),
                hint: e.hint(),
            }),
        };
        // Meanwhile the endpoint's facts, which the probe's proxy depends on.
        let endpoint = endpoint::read(&plan.endpoint);
        let proxy = target::choose_proxy(
            &plan.probe,
            loaded.as_ref().ok(),
            endpoint.service_proxy.as_deref(),
        );
        let opts = target::probe_options(&plan.probe, &proxy, trust);
        // The URL to probe before health answers: the argument, else the managed file's.
        let early_url = target::choose_url(plan.probe.url.as_deref(), None, loaded.as_ref().ok());
        // Its probe runs on a thread of its own (owned inputs, a channel) so that, when
        // health names another URL, that one is probed at once and this one abandoned:
        // waiting for it would spend a second probe timeout (and `check --deadline` with
        // it).
        let early_probes = (!plan.skip_network)
            .then_some(early_url.as_ref())
            .flatten()
            .map(|(u, _)| spawn_probe(u.clone(), arch_list.clone(), opts.clone()));
        let (definitions, full) = match calls {
            Ok((defs, full)) => {
                let definitions = defs
                    .join()
                    .map_err(|_| failed_thread())
                    .and_then(|r| r.map_err(|e| problem_of(&e)));
                // The URL mdatp uses is in the definitions call: when it is another
                // mirror's, its probe starts now, with the proxy known so far (the full
                // health may still name mdatp's own, below).
                let early = speculative_probe(
                    plan,
                    &definitions,
                    early_url.as_ref(),
                    &proxy,
                    &opts,
                    &arch_list,
                );
                (definitions, (full.join().ok().flatten(), early))
            }
            Err(problem) => (Err(problem), (None, None)),
        };
        (
            endpoint,
            proxy,
            opts,
            early_url,
            early_probes,
            definitions,
            full,
        )
    });
    let (mut endpoint, proxy, mut opts, early_url, early_probes, definitions, (full, ahead)) =
        gathered;

    // The URL mdatp actually uses wins over the file's, unless --url was given.
    let health_url = definitions
        .as_ref()
        .ok()
        .and_then(|h| target::health_url(&h.health))
        .map(str::to_string);
    let wait =
        |rx: Option<mpsc::Receiver<Probed>>| rx.and_then(|rx| rx.recv().ok()).unwrap_or_default();
    // The proxy mdatp was told with `mdatp config proxy set` shows only in health: when it
    // is the one that applies, the early probe went the wrong way and is done again.
    let health_proxy = full
        .as_ref()
        .and_then(|r| target::health_proxy(&r.health))
        .or_else(|| {
            definitions
                .as_ref()
                .ok()
                .and_then(|r| target::health_proxy(&r.health))
        });
    let proxy = target::with_health_proxy(proxy, health_proxy);
    let proxy_changed = opts.proxy != proxy.url;
    if proxy_changed {
        opts.proxy = proxy.url.clone();
    }
    // The probe of health's URL started ahead, if it went the way the probe goes now.
    let ahead = ahead.filter(|(through, _)| *through == opts.proxy);
    let probe_health_url =
        |h: &str, ahead: Option<(Option<String>, mpsc::Receiver<Probed>)>| match ahead {
            Some((_, rx)) => wait(Some(rx)),
            None => probe_text(h, &arch_list, &opts),
        };
    let mut unused = None;
    let (url, (probes, status)) = match (&plan.probe.url, health_url) {
        (Some(_), _) | (None, None) if proxy_changed && !plan.skip_network => {
            let probes = early_url
                .as_ref()
                .map(|(u, _)| probe_text(u, &arch_list, &opts))
                .unwrap_or_default();
            (early_url.clone(), probes)
        }
        (Some(_), _) | (None, None) => (early_url.clone(), wait(early_probes)),
        (None, Some(h)) => {
            let same = early_url
                .as_ref()
                .is_some_and(|(u, _)| normalize_location(u) == normalize_location(&h));
            let probes = match (same, early_probes) {
                (true, Some(rx)) if !proxy_changed => wait(Some(rx)),
                _ if plan.skip_network => Probed::default(),
                // Another URL, and --probe-all: probe it now while the file's goes on
                // (it started before health answered), and keep both.
                (false, Some(rx)) if plan.probe.probe_all => {
                    let probes = probe_health_url(&h, ahead);
                    unused = early_url.as_ref().map(|(u, _)| UnusedUrl {
                        url: u.clone(),
                        probes: wait(Some(rx)).0,
                        probed: true,
                    });
                    probes
                }
                // Another URL: probe it now; the first probe, if any, is abandoned (its
                // thread ends on its own timeouts, its result unread).
                (false, _) => probe_health_url(&h, ahead),
                _ => probe_text(&h, &arch_list, &opts),
            };
            if unused.is_none() && !same {
                unused = early_url.as_ref().map(|(u, _)| UnusedUrl {
                    url: u.clone(),
                    probes: Vec::new(),
                    probed: false,
                });
            }
            (Some((h, UrlSource::Health)), probes)
        }
    };

    let (definitions, mdatp_problem) = match definitions {
        Ok(reading) => (Some(reading), None),
        Err(problem) => (None, Some(problem)),
    };
    // A client that cannot answer: what systemd says of the daemon is the next clue.
    if mdatp_problem.as_ref().is_some_and(|p| !p.not_found) {
        endpoint.service_state = endpoint::service_state(&plan.endpoint);
    }
    endpoint.mirror_free = url.as_ref().and_then(|(u, _)| endpoint::mirror_free(u));
    let outputs = definitions
        .iter()
        .chain(full.iter())
        .filter_map(|r| r.output.clone())
        .collect();
    let (history, history_error, history_note) =
        record_history(&plan.state_dir, plan.command, definitions.as_ref(), now);

    let snapshot = Snapshot {
        now,
        tz: jiff::tz::TimeZone::system(),
        definitions: definitions.map(|r| r.health),
        health: full.map(|r: HealthReading| r.health),
        mdatp_problem,
        config: ConfigSnap {
            path: plan.managed_config.display().to_string(),
            loaded,
            keys,
        },
        mirror: MirrorSnap {
            checked: url.as_ref().map(|(u, _)| url::check(u)),
            url,
            probes,
            skipped: plan.skip_network,
            unused,
            status,
        },
        history,
        history_error,
        history_note,
        thresholds: plan.thresholds.clone(),
        endpoint,
    };
    (
        snapshot,
        RunFacts {
            hostname: crate::system::hostname(),
            arch: crate::mirror::url::native_arch().map(str::to_string),
            mdatp_path,
            state_dir: plan.state_dir.clone(),
            proxy,
            outputs,
        },
    )
}

/// The probe of the URL the definitions call names, started before the full health
/// answers when it is not the URL already being probed (and no `--url` was given), with
/// the proxy as far as it is known (the definitions call's, when it shows one): the
/// proxy it went through and where its result arrives.
fn speculative_probe(
    plan: &GatherPlan,
    definitions: &Result<HealthReading, MdatpProblem>,
    early_url: Option<&(String, UrlSource)>,
    proxy: &ProxyInfo,
    opts: &ProbeOptions,
    arches: &[&'static str],
) -> Option<(Option<String>, mpsc::Receiver<Probed>)> {
    if plan.skip_network || plan.probe.url.is_some() {
        return None;
    }
    let health = &definitions.as_ref().ok()?.health;
    let url = target::health_url(health)?;
    if early_url.is_some_and(|(u, _)| normalize_location(u) == normalize_location(url)) {
        return None;
    }
    let mut opts = opts.clone();
    opts.proxy = target::with_health_proxy(proxy.clone(), target::health_proxy(health)).url;
    let through = opts.proxy.clone();
    Some((through, spawn_probe(url.to_string(), arches.to_vec(), opts)))
}

/// The snapshot after `mdatp definitions update`: the health read after it, the managed
/// file and the history, no network (the question is what mdatp reports). The run goes
/// into the history.
pub fn after_update(
    after: &HealthReading,
    managed_config: &Path,
    state_dir: &Path,
    endpoint: &EndpointPlan,
) -> Snapshot {
    let now = jiff::Timestamp::now();
    let (loaded, keys) = config::load_with_keys(managed_config);
    let (history, history_error, history_note) =
        record_history(state_dir, "update", Some(after), now);
    let url = target::health_url(&after.health).map(|u| (u.to_string(), UrlSource::Health));
    Snapshot {
        now,
        tz: jiff::tz::TimeZone::system(),
        definitions: Some(after.health.clone()),
        health: None,
        mdatp_problem: None,
        config: ConfigSnap {
            path: managed_config.display().to_string(),
            loaded,
            keys,
        },
        mirror: MirrorSnap {
            checked: url.as_ref().map(|(u, _)| url::check(u)),
            url,
            probes: Vec::new(),
            skipped: true,
            unused: None,
            status: None,
        },
        history,
        history_error,
        history_note,
        thresholds: Thresholds::default(),
        endpoint: endpoint::read(endpoint),
    }
}

/// A ring folder's probes and the mirror's status file read with them.
pub type Probed = (Vec<mirror::ArchProbe>, Option<StatusReading>);

/// Probes `url` on a detached thread; the result arrives on the channel (nothing, if the
/// receiver was dropped: an abandoned probe).
fn spawn_probe(
    url: String,
    arches: Vec<&'static str>,
    opts: ProbeOptions,
) -> mpsc::Receiver<Probed> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(probe_text(&url, &arches, &opts));
    });
    rx
}

pub fn probe_text(text: &str, arches: &[&str], opts: &ProbeOptions) -> Probed {
    match url::check(text).location {
        Some(location) => mirror::probe_ring(&location, arches, opts),
        None => Probed::default(),
    }
}

/// `health`'s reading: `from_file` (a saved `mdatp health` output), else a live call
/// with `args`; a live reading of the offline fields also goes into the history that
/// `diagnose` reads. Returns the reading and, when the history could not be written,
/// why (never fatal).
pub fn health_reading(
    from_file: Option<&Path>,
    runner: impl FnOnce() -> Result<Runner, MdatpError>,
    args: &[&str],
    state_dir: &Path,
) -> Result<(HealthReading, Option<String>), Failure> {
    if let Some(path) = from_file {
        return Ok((mdatp::read_health_file(path)?, None));
    }
    let reading = mdatp::fetch_health(&runner()?, args)?;
    let mut history_error = None;
    if reading.health.get("offline_definition_update").is_some() {
        let (_, error, _) =
            record_history(state_dir, "health", Some(&reading), jiff::Timestamp::now());
        history_error = error;
    }
    Ok((reading, history_error))
}

/// Reads the history and appends this run; the current state is part of the sequence
/// (a re-enable is often what just happened). Never fatal: a state directory or file that
/// cannot be trusted turns history off, and skipped lines are said in the error text.
pub fn record_history(
    dir: &Path,
    command: &str,
    reading: Option<&HealthReading>,
    now: jiff::Timestamp,
) -> (Vec<Entry>, Option<String>, Option<String>) {
    let read = match history::read(dir) {
        Ok(h) => h,
        Err(e) => return (Vec::new(), Some(e), None),
    };
    // Skipped lines leave the other entries usable: a note, not an error.
    let skipped = read.skipped_note();
    let mut entries = read.entries;
    let Some(reading) = reading else {
        return (entries, None, skipped);
    };
    let entry = Entry::from_health(command, &reading.health, now);
    let error = history::append(dir, &entry).err();
    entries.push(entry);
    (entries, error, skipped)
}
