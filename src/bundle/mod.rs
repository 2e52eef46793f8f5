//! The support bundle: independent collectors, each recorded in MANIFEST.json whether it
//! worked or not, every text redacted before it is written, each log's redacted tail
//! held in memory up to [`SPOOL_IN_MEMORY`] and streamed through a private spool file
//! past that, so memory stays small whatever their size. Nothing is read through
//! a symlink or from a FIFO or device (see [`nofollow`]); what is left out is recorded.

pub mod archive;
pub mod logs;
pub mod names;
pub mod nofollow;
pub mod read;
pub mod redact;

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::process::{Output, Runner};
use archive::Writer;
use redact::Redactor;

/// One mdatp call's output, or why there is none (not yet redacted).
pub type Call = Result<Output, String>;

/// Runs one mdatp command under the runner's own timeout and output caps. It touches no
/// bundle, so the bundle's calls can run on threads of their own while diagnose gathers.
pub fn call(runner: Option<&Runner>, args: &[&str]) -> Call {
    let runner = runner.ok_or_else(|| "mdatp is not available".to_string())?;
    crate::mdatp::call(runner, args).map_err(|e| e.to_string())
}

/// The whole bundle may not grow past this.
pub const TOTAL_CAP: u64 = 200 * 1024 * 1024;

/// A collector that could not do its job, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failed {
    pub collector: String,
    pub error: String,
}

/// Where collectors record what they add or fail at.
pub struct Bundle {
    pub writer: Writer,
    pub redactor: Redactor,
    pub failures: Vec<Failed>,
    pub skipped: Vec<String>,
    pub verbose: bool,
    started: Instant,
}

impl Bundle {
    pub fn new(writer: Writer, redactor: Redactor, verbose: bool) -> Bundle {
        Bundle {
            writer,
            redactor,
            failures: Vec::new(),
            skipped: Vec::new(),
            verbose,
            started: Instant::now(),
        }
    }

    fn note(&self, collector: &str, what: &str) {
        if self.verbose {
            eprintln!(
                "mdatp-doctor: bundle [{:>5} ms] {collector}: {what}",
                self.started.elapsed().as_millis()
            );
        }
    }

    pub fn fail(&mut self, collector: &str, error: impl Into<String>) {
        let error = self.redactor.redact(&error.into());
        self.note(collector, &format!("failed: {error}"));
        self.failures.push(Failed {
            collector: collector.into(),
            error,
        });
    }

    /// Adds a text, redacted.
    pub fn text(&mut self, path: &str, text: &str, collector: &str, source: Map<String, Value>) {
        let redacted = self.redactor.redact(text);
        self.bytes(path, redacted.as_bytes(), collector, source);
    }

    /// Adds bytes as they are (already redacted, or not text).
    pub fn bytes(&mut self, path: &str, bytes: &[u8], collector: &str, source: Map<String, Value>) {
        if self.writer.written + bytes.len() as u64 > TOTAL_CAP {
            self.fail(
                collector,
                format!("{path} left out: the bundle would pass its 200 MiB cap"),
            );
            return;
        }
        match self.writer.add_bytes(path, bytes, collector, source) {
            Ok(()) => self.note(collector, &format!("{path} ({} bytes)", bytes.len())),
            Err(e) => self.fail(collector, format!("{path}: {e}")),
        }
    }

    /// Adds the result of one mdatp call made by [`call`] (on any thread): its output,
    /// with the call's facts in the manifest, or its failure.
    pub fn add_call(&mut self, args: &[&str], call: Call, path: &str) -> Option<Output> {
        match call {
            Ok(out) => {
                self.mdatp_output(&out, path);
                Some(out)
            }
            Err(error) => {
                self.fail(&format!("mdatp {}", args.join(" ")), error);
                None
            }
        }
    }

    /// Adds an mdatp call's output already in hand (its command line, exit status,
    /// duration and stderr go into the manifest).
    pub fn mdatp_output(&mut self, out: &Output, path: &str) {
        let collector = format!("mdatp {}", out.args.join(" "));
        let command: Vec<String> = std::iter::once(out.program.display().to_string())
            .chain(out.args.iter().cloned())
            .map(|s| self.redactor.redact(&s))
            .collect();
        let mut source = Map::new();
        source.insert("command".into(), json!(command));
        source.insert("exit_status".into(), json!(out.exit_code));
        source.insert("duration_ms".into(), json!(out.duration.as_millis() as u64));
        let stderr = String::from_utf8_lossy(&out.stderr);
        source.insert("stderr".into(), json!(self.redactor.redact(&stderr)));
        self.text(
            path,
            &String::from_utf8_lossy(&out.stdout),
            &collector,
            source,
        );
    }

    /// Records something deliberately left out, and why (redacted: names can carry ids).
    pub fn skip(&mut self, collector: &str, what: String) {
        let what = self.redactor.redact(&what);
        self.note(collector, &format!("skipped: {what}"));
        self.skipped.push(format!("{collector}: {what}"));
    }

    /// Adds the last `max` bytes of an open log, redacted line by line into a [`Spool`]
    /// (the tar header needs the redacted size before the content). A line longer than
    /// [`LINE_CAP`] is left out whole (with a note in its place): cutting it could cut a
    /// secret in two and let half of it through.
    pub fn log_tail(&mut self, file: File, shown: &str, path: &str, max: u64) {
        let collector = "logs";
        // The bundle's room left: a log that would pass the cap is left out whole, so
        // redacting it stops as soon as it has passed.
        let room = TOTAL_CAP.saturating_sub(self.writer.written);
        let result = (|| -> std::io::Result<(Spool, u64)> {
            let mut f = file;
            let len = f.metadata()?.len();
            let start = len.saturating_sub(max);
            f.seek(SeekFrom::Start(start))?;
            let mut reader = BufReader::with_capacity(64 * 1024, f.take(max));
            let mut line = Vec::new();
            if start > 0 {
                // Drop the partial first line: half a line can hide half a secret.
                read_line_capped(&mut reader, &mut line, 0)?;
            }
            let mut spool = Spool::Memory(Vec::new());
            let mut redacted = String::new();
            let mut written = 0u64;
            while let Some((size, whole)) = read_line_capped(&mut reader, &mut line, LINE_CAP)? {
                if crate::interrupt::interrupted() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::Interrupted,
                        "interrupted",
                    ));
                }
                redacted.clear();
                if whole {
                    // Checked as UTF-8 first (the fast path for text); only a line that
                    // is not pays for the lossy copy.
                    match std::str::from_utf8(&line) {
                        Ok(text) => self.redactor.redact_into(text, &mut redacted),
                        Err(_) => self
                            .redactor
                            .redact_into(&String::from_utf8_lossy(&line), &mut redacted),
                    }
                } else {
                    redacted.push_str(&format!(
                        "[mdatp-doctor: a line of {size} bytes left out: longer than {LINE_CAP}]\n"
                    ));
                }
                if written + redacted.len() as u64 > max {
                    break;
                }
                written += redacted.len() as u64;
                if written > room {
                    break;
                }
                spool.write_all(redacted.as_bytes())?;
            }
            Ok((spool, written))
        })();
        match result {
            Ok((_, size)) if self.writer.written + size > TOTAL_CAP => {
                self.fail(
                    collector,
                    format!("{shown} left out: the bundle would pass its 200 MiB cap"),
                );
            }
            Ok((spool, size)) => match spool
                .into_reader()
                .and_then(|reader| self.writer.add_stream(path, reader, size, collector))
            {
                Ok(()) => self.note(collector, &format!("{path} ({size} bytes)")),
                Err(e) => self.fail(collector, format!("{shown}: {e}")),
            },
            Err(e) => self.fail(collector, format!("{shown}: {e}")),
        }
    }

    /// Every `*.log` of `dir` and every file of `dir/rotated`, newest first, walked by
    /// descriptor without following any symlink (see [`logs::walk`]); what is left out
    /// is recorded in the manifest with the reason.
    pub fn logs(&mut self, dir: &Path, max: u64) {
        let collector = "logs";
        let tree = match logs::walk(dir) {
            Ok(tree) => tree,
            Err(e) => {
                self.fail(collector, format!("{}: {e}", dir.display()));
                return;
            }
        };
        for skipped in &tree.skipped {
            self.skip(collector, skipped.clone());
        }
        for log in &tree.files {
            if crate::interrupt::interrupted() {
                return;
            }
            let shown = tree.shown(log);
            match tree.open(log) {
                Ok(nofollow::Opened::File(file, _)) => {
                    let path = self.redactor.redact(&log.entry);
                    self.log_tail(file, &shown, &path, max);
                }
                Ok(nofollow::Opened::Not(kind)) => {
                    self.skip(collector, format!("{shown}: {}", kind.why_skipped()))
                }
                Err(e) => self.fail(collector, format!("{shown}: {e}")),
            }
        }
    }

    /// A small file read whole (capped), redacted; a symlink, FIFO or device in its place
    /// is left out (and recorded), never followed or opened for reading.
    pub fn file(&mut self, file: &Path, path: &str, collector: &str) {
        let mut text = Vec::new();
        let opened = nofollow::open_file(file);
        match opened {
            Ok(nofollow::Opened::File(f, _)) => {
                match f.take(4 * 1024 * 1024).read_to_end(&mut text) {
                    Ok(_) => {
                        self.text(path, &String::from_utf8_lossy(&text), collector, Map::new())
                    }
                    Err(e) => self.fail(collector, format!("{}: {e}", file.display())),
                }
            }
            Ok(nofollow::Opened::Not(kind)) => self.skip(
                collector,
                format!("{}: {}", file.display(), kind.why_skipped()),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.skip(collector, format!("{} does not exist", file.display()))
            }
            Err(e) => self.fail(collector, format!("{}: {e}", file.display())),
        }
    }

    /// Adds mdatp's own diagnostic archive, which it names on its stdout. Only a regular
    /// file inside `diag_dir` (mdatp's diagnostic directory) is taken, walked to by
    /// descriptor without following symlinks: mdatp's output is not trusted to name a
    /// file (`Diagnostic file created: "/etc/shadow"`).
    pub fn diagnostic(&mut self, zip: &Path, diag_dir: &Path) {
        let collector = "mdatp diagnostic";
        let opened = match open_beneath(diag_dir, zip) {
            Ok(opened) => opened,
            Err(e) => {
                self.fail(collector, format!("{}: {e}", zip.display()));
                return;
            }
        };
        let (file, size) = match opened {
            nofollow::Opened::File(f, st) => (f, st.size),
            nofollow::Opened::Not(kind) => {
                self.fail(
                    collector,
                    format!("{}: {}", zip.display(), kind.why_skipped()),
                );
                return;
            }
        };
        if self.writer.written + size > TOTAL_CAP {
            self.fail(
                collector,
                format!("{} is too large for the 200 MiB cap", zip.display()),
            );
            return;
        }
        // mdatp's own archive, added as it is: it is not redacted (the manifest says so).
        if let Err(e) = self.writer.add_stream(
            "mdatp/diagnostic.zip",
            file,
            size,
            "mdatp diagnostic (not redacted)",
        ) {
            self.fail(collector, e.to_string());
        }
    }
}

/// The longest log line redacted and kept; longer ones are left out whole.
pub const LINE_CAP: usize = 1024 * 1024;

/// How much of a log's redacted tail is held in memory; a longer one goes on to a spool
/// file.
pub const SPOOL_IN_MEMORY: usize = 8 * 1024 * 1024;

/// A log's redacted tail until it is added: in memory while it fits in
/// [`SPOOL_IN_MEMORY`], else in a private temporary file (`tempfile`: unnamed, 0600),
/// written through a buffer (one `write` a line made 573,027 calls for one bundle).
enum Spool {
    Memory(Vec<u8>),
    File(BufWriter<File>),
}

impl Spool {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Spool::Memory(held) if held.len() + bytes.len() <= SPOOL_IN_MEMORY => {
                held.extend_from_slice(bytes);
                Ok(())
            }
            Spool::Memory(held) => {
                let mut file = BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?);
                file.write_all(held)?;
                file.write_all(bytes)?;
                *self = Spool::File(file);
                Ok(())
            }
            Spool::File(file) => file.write_all(bytes),
        }
    }

    /// What was written, from its start.
    fn into_reader(self) -> std::io::Result<SpoolReader> {
        Ok(match self {
            Spool::Memory(held) => SpoolReader::Memory(std::io::Cursor::new(held)),
            Spool::File(file) => {
                let mut file = file.into_inner().map_err(|e| e.into_error())?;
                file.seek(SeekFrom::Start(0))?;
                SpoolReader::File(file)
            }
        })
    }
}

enum SpoolReader {
    Memory(std::io::Cursor<Vec<u8>>),
    File(File),
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            SpoolReader::Memory(held) => held.read(buf),
            SpoolReader::File(file) => file.read(buf),
        }
    }
}

/// Reads one line (through its `\n`) into `buf`, keeping at most `cap` bytes of it:
/// `Some((bytes consumed, whole))`, `whole` false when the line was longer than `cap`
/// (then `buf` is empty), `None` at the end. Memory stays at `cap` whatever the line.
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<(u64, bool)>> {
    buf.clear();
    let mut total = 0u64;
    let mut whole = true;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((total > 0).then_some((total, whole)));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let n = chunk.len();
        if whole {
            if buf.len() + n <= cap {
                buf.extend_from_slice(chunk);
            } else {
                whole = false;
                buf.clear();
            }
        }
        reader.consume(n);
        total += n as u64;
        if done {
            return Ok(Some((total, whole)));
        }
    }
}

/// Opens `path` only if it lies inside `dir` (as written: absolute, no `..`), walking
/// from `dir` one component at a time with `O_NOFOLLOW`, and only if it is a regular
/// file.
pub fn open_beneath(dir: &Path, path: &Path) -> std::io::Result<nofollow::Opened> {
    use std::path::Component;
    let outside = || {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "not inside mdatp's diagnostic directory {}: not added",
                dir.display()
            ),
        )
    };
    let rel = path.strip_prefix(dir).map_err(|_| outside())?;
    let parts: Vec<&std::ffi::OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            _ => Err(outside()),
        })
        .collect::<Result<_, _>>()?;
    let Some((last, dirs)) = parts.split_last() else {
        return Err(outside());
    };
    let mut current = match nofollow::Dir::open(dir)? {
        nofollow::DirOpened::Dir(d) => d,
        nofollow::DirOpened::Not(kind) => return Ok(nofollow::Opened::Not(kind)),
    };
    for name in dirs {
        current = match current.subdir(name)? {
            nofollow::DirOpened::Dir(d) => d,
            nofollow::DirOpened::Not(kind) => return Ok(nofollow::Opened::Not(kind)),
        };
    }
    current.open_file(last)
}

/// `Diagnostic file created: "<path>"` → the path.
pub fn diagnostic_path(stdout: &str) -> Option<PathBuf> {
    stdout.lines().find_map(|l| {
        let rest = l.split_once("Diagnostic file created:")?.1.trim();
        let path = rest.trim_matches('"');
        (!path.is_empty()).then(|| PathBuf::from(path))
    })
}

#[cfg(test)]
mod tests;
