//! `check` output for monitoring systems, each by its own conventions: Monitoring Plugins
//! (status line, perfdata, long output; the first line kept under NRPE v2's 1 KiB, the
//! long output under 4 KiB), Prometheus text exposition (no sample timestamps:
//! node_exporter skips files with them), and a Checkmk local check line (under 1 KiB).
//! Titles and fixes quote what was read: control characters are escaped in every format.

use crate::analyze::finding::{Finding, Severity};
use crate::render::escape;
use crate::render::style::Style;
use crate::render::{Format, Render};
use crate::report::check::{CheckReport, CheckResult};
use crate::report::diagnose::DiagnoseDoc;
use crate::units::human_age;
use crate::units::range::Range;

impl Render for CheckReport {
    type Doc<'a> = &'a DiagnoseDoc;
    fn document(&self) -> &DiagnoseDoc {
        &self.doc
    }
    /// The diagnose view of the run; the plugin output when the run never finished.
    fn human(&self, _style: Style) -> String {
        self.human.clone().unwrap_or_else(|| nagios(&self.result))
    }
    fn monitoring(&self, format: Format) -> Option<String> {
        Some(match format {
            Format::Prometheus => prometheus(&self.result),
            Format::Checkmk => checkmk(&self.result),
            _ => nagios(&self.result),
        })
    }
}

pub const SERVICE: &str = "MDATP OFFLINE-UPDATES";
/// NRPE v2 cuts a plugin's first line at 1024 bytes.
pub const MAX_FIRST_LINE: usize = 1000;
/// The long output (the lines after the first) stays under this: the monitoring server
/// stores it with every result, and one huge value read from mdatp or a config must not
/// make it megabytes. What does not fit is counted on a last line.
pub const MAX_LONG_OUTPUT: usize = 4096;
/// One line of long output at most; longer ones end with how many bytes were cut.
pub const MAX_LONG_LINE: usize = 1000;
/// Kept free at the end of the long output for the line that counts what was left out.
const TAIL_ROOM: usize = 120;

pub fn state_word(s: Severity) -> &'static str {
    match s {
        Severity::Ok | Severity::Info => "OK",
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
        Severity::Unknown => "UNKNOWN",
    }
}

fn state_number(s: Severity) -> u8 {
    s.exit_code().code()
}

/// One line, safe for every format: no perfdata pipe, no newline, no control character.
fn clean(s: &str) -> String {
    escape::line(&s.replace('|', "/").replace(['\n', '\r'], " ")).into_owned()
}

fn summary(r: &CheckResult) -> String {
    if let Some(p) = &r.problem {
        return clean(p);
    }
    let worst: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.severity == r.verdict && f.severity >= Severity::Warning)
        .collect();
    if worst.is_empty() {
        let mut parts = Vec::new();
        if let Some(v) = &r.definitions_version {
            parts.push(format!("definitions {}", clean(v)));
        }
        if let Some(age) = r.metrics.definitions_age_seconds {
            parts.push(format!(
                "{} old",
                human_age(std::time::Duration::from_secs_f64(age.max(0.0)))
            ));
        }
        match r.metrics.update_source_is_mirror {
            Some(true) => parts.push("from the mirror".into()),
            Some(false) => parts.push("not from the mirror".into()),
            None => {}
        }
        return if parts.is_empty() {
            "offline updates look healthy".into()
        } else {
            parts.join(", ")
        };
    }
    let others = r
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .count()
        - worst.len();
    let mut text = worst
        .iter()
        .map(|f| format!("{}: {}", f.id, clean(&f.title)))
        .collect::<Vec<_>>()
        .join("; ");
    if others > 0 {
        text.push_str(&format!(" (+{others} more)"));
    }
    text
}

fn perfdata(r: &CheckResult) -> String {
    let m = &r.metrics;
    let mut p = Vec::new();
    if let Some(age) = m.definitions_age_seconds {
        p.push(format!(
            "definitions_age={}s;{};{};0",
            age.round() as i64,
            r.warn.to_plugin_syntax(),
            r.crit.to_plugin_syntax()
        ));
    }
    p.push(format!("findings_critical={};;;0", m.findings_critical));
    p.push(format!("findings_warning={};;;0", m.findings_warning));
    if let Some(l) = m.mirror_latency_seconds {
        p.push(format!("mirror_latency={l:.3}s;;;0"));
    }
    p.join(" ")
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `s` cut to at most `max` bytes, saying how many bytes were cut.
fn cap(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    // "... (+N bytes)" takes at most 24 bytes for any N below 10^10.
    let mut end = max.saturating_sub(24);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... (+{} bytes)", &s[..end], s.len() - end)
}

pub fn nagios(r: &CheckResult) -> String {
    let perf = perfdata(r);
    let prefix = format!("{SERVICE} {} - ", state_word(r.verdict));
    let budget = MAX_FIRST_LINE.saturating_sub(prefix.len() + perf.len() + 3);
    let mut out = format!("{prefix}{} | {perf}\n", truncate(&summary(r), budget));
    let listed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Ok)
        .collect();
    let mut used = 0;
    for (i, f) in listed.iter().enumerate() {
        let line = cap(
            format!(
                "[{}] {}: {} (fix: {})",
                f.severity.as_str().to_ascii_uppercase(),
                f.id,
                clean(&f.title),
                clean(&f.fix)
            ),
            MAX_LONG_LINE,
        );
        let last = i + 1 == listed.len();
        let room = MAX_LONG_OUTPUT - if last { 0 } else { TAIL_ROOM };
        if used + line.len() + 1 > room {
            out.push_str(&format!(
                "... {} more finding(s) not shown (`mdatp-doctor diagnose` lists them all)\n",
                listed.len() - i
            ));
            break;
        }
        used += line.len() + 1;
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub fn checkmk(r: &CheckResult) -> String {
    let m = &r.metrics;
    // Checkmk takes plain numbers; a general range has no place there.
    let bound = |range: &Range| {
        range
            .upper_bound()
            .map(|e| format!("{}", e.round() as i64))
            .unwrap_or_default()
    };
    let mut metrics = Vec::new();
    if let Some(age) = m.definitions_age_seconds {
        metrics.push(format!(
            "definitions_age={};{};{}",
            age.round() as i64,
            bound(&r.warn),
            bound(&r.crit)
        ));
    }
    metrics.push(format!("findings_critical={}", m.findings_critical));
    metrics.push(format!("findings_warning={}", m.findings_warning));
    let prefix = format!(
        "{} \"MDATP offline updates\" {} {} - ",
        state_number(r.verdict),
        metrics.join("|"),
        state_word(r.verdict),
    );
    let budget = MAX_FIRST_LINE.saturating_sub(prefix.len());
    format!("{prefix}{}\n", truncate(&clean(&summary(r)), budget))
}

/// Escapes a label value for the text exposition format, after showing its control
/// characters as text (the format would carry them raw; `\x1b` then reads `\\x1b`).
fn label(v: &str) -> String {
    escape::lines(v)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    if samples.is_empty() {
        return;
    }
    out.push_str(&format!(
        "# HELP mdatp_doctor_{name} {help}\n# TYPE mdatp_doctor_{name} gauge\n"
    ));
    for (labels, value) in samples {
        out.push_str(&format!("mdatp_doctor_{name}{labels} {value}\n"));
    }
}

fn one(v: Option<f64>) -> Vec<(String, f64)> {
    v.map(|v| vec![(String::new(), v)]).unwrap_or_default()
}

fn flag(v: Option<bool>) -> Vec<(String, f64)> {
    one(v.map(|b| if b { 1.0 } else { 0.0 }))
}

pub fn prometheus(r: &CheckResult) -> String {
    let m = &r.metrics;
    let mut out = String::new();
    gauge(
        &mut out,
        "check_success",
        "1 when the check completed, 0 when it hit the deadline or failed.",
        &flag(Some(r.complete)),
    );
    gauge(
        &mut out,
        "definitions_age_seconds",
        "Age of the loaded security intelligence.",
        &one(m.definitions_age_seconds),
    );
    gauge(
        &mut out,
        "definitions_up_to_date",
        "1 when mdatp reports definitions_status up_to_date.",
        &flag(m.definitions_up_to_date),
    );
    gauge(
        &mut out,
        "offline_update_enabled",
        "1 when offline security intelligence updates are enabled.",
        &flag(m.offline_update_enabled),
    );
    gauge(
        &mut out,
        "signature_verification_enabled",
        "1 when offline packages are signature-verified.",
        &flag(m.signature_verification_enabled),
    );
    gauge(
        &mut out,
        "update_source_is_mirror",
        "1 when the last update came from the configured mirror.",
        &flag(m.update_source_is_mirror),
    );
    let up: Vec<(String, f64)> = m
        .mirror_up
        .iter()
        .map(|(arch, ok)| {
            (
                format!("{{arch=\"{}\"}}", label(arch)),
                if *ok { 1.0 } else { 0.0 },
            )
        })
        .collect();
    gauge(
        &mut out,
        "mirror_up",
        "1 when every probe step of the mirror succeeded, per architecture.",
        &up,
    );
    let info: Vec<(String, f64)> = m
        .mirror_definitions_version
        .iter()
        .map(|v| (format!("{{version=\"{}\"}}", label(v)), 1.0))
        .collect();
    gauge(
        &mut out,
        "mirror_definitions_info",
        "The definitions version the mirror's manifest offers.",
        &info,
    );
    gauge(
        &mut out,
        "mirror_last_sync_timestamp_seconds",
        "When the mirror last synced successfully (Unix time, from its mdatp-doctor-status.json).",
        &one(m.mirror_last_sync_timestamp_seconds),
    );
    gauge(
        &mut out,
        "mirror_last_sync_success",
        "1 when the mirror's last sync attempt worked, 0 when it failed (from its mdatp-doctor-status.json).",
        &flag(m.mirror_last_sync_success),
    );
    gauge(
        &mut out,
        "predicted_stale_timestamp_seconds",
        "When the definitions cross the warning age if no update arrives (Unix time).",
        &one(m.predicted_stale_timestamp_seconds),
    );
    let findings: Vec<(String, f64)> = r
        .findings
        .iter()
        .map(|f| {
            (
                format!(
                    "{{id=\"{}\",severity=\"{}\"}}",
                    label(f.id),
                    f.severity.as_str()
                ),
                1.0,
            )
        })
        .collect();
    gauge(
        &mut out,
        "finding",
        "A current finding of mdatp-doctor diagnose, by id and severity.",
        &findings,
    );
    gauge(
        &mut out,
        "last_run_timestamp_seconds",
        "When this check ran (Unix time).",
        &one(Some(r.started_unix)),
    );
    gauge(
        &mut out,
        "run_duration_seconds",
        "How long this check took.",
        &one(Some(r.duration_seconds)),
    );
    out
}

#[cfg(test)]
mod tests;
