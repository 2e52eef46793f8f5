//! `mdatp-doctor mirror check`: the mirror host's downloader, settings, log and tree.

use crate::analyze::rules;
use crate::cli::{MirrorCheckArgs, MirrorCommand};
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::gather::mirror_host::{self, MirrorHostPlan};
use crate::render::{self, Format};
use crate::report::mirror_host::MirrorCheckReport;
use crate::safe_write;

/// What node_exporter's textfile collector reads for the mirror host.
pub const TEXTFILE_NAME: &str = "mdatp_mirror.prom";

pub fn run(ctx: &Context, cmd: &MirrorCommand) -> Result<Finished, Failure> {
    match cmd {
        MirrorCommand::Check(args) => Ok(check(ctx, args)),
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
    }
}

pub fn check(ctx: &Context, args: &MirrorCheckArgs) -> Finished {
    let snapshot = mirror_host::gather(&plan(args));
    let findings = rules::mirror_host_findings(&snapshot);
    let report = MirrorCheckReport::new(&snapshot, findings);
    let exit = report.doc.verdict.exit_code();
    let stdout = render::emit(&report, ctx.format, ctx.style);
    match (ctx.format, &args.textfile_dir) {
        (Format::Prometheus, Some(dir)) => {
            let path = dir.join(TEXTFILE_NAME);
            match safe_write::replace(&path, stdout.as_bytes(), 0o644) {
                Ok(()) => Finished {
                    stdout: String::new(),
                    exit: ExitCode::Ok,
                },
                Err(e) => {
                    eprintln!("mdatp-doctor: cannot write {}: {e}", path.display());
                    Finished {
                        stdout: String::new(),
                        exit: ExitCode::Unknown,
                    }
                }
            }
        }
        // The state is in the metrics: the run itself succeeded.
        (Format::Prometheus | Format::Checkmk, _) => Finished {
            stdout,
            exit: ExitCode::Ok,
        },
        _ => Finished { stdout, exit },
    }
}
