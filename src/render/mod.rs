//! Renderers: turn a report into text for people, JSON for programs, or a monitoring
//! format. They never decide what is good or bad; they only show what they are given.
//! A command calls [`emit`] and never matches on the format itself.

pub mod check;
pub mod connectivity;
pub mod diagnose;
pub mod findings;
pub mod health;
pub mod mirror_host;
pub mod misc;
pub mod style;
pub mod update;

use serde::Serialize;

pub use style::{ColorWhen, Style};

/// Every output format. The command line offers each command the ones it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    /// Monitoring Plugins (Nagios, Icinga, NRPE): status line, perfdata, long output.
    Nagios,
    /// Prometheus text exposition (node_exporter's textfile collector).
    Prometheus,
    /// A Checkmk local check line.
    Checkmk,
}

/// A report that can be shown: for people, as its JSON document, and (for `check`) in
/// the monitoring formats.
pub trait Render {
    /// The document programs read (`--format json`).
    type Doc<'a>: Serialize
    where
        Self: 'a;
    fn document(&self) -> Self::Doc<'_>;
    fn human(&self, style: Style) -> String;
    /// A monitoring format, for the reports that have one.
    fn monitoring(&self, _format: Format) -> Option<String> {
        None
    }
}

/// The report as text in `format`.
pub fn emit<R: Render>(report: &R, format: Format, style: Style) -> String {
    match format {
        Format::Human => report.human(style),
        Format::Json => json(&report.document()),
        Format::Nagios | Format::Prometheus | Format::Checkmk => report
            .monitoring(format)
            .unwrap_or_else(|| report.human(style)),
    }
}

/// Pretty JSON with a final newline.
pub fn json<T: Serialize + ?Sized>(doc: &T) -> String {
    // Documents are maps of strings and plain values: serialising cannot fail.
    let mut s = serde_json::to_string_pretty(doc)
        .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    s.push('\n');
    s
}
