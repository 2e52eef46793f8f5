//! Entry point: parse the command line, dispatch, print, map the outcome to an exit code.

use std::io::{IsTerminal, Write};

use clap::Parser;

use mdatp_doctor::cli::GenerateArgs;
use mdatp_doctor::commands::{self, Context};
use mdatp_doctor::exit_codes::ExitCode;
use mdatp_doctor::render;
use mdatp_doctor::report::SchemaVersion;
use mdatp_doctor::report::misc::ErrorDoc;

fn main() -> std::process::ExitCode {
    // A write past the file size limit (RLIMIT_FSIZE) must come back as EFBIG, handled
    // like a full disk (no torn line, a clear error), not kill the run with a core dump.
    // SAFETY: setting a signal's disposition to ignore, before any thread starts.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    // The developers' `generate` is parsed on its own so no completion or man page lists it.
    if std::env::args_os().nth(1).is_some_and(|a| a == "generate") {
        return generate();
    }
    let cli = match mdatp_doctor::cli::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            // A monitoring plugin must answer even to a bad command line: UNKNOWN (3).
            let raw: Vec<String> = std::env::args().skip(1).collect();
            let e = mdatp_doctor::cli::with_suggestion(e, &raw);
            if e.use_stderr() && commands::check::is_nagios_check(&raw) {
                print!("{}", commands::check::usage_unknown(&e.to_string()));
                return ExitCode::Unknown.into();
            }
            let _ = e.print();
            // --help and --version are not errors; every real usage error exits 64.
            return if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            }
            .into();
        }
    };
    // `--format` before the command's name was parsed as the shared option, which knows
    // every format: refuse one the command does not print, as its own option would.
    if let Some(f) = cli.global.format
        && !f.accepted_by(cli.command.takes())
    {
        eprint!("error: {}", mdatp_doctor::cli::format_not_accepted(f));
        return ExitCode::Usage.into();
    }

    mdatp_doctor::interrupt::install();

    let ctx = Context::new(&cli.global, std::io::stdout().is_terminal());
    let outcome = commands::run(&cli, &ctx);
    let (stdout, exit) = match outcome {
        Ok(report) => (report.stdout, report.exit),
        Err(failure) => {
            eprint!("{}", failure.to_stderr());
            let stdout = if ctx.format == render::Format::Json {
                render::json(&ErrorDoc {
                    schema_version: SchemaVersion,
                    error: &failure,
                })
            } else {
                String::new()
            };
            (stdout, failure.exit)
        }
    };
    // A closed pipe (`| head`) is not our failure; say nothing and keep the exit code.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(stdout.as_bytes()).and_then(|()| out.flush());
    exit.into()
}

fn generate() -> std::process::ExitCode {
    let args = match GenerateArgs::try_parse_from(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            }
            .into();
        }
    };
    match commands::generate::run(&args) {
        Ok(done) => {
            print!("{}", done.stdout);
            done.exit.into()
        }
        Err(failure) => {
            eprint!("{}", failure.to_stderr());
            failure.exit.into()
        }
    }
}
