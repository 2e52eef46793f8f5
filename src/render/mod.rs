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
pub mod monitor;
pub mod siem;
pub mod stage;
pub mod style;
pub mod table;
pub mod update;
pub mod wrap;

use serde::Serialize;

pub use style::{ColorWhen, Style};

/// Every output format, and everything the rest of the program knows about one: its
/// value on the command line, its name in prose, its help, which commands take it, and
/// whether the state is in the output or in the exit code. Adding one is a variant here,
/// its arms in the `match`es below (the compiler names each), and for a monitoring
/// format a file under [`monitor`].
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
    /// The body of an Icinga 2 API `process-check-result` request.
    Icinga,
    /// One self-contained HTML page (`aggregate`).
    Html,
}

/// Which kind of command takes a format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// Every command: human and JSON.
    Plain,
    /// The monitoring checks (`check`, `mirror check`), and every command's plain formats.
    Monitoring,
    /// `aggregate`'s fleet picture, and the plain formats.
    Fleet,
}

/// Where a monitoring format puts the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateIn {
    /// In the exit code (people, programs reading JSON, Monitoring Plugins).
    ExitCode,
    /// In the output itself: the run exits 0 when it produced it.
    Output,
}

impl Format {
    /// Every format, in the order help lists them.
    pub const ALL: &[Format] = &[
        Format::Human,
        Format::Json,
        Format::Nagios,
        Format::Prometheus,
        Format::Checkmk,
        Format::Icinga,
        Format::Html,
    ];

    /// The value on the command line.
    pub fn value(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Nagios => "nagios",
            Format::Prometheus => "prometheus",
            Format::Checkmk => "checkmk",
            Format::Icinga => "icinga",
            Format::Html => "html",
        }
    }

    /// The format's name in prose.
    pub fn display_name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "JSON",
            Format::Nagios => "Nagios",
            Format::Prometheus => "Prometheus",
            Format::Checkmk => "Checkmk",
            Format::Icinga => "Icinga",
            Format::Html => "HTML",
        }
    }

    /// One line of help for `--format`.
    pub fn help(self) -> &'static str {
        match self {
            Format::Human => "Tables and text for people",
            Format::Json => "One JSON document on stdout (`schema_version` 1)",
            Format::Nagios => "Monitoring Plugins output: status line, perfdata, long output",
            Format::Prometheus => "Prometheus text exposition format",
            Format::Checkmk => "Checkmk local check line",
            Format::Icinga => "Icinga 2 API process-check-result request body (JSON)",
            Format::Html => "One self-contained HTML page (`aggregate` only)",
        }
    }

    /// Which kind of command takes it.
    pub fn takes(self) -> Takes {
        match self {
            Format::Human | Format::Json => Takes::Plain,
            Format::Nagios | Format::Prometheus | Format::Checkmk | Format::Icinga => {
                Takes::Monitoring
            }
            Format::Html => Takes::Fleet,
        }
    }

    pub fn is_monitoring(self) -> bool {
        self.takes() == Takes::Monitoring
    }

    /// Whether a command of kind `kind` takes it.
    pub fn accepted_by(self, kind: Takes) -> bool {
        let t = self.takes();
        t == Takes::Plain || t == kind
    }

    /// The formats a command of kind `kind` takes, in help order.
    pub fn accepted(kind: Takes) -> impl Iterator<Item = Format> {
        Self::ALL
            .iter()
            .copied()
            .filter(move |f| f.accepted_by(kind))
    }

    /// Where the state goes: a check exits with its verdict unless the output carries it.
    pub fn state_in(self) -> StateIn {
        match self {
            Format::Human | Format::Json | Format::Nagios | Format::Html => StateIn::ExitCode,
            Format::Prometheus | Format::Checkmk | Format::Icinga => StateIn::Output,
        }
    }
}

/// A report that can be shown: for people, as its JSON document, and (for the checks) in
/// the monitoring formats.
pub trait Render {
    /// The document programs read (`--format json`).
    type Doc<'a>: Serialize
    where
        Self: 'a;
    fn document(&self) -> Self::Doc<'_>;
    fn human(&self, style: Style) -> String;
    /// What the monitoring formats show, for the reports that have it.
    fn monitor(&self) -> Option<monitor::MonitorView> {
        None
    }
    /// One self-contained HTML page, for the reports that have one.
    fn html(&self) -> Option<String> {
        None
    }
}

/// The report as text in `format`. Renderers escape what they take from outside (see
/// [`escape`]); the text for people and for Nagios and Checkmk passes [`escape::output`]
/// once more, so no control character but our own colour reaches a terminal. JSON,
/// Icinga's JSON and Prometheus escape by their own rules, which a visible `\x1b` would
/// break.
pub fn emit<R: Render>(report: &R, format: Format, style: Style) -> String {
    let human = || net(report.human(style), style.color);
    match format {
        Format::Human => human(),
        Format::Json => json(&report.document()),
        // Escaped for HTML as it is built (see [`html`]): no raw control character.
        Format::Html => report.html().unwrap_or_else(human),
        Format::Prometheus => report
            .monitor()
            .map_or_else(human, |v| monitor::prometheus::render(&v)),
        Format::Icinga => report
            .monitor()
            .map_or_else(human, |v| monitor::icinga::render(&v)),
        Format::Nagios => report
            .monitor()
            .map_or_else(human, |v| net(monitor::nagios::render(&v), false)),
        Format::Checkmk => report
            .monitor()
            .map_or_else(human, |v| net(monitor::checkmk::render(&v), false)),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `Format::ALL` is the one list the compiler cannot check: this match names every
    /// variant (a new one fails to compile here), and the test that each is in `ALL`.
    #[test]
    fn all_lists_every_format_once() {
        let order = |f: Format| match f {
            Format::Human => 0,
            Format::Json => 1,
            Format::Nagios => 2,
            Format::Prometheus => 3,
            Format::Checkmk => 4,
            Format::Icinga => 5,
            Format::Html => 6,
        };
        let mut seen: Vec<usize> = Format::ALL.iter().map(|f| order(*f)).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..=6).collect::<Vec<_>>());
        let values: std::collections::BTreeSet<_> = Format::ALL.iter().map(|f| f.value()).collect();
        assert_eq!(values.len(), Format::ALL.len(), "values are unique");
        for f in Format::ALL {
            assert!(f.accepted_by(f.takes()));
            // Only a monitoring format carries the state in its output.
            assert!(f.state_in() == StateIn::ExitCode || f.is_monitoring());
        }
    }
}
