//! `mdatp-doctor aggregate FILES|DIRS...`: reads diagnose reports one at a time (a
//! directory is walked for `*.json`), folds them into a fleet summary, and prints it.

use std::path::Path;

use crate::analyze::finding::Severity;
use crate::cli::AggregateArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::render;
use crate::report::fleet::{Fleet, InputDoc, Sink};
use crate::report::misc::FleetReport;

/// A diagnose report is a few KiB; anything this big is not one.
const MAX_REPORT_BYTES: u64 = 16 * 1024 * 1024;
/// Directory walks stop this deep (symlinks are not followed at all); what lies deeper
/// is named as skipped.
const MAX_DEPTH: usize = 8;

pub fn run(ctx: &Context, args: &AggregateArgs) -> Result<Finished, Failure> {
    let mut fleet = Fleet::default();
    read_inputs(&args.inputs, &mut fleet);
    fleet.finish();
    if fleet.reports == 0 {
        return Err(Failure::unknown(
            "no_reports",
            format!(
                "no readable diagnose report among {} input(s): {}",
                args.inputs.len(),
                why_none(&args.inputs, &fleet)
            ),
            "pass files or directories holding `mdatp-doctor diagnose --format json` output",
        ));
    }
    let mut stdout = render::emit(&FleetReport::new(&fleet), ctx.format, ctx.style);
    if let Some(path) = &args.output {
        // Replaced whole (a page mailed or served from there is never half written);
        // 0644: it holds host names and findings, no secret (they are masked).
        crate::safe_write::replace(path, stdout.as_bytes(), 0o644).map_err(|e| {
            Failure::unknown(
                "output_not_written",
                format!("cannot write {}: {e}", path.display()),
                "pass -o a path in a directory you can write to",
            )
        })?;
        stdout = String::new();
    }
    Ok(Finished {
        stdout,
        exit: if args.exit_zero {
            ExitCode::Ok
        } else {
            fleet_exit(&fleet)
        },
    })
}

/// What stood in the way when no report was read: each input that could not be (a missing
/// path, a file that is not a report), the first few by name; else that the inputs held
/// none (an empty directory, one without `*.json` files, an empty stdin).
fn why_none(inputs: &[std::path::PathBuf], fleet: &Fleet) -> String {
    const SHOWN: usize = 5;
    if fleet.unreadable.is_empty() {
        let names: Vec<String> = inputs
            .iter()
            .map(|p| match p.to_str() {
                Some("-") => "stdin".to_string(),
                _ => p.display().to_string(),
            })
            .collect();
        return format!(
            "{} held no report (a directory is walked for *.json files)",
            names.join(", ")
        );
    }
    let mut named: Vec<String> = fleet
        .unreadable
        .iter()
        .take(SHOWN)
        .map(|u| format!("{}: {}", u.report, u.error))
        .collect();
    if fleet.unreadable.len() > SHOWN {
        named.push(format!("and {} more", fleet.unreadable.len() - SHOWN));
    }
    named.join("; ")
}

/// Reads every input (a file, a directory walked for `*.json`, or `-` for stdin) into
/// `sink`, one report at a time; shared with `mirror promote`'s canary gate.
pub fn read_inputs(inputs: &[std::path::PathBuf], sink: &mut impl Sink) {
    let mut buf = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            read_stdin(sink);
        } else {
            walk(input, 0, sink, &mut buf);
        }
    }
}

/// The fleet's worst verdict as an exit code: its endpoints' and its mirror reports'
/// (a mirror serving a broken package is the fleet's problem before any endpoint is
/// stale; a status file has no verdict). A report that could not be read (or was
/// skipped) means the fleet is not known whole, so it is at least unknown.
fn fleet_exit(fleet: &Fleet) -> ExitCode {
    let mut worst = if fleet.unreadable.is_empty() {
        Severity::Ok
    } else {
        Severity::Unknown
    };
    let mirrors = fleet
        .mirrors
        .values()
        .filter_map(|m| m.report.as_ref())
        .chain(&fleet.unjoined_mirror_reports)
        .filter(|r| r.kind == "mirror check")
        .map(|r| r.verdict.as_str());
    for verdict in fleet.verdicts.keys().map(String::as_str).chain(mirrors) {
        worst = worst.max(Severity::from_word(verdict));
    }
    worst.exit_code()
}

/// Reports on stdin: NDJSON (one per line), or pretty-printed documents one after the
/// other. Streamed: one report in memory at a time, each capped at
/// [`MAX_REPORT_BYTES`], so a pipeline may send a whole fleet. A report that does not
/// parse is named by the line it ends on, and reading goes on at the next line.
fn read_stdin(fleet: &mut impl Sink) {
    read_reports(std::io::stdin().lock(), fleet);
}

fn read_reports(mut input: impl std::io::BufRead, fleet: &mut impl Sink) {
    use std::cell::Cell;
    use std::io::{BufRead, Read};
    // Shared with the reader the parser pulls from: bytes and newlines so far, and where
    // the current report must end.
    let read = Cell::new(0u64);
    let newlines = Cell::new(0usize);
    let limit = Cell::new(MAX_REPORT_BYTES);
    loop {
        let counted = Counted {
            inner: &mut input,
            read: &read,
            newlines: &newlines,
            limit: &limit,
        };
        let mut stream = serde_json::Deserializer::from_reader(counted).into_iter::<InputDoc>();
        let failed = loop {
            match stream.next() {
                None => return,
                Some(Ok(report)) => {
                    let line = newlines.get() + 1;
                    add(
                        fleet,
                        report,
                        &format!("-:{line}"),
                        format!("stdin line {line}"),
                    );
                    limit.set(read.get() + MAX_REPORT_BYTES);
                }
                Some(Err(e)) => break e,
            }
        };
        drop(stream);
        let name = format!("-:{}", newlines.get() + 1);
        if failed.is_io() {
            // Over the cap, or stdin itself failed: nothing after it can be trusted to
            // start a report.
            fleet.unreadable(&name, failed.to_string());
            return;
        }
        fleet.unreadable(&name, format!("invalid JSON: {failed}"));
        // Go on at the next line (one bad line of NDJSON costs that line only).
        let mut rest = Vec::new();
        match (&mut input)
            .take(MAX_REPORT_BYTES)
            .read_until(b'\n', &mut rest)
        {
            Ok(0) => return,
            Ok(n) => {
                read.set(read.get() + n as u64);
                newlines.set(newlines.get() + usize::from(rest.ends_with(b"\n")));
                limit.set(read.get() + MAX_REPORT_BYTES);
            }
            Err(e) => {
                fleet.unreadable(&name, e.to_string());
                return;
            }
        }
    }
}

/// The reader the JSON parser pulls stdin through: counts bytes and lines, and fails
/// once the current report passes its cap.
struct Counted<'a, R> {
    inner: R,
    read: &'a std::cell::Cell<u64>,
    newlines: &'a std::cell::Cell<usize>,
    limit: &'a std::cell::Cell<u64>,
}

impl<R: std::io::BufRead> std::io::Read for Counted<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let room = self.limit.get().saturating_sub(self.read.get());
        if room == 0 {
            return Err(std::io::Error::other(format!(
                "a report on stdin is larger than {} MiB",
                MAX_REPORT_BYTES >> 20
            )));
        }
        let want = out.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut out[..want])?;
        self.read.set(self.read.get() + n as u64);
        self.newlines
            .set(self.newlines.get() + out[..n].iter().filter(|b| **b == b'\n').count());
        Ok(n)
    }
}

fn add(fleet: &mut impl Sink, report: InputDoc, name: &str, host: String) {
    if (report.verdict.is_some() && report.is_mirror_check()) || report.is_status_file() {
        fleet.mirror(&report, &host);
    } else if report.verdict.is_some() {
        fleet.add(&report.into_diagnose(), &host);
    } else {
        fleet.unreadable(
            name,
            "not a diagnose or mirror check report, nor a mirror status file (no verdict)",
        );
    }
}

/// Reads `path` if it is a file, or the `*.json` files below it if it is a directory;
/// one report in memory at a time (`buf` is reused). What is not read (a tree deeper
/// than [`MAX_DEPTH`], a symlink, a FIFO) is named in the report, never dropped silently.
fn walk(path: &Path, depth: usize, fleet: &mut impl Sink, buf: &mut Vec<u8>) {
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

fn read_one(path: &Path, fleet: &mut impl Sink, buf: &mut Vec<u8>) {
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
    match serde_json::from_slice::<InputDoc>(buf) {
        Ok(report) => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.clone());
            add(fleet, report, &name, stem);
        }
        Err(e) => fleet.unreadable(&name, format!("invalid JSON: {e}")),
    }
}
