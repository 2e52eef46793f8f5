//! The support bundle: independent collectors, each recorded in MANIFEST.json whether it
//! worked or not, every text redacted before it is written, logs streamed through a
//! private spool file so memory stays small whatever their size.

pub mod archive;
pub mod redact;

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::process::{Output, Runner};
use archive::Writer;
use redact::Redactor;

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

    /// Runs one mdatp command and adds its output, with the call's facts in the manifest.
    pub fn mdatp(&mut self, runner: Option<&Runner>, args: &[&str], path: &str) -> Option<Output> {
        let collector = format!("mdatp {}", args.join(" "));
        let Some(runner) = runner else {
            self.fail(&collector, "mdatp is not available");
            return None;
        };
        match crate::mdatp::call(runner, args) {
            Ok(out) => {
                self.mdatp_output(&out, path);
                Some(out)
            }
            Err(e) => {
                self.fail(&collector, e.to_string());
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

    /// Adds the last `max` bytes of a log, redacted line by line through a spool file.
    pub fn log_tail(&mut self, file: &Path, path: &str, max: u64) {
        let collector = "logs";
        let result = (|| -> std::io::Result<(File, u64)> {
            let mut f = File::open(file)?;
            let len = f.metadata()?.len();
            let start = len.saturating_sub(max);
            f.seek(SeekFrom::Start(start))?;
            let mut reader = BufReader::new(f.take(max));
            if start > 0 {
                // Drop the partial first line: half a line can hide half a secret.
                let mut skip = Vec::new();
                reader.read_until(b'\n', &mut skip)?;
            }
            let mut spool = tempfile::tempfile()?;
            let mut line = Vec::new();
            let mut written = 0u64;
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line)? == 0 {
                    break;
                }
                let redacted = self.redactor.redact(&String::from_utf8_lossy(&line));
                if written + redacted.len() as u64 > max {
                    break;
                }
                spool.write_all(redacted.as_bytes())?;
                written += redacted.len() as u64;
            }
            spool.seek(SeekFrom::Start(0))?;
            Ok((spool, written))
        })();
        match result {
            Ok((_, size)) if self.writer.written + size > TOTAL_CAP => {
                self.fail(
                    collector,
                    format!(
                        "{} left out: the bundle would pass its 200 MiB cap",
                        file.display()
                    ),
                );
            }
            Ok((spool, size)) => match self.writer.add_stream(path, spool, size, collector) {
                Ok(()) => self.note(collector, &format!("{path} ({size} bytes)")),
                Err(e) => self.fail(collector, format!("{}: {e}", file.display())),
            },
            Err(e) => self.fail(collector, format!("{}: {e}", file.display())),
        }
    }

    /// Every `*.log` of `dir` and every file of `dir/rotated`, newest first.
    pub fn logs(&mut self, dir: &Path, max: u64) {
        let mut files: Vec<(std::time::SystemTime, PathBuf, String)> = Vec::new();
        for (sub, prefix) in [
            (dir.to_path_buf(), "logs"),
            (dir.join("rotated"), "logs/rotated"),
        ] {
            let entries = match std::fs::read_dir(&sub) {
                Ok(e) => e,
                Err(e) if sub == dir => {
                    self.fail("logs", format!("{}: {e}", dir.display()));
                    return;
                }
                Err(_) => continue,
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                let Ok(meta) = std::fs::symlink_metadata(&path) else {
                    continue;
                };
                if !meta.is_file() || (prefix == "logs" && !name.ends_with(".log")) {
                    continue;
                }
                files.push((
                    meta.modified().unwrap_or(std::time::UNIX_EPOCH),
                    path,
                    format!("{prefix}/{name}"),
                ));
            }
        }
        files.sort_by_key(|f| std::cmp::Reverse(f.0));
        for (_, file, name) in files {
            self.log_tail(&file, &name, max);
        }
    }

    /// A small file read whole (capped), redacted.
    pub fn file(&mut self, file: &Path, path: &str, collector: &str) {
        let mut text = Vec::new();
        match File::open(file).and_then(|f| f.take(4 * 1024 * 1024).read_to_end(&mut text)) {
            Ok(_) => self.text(path, &String::from_utf8_lossy(&text), collector, Map::new()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.note(collector, &format!("{} does not exist", file.display()));
                self.skipped
                    .push(format!("{}: {} does not exist", collector, file.display()));
            }
            Err(e) => self.fail(collector, format!("{}: {e}", file.display())),
        }
    }
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
