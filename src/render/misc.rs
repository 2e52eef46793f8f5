//! People's view of the smaller documents: `config check`, `bundle`, `aggregate`. Paths,
//! entry names, manifests and fleet reports come from files anyone may have written: every
//! string from them is escaped.

use comfy_table::Table;

use crate::render::Render;
use crate::render::escape::line as esc;
use crate::render::findings;
use crate::render::style::Style;
use crate::render::table::cell;
use crate::report::fleet::{Fleet, Tally};
use crate::report::misc::{BundleContents, BundleWritten, ConfigReport, FleetReport};

impl Render for ConfigReport {
    type Doc<'a> = &'a ConfigReport;
    fn document(&self) -> &ConfigReport {
        self
    }
    fn human(&self, style: Style) -> String {
        format!(
            "{}\n{}",
            esc(&self.path),
            findings::list(&self.findings, style)
        )
    }
}

impl Render for BundleWritten {
    type Doc<'a> = &'a BundleWritten;
    fn document(&self) -> &BundleWritten {
        self
    }
    fn human(&self, _style: Style) -> String {
        let mut s = format!(
            "Wrote {} ({} files, {} bytes before compression, mode 0600)\n",
            esc(&self.path),
            self.entries,
            self.bytes
        );
        for f in &self.failed {
            s.push_str(&format!("  ! {}: {}\n", esc(&f.collector), esc(&f.error)));
        }
        s
    }
}

impl Render for BundleContents {
    type Doc<'a> = &'a BundleContents;
    fn document(&self) -> &BundleContents {
        self
    }
    fn human(&self, _style: Style) -> String {
        let manifest = &self.manifest;
        let mut s = format!(
            "{} — mdatp-doctor {}, created {}, host {}, redaction {}\n",
            esc(&self.file.display().to_string()),
            esc(manifest["tool"]["version"].as_str().unwrap_or("?")),
            esc(manifest["created"].as_str().unwrap_or("?")),
            esc(manifest["hostname"].as_str().unwrap_or("?")),
            esc(&manifest["redaction"].to_string())
        );
        for c in &self.checked {
            s.push_str(&format!(
                "{:<14} {:>10}  {:<40} {}\n",
                esc(&c.status),
                c.size,
                esc(&c.path),
                esc(&c.collector)
            ));
        }
        for f in manifest["failed"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "failed collector: {} ({})\n",
                esc(f["collector"].as_str().unwrap_or("?")),
                esc(f["error"].as_str().unwrap_or("?"))
            ));
        }
        s
    }
}

impl Render for FleetReport<'_> {
    type Doc<'a>
        = &'a Self
    where
        Self: 'a;
    fn document(&self) -> &Self {
        self
    }
    fn human(&self, style: Style) -> String {
        fleet_human(self.fleet, style)
    }
    fn html(&self) -> Option<String> {
        Some(super::html::fleet_page(
            self.fleet,
            &self.mirrors_behind_cloud,
        ))
    }
}

/// The most rows each fleet table lists (verdicts, findings, mirrors): a fleet has a few
/// verdicts, at most one row per rule (90 today) and a few mirrors, but every row comes
/// from a report, and 100,000 reports naming as many mirrors made 38 MB of text. Past
/// it, the rows with the most endpoints are listed (in the table's own order) and one
/// line counts the rest; `--format json` lists them all.
pub const MAX_ROWS: usize = 100;

/// The most definitions versions one mirror's row lists (those most endpoints run); the
/// rest are counted as `+N more`.
pub const MAX_VERSIONS: usize = 10;

/// A fleet table whose first column (a verdict, a finding id, a URL: `names`) is kept
/// whole when the width allows; the others wrap. That column is as wide as its longest
/// name, but leaves 40 columns to the others: kept whole whatever its length, a name
/// would squeeze them to one character, and every row into as many lines as it has
/// characters. Returns the table and the width given to that column.
fn table<'a>(
    style: Style,
    header: Vec<&str>,
    names: impl Iterator<Item = &'a str>,
) -> (Table, usize) {
    let mut t = crate::render::table::new(style, header);
    let longest = names.map(|n| n.chars().count()).max().unwrap_or(0);
    let room = usize::from(style.width).saturating_sub(40);
    let name = longest.min(room);
    crate::render::table::at_least(&mut t, 0, name);
    (t, name)
}

fn examples(t: &Tally) -> String {
    let more = t.count.saturating_sub(t.examples.len() as u64);
    let mut s = t
        .examples
        .iter()
        .map(|e| cell(e))
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        s.push_str(&format!(" (+{more})"));
    }
    s
}

/// `rows` (in the order they are shown), at most `max` of them: those with the most
/// endpoints, ties to the first, still in their order; and how many rows and endpoints
/// were left out.
fn listed<T>(rows: Vec<T>, max: usize, endpoints: impl Fn(&T) -> u64) -> (Vec<T>, usize, u64) {
    if rows.len() <= max {
        return (rows, 0, 0);
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(endpoints(&rows[i])), i));
    let mut shown = vec![false; rows.len()];
    for &i in &order[..max] {
        shown[i] = true;
    }
    let (mut kept, mut left, mut left_endpoints) = (Vec::with_capacity(max), 0, 0u64);
    for (row, shown) in rows.into_iter().zip(shown) {
        if shown {
            kept.push(row);
        } else {
            left += 1;
            left_endpoints = left_endpoints.saturating_add(endpoints(&row));
        }
    }
    (kept, left, left_endpoints)
}

/// The line under a table whose rows were cut.
fn left_out(out: &mut String, style: Style, left: usize, what: &str, endpoints: u64) {
    if left > 0 {
        out.push_str(&style.yellow(&format!(
            "… and {left} more {what} ({endpoints} endpoints; --format json lists them all)"
        )));
        out.push('\n');
    }
}

fn fleet_human(fleet: &Fleet, style: Style) -> String {
    let mut out = format!("{} {} reports\n\n", style.bold("Fleet:"), fleet.reports);
    let rows: Vec<(&str, &Tally)> = fleet
        .verdicts
        .iter()
        .map(|(v, t)| (v.as_str(), t))
        .collect();
    let (rows, left, left_endpoints) = listed(rows, MAX_ROWS, |(_, t)| t.count);
    let names: Vec<String> = rows.iter().map(|(v, _)| cell(v)).collect();
    let (mut t, _) = table(
        style,
        vec!["Verdict", "Endpoints", "Examples"],
        names.iter().map(String::as_str),
    );
    for (name, (_, tally)) in names.into_iter().zip(rows) {
        t.add_row(vec![name, tally.count.to_string(), examples(tally)]);
    }
    out.push_str(&format!("{t}\n"));
    left_out(&mut out, style, left, "verdicts", left_endpoints);
    out.push('\n');
    if !fleet.findings.is_empty() {
        let mut rows: Vec<(&str, _)> = fleet
            .findings
            .iter()
            .map(|(id, f)| (id.as_str(), f))
            .collect();
        rows.sort_by_key(|(id, f)| (std::cmp::Reverse(f.endpoints.count), *id));
        let (rows, left, left_endpoints) = listed(rows, MAX_ROWS, |(_, f)| f.endpoints.count);
        let names: Vec<String> = rows.iter().map(|(id, _)| cell(id)).collect();
        let (mut t, _) = table(
            style,
            vec!["Finding", "Severity", "Endpoints", "Examples"],
            names.iter().map(String::as_str),
        );
        for (name, (_, f)) in names.into_iter().zip(rows) {
            t.add_row(vec![
                name,
                cell(&f.severity),
                f.endpoints.count.to_string(),
                examples(&f.endpoints),
            ]);
        }
        out.push_str(&format!("{t}\n"));
        left_out(&mut out, style, left, "finding ids", left_endpoints);
        out.push('\n');
    }
    if !fleet.mirrors.is_empty() {
        out.push_str(&format!("{}\n", style.bold("Mirrors")));
        let rows: Vec<(&str, _)> = fleet.mirrors.iter().map(|(u, m)| (u.as_str(), m)).collect();
        let (rows, left, left_endpoints) = listed(rows, MAX_ROWS, |(_, m)| m.endpoints);
        for (url, m) in rows {
            mirror_block(&mut out, style, url, m);
        }
        left_out(&mut out, style, left, "mirrors", left_endpoints);
        out.push('\n');
    }
    if !fleet.cloud_only.is_empty() {
        let n: u64 = fleet.cloud_only.values().map(|t| t.count).sum();
        out.push_str(&format!(
            "{}\n",
            style.bold(&format!("No mirror (cloud only): {n} endpoints"))
        ));
        for (verdict, t) in &fleet.cloud_only {
            field(&mut out, style, 2, &cell(verdict), &tally(t));
        }
        out.push('\n');
    }
    if !fleet.unjoined_mirror_reports.is_empty() {
        out.push_str(&format!(
            "{}\n",
            style.bold("Mirror reports no endpoint's mirror URL matched")
        ));
        for r in fleet.unjoined_mirror_reports.iter().take(MAX_ROWS) {
            mirror_report(&mut out, style, r);
        }
        out.push('\n');
    }
    for u in &fleet.unreadable {
        out.push_str(&style.yellow(&format!(
            "unreadable: {}: {}",
            cell(&u.report),
            cell(&u.error)
        )));
        out.push('\n');
    }
    out
}

/// Where a label's value starts, past the indent: labels are at most this wide.
const LABEL_WIDTH: usize = 13;

/// `label: value` indented by `indent`, the value word-wrapped to the width with its
/// continuation lines under its start. A word (a URL, a path, a host name) is never
/// split: one longer than the room left gets a line of its own and overflows it, so it
/// can still be copied and searched for whole.
fn field(out: &mut String, style: Style, indent: usize, label: &str, value: &str) {
    // Every value starts in one column, whatever its label's indent.
    let lead = 2 + LABEL_WIDTH + 1;
    let room = (lead - 1).saturating_sub(indent);
    let prefix = format!("{:indent$}{:<room$} ", "", format!("{label}:"));
    crate::render::wrap::hanging(out, &prefix, lead, value, usize::from(style.width));
}

/// `N (a, b, c +M)`: a tally with its example hosts.
fn tally(t: &Tally) -> String {
    if t.examples.is_empty() {
        return t.count.to_string();
    }
    format!("{} ({})", t.count, examples(t))
}

/// One mirror: its URL whole on a line of its own, then what its endpoints run and saw,
/// then its own report (`mirror check` or status file) when one joined it.
fn mirror_block(out: &mut String, style: Style, url: &str, m: &crate::report::fleet::MirrorTally) {
    out.push('\n');
    out.push_str(&style.bold(&cell(url)));
    out.push('\n');
    let verdicts = m
        .verdicts
        .iter()
        .map(|(v, t)| format!("{} {}", cell(v), t.count))
        .collect::<Vec<_>>()
        .join(", ");
    field(
        out,
        style,
        2,
        "Endpoints",
        &format!("{} ({verdicts})", m.endpoints),
    );
    if !m.endpoint_versions.is_empty() {
        field(out, style, 2, "They run", &versions(&m.endpoint_versions));
    }
    if let Some(v) = &m.mirror_version {
        field(
            out,
            style,
            2,
            "It offers",
            &format!("{} (as its endpoints saw)", cell(v)),
        );
    }
    if m.endpoints_behind.count > 0 {
        field(out, style, 2, "Behind it", &tally(&m.endpoints_behind));
    }
    if m.endpoints_ahead.count > 0 {
        field(
            out,
            style,
            2,
            "Ahead of it",
            &format!(
                "{}: the mirror is behind the cloud",
                tally(&m.endpoints_ahead)
            ),
        );
    }
    if let Some(t) = m
        .last_sync_timestamp_seconds
        .and_then(|t| jiff::Timestamp::from_second(t).ok())
    {
        let mut line = format!(
            "{} UTC (newest its endpoints saw)",
            t.strftime("%Y-%m-%d %H:%M")
        );
        if m.sync_failing.count > 0 {
            line.push_str(&format!(
                "; its last sync failed, say {}",
                tally(&m.sync_failing)
            ));
        }
        field(out, style, 2, "Last sync", &line);
    }
    match &m.report {
        Some(r) => mirror_report(out, style, r),
        None => field(
            out,
            style,
            2,
            "Mirror host",
            "no mirror check report or status file given",
        ),
    }
}

/// A mirror's own report, under its mirror (or in the list of those that joined none).
fn mirror_report(out: &mut String, style: Style, r: &crate::report::fleet::MirrorReport) {
    let by = if r.joined_by == "hostname" {
        ", joined by host name"
    } else {
        ""
    };
    let what = if r.kind == "status file" {
        format!("{}: its status file{by}", cell(&r.host))
    } else {
        format!(
            "{}: mirror check {} {}{by}",
            cell(&r.host),
            crate::render::findings::mark(
                crate::analyze::finding::Severity::from_word(&r.verdict),
                style
            ),
            cell(&r.verdict)
        )
    };
    field(out, style, 2, "Mirror host", &what);
    for s in r.served.iter().filter(|s| !s.backup) {
        let mut v = format!(
            "{}/{}/arch_{} {}",
            cell(&s.platform),
            cell(&s.ring),
            cell(&s.arch),
            s.definitions_version.as_deref().map_or("?".into(), cell)
        );
        if let Some(a) = s.package_age_seconds {
            v.push_str(&format!(", {} old", crate::render::html::age(a)));
        }
        field(out, style, 4, "serves", &v);
    }
    for s in &r.sync {
        field(
            out,
            style,
            4,
            "sync",
            &crate::render::html::sync_line(s, cell),
        );
    }
    for f in &r.findings {
        field(
            out,
            style,
            4,
            &cell(&f.severity),
            &format!("{} {}", cell(&f.id), cell(&f.title)),
        );
    }
}

/// The definitions versions a mirror's endpoints run, with how many run each: the
/// [`MAX_VERSIONS`] most run, in version order, then how many more.
fn versions(counts: &std::collections::BTreeMap<String, u64>) -> String {
    let (shown, more, _) = listed(counts.iter().collect(), MAX_VERSIONS, |(_, n)| **n);
    let mut s = shown
        .into_iter()
        .map(|(v, n)| format!("{}: {n}", cell(v)))
        .collect::<Vec<_>>()
        .join(", ");
    if more > 0 {
        s.push_str(&format!(" (+{more} more)"));
    }
    s
}
