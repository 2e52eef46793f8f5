//! `mdatp-doctor health`: one health reading, shown as a table or as JSON.

use crate::cli::HealthArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::mdatp;
use crate::render;
use crate::report::misc::HealthReport;

pub fn run(ctx: &Context, args: &HealthArgs) -> Result<Finished, Failure> {
    let reading = match &args.from_file {
        Some(path) => mdatp::read_health_file(path)?,
        None => {
            let reading = mdatp::fetch_health(&ctx.mdatp_runner()?, &args.mdatp_args())?;
            // Every live reading of the offline fields goes into the history `diagnose`
            // reads; a state directory we cannot write never fails `health`.
            if reading.health.get("offline_definition_update").is_some() {
                let (_, error, _) = crate::gather::record_history(
                    &ctx.state_dir,
                    "health",
                    Some(&reading),
                    jiff::Timestamp::now(),
                );
                if let (Some(e), true) = (error, ctx.verbose) {
                    eprintln!("mdatp-doctor: history not written: {e}");
                }
            }
            reading
        }
    };
    let report = HealthReport {
        reading: &reading,
        // Only the definitions view promises the definitions fields.
        show_missing: args.from_file.is_none() && !args.all && args.details == "definitions",
    };
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit: ExitCode::Ok,
    })
}
