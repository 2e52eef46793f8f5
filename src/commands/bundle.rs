//! `mdatp-doctor bundle`: gather like diagnose (the bundle's own mdatp calls running
//! alongside), then run every collector into one redacted `.tar.gz`; or, with
//! `--list-contents`, open a bundle and check its hashes. An interrupt (Ctrl-C, SIGTERM)
//! while the bundle is written stops it and removes the temporary file.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::thread::ScopedJoinHandle;

use serde_json::{Map, json};

use crate::analyze::snapshot::Thresholds;
use crate::analyze::{finding, rules};
use crate::bundle::archive::{self, Writer};
use crate::bundle::redact::Redactor;
use crate::bundle::{self, Bundle, Call, TOTAL_CAP, diagnostic_path, logs, names};
use crate::cli::BundleArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::gather::{self, GatherPlan, target};
use crate::interrupt;
use crate::process::Runner;
use crate::render::{self, Format, Style};
use crate::report::SchemaVersion;
use crate::report::diagnose::DiagnoseReport;
use crate::report::misc::{BundleContents, BundleWritten};
use crate::system;

/// Where mdatp writes the archives of `mdatp diagnostic create`; only a file in there is
/// added to the bundle.
pub const DIAGNOSTIC_DIR: &str = "/var/opt/microsoft/mdatp/wdavdiag";

/// TEST ONLY: replaces [`DIAGNOSTIC_DIR`] so the tests can play mdatp's part. Not an
/// option, not documented for users.
const DIAGNOSTIC_DIR_ENV: &str = "MDATP_DOCTOR_DIAG_DIR";

fn diagnostic_dir() -> PathBuf {
    std::env::var_os(DIAGNOSTIC_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(DIAGNOSTIC_DIR), PathBuf::from)
}

fn output_failure(path: &Path, e: &std::io::Error) -> Failure {
    // Only the destination itself existing is the user's to fix with another -o; any
    // other failure (a temporary name that cannot be had, permissions, space) is I/O.
    let exists = e.kind() == std::io::ErrorKind::AlreadyExists;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cause = if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() {
        format!("the directory {} does not exist", dir.display())
    } else {
        e.to_string()
    };
    Failure {
        kind: if exists {
            "output_exists"
        } else {
            "output_unwritable"
        },
        // An error that names the path already (it exists, it is a symlink) stands alone.
        message: if cause.contains(&path.display().to_string()) {
            format!("cannot create the bundle: {cause}")
        } else {
            format!("cannot create {}: {cause}", path.display())
        },
        hint: "pass -o with a new file name in a directory you can write".into(),
        exit: if exists {
            ExitCode::Usage
        } else {
            ExitCode::Critical
        },
    }
}

/// Stops the run if an interrupt came; the bundle (and with it the temporary file) is
/// dropped on the way out.
fn check_interrupt() -> Result<(), Failure> {
    if interrupt::interrupted() {
        return Err(Failure::unknown(
            "interrupted",
            "interrupted: no bundle written",
            "run it again and let it finish",
        ));
    }
    Ok(())
}

pub fn run(ctx: &Context, args: &BundleArgs, managed_config: &Path) -> Result<Finished, Failure> {
    if let Some(file) = &args.list_contents {
        return list_contents(ctx, file);
    }
    let probe_plan = super::probe_plan(&args.probe);
    let trust = target::load_trust(&probe_plan)?;
    let hostname = crate::system::hostname();
    let mut redactor = if args.no_redact {
        Redactor::off()
    } else {
        Redactor::new(args.redact_ids)
    };
    for domain in &args.redact_domain {
        redactor.redact_domain(domain);
    }
    redactor.register_machine(&hostname);
    // The name in the manifest and the default file name: a placeholder with ids, and a
    // name under a redacted domain goes too.
    let host_label = if redactor.ids() {
        redactor.placeholder(&hostname, "host")
    } else {
        redactor.redact(&hostname)
    };

    let default_name = || {
        let stamp = system::now().strftime("%Y%m%dT%H%M%SZ");
        let safe: String = host_label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        PathBuf::from(format!("mdatp-doctor-{safe}-{stamp}.tar.gz"))
    };
    // `-o DIR` (a real directory, not a symlink to one) gets the default name inside it.
    let output = match &args.output {
        Some(o) if std::fs::symlink_metadata(o).is_ok_and(|m| m.is_dir()) => o.join(default_name()),
        Some(o) => o.clone(),
        None => default_name(),
    };
    ensure_room(&output, args)?;
    Writer::check_dest(&output).map_err(|e| output_failure(&output, &e))?;

    let prepared = Prepared {
        probe_plan,
        trust,
        redactor,
        host_label,
        output,
    };

    // The bundle's own mdatp calls start now, each on a thread of its own under the
    // runner's timeout and output caps, and run while diagnose gathers: one after another
    // they would add their times to the gather's. Each output is waited for in its turn in
    // the archive's fixed order, so the archive does not depend on which call ended first.
    let runner = ctx.mdatp_runner().ok();
    std::thread::scope(|scope| {
        let spawn = |args: &'static [&'static str]| {
            let runner = runner.as_ref();
            scope.spawn(move || bundle::call(runner, args))
        };
        let calls = Calls {
            extra: EXTRA_CALLS.map(|(args, _)| spawn(args)),
            diagnostic: args
                .include_mdatp_diagnostic
                .then(|| spawn(DIAGNOSTIC_CREATE)),
        };
        let result = write(ctx, args, managed_config, prepared, runner.as_ref(), calls);
        if result.is_err() {
            // Nothing will read the calls still running: stop them, or the scope would
            // wait out their timeouts before the run could end.
            crate::process::kill_active_children();
        }
        result
    })
}

/// What `run` settled before any mdatp call: the probe, the redactor, the output path.
struct Prepared {
    probe_plan: gather::ProbePlan,
    trust: crate::mirror::tls::Trust,
    redactor: Redactor,
    host_label: String,
    output: PathBuf,
}

/// The mdatp calls the bundle adds besides diagnose's two health calls, in archive order.
const EXTRA_CALLS: [(&[&str], &str); 3] = [
    (&["health", "--output", "json"], names::HEALTH_JSON),
    (&["connectivity", "test"], names::CONNECTIVITY_TEST),
    (&["version"], names::VERSION),
];

/// Diagnose's health calls: their outputs are taken from the gather, and run again only
/// when it has none (the call failed there).
const HEALTH_CALLS: [(&[&str], &str); 2] = [
    (&["health"], names::HEALTH),
    (&["health", "--details", "definitions"], names::DEFINITIONS),
];

const DIAGNOSTIC_CREATE: &[&str] = &["diagnostic", "create"];

/// The bundle's mdatp calls, running.
struct Calls<'scope> {
    extra: [ScopedJoinHandle<'scope, Call>; EXTRA_CALLS.len()],
    diagnostic: Option<ScopedJoinHandle<'scope, Call>>,
}

/// A running call's result; a thread that panicked is a failed call, not a crash.
fn join(handle: ScopedJoinHandle<'_, Call>) -> Call {
    handle
        .join()
        .unwrap_or_else(|_| Err("the thread running it failed".into()))
}

/// Runs `calls` side by side and returns their results in the same order.
fn call_all(runner: Option<&Runner>, calls: &[&[&str]]) -> Vec<Call> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = calls
            .iter()
            .map(|args| scope.spawn(move || bundle::call(runner, args)))
            .collect();
        handles.into_iter().map(join).collect()
    })
}

/// Gathers as diagnose does and writes the bundle, taking the outputs of `calls` as they
/// come due.
fn write(
    ctx: &Context,
    args: &BundleArgs,
    managed_config: &Path,
    prepared: Prepared,
    runner: Option<&Runner>,
    calls: Calls<'_>,
) -> Result<Finished, Failure> {
    let Prepared {
        probe_plan,
        trust,
        mut redactor,
        host_label,
        output,
    } = prepared;
    let progress = (ctx.format == Format::Human && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let say = |what: &str| {
        if let Some(bar) = &progress {
            bar.set_message(format!("bundle: {what}"));
        }
    };

    // Diagnose first: its health tells which ids to register before any text is written.
    say("diagnose");
    let plan = GatherPlan {
        probe: probe_plan,
        skip_network: args.skip_network,
        thresholds: Thresholds {
            stale_after: args.probe.stale_after,
            ..Thresholds::default()
        },
        managed_config: managed_config.to_path_buf(),
        state_dir: ctx.state_dir.clone(),
        command: "bundle",
        endpoint: ctx.endpoint.clone(),
    };
    let (snapshot, facts) = gather::gather(&plan, ctx.mdatp_runner(), trust);
    if let Some((url, _)) = &snapshot.mirror.url {
        redactor.register_url_host(url);
    }
    if let Some(proxy) = &facts.proxy.url {
        redactor.register_url_host(proxy);
    }
    for health in snapshot.definitions.iter().chain(snapshot.health.iter()) {
        for (field, kind) in [
            ("org_id", "org"),
            ("machine_guid", "machine"),
            ("edr_machine_id", "edr"),
        ] {
            if let Some(v) = health.str(field) {
                redactor.register(v, kind);
            }
        }
    }
    let findings = rules::diagnose(&snapshot);
    let verdict = finding::worst(&findings);

    // From here an interrupt only sets a flag (and kills mdatp): the collectors check it
    // and the temporary file is removed on the way out, instead of the process exiting
    // where it stands. Before this point there is no file to leave behind.
    interrupt::graceful();
    check_interrupt()?;
    let writer = Writer::create(&output).map_err(|e| output_failure(&output, &e))?;
    let mut b = Bundle::new(writer, redactor, ctx.verbose);
    let report = DiagnoseReport {
        snapshot: &snapshot,
        run: &facts,
        findings: &findings,
        verdict,
    };
    b.text(
        names::REPORT,
        &render::emit(&report, Format::Json, Style::plain()),
        "diagnose",
        Map::new(),
    );
    b.text(
        names::REPORT_TEXT,
        &render::emit(&report, Format::Human, Style::plain()),
        "diagnose",
        Map::new(),
    );

    check_interrupt()?;
    say("mdatp outputs");
    // The diagnose gather already ran both health calls: keep those, run the rest again.
    let missing: Vec<&[&str]> = HEALTH_CALLS
        .iter()
        .map(|(a, _)| *a)
        .filter(|a| !facts.outputs.iter().any(|o| o.args == *a))
        .collect();
    let mut again = call_all(runner, &missing).into_iter();
    for (a, path) in HEALTH_CALLS {
        match facts.outputs.iter().find(|o| o.args == a) {
            Some(out) => b.mdatp_output(out, path),
            None => {
                let call = again
                    .next()
                    .unwrap_or_else(|| Err("the call was not made".into()));
                b.add_call(a, call, path);
            }
        }
        check_interrupt()?;
    }
    for ((a, path), handle) in EXTRA_CALLS.into_iter().zip(calls.extra) {
        b.add_call(a, join(handle), path);
        check_interrupt()?;
    }
    let mirror = json!({
        "url": snapshot.mirror.url.as_ref().map(|(u, _)| u),
        "url_source": snapshot.mirror.url.as_ref().map(|(_, s)| s.as_str()),
        "skipped": snapshot.mirror.skipped,
        "proxy": facts.proxy,
        "arch": snapshot.mirror.probes,
        "status": snapshot.mirror.status,
    });
    b.text(
        names::MIRROR,
        &format!("{mirror:#}\n"),
        "mirror probe",
        Map::new(),
    );
    // What the rules read besides health, the file and the probe, so that
    // `diagnose --from-bundle` judges the same facts (and local times in the right zone).
    let e = &snapshot.endpoint;
    let free = |f: &Option<(String, u64)>| f.as_ref().map(|(d, n)| json!({"dir": d, "bytes": n}));
    let endpoint = json!({
        "offboard_file": e.offboard_file,
        "service_state": e.service_state,
        "service_proxy": e.service_proxy,
        "definitions_free": free(&e.definitions_free),
        "mirror_free": free(&e.mirror_free),
        "os_family": e.os_family.map(|f| format!("{f:?}").to_ascii_lowercase()),
        "time_zone": system::time_zone(),
    });
    b.text(
        names::ENDPOINT,
        &format!("{endpoint:#}\n"),
        "endpoint facts",
        Map::new(),
    );

    check_interrupt()?;
    say("configuration and logs");
    b.file(managed_config, names::CONFIG, "managed config");
    b.file(&args.wdavcfg, names::WDAVCFG, "wdavcfg");
    b.logs(&args.log_dir, args.max_log_bytes);
    check_interrupt()?;
    let system = system::facts(
        &ctx.state_dir,
        b.redactor.ids().then_some(host_label.as_str()),
    );
    b.text(
        names::SYSTEM,
        &format!("{system:#}\n"),
        "system",
        Map::new(),
    );
    // Through the state module, which refuses a symlink, a FIFO or a file someone else
    // owns (a link to /etc/shadow must not land in the bundle).
    match crate::state::history::read_raw(&ctx.state_dir) {
        Ok(Some(bytes)) => b.text(
            names::HISTORY,
            &String::from_utf8_lossy(&bytes),
            "history",
            Map::new(),
        ),
        Ok(None) => b.skipped.push(format!(
            "history: {} does not exist",
            ctx.state_dir
                .join(crate::state::history::FILE_NAME)
                .display()
        )),
        Err(e) => b.fail("history", e),
    }

    if let Some(handle) = calls.diagnostic {
        say("mdatp diagnostic create");
        let call = join(handle);
        if let Some(out) = b.add_call(DIAGNOSTIC_CREATE, call, names::DIAGNOSTIC_CREATE) {
            check_interrupt()?;
            match diagnostic_path(&String::from_utf8_lossy(&out.stdout)) {
                Some(zip) => b.diagnostic(&zip, &diagnostic_dir()),
                None => b.fail(
                    "mdatp diagnostic",
                    "no `Diagnostic file created:` line in its output",
                ),
            }
        }
    }

    check_interrupt()?;
    say("manifest");
    let failed = b.failures.clone();
    let mut redaction = json!({"enabled": b.redactor.enabled(), "ids": b.redactor.ids()});
    if b.redactor.domain_count() > 0 {
        // How many domains were redacted, never which: the names are what is hidden.
        redaction["domains"] = b.redactor.domain_count().into();
    }
    let manifest = json!({
        "tool": {"name": "mdatp-doctor", "version": env!("CARGO_PKG_VERSION")},
        "created": system::now().to_string(),
        "hostname": host_label,
        "redaction": redaction,
        "entries": b.writer.entries,
        "failed": failed,
        "skipped": b.skipped,
    });
    b.bytes(
        names::MANIFEST,
        format!("{manifest:#}\n").as_bytes(),
        "manifest",
        Map::new(),
    );
    // MANIFEST.json lists the others, not itself.
    let (entries, bytes) = (b.writer.entries.len() - 1, b.writer.written);
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let path = b.writer.finish().map_err(|e| Failure {
        kind: "output_unwritable",
        message: format!("cannot finish the bundle: {e}"),
        hint: "check the free space and permissions of the output directory".into(),
        exit: ExitCode::Critical,
    })?;
    let exit = if failed.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Warning
    };
    let report = BundleWritten {
        schema_version: SchemaVersion,
        path: path.display().to_string(),
        entries,
        bytes,
        failed,
    };
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit,
    })
}

/// Refuses to start when the output's file system cannot hold the largest bundle this
/// run could write.
fn ensure_room(output: &Path, args: &BundleArgs) -> Result<(), Failure> {
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The same walk the logs collector makes: no symlink followed.
    let logs = logs::walk(&args.log_dir).map_or(0, |t| t.capped_size(args.max_log_bytes));
    let needed = (logs + 16 * 1024 * 1024).min(TOTAL_CAP);
    // A file system with no blocks at all (/proc, /sys) says nothing about room: the
    // creation itself fails there with its own cause.
    let pseudo = system::total_bytes(dir) == Some(0);
    match system::free_bytes(dir) {
        Some(free) if free < needed && !pseudo => Err(Failure {
            kind: "no_room",
            message: format!(
                "{} has {free} bytes free; this bundle may need up to {needed}",
                dir.display()
            ),
            hint: "free some space, write elsewhere with -o, or lower --max-log-bytes".into(),
            exit: ExitCode::Critical,
        }),
        _ => Ok(()),
    }
}

fn list_contents(ctx: &Context, file: &Path) -> Result<Finished, Failure> {
    let (manifest, checked) = archive::inspect(file).map_err(|e| {
        Failure::unknown(
            "bundle_unreadable",
            format!("cannot read {}: {e}", file.display()),
            "pass a bundle written by `mdatp-doctor bundle`",
        )
    })?;
    let all_ok = checked.iter().all(|c| c.status == "ok");
    let report = BundleContents {
        schema_version: SchemaVersion,
        manifest,
        checked,
        intact: all_ok,
        file: file.to_path_buf(),
    };
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit: if all_ok {
            ExitCode::Ok
        } else {
            ExitCode::Critical
        },
    })
}
