//! `mdatp-doctor aggregate FILES|DIRS...`: reads diagnose reports one at a time (a
//! directory is walked for `*.json`), folds them into a fleet summary, and prints it.

use std::path::Path;

use crate::analyze::finding::Severity;
use crate::cli::AggregateArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::render;
use crate::report::diagnose::DiagnoseDoc;
use crate::report::fleet::Fleet;
use crate::report::misc::FleetReport;

/// A diagnose report is a few KiB; anything this big is not one.
const MAX_REPORT_BYTES: u64 = 16 * 1024 * 1024;
/// Directory walks stop this deep (symlinks are not followed at all); what lies deeper
/// is named as skipped.
const MAX_DEPTH: usize = 8;

pub fn run(ctx: &Context, args: &AggregateArgs) -> Result<Finished, Failure> {
    let mut fleet = Fleet::default();
    let mut buf = Vec::new();
    for input in &args.inputs {
        if input.as_os_str() == "-" {
            read_stdin(&mut fleet);
        } else {
            walk(input, 0, &mut fleet, &mut buf);
        }
    }
    fleet.finish();
    if fleet.reports == 0 {
        return Err(Failure::unknown(
            "no_reports",
            format!(
                "no readable diagnose report among {} input(s) ({} unreadable)",
                args.inputs.len(),
                fleet.unreadable.len()
            ),
            "pass files or directories holding `mdatp-doctor diagnose --format json` output",
        ));
    }
    let stdout = render::emit(&FleetReport::new(&fleet), ctx.format, ctx.style);
    Ok(Finished {
        stdout,
        exit: if args.exit_zero {
            ExitCode::Ok
        } else {
            fleet_exit(&fleet)
        },
    })
}

/// The fleet's worst verdict as an exit code; a report that could not be read (or was
/// skipped) means the fleet is not known whole, so it is at least unknown.
fn fleet_exit(fleet: &Fleet) -> ExitCode {
    let mut worst = if fleet.unreadable.is_empty() {
        Severity::Ok
    } else {
        Severity::Unknown
    };
    for verdict in fleet.verdicts.keys() {
        let s = match verdict.as_str() {
            "ok" => Severity::Ok,
            "info" => Severity::Info,
            "warning" => Severity::Warning,
            "critical" => Severity::Critical,
            _ => Severity::Unknown,
        };
        worst = worst.max(s);
    }
    worst.exit_code()
}

/// Reports on stdin: NDJSON (one per line) or one document spread over lines.
fn read_stdin(fleet: &mut Fleet) {
    use std::io::Read;
    let mut text = Vec::new();
    // The same cap per report as for files, times the lines a fleet may send at once.
    let cap = MAX_REPORT_BYTES * 64;
    if let Err(e) = std::io::stdin().lock().take(cap + 1).read_to_end(&mut text) {
        fleet.unreadable("-", e.to_string());
        return;
    }
    if text.len() as u64 > cap {
        fleet.unreadable("-", format!("stdin holds more than {} MiB", cap >> 20));
        return;
    }
    // One document (pretty-printed) first; else one report per line.
    if let Ok(report) = serde_json::from_slice::<DiagnoseDoc>(&text) {
        add(fleet, report, "-", "stdin".into());
        return;
    }
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let name = format!("-:{}", i + 1);
        match serde_json::from_slice::<DiagnoseDoc>(line) {
            Ok(report) => add(fleet, report, &name, format!("stdin line {}", i + 1)),
            Err(e) => fleet.unreadable(&name, format!("invalid JSON: {e}")),
        }
    }
}

fn add(fleet: &mut Fleet, report: DiagnoseDoc, name: &str, host: String) {
    if report.verdict.is_some() {
        fleet.add(&report, &host);
    } else {
        fleet.unreadable(name, "not a diagnose report (no verdict)");
    }
}

/// Reads `path` if it is a file, or the `*.json` files below it if it is a directory;
/// one report in memory at a time (`buf` is reused). What is not read (a tree deeper
/// than [`MAX_DEPTH`], a symlink, a FIFO) is named in the report, never dropped silently.
fn walk(path: &Path, depth: usize, fleet: &mut Fleet, buf: &mut Vec<u8>) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            fleet.unreadable(&path.display().to_string(), e.to_string());
            return;
        }
    };
    let name = path.display().to_string();
    if meta.is_file() {
        read_one(path, fleet, buf);
    } else if meta.is_dir() && depth >= MAX_DEPTH {
        fleet.skipped(
            &name,
            format!("a directory deeper than {MAX_DEPTH} levels below the input, not walked (pass it as an input of its own)"),
        );
    } else if meta.is_dir() {
        // Entries are taken as the directory lists them, not collected and sorted: memory
        // stays flat however many reports one directory holds, and the fleet summary does
        // not depend on the order (see report::fleet).
        let entries = match std::fs::read_dir(path) {
            Ok(rd) => rd,
            Err(e) => {
                fleet.unreadable(&name, e.to_string());
                return;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    fleet.unreadable(&name, format!("listing stopped: {e}"));
                    return;
                }
            };
            let child = entry.path();
            // The type from the listing itself (std stats only when the file system
            // does not say); a symlink to a directory is not a directory here.
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir || child.extension().is_some_and(|e| e == "json") {
                walk(&child, depth + 1, fleet, buf);
            }
        }
    } else if meta.file_type().is_symlink() {
        fleet.skipped(&name, "a symbolic link, not followed");
    } else {
        fleet.skipped(&name, "not a regular file or directory");
    }
}

fn read_one(path: &Path, fleet: &mut Fleet, buf: &mut Vec<u8>) {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let name = path.display().to_string();
    buf.clear();
    // Never through a symlink swapped in since the walk looked, never blocking on a FIFO.
    let read = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .and_then(|f| {
            if f.metadata()?.is_file() {
                Ok(f)
            } else {
                Err(std::io::Error::other("not a regular file"))
            }
        })
        .and_then(|f| f.take(MAX_REPORT_BYTES + 1).read_to_end(buf));
    if let Err(e) = read {
        fleet.unreadable(&name, e.to_string());
        return;
    }
    if buf.len() as u64 > MAX_REPORT_BYTES {
        fleet.unreadable(&name, "larger than 16 MiB");
        return;
    }
    match serde_json::from_slice::<DiagnoseDoc>(buf) {
        Ok(report) if report.verdict.is_some() => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or(name);
            fleet.add(&report, &stem);
        }
        Ok(_) => fleet.unreadable(&name, "not a diagnose report (no verdict)"),
        Err(e) => fleet.unreadable(&name, format!("invalid JSON: {e}")),
    }
}
