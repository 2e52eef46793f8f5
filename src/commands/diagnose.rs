//! `mdatp-doctor diagnose`: gather everything at once into a snapshot, run the rules,
//! render. Gathering is concurrent so the run takes about as long as its slowest call.

use crate::analyze::finding;
use crate::analyze::rules;
use crate::cli::DiagnoseArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::gather::from_bundle::{self, NotReadable, Rebuilt};
use crate::gather::{self, target};
use crate::render;
use crate::report::SchemaVersion;
use crate::report::diagnose::{DiagnoseReport, FromCaptureReport, SourceDoc};
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
    if let Some(file) = &args.from_bundle {
        let rebuilt =
            from_bundle::from_bundle(file, super::thresholds(&args.thresholds, &args.probe));
        return from_capture(
            ctx,
            rebuilt,
            "pass a bundle written by `mdatp-doctor bundle`",
        );
    }
    if let Some(dir) = &args.from_dir {
        let rebuilt = from_bundle::from_dir(dir, super::thresholds(&args.thresholds, &args.probe));
        return from_capture(
            ctx,
            rebuilt,
            "pass a folder holding saved outputs named as in a bundle (mdatp/health-definitions.txt, ...)",
        );
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

/// Today's rules on a capture (a bundle or a folder): nothing is run, probed or written.
fn from_capture(
    ctx: &Context,
    rebuilt: Result<Rebuilt, NotReadable>,
    hint: &str,
) -> Result<Finished, Failure> {
    let rebuilt =
        rebuilt.map_err(|NotReadable(why)| Failure::unknown("bundle_unreadable", why, hint))?;
    let findings = rules::judge_bundle(rules::diagnose(&rebuilt.snapshot), &rebuilt.facts);
    let verdict = finding::worst(&findings);
    let report = FromCaptureReport {
        source: SourceDoc::new(&rebuilt, &findings),
        report: DiagnoseReport {
            snapshot: &rebuilt.snapshot,
            run: &rebuilt.run,
            findings: &findings,
            verdict,
        },
    };
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit: verdict.exit_code(),
    })
}
