//! `mdatp-doctor aggregate FILES|DIRS...`: reads diagnose reports one at a time (a
//! directory is walked for `*.json`), folds them into a fleet summary, and prints it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    read_inputs_parallel(&args.inputs, &mut fleet);
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
/// `sink`, one report at a time, in the order found; shared with `mirror promote`'s
/// canary gate.
pub fn read_inputs(inputs: &[PathBuf], sink: &mut impl Sink) {
    let mut one = InTurn {
        sink,
        buf: Vec::new(),
    };
    for input in inputs {
        if input.as_os_str() == "-" {
            read_stdin(one.sink);
        } else {
            walk(input, 0, &mut one);
        }
    }
}

/// The most threads that read and parse files at once (each holds one file).
const MAX_WORKERS: usize = 4;

/// [`read_inputs`] with the files read and parsed on every core (up to
/// [`MAX_WORKERS`]) while this thread walks the directories, each report folded into
/// `sink` under a lock as soon as it is parsed: for a sink whose result does not depend
/// on the order reports come in (the fleet: see [`Fleet`]). Stdin is read on this thread.
pub fn read_inputs_parallel<S: Sink + Send>(inputs: &[PathBuf], sink: &mut S) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS);
    if workers < 2 {
        return read_inputs(inputs, sink);
    }
    let sink = Mutex::new(sink);
    // Files go out in batches (a message per file cost more in waking threads than in
    // reading), a few batches queued per worker: the walk never runs far ahead.
    let (batches, queue) = std::sync::mpsc::sync_channel::<Vec<PathBuf>>(4 * workers);
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut buf = Vec::new();
                // The lock is held only to take the next batch, never while parsing.
                while let Ok(batch) = lock(&queue).recv() {
                    for path in batch {
                        read_one(&path, &mut Locked(&sink), &mut buf);
                    }
                }
            });
        }
        let mut walker = Queued {
            batches,
            batch: Vec::new(),
            sink: Locked(&sink),
        };
        for input in inputs {
            if input.as_os_str() == "-" {
                walker.flush();
                read_stdin(&mut walker.sink);
            } else {
                walk(input, 0, &mut walker);
            }
        }
        walker.flush();
        // Dropping the sender (with `walker`) ends the workers once the queue is empty.
    });
}

/// Files per message to the workers.
const BATCH: usize = 64;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A worker that panicked has already failed the run (the scope re-raises it).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A sink shared by the workers: every call takes the lock for itself.
struct Locked<'a, S>(&'a Mutex<&'a mut S>);

impl<S: Sink> Sink for Locked<'_, S> {
    fn add(&mut self, report: &InputDoc, name: &str) {
        lock(self.0).add(report, name)
    }
    fn unreadable(&mut self, report: &str, error: impl Into<String>) {
        lock(self.0).unreadable(report, error)
    }
    fn skipped(&mut self, report: &str, why: impl AsRef<str>) {
        lock(self.0).skipped(report, why)
    }
    fn mirror(&mut self, report: &InputDoc, name: &str) {
        lock(self.0).mirror(report, name)
    }
}

/// What the directory walk does with what it finds.
trait Found {
    /// A file to read (a regular file when listed; [`read_one`] checks again).
    fn file(&mut self, path: &Path);
    /// Where what was not read is named.
    fn sink(&mut self) -> &mut impl Sink;
}

/// Reads each file as it is found (one buffer for all).
struct InTurn<'a, S> {
    sink: &'a mut S,
    buf: Vec<u8>,
}

impl<S: Sink> Found for InTurn<'_, S> {
    fn file(&mut self, path: &Path) {
        read_one(path, self.sink, &mut self.buf);
    }
    fn sink(&mut self) -> &mut impl Sink {
        self.sink
    }
}

/// Queues the files found for the workers, [`BATCH`] at a time.
struct Queued<'a, S> {
    batches: std::sync::mpsc::SyncSender<Vec<PathBuf>>,
    batch: Vec<PathBuf>,
    sink: Locked<'a, S>,
}

impl<S> Queued<'_, S> {
    fn flush(&mut self) {
        if !self.batch.is_empty() {
            // The workers only stop once this sender is dropped: never fails.
            let _ = self.batches.send(std::mem::take(&mut self.batch));
        }
    }
}

impl<S: Sink> Found for Queued<'_, S> {
    fn file(&mut self, path: &Path) {
        self.batch.push(path.to_path_buf());
        if self.batch.len() == BATCH {
            self.flush();
        }
    }
    fn sink(&mut self) -> &mut impl Sink {
        &mut self.sink
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
/// other. Streamed: read in large blocks, each report parsed from the block it lies in
/// (a report cut by the end of a block is parsed again once the next one is in), at
/// most [`MAX_REPORT_BYTES`] of a report held, so a pipeline may send a whole fleet. A
/// report that does not parse is named by the line it ends on, and reading goes on at
/// the next line.
fn read_stdin(fleet: &mut impl Sink) {
    read_reports(std::io::stdin().lock(), fleet);
}

/// How much of stdin is asked for at a time (more when one report is longer).
const STDIN_BLOCK: usize = 1 << 20;

/// [`read_reports`]' place in its input.
struct Stdin {
    /// Bytes read and not yet parsed (or held for the report being parsed).
    buf: Vec<u8>,
    /// Where the next report starts in `buf`; its cap counts from here.
    start: usize,
    /// `buf[0]`'s offset in the whole input.
    base: u64,
    lines: Lines,
    /// The input is at its end.
    eof: bool,
    /// Where the parser last started afresh (the input's start, or the line after a
    /// report that did not parse), as an offset and the newlines before it: the
    /// positions in its error messages count from there.
    origin: u64,
    origin_newlines: usize,
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Counts the lines of [`Stdin`]'s `buf`: each byte once, however many reports a block
/// holds.
struct Lines {
    /// The newlines before `buf[0]`.
    before: usize,
    /// The newlines in `buf[..counted.0]`.
    counted: (usize, usize),
}

impl Lines {
    fn newlines_before(&mut self, buf: &[u8], at: usize) -> usize {
        let (to, n) = self.counted;
        let n = if at >= to {
            n + newlines(&buf[to..at])
        } else {
            n - newlines(&buf[at..to])
        };
        self.counted = (at, n);
        n
    }

    /// The line (1-based) `buf[at]` lies on.
    fn line_at(&mut self, buf: &[u8], at: usize) -> usize {
        self.before + self.newlines_before(buf, at) + 1
    }
}

impl Stdin {
    /// `buf[..at]` is done with: its bytes and newlines move into `base`.
    fn advance(&mut self, at: usize) {
        self.lines.before += self.lines.newlines_before(&self.buf, at);
        self.lines.counted = (0, 0);
        self.base += at as u64;
        self.buf.drain(..at);
        self.start -= at;
    }

    /// The line (1-based) `buf[at]` lies on.
    fn line_at(&mut self, at: usize) -> usize {
        self.lines.line_at(&self.buf, at)
    }

    /// Reads one more block (or as much as is held, if more): `false` at the end or on
    /// an error (`eof` set). Never holds more than a report's cap past `start`, plus one
    /// byte to know it is over.
    fn fill(&mut self, input: &mut impl std::io::Read) -> std::io::Result<bool> {
        let room = (self.start + MAX_REPORT_BYTES as usize + 1).saturating_sub(self.buf.len());
        let want = STDIN_BLOCK.max(self.buf.len() - self.start).min(room);
        if want == 0 {
            return Ok(false);
        }
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let mut got = 0;
        let result = loop {
            match input.read(&mut self.buf[old + got..]) {
                Ok(0) => {
                    self.eof = true;
                    break Ok(got > 0);
                }
                Ok(n) => {
                    got += n;
                    if got == want {
                        break Ok(true);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    break Err(e);
                }
            }
        };
        self.buf.truncate(old + got);
        result
    }

    /// The error as the parser would say it counting from `origin`: serde_json counts
    /// lines and columns from the start of the slice it parses (`window_at` in `buf`).
    fn message(&mut self, e: &serde_json::Error, window_at: usize) -> (usize, String) {
        let text = e.to_string();
        if e.line() == 0 {
            return (window_at, text);
        }
        // Back from (line, column) to the offset in `buf`.
        let window = &self.buf[window_at..];
        let line_start = if e.line() == 1 {
            0
        } else {
            window
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(e.line() - 2)
                .map_or(window.len(), |(i, _)| i + 1)
        };
        let at = (window_at + line_start + e.column()).min(self.buf.len());
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let Some(what) = text.strip_suffix(&suffix) else {
            return (at, text);
        };
        let abs = self.base + at as u64;
        let line = self.line_at(at) - self.origin_newlines;
        let line_begins = self.buf[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(self.base, |i| self.base + i as u64 + 1)
            .max(self.origin);
        (
            at,
            format!("{what} at line {line} column {}", abs - line_begins),
        )
    }
}

fn read_reports(mut input: impl std::io::Read, fleet: &mut impl Sink) {
    let mut s = Stdin {
        buf: Vec::new(),
        start: 0,
        base: 0,
        lines: Lines {
            before: 0,
            counted: (0, 0),
        },
        eof: false,
        origin: 0,
        origin_newlines: 0,
    };
    let cap = MAX_REPORT_BYTES as usize;
    let over_cap = |s: &mut Stdin, fleet: &mut dyn FnMut(&str, String)| {
        let name = format!("-:{}", s.line_at((s.start + cap).min(s.buf.len())));
        fleet(
            &name,
            format!(
                "a report on stdin is larger than {} MiB",
                MAX_REPORT_BYTES >> 20
            ),
        );
    };
    loop {
        // Parse the complete lines held (all of it at the end, or once a report's cap is
        // held): a JSON token never spans a line, so a report cut there is only short.
        let full = s.eof || s.buf.len() - s.start > cap;
        let end = if full {
            s.buf.len()
        } else {
            s.buf[s.start..]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(s.start, |i| s.start + i + 1)
        };
        let window_at = s.start;
        let mut stream =
            serde_json::Deserializer::from_slice(&s.buf[window_at..end]).into_iter::<InputDoc>();
        // What stopped the parse: the end of what is held, or an error at an offset.
        let stopped = loop {
            let at = window_at + stream.byte_offset();
            match stream.next() {
                None => break None,
                Some(Ok(report)) => {
                    let done = window_at + stream.byte_offset();
                    if done - at > cap {
                        // Over the cap only once whitespace before it is counted in.
                        break Some(Err(()));
                    }
                    let line = s.lines.line_at(&s.buf, done);
                    add(
                        fleet,
                        report,
                        &format!("-:{line}"),
                        format!("stdin line {line}"),
                    );
                    s.start = done;
                }
                Some(Err(e)) if e.is_eof() && !full => break None,
                Some(Err(e)) => break Some(Ok(e)),
            }
        };
        drop(stream);
        match stopped {
            None if s.eof => return,
            None => {
                // Keep what is not parsed yet, then read on.
                s.advance(s.start);
                match s.fill(&mut input) {
                    Ok(_) => {}
                    Err(e) => {
                        let name = format!("-:{}", s.line_at(s.buf.len()));
                        fleet.unreadable(&name, e.to_string());
                        return;
                    }
                }
                if s.eof && s.buf.len() - s.start == 0 {
                    return;
                }
            }
            Some(Err(())) => {
                over_cap(&mut s, &mut |n, e| fleet.unreadable(n, e));
                return;
            }
            Some(Ok(e)) => {
                let (at, message) = s.message(&e, window_at);
                if at - s.start > cap {
                    // The parser would have passed the cap before it saw the error.
                    over_cap(&mut s, &mut |n, e| fleet.unreadable(n, e));
                    return;
                }
                let name = format!("-:{}", s.line_at(at));
                fleet.unreadable(&name, format!("invalid JSON: {message}"));
                // Go on at the next line (one bad line of NDJSON costs that line only),
                // looking at most a report's cap ahead for it.
                s.start = at;
                s.advance(at);
                loop {
                    let limit = s.buf.len().min(cap);
                    if let Some(i) = s.buf[..limit].iter().position(|&b| b == b'\n') {
                        s.start = i + 1;
                        break;
                    }
                    if s.buf.len() >= cap || s.eof {
                        s.start = limit;
                        break;
                    }
                    if let Err(e) = s.fill(&mut input) {
                        fleet.unreadable(&name, e.to_string());
                        return;
                    }
                }
                s.advance(s.start);
                s.origin = s.base;
                s.origin_newlines = s.lines.before;
                if s.eof && s.buf.is_empty() {
                    return;
                }
            }
        }
    }
}

fn add(fleet: &mut impl Sink, report: InputDoc, name: &str, host: String) {
    if (report.verdict.is_some() && report.is_mirror_check()) || report.is_status_file() {
        fleet.mirror(&report, &host);
    } else if report.verdict.is_some() {
        fleet.add(&report, &host);
    } else {
        fleet.unreadable(
            name,
            "not a diagnose or mirror check report, nor a mirror status file (no verdict)",
        );
    }
}

/// Reads `path` if it is a file, or the `*.json` files below it if it is a directory
/// (entries taken as listed, not collected first: memory stays flat). What is not read
/// (a tree deeper than [`MAX_DEPTH`], a symlink, a FIFO) is named in the report, never
/// dropped silently.
fn walk(path: &Path, depth: usize, found: &mut impl Found) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            found
                .sink()
                .unreadable(&path.display().to_string(), e.to_string());
            return;
        }
    };
    let name = path.display().to_string();
    if meta.is_file() {
        found.file(path);
    } else if meta.is_dir() && depth >= MAX_DEPTH {
        found.sink().skipped(
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
                found.sink().unreadable(&name, e.to_string());
                return;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    found
                        .sink()
                        .unreadable(&name, format!("listing stopped: {e}"));
                    return;
                }
            };
            let child = entry.path();
            // The type from the listing itself (std stats only when the file system
            // does not say); a symlink to a directory is not a directory here.
            let kind = entry.file_type().ok();
            let json = child.extension().is_some_and(|e| e == "json");
            if json && kind.is_some_and(|t| t.is_file()) {
                // Listed as a regular file: read without asking again (the read
                // refuses anything else that took its place since).
                found.file(&child);
            } else if json || kind.is_some_and(|t| t.is_dir()) {
                walk(&child, depth + 1, found);
            }
        }
    } else if meta.file_type().is_symlink() {
        found.sink().skipped(&name, "a symbolic link, not followed");
    } else {
        found
            .sink()
            .skipped(&name, "not a regular file or directory");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader passed on: `stdin line N` per report, `-:N error` per failure.
    #[derive(Default)]
    struct Seen(Vec<String>);

    impl Sink for Seen {
        fn add(&mut self, report: &InputDoc, name: &str) {
            let host = report.snapshot.as_ref().and_then(|s| s.hostname.as_deref());
            self.0.push(format!("{name} {}", host.unwrap_or("-")));
        }
        fn unreadable(&mut self, report: &str, error: impl Into<String>) {
            self.0.push(format!("{report} {}", error.into()));
        }
    }

    /// Hands out its bytes a few at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(out.len()).min(self.1);
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reports_across_block_boundaries_are_read_whole_and_named_by_their_last_line() {
        // NDJSON and pretty documents (a few KiB each, some with escapes) over several
        // blocks, a broken line now and then.
        let mut input = String::new();
        let mut want = Vec::new();
        let mut line = 1;
        // Error positions count from where the parser last started afresh.
        let mut origin = 1;
        for i in 0..1500 {
            let doc = serde_json::json!({
                "verdict": "ok",
                "snapshot": {"hostname": format!("h{i}\"q"), "padding": "p".repeat(i % 7 * 1000)},
                "findings": [{"id": "x", "evidence": [{"k": "v"}]}],
            });
            if i % 97 == 5 {
                input.push_str("{\"verdict\": broken\n");
                want.push(format!(
                    "-:{line} invalid JSON: expected value at line {} column 13",
                    line - origin + 1
                ));
                line += 1;
                origin = line;
            }
            let text = if i % 3 == 0 {
                serde_json::to_string_pretty(&doc).expect("json")
            } else {
                doc.to_string()
            };
            line += text.matches('\n').count();
            input.push_str(&text);
            input.push('\n');
            want.push(format!("stdin line {line} h{i}\"q"));
            line += 1;
        }
        assert!(input.len() > 3 * STDIN_BLOCK, "{} bytes", input.len());
        for piece in [usize::MAX, 4093, 1] {
            if piece == 1 && cfg!(debug_assertions) {
                continue; // a byte at a time is too slow unoptimised
            }
            let mut seen = Seen::default();
            read_reports(Trickle(input.as_bytes(), piece), &mut seen);
            assert_eq!(seen.0.len(), want.len(), "pieces of {piece}");
            for (got, want) in seen.0.iter().zip(&want) {
                assert_eq!(got, want, "pieces of {piece}");
            }
        }
    }

    #[test]
    fn files_read_on_several_threads_fold_into_the_same_fleet() {
        let root = tempfile::tempdir().expect("tempdir");
        let mut inputs = vec![root.path().to_path_buf()];
        for i in 0..600 {
            let dir = root.path().join(format!("site-{}", i % 7));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let verdict = ["ok", "warning", "critical"][i % 3];
            let doc = serde_json::json!({
                "verdict": verdict,
                "snapshot": {"hostname": format!("h{i:03}"),
                             "mirror": {"url": format!("http://m{}/", i % 4)}},
                "findings": (0..i % 4).map(|f| serde_json::json!({"id": format!("f{f}"), "severity": verdict})).collect::<Vec<_>>(),
            });
            std::fs::write(dir.join(format!("r{i}.json")), doc.to_string()).expect("write");
        }
        std::fs::write(root.path().join("broken.json"), "{ not json").expect("write");
        std::os::unix::fs::symlink("site-0", root.path().join("link.json")).expect("symlink");
        inputs.push(root.path().join("missing.json"));
        let mut one = Fleet::default();
        read_inputs(&inputs, &mut one);
        one.finish();
        for _ in 0..3 {
            let mut many = Fleet::default();
            read_inputs_parallel(&inputs, &mut many);
            many.finish();
            assert_eq!(many, one);
        }
        assert_eq!((one.reports, one.unreadable.len()), (600, 3));
    }

    #[test]
    fn a_report_past_the_cap_ends_the_reading_and_a_cut_one_is_named() {
        let mut input = b"{\"verdict\": \"ok\"}\n{\"verdict\": \"ok\", \"x\": \"".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_REPORT_BYTES as usize));
        input.extend(b"\"}\n{\"verdict\": \"ok\"}\n");
        let mut seen = Seen::default();
        read_reports(Trickle(&input, 65536), &mut seen);
        assert_eq!(
            seen.0,
            [
                "stdin line 1 -",
                "-:2 a report on stdin is larger than 16 MiB"
            ]
        );

        let mut seen = Seen::default();
        read_reports(&b"{\"verdict\": \"ok\"}\n{\"verdict\": \"o"[..], &mut seen);
        assert_eq!(seen.0.len(), 2);
        assert!(
            seen.0[1].starts_with("-:2 invalid JSON: EOF while parsing"),
            "{:?}",
            seen.0
        );
    }
}
