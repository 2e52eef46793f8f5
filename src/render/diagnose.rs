//! `diagnose` output: an endpoint header, the findings with their fixes, a verdict line;
//! or the JSON document. Also the catalogue (`--list`) and one rule (`--explain`).

use crate::analyze::finding::{Finding, Severity};
use crate::analyze::rules;
use crate::analyze::snapshot::Snapshot;
use crate::gather::RunFacts;
use crate::render::Render;
use crate::render::escape;
use crate::render::findings;
use crate::render::style::Style;
use crate::render::table;
use crate::report::diagnose::{
    Comparison, DiagnoseDoc, DiagnoseReport, FromCaptureDoc, FromCaptureReport, SourceDoc,
    config_status,
};
use crate::report::misc::{Catalogue, Explain};
use crate::units::human_age;

impl Render for DiagnoseReport<'_> {
    type Doc<'a>
        = DiagnoseDoc
    where
        Self: 'a;
    fn document(&self) -> DiagnoseDoc {
        DiagnoseReport::document(self)
    }
    fn human(&self, style: Style) -> String {
        human(self.snapshot, self.run, self.findings, self.verdict, style)
    }
}

fn human(
    s: &Snapshot,
    run: &RunFacts,
    found: &[Finding],
    verdict: Severity,
    style: Style,
) -> String {
    let mut out = String::new();
    out.push_str(&style.bold("Endpoint"));
    out.push('\n');
    let mut rows: Vec<(&str, String)> = Vec::new();
    rows.push((
        "mdatp",
        match (&s.mdatp_problem, s.str("app_version")) {
            (Some(p), _) => p.message.clone(),
            (None, Some(v)) => format!("{v} ({})", run.mdatp_path.as_deref().unwrap_or("?")),
            (None, None) => run.mdatp_path.clone().unwrap_or_else(|| "?".into()),
        },
    ));
    if s.definitions.is_some() {
        let version = s.str("definitions_version").unwrap_or("?");
        let status = s.str("definitions_status").unwrap_or("?");
        let updated = s
            .field("definitions_updated")
            .map(|f| crate::render::health::display_value(f, Style::plain()))
            .unwrap_or_else(|| "?".into());
        let age = definitions_age_text(s);
        rows.push((
            "definitions",
            format!("{version}, {status}, updated {updated}{age}"),
        ));
        rows.push((
            "offline update",
            s.str("offline_definition_update")
                .unwrap_or("(not reported)")
                .to_string(),
        ));
        let verification = match (
            s.str("engine_signature_verification"),
            s.str("offline_definition_update_verify_sig"),
        ) {
            (Some(e), _) => format!("engine signature {e}"),
            (None, Some(v)) => v.to_string(),
            _ => "(not reported)".into(),
        };
        rows.push(("verification", verification));
        rows.push((
            "last source",
            s.str("definitions_update_source_uri")
                .unwrap_or("(not reported)")
                .to_string(),
        ));
    }
    let mirror = match &s.mirror.url {
        Some((u, src)) => {
            let probed = if s.mirror.skipped {
                "not probed (--skip-network)".to_string()
            } else if s.mirror.probes.is_empty() {
                "not probed".to_string()
            } else {
                s.mirror
                    .probes
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {}",
                            p.arch,
                            if p.steps.iter().all(|st| st.ok) {
                                "ok"
                            } else {
                                "failing"
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{u} (from {}; {probed})", src.as_str())
        }
        None => "(none configured)".into(),
    };
    rows.push(("mirror", mirror));
    if let Some(line) = s
        .mirror
        .status
        .as_ref()
        .and_then(|r| crate::render::mirror_status::line(r, s.now))
    {
        rows.push(("mirror status", line));
    }
    let (status, _) = config_status(s);
    rows.push(("managed config", format!("{} ({status})", s.config.path)));
    // Every value quotes mdatp, the managed config or the probe: escaped.
    out.push_str(&aligned(rows, style));
    out.push('\n');
    out.push_str(&style.bold("Findings"));
    out.push('\n');
    out.push_str(&findings::list(found, style));
    out.push('\n');
    out.push_str(&verdict_line(found, verdict, style));
    out
}

impl Render for FromCaptureReport<'_> {
    type Doc<'a>
        = FromCaptureDoc
    where
        Self: 'a;
    fn document(&self) -> FromCaptureDoc {
        FromCaptureDoc {
            diagnose: self.report.document(),
            source: self.source.clone(),
        }
    }
    fn human(&self, style: Style) -> String {
        let r = &self.report;
        let body = human(r.snapshot, r.run, r.findings, r.verdict, style);
        // The verdict stays last: the comparison goes just before it.
        let (body, verdict) = match body.rfind("\nVerdict: ") {
            Some(i) => body.split_at(i + 1),
            None => (body.as_str(), ""),
        };
        let mut out = source_section(&self.source, style);
        out.push('\n');
        out.push_str(body);
        if let Some(c) = &self.source.compared {
            out.push_str(&comparison_section(&self.source, c, style));
            out.push('\n');
        }
        out.push_str(verdict);
        out
    }
}

/// Where the facts came from and the moment they are judged at.
fn source_section(src: &SourceDoc, style: Style) -> String {
    let mut out = style.bold("Source");
    out.push('\n');
    let mut line = match src.kind {
        "bundle" => format!("bundle {}", src.path),
        _ => format!("folder {}", src.path),
    };
    if let Some(c) = &src.created {
        line.push_str(&format!(", created {c}"));
    }
    if let Some(h) = src.host.as_deref().filter(|h| !h.is_empty()) {
        line.push_str(&format!(" on {h}"));
    }
    if let Some(v) = &src.version {
        line.push_str(&format!(", by mdatp-doctor {v}"));
    }
    let mut rows: Vec<(&str, String)> = vec![
        ("read from", line),
        (
            "judged at",
            format!(
                "{} ({}), not now; local times read in {}",
                src.judged_at, src.judged_at_source, src.time_zone
            ),
        ),
    ];
    if !src.redacted.is_empty() {
        rows.push((
            "redacted",
            format!(
                "{} (placeholders: compared with each other, never judged as values)",
                src.redacted.join(", ")
            ),
        ));
    }
    if !src.not_captured.is_empty() {
        rows.push((
            "not captured",
            format!("{} (not judged)", src.not_captured.join(", ")),
        ));
    }
    for n in &src.notes {
        rows.push(("note", n.clone()));
    }
    out.push_str(&aligned(rows, style));
    out
}

/// Finding ids today's rules add or drop against the report inside the capture.
fn comparison_section(src: &SourceDoc, c: &Comparison, style: Style) -> String {
    let what = if src.kind == "bundle" {
        "bundle"
    } else {
        "folder"
    };
    let mut out = style.bold(&format!("Compared with the report in the {what}"));
    out.push('\n');
    let then = c
        .verdict_then
        .as_deref()
        .map(|v| format!(" (its verdict: {})", escape::line(v)))
        .unwrap_or_default();
    if c.added.is_empty() && c.dropped.is_empty() {
        out.push_str(&format!("  the same findings as then{then}\n"));
        return out;
    }
    out.push_str(&format!(
        "  today's rules differ from the report's{then}:\n"
    ));
    for id in &c.added {
        out.push_str(&format!(
            "  + {} (raised today, not then)\n",
            escape::line(id)
        ));
    }
    for id in &c.dropped {
        out.push_str(&format!(
            "  - {} (raised then, not today)\n",
            escape::line(id)
        ));
    }
    out
}

fn definitions_age_text(s: &Snapshot) -> String {
    let Some(f) = s.field("definitions_updated") else {
        return String::new();
    };
    let ts = match &f.value {
        crate::mdatp::value::Value::DateTime(dt) => s.tz.to_timestamp(*dt).ok(),
        crate::mdatp::value::Value::Timestamp(ts) => Some(*ts),
        _ => None,
    };
    ts.and_then(|ts| u64::try_from(s.now.as_second() - ts.as_second()).ok())
        .map(|secs| format!(" ({} ago)", human_age(std::time::Duration::from_secs(secs))))
        .unwrap_or_default()
}

fn verdict_line(found: &[Finding], verdict: Severity, style: Style) -> String {
    let count = |sev| found.iter().filter(|f| f.severity == sev).count();
    let mut parts = Vec::new();
    for (sev, name) in [
        (Severity::Critical, "critical"),
        (Severity::Unknown, "unknown"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ] {
        let n = count(sev);
        if n > 0 {
            parts.push(format!("{n} {name}"));
        }
    }
    let word = verdict.as_str().to_ascii_uppercase();
    let word = match verdict {
        Severity::Critical => style.red(&word),
        Severity::Warning | Severity::Unknown => style.yellow(&word),
        _ => style.green(&word),
    };
    if parts.is_empty() {
        format!("Verdict: {word} - offline updates look healthy\n")
    } else {
        format!("Verdict: {word} - {}\n", parts.join(", "))
    }
}

impl Render for Catalogue {
    type Doc<'a> = &'a Catalogue;
    fn document(&self) -> &Catalogue {
        self
    }
    fn human(&self, style: Style) -> String {
        let mut table = table::new(style, vec!["Id", "Severity", "Meaning"]);
        table::unbroken(&mut table, &[0]);
        // Most severities are one word; the few conditional ones wrap beside the meaning.
        table::at_most(&mut table, 1, 14);
        for r in &self.catalogue {
            table.add_row(vec![r.id, r.severity, r.meaning]);
        }
        format!("{table}\n")
    }
}

/// The catalogue as a Markdown table, for the README (`generate` writes it there).
pub fn catalogue_markdown() -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::from("| id | severity | meaning | fix |\n|---|---|---|---|\n");
    for r in rules::catalogue() {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            r.id,
            cell(r.severity),
            cell(r.meaning),
            cell(r.fix)
        ));
    }
    out
}

impl Render for Explain {
    type Doc<'a> = &'a Explain;
    fn document(&self) -> &Explain {
        self
    }
    fn human(&self, _style: Style) -> String {
        let rule = self.rule;
        format!(
            "{} ({})\n\n{}\n\nFix: {}\n\nBasis: {}\n",
            rule.id, rule.severity, rule.meaning, rule.fix, rule.basis
        )
    }
}

/// `name  value` lines, the values aligned (dimmed names count their colour codes) and
/// escaped: they come from mdatp, the managed config, the probe or a capture.
fn aligned(rows: Vec<(&str, String)>, style: Style) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        out.push_str(&format!(
            "  {:width$}  {}\n",
            style.dim(k),
            escape::line(&v),
            width = width + if style.color { 8 } else { 0 }
        ));
    }
    out
}
