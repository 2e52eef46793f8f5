//! `mdatp-doctor diagnose`: gather everything at once into a snapshot, run the rules,
//! render. Gathering is concurrent so the run takes about as long as its slowest call.

use crate::analyze::finding;
use crate::analyze::rules;
use crate::cli::DiagnoseArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::gather::{self, target};
use crate::render;
use crate::report::SchemaVersion;
use crate::report::diagnose::DiagnoseReport;
use crate::report::misc::{Catalogue, Explain};
use crate::report::siem::Run;

pub fn run(ctx: &Context, args: &DiagnoseArgs) -> Result<Finished, Failure> {
    if args.list {
        let catalogue = Catalogue {
            schema_version: SchemaVersion,
            catalogue: rules::catalogue().collect(),
        };
        return Ok(Finished {
            stdout: render::emit(&catalogue, ctx.format, ctx.style),
            exit: ExitCode::Ok,
        });
    }
    if let Some(id) = &args.explain {
        return explain(ctx, id);
    }
    let mut plan = super::gather_plan(
        ctx,
        &args.probe,
        &args.thresholds,
        args.skip_network,
        "diagnose",
    );
    plan.probe.probe_all = args.probe_all;
    let trust = target::load_trust(&plan.probe)?;
    let (snapshot, extra) = gather::gather(&plan, ctx.mdatp_runner(), trust);
    let findings = rules::diagnose(&snapshot);
    let verdict = finding::worst(&findings);
    let report = DiagnoseReport {
        snapshot: &snapshot,
        run: &extra,
        findings: &findings,
        verdict,
    };
    let done = Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit: verdict.exit_code(),
    };
    let run = Run::from_diagnose("diagnose", &report.document());
    Ok(super::events::deliver(&args.events, run, done))
}

fn explain(ctx: &Context, id: &str) -> Result<Finished, Failure> {
    match finding::find(id) {
        Some(rule) => Ok(Finished {
            stdout: render::emit(
                &Explain {
                    schema_version: SchemaVersion,
                    rule,
                },
                ctx.format,
                ctx.style,
            ),
            exit: ExitCode::Ok,
        }),
        None => {
            let suggestion = crate::managed::keys::suggest(id, rules::catalogue().map(|r| r.id));
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
