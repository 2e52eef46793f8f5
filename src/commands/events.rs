//! `--log-json` and `--journal`: the commands a SIEM follows hand their run here once it
//! is rendered; the events are written and what could not be written is said on stderr.

use std::path::{Path, PathBuf};

use crate::cli::EventArgs;
use crate::commands::Finished;
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::render::siem::{journal_fields, ndjson};
use crate::report::siem::{Event, Run, severity_of_exit};
use crate::state::eventlog;

/// Writes the run's events where `args` asks and returns what the command prints and its
/// exit code: the events replace stdout with `--log-json -`; a log file that cannot be
/// written turns an ok or warning exit into UNKNOWN (3), as a textfile does, so a SIEM
/// that stops receiving is noticed.
pub fn deliver(args: &EventArgs, mut run: Run, done: Finished) -> Finished {
    if args.log_json.is_none() && !args.journal {
        return done;
    }
    run.exit = done.exit;
    let events = run.events();
    if args.journal {
        let socket = std::env::var_os("MDATP_DOCTOR_JOURNAL_SOCKET")
            .map_or_else(|| PathBuf::from(eventlog::JOURNAL_SOCKET), PathBuf::from);
        if let Err(e) = to_journal(&socket, &events) {
            eprintln!(
                "mdatp-doctor: warning: no event sent to the journal ({}): {e}",
                crate::units::escape_controls(&socket.display().to_string(), false)
            );
        }
    }
    match args.log_json.as_deref() {
        None => done,
        Some(p) if p == Path::new("-") => Finished {
            stdout: ndjson(&events),
            exit: done.exit,
        },
        Some(path) => match eventlog::append(path, ndjson(&events).as_bytes(), args.log_json_max) {
            Ok(()) => done,
            Err(e) => {
                eprintln!(
                    "mdatp-doctor: cannot write the event log: {}",
                    crate::units::escape_controls(&e, false)
                );
                Finished {
                    exit: match done.exit {
                        ExitCode::Ok | ExitCode::Warning => ExitCode::Unknown,
                        other => other,
                    },
                    stdout: done.stdout,
                }
            }
        },
    }
}

/// A run that ended in a failure before it had a report (mdatp missing, the lock held, a
/// bad CA file) still logs its UNKNOWN with the reason, to the file and the journal (the
/// error document keeps stdout); a usage error logs nothing.
pub fn on_failure(
    args: &EventArgs,
    command: &'static str,
    result: Result<Finished, Failure>,
) -> Result<Finished, Failure> {
    let failure = match result {
        Err(f) if f.exit != ExitCode::Usage => f,
        other => return other,
    };
    let mut run = Run::new(command, severity_of_exit(failure.exit), failure.exit, &[]);
    run.error = Some(failure.message.clone());
    let file_only = EventArgs {
        log_json: args.log_json.clone().filter(|p| p != Path::new("-")),
        ..args.clone()
    };
    let done = deliver(
        &file_only,
        run,
        Finished {
            stdout: String::new(),
            exit: failure.exit,
        },
    );
    Err(Failure {
        exit: done.exit,
        ..failure
    })
}

fn to_journal(socket: &Path, events: &[Event]) -> std::io::Result<()> {
    for e in events {
        let fields = journal_fields(e);
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        match eventlog::journal_send(socket, &eventlog::journal_datagram(&pairs)) {
            // Too large for one datagram: the fields without the whole line still go.
            Err(err) if err.raw_os_error() == Some(libc::EMSGSIZE) => {
                let small: Vec<(&str, &str)> = pairs
                    .iter()
                    .copied()
                    .filter(|(k, _)| *k != "MDATP_DOCTOR_EVENT")
                    .collect();
                eventlog::journal_send(socket, &eventlog::journal_datagram(&small))?;
            }
            other => other?,
        }
    }
    Ok(())
}
