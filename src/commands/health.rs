//! `mdatp-doctor health`: one health reading, shown as a table or as JSON.

use crate::cli::HealthArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::render;
use crate::report::misc::HealthReport;

pub fn run(ctx: &Context, args: &HealthArgs) -> Result<Finished, Failure> {
    let (reading, history_error) = crate::gather::health_reading(
        args.from_file.as_deref(),
        || ctx.mdatp_runner(),
        &args.mdatp_args(),
        &ctx.state_dir,
    )?;
    // A state directory we cannot write never fails `health`.
    if let (Some(e), true) = (history_error, ctx.verbose) {
        eprintln!("mdatp-doctor: history not written: {e}");
    }
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
