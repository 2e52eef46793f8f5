//! Entry point: parse the command line, dispatch, print, map the outcome to an exit code.

use std::io::{IsTerminal, Write};

use clap::Parser;

use mdatp_doctor::cli::{Cli, Command, ConfigCommand, Format};
use mdatp_doctor::commands::{self, Context, Output};
use mdatp_doctor::exit_codes::ExitCode;

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // A monitoring plugin must answer even to a bad command line: UNKNOWN (3).
            let raw: Vec<String> = std::env::args().skip(1).collect();
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
    if !matches!(cli.command, Command::Check(_))
        && let Some(f @ (Format::Nagios | Format::Prometheus | Format::Checkmk)) = cli.global.format
    {
        eprintln!(
            "error: --format {f:?} is only for `check`; use human or json\n\nFor more information, try '--help'."
        );
        return ExitCode::Usage.into();
    }

    mdatp_doctor::interrupt::install();

    let ctx = Context::new(&cli.global, std::io::stdout().is_terminal());
    let outcome = match &cli.command {
        Command::Health(args) => commands::health::run(&ctx, args),
        Command::Diagnose(args) => commands::diagnose::run(&ctx, args, &cli.global.managed_config),
        Command::Config(ConfigCommand::Check(args)) => {
            commands::config::check(&ctx, args, &cli.global.managed_config)
        }
        Command::Connectivity(args) => {
            commands::connectivity::run(&ctx, args, &cli.global.managed_config)
        }
        Command::Check(args) => Ok(commands::check::run(
            &ctx,
            args,
            &cli.global.managed_config,
            cli.global.format.unwrap_or(Format::Nagios),
        )),
        Command::Aggregate(args) => commands::aggregate::run(&ctx, args),
        Command::Bundle(args) => commands::bundle::run(&ctx, args, &cli.global.managed_config),
        Command::Update(args) => commands::update::run(&ctx, args, &cli.global.managed_config),
        Command::Generate(args) => commands::generate::run(args),
    };
    let (stdout, exit) = match outcome {
        Ok(report) => (report.stdout, report.exit),
        Err(failure) => {
            eprint!("{}", failure.to_stderr());
            let stdout = if ctx.format == Output::Json {
                failure.to_json()
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
