//! The monitoring formats, each by its own conventions, all from one [`MonitorView`] that
//! a check's report builds (`check`, `mirror check`): Monitoring Plugins (status line,
//! perfdata, long output; the first line kept under NRPE v2's 1 KiB, the long output
//! under 4 KiB), Prometheus text exposition (no sample timestamps: node_exporter skips
//! files with them), a Checkmk local check line (under 1 KiB), and the body of an
//! Icinga 2 API `process-check-result` request. [`finish`] writes the textfile and
//! decides the exit code for all of them.

pub mod checkmk;
pub mod icinga;
pub mod nagios;
pub mod prometheus;

use std::path::Path;

use crate::analyze::finding::Severity;
use crate::exit_codes::ExitCode;
use crate::render::escape;
use crate::render::style::Style;
use crate::render::{Format, Render, StateIn, emit};
use crate::safe_write;
use crate::units::range::Range;

/// NRPE v2 cuts a plugin's first line at 1024 bytes.
pub const MAX_FIRST_LINE: usize = 1000;
/// The long output (the lines after the first) stays under this: the monitoring server
/// stores it with every result, and one huge value read from mdatp or a config must not
/// make it megabytes. What does not fit is counted on a last line.
pub const MAX_LONG_OUTPUT: usize = 4096;
/// One line of long output at most; longer ones end with how many bytes were cut.
pub const MAX_LONG_LINE: usize = 1000;

/// What a check shows a monitoring system, whatever the format.
#[derive(Debug, Clone)]
pub struct MonitorView {
    /// The Monitoring Plugins service name, first on the status line.
    pub service: &'static str,
    /// The Checkmk service token (a quoted name or one word).
    pub checkmk_service: &'static str,
    /// The file name under `--textfile-dir`.
    pub textfile: &'static str,
    /// The command that lists what the long output leaves out.
    pub lists_all: &'static str,
    pub verdict: Severity,
    /// One line: no perfdata pipe, no newline, no control character (see [`clean`]).
    pub summary: String,
    pub perfdata: Vec<Perf>,
    /// The lines after the status line, each [`clean`]ed.
    pub long_output: Vec<String>,
    pub gauges: Vec<Gauge>,
    /// The host the result is about.
    pub host: String,
    /// When the check started and ended (Unix time), when known.
    pub started_unix: Option<f64>,
    pub ended_unix: Option<f64>,
}

/// One performance data item; its minimum is 0 (counts, ages, latencies).
#[derive(Debug, Clone)]
pub struct Perf {
    pub label: &'static str,
    /// The number as written (integers without a point).
    pub value: String,
    /// The Monitoring Plugins unit (`s`, or empty); Checkmk takes plain numbers.
    pub unit: &'static str,
    pub warn: Option<Range>,
    pub crit: Option<Range>,
}

/// A Prometheus gauge family; a family without samples is left out.
#[derive(Debug, Clone)]
pub struct Gauge {
    pub name: String,
    pub help: &'static str,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone)]
pub struct Sample {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

impl Gauge {
    pub fn new(name: impl Into<String>, help: &'static str) -> Gauge {
        Gauge {
            name: name.into(),
            help,
            samples: Vec::new(),
        }
    }
    /// A family of one unlabelled sample, or none.
    pub fn one(name: impl Into<String>, help: &'static str, v: Option<f64>) -> Gauge {
        let mut g = Gauge::new(name, help);
        if let Some(v) = v {
            g.samples.push(Sample {
                labels: Vec::new(),
                value: v,
            });
        }
        g
    }
    pub fn flag(name: impl Into<String>, help: &'static str, v: Option<bool>) -> Gauge {
        Gauge::one(name, help, v.map(|b| if b { 1.0 } else { 0.0 }))
    }
    pub fn sample(mut self, labels: Vec<(&'static str, String)>, value: f64) -> Gauge {
        self.samples.push(Sample { labels, value });
        self
    }
}

impl Perf {
    pub fn count(label: &'static str, n: usize) -> Perf {
        Perf {
            label,
            value: n.to_string(),
            unit: "",
            warn: None,
            crit: None,
        }
    }
}

pub fn state_word(s: Severity) -> &'static str {
    match s {
        Severity::Ok | Severity::Info => "OK",
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
        Severity::Unknown => "UNKNOWN",
    }
}

pub fn state_number(s: Severity) -> u8 {
    s.exit_code().code()
}

/// One line, safe for every format: no perfdata pipe, no newline, no control character.
/// The long output's lines: each finding worse than ok, with its fix, on one line.
pub fn finding_lines(findings: &[crate::analyze::finding::Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.severity > Severity::Ok)
        .map(|f| {
            format!(
                "[{}] {}: {} (fix: {})",
                f.severity.as_str().to_ascii_uppercase(),
                f.id,
                clean(&f.title),
                clean(&f.fix)
            )
        })
        .collect()
}

pub fn clean(s: &str) -> String {
    escape::line(&s.replace('|', "/").replace(['\n', '\r'], " ")).into_owned()
}

/// `s` cut to at most `max` bytes, ending with `...` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// What a check's run comes to: the output and the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: String,
    pub exit: ExitCode,
}

/// The output and exit code of a check in `format`, the Prometheus textfile written to
/// `textfile_dir` when asked (whatever the format: a timer that forgot --format must not
/// write nothing). The exit code is the verdict's unless the format carries the state
/// ([`Format::state_in`]); UNKNOWN when the textfile cannot be written.
pub fn finish<R: Render>(
    report: &R,
    format: Format,
    style: Style,
    textfile_dir: Option<&Path>,
) -> Outcome {
    let stdout = emit(report, format, style);
    let Some(view) = report.monitor() else {
        return Outcome {
            stdout,
            exit: ExitCode::Unknown,
        };
    };
    let exit = match format.state_in() {
        StateIn::ExitCode => view.verdict.exit_code(),
        StateIn::Output => ExitCode::Ok,
    };
    let Some(dir) = textfile_dir else {
        return Outcome { stdout, exit };
    };
    let path = dir.join(view.textfile);
    if format == Format::Prometheus {
        // The metrics go to the file instead of stdout.
        return Outcome {
            stdout: String::new(),
            exit: if write_textfile(&path, &stdout) {
                exit
            } else {
                ExitCode::Unknown
            },
        };
    }
    Outcome {
        exit: if write_textfile(&path, &prometheus::render(&view)) {
            exit
        } else {
            ExitCode::Unknown
        },
        stdout,
    }
}

/// Replaces `path` atomically, 0644 (node_exporter runs as its own user); false, said on
/// stderr, when it cannot.
pub fn write_textfile(path: &Path, text: &str) -> bool {
    match safe_write::replace(path, text.as_bytes(), 0o644) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "mdatp-doctor: cannot write {}: {e}",
                crate::units::escape_controls(&path.display().to_string(), false)
            );
            false
        }
    }
}
