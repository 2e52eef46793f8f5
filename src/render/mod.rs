//! Renderers: turn a report into text for people, JSON for programs, or a monitoring
//! format. They never decide what is good or bad; they only show what they are given.
//! A command calls [`emit`] and never matches on the format itself.

pub mod check;
pub mod connectivity;
pub mod diagnose;
pub mod escape;
pub mod findings;
pub mod fix;
pub mod health;
pub mod html;
pub mod mirror_host;
pub mod mirror_status;
pub mod misc;
pub mod siem;
pub mod stage;
pub mod style;
pub mod table;
pub mod update;
pub mod wrap;

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
    /// One self-contained HTML page (`aggregate`).
    Html,
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
    /// One self-contained HTML page, for the reports that have one.
    fn html(&self) -> Option<String> {
        None
    }
}

/// The report as text in `format`. Renderers escape what they take from outside (see
/// [`escape`]); the text for people and for Nagios and Checkmk passes [`escape::output`]
/// once more, so no control character but our own colour reaches a terminal. JSON and
/// Prometheus escape by their own rules, which a visible `\x1b` would break.
pub fn emit<R: Render>(report: &R, format: Format, style: Style) -> String {
    match format {
        Format::Human => net(report.human(style), style.color),
        Format::Json => json(&report.document()),
        // Escaped for HTML as it is built (see [`html`]): no raw control character.
        Format::Html => report
            .html()
            .unwrap_or_else(|| net(report.human(style), style.color)),
        Format::Prometheus => report
            .monitoring(format)
            .unwrap_or_else(|| net(report.human(style), style.color)),
        Format::Nagios | Format::Checkmk => match report.monitoring(format) {
            Some(text) => net(text, false),
            None => net(report.human(style), style.color),
        },
    }
}

fn net(text: String, keep_colour: bool) -> String {
    match escape::output(&text, keep_colour) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

/// Pretty JSON with a final newline; no raw control character even where serde_json
/// would leave one (see [`escape::json`]). Every document passes the reports' one scrub
/// (URL credentials, values of secret-named keys): JSON is what leaves the machine, and
/// a report that forgot a field must not carry a proxy password out.
pub fn json<T: Serialize + ?Sized>(doc: &T) -> String {
    // Documents are maps of strings and plain values: serialising cannot fail.
    let mut s = serde_json::to_value(doc)
        .map(crate::report::scrub)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    s.push('\n');
    escape::json(s)
}
