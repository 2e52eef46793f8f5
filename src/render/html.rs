//! `aggregate --format html`: the fleet as one self-contained page (inline CSS and SVG,
//! no script, no external URL of any kind), so it can be mailed or opened in an air gap.
//! Every text taken from a report is escaped here, and long ones shortened with their
//! length; the page's size follows the fleet's distinct values, like the summary.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::report::fleet::{Fleet, MirrorReport, MirrorTally, Tally, cut};

/// The most characters of one value shown (the whole, up to 256, is in its tooltip).
const SHOWN_CHARS: usize = 96;
/// The most mirror sections, findings and chart rows the page lists (the ones with the
/// most endpoints); the rest are counted.
const MAX_ROWS: usize = 100;
/// The most versions one chart bar is split into (the rest are one "other" segment).
const MAX_VERSIONS: usize = 10;

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}\
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}\
h3{font-size:1em}table{border-collapse:collapse;margin:.4em 0}\
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}.n{text-align:right}.muted{color:#666}\
.counts{display:flex;gap:.8em;flex-wrap:wrap;padding:0;list-style:none}\
.counts li{padding:.4em .9em;border-radius:4px;color:#fff;font-weight:600}\
.critical{background:#c62828}.warning{background:#e08a00}.unknown{background:#6a5acd}\
.ok{background:#2e7d32}.info{background:#1565c0}.other{background:#777}\
.sev{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.85em}\
section.mirror{border-left:4px solid #1565c0;padding-left:1em}\
code{font-family:ui-monospace,monospace;word-break:break-all}";

/// Text escaped for HTML (content and quoted attributes); a control character is shown
/// as `\u{..}`, never written raw.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A value shortened to [`SHOWN_CHARS`] with its length, escaped; the whole in a tooltip
/// when it was shortened.
fn short(text: &str) -> String {
    let shown = cut(text, SHOWN_CHARS);
    if shown.len() == text.len() {
        esc(text)
    } else {
        format!("<span title=\"{}\">{}</span>", esc(text), esc(&shown))
    }
}

/// The CSS class of a verdict or severity word.
fn class(word: &str) -> &'static str {
    match word {
        "critical" => "critical",
        "warning" => "warning",
        "unknown" => "unknown",
        "ok" => "ok",
        "info" => "info",
        _ => "other",
    }
}

fn rank(word: &str) -> u8 {
    match word {
        "critical" => 5,
        "unknown" => 4,
        "warning" => 3,
        "info" => 2,
        "ok" => 1,
        _ => 0,
    }
}

fn examples(t: &Tally) -> String {
    let mut out = t
        .examples
        .iter()
        .map(|h| short(h))
        .collect::<Vec<_>>()
        .join(", ");
    if t.count > t.examples.len() as u64 {
        out.push_str(", …");
    }
    out
}

/// The page for a fleet.
pub fn fleet_page(fleet: &Fleet, behind_cloud: &[&str]) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>mdatp-doctor fleet: {} reports</title><style>{CSS}</style></head><body>\n\
         <h1>Fleet: {} reports</h1>\n",
        fleet.reports, fleet.reports
    );
    verdicts(&mut o, fleet);
    findings(&mut o, fleet);
    chart(&mut o, fleet);
    if !behind_cloud.is_empty() {
        o.push_str("<p><b>Mirrors behind the cloud</b> (some endpoint runs newer definitions than they offer): ");
        o.push_str(
            &behind_cloud
                .iter()
                .map(|u| format!("<code>{}</code>", short(u)))
                .collect::<Vec<_>>()
                .join(", "),
        );
        o.push_str("</p>\n");
    }
    let mut mirrors: Vec<(&String, &MirrorTally)> = fleet.mirrors.iter().collect();
    mirrors.sort_by(|a, b| b.1.endpoints.cmp(&a.1.endpoints).then(a.0.cmp(b.0)));
    for (i, (url, m)) in mirrors.iter().take(MAX_ROWS).enumerate() {
        mirror_section(&mut o, i, url, m);
    }
    if mirrors.len() > MAX_ROWS {
        let _ = writeln!(
            o,
            "<p class=\"muted\">{} more mirrors not shown (<code>--format json</code> lists them all).</p>",
            mirrors.len() - MAX_ROWS
        );
    }
    if !fleet.cloud_only.is_empty() {
        let n: u64 = fleet.cloud_only.values().map(|t| t.count).sum();
        let _ = writeln!(
            o,
            "<section class=\"mirror\" id=\"cloud-only\"><h2>No mirror (cloud only): {n} endpoints</h2>"
        );
        verdict_table(&mut o, &fleet.cloud_only);
        o.push_str("</section>\n");
    }
    if !fleet.unjoined_mirror_reports.is_empty() {
        o.push_str("<section id=\"unjoined\"><h2>Mirror reports no endpoint uses</h2>\n");
        for r in fleet.unjoined_mirror_reports.iter().take(MAX_ROWS) {
            mirror_report(&mut o, r);
        }
        o.push_str("</section>\n");
    }
    if !fleet.unreadable.is_empty() {
        let _ = writeln!(
            o,
            "<section id=\"unreadable\"><h2>Not read: {} reports</h2><table><tr><th>report</th><th>why</th></tr>",
            fleet.unreadable.len()
        );
        for u in fleet.unreadable.iter().take(MAX_ROWS) {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                short(&u.report),
                short(&u.error)
            );
        }
        o.push_str("</table>");
        if fleet.unreadable.len() > MAX_ROWS {
            let _ = write!(
                o,
                "<p class=\"muted\">{} more not shown.</p>",
                fleet.unreadable.len() - MAX_ROWS
            );
        }
        o.push_str("</section>\n");
    }
    o.push_str("<p class=\"muted\">Written by mdatp-doctor aggregate.</p>\n</body></html>\n");
    o
}

fn verdicts(o: &mut String, fleet: &Fleet) {
    o.push_str("<section id=\"verdicts\"><h2>Endpoints per verdict</h2><ul class=\"counts\">");
    let mut v: Vec<_> = fleet.verdicts.iter().collect();
    v.sort_by(|a, b| rank(b.0).cmp(&rank(a.0)).then(a.0.cmp(b.0)));
    for (word, t) in v.iter().take(MAX_ROWS) {
        let _ = write!(
            o,
            "<li class=\"{}\">{} {}</li>",
            class(word),
            t.count,
            short(word)
        );
    }
    o.push_str("</ul></section>\n");
}

fn findings(o: &mut String, fleet: &Fleet) {
    if fleet.findings.is_empty() {
        o.push_str("<section id=\"findings\"><h2>Findings</h2><p>None.</p></section>\n");
        return;
    }
    let mut f: Vec<_> = fleet.findings.iter().collect();
    f.sort_by(|a, b| {
        rank(&b.1.severity)
            .cmp(&rank(&a.1.severity))
            .then(b.1.endpoints.count.cmp(&a.1.endpoints.count))
            .then(a.0.cmp(b.0))
    });
    o.push_str(
        "<section id=\"findings\"><h2>Worst findings</h2><table>\
         <tr><th>severity</th><th>finding</th><th class=\"n\">hosts</th><th>e.g.</th></tr>\n",
    );
    for (id, t) in f.iter().take(MAX_ROWS) {
        let _ = writeln!(
            o,
            "<tr><td><span class=\"sev {}\">{}</span></td><td><code>{}</code></td>\
             <td class=\"n\">{}</td><td>{}</td></tr>",
            class(&t.severity),
            short(&t.severity),
            short(id),
            t.endpoints.count,
            examples(&t.endpoints)
        );
    }
    o.push_str("</table>");
    if f.len() > MAX_ROWS {
        let _ = write!(
            o,
            "<p class=\"muted\">{} more findings not shown.</p>",
            f.len() - MAX_ROWS
        );
    }
    o.push_str("</section>\n");
}

/// A horizontal stacked bar per mirror: its endpoints split by definitions version,
/// green where they run what the mirror offers (or newer), orange where behind it.
fn chart(o: &mut String, fleet: &Fleet) {
    const LABEL: u32 = 330;
    const BAR: u32 = 420;
    const ROW: u32 = 26;
    let mut mirrors: Vec<_> = fleet
        .mirrors
        .iter()
        .filter(|(_, m)| m.endpoints > 0)
        .collect();
    if mirrors.is_empty() {
        return;
    }
    mirrors.sort_by(|a, b| b.1.endpoints.cmp(&a.1.endpoints).then(a.0.cmp(b.0)));
    mirrors.truncate(MAX_ROWS);
    let most = mirrors
        .iter()
        .map(|(_, m)| m.endpoints)
        .max()
        .unwrap_or(1)
        .max(1);
    let height = ROW * mirrors.len() as u32 + 24;
    let _ = writeln!(
        o,
        "<section id=\"chart\"><h2>Definitions versions per mirror</h2>\
         <svg role=\"img\" aria-label=\"definitions versions per mirror\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" font-size=\"12\" font-family=\"sans-serif\">",
        w = LABEL + BAR + 90
    );
    for (row, (url, m)) in mirrors.iter().enumerate() {
        let y = ROW * row as u32;
        let _ = write!(
            o,
            "<text x=\"0\" y=\"{}\"><title>{}</title>{}</text>",
            y + 16,
            esc(url),
            // The scheme says little beside its host and path, and takes room from them.
            esc(&cut(
                url.trim_start_matches("http://")
                    .trim_start_matches("https://"),
                48
            ))
        );
        let mut versions: Vec<(&String, &u64)> = m.endpoint_versions.iter().collect();
        versions.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        // The most run versions, oldest first.
        let mut shown: Vec<_> = versions.iter().take(MAX_VERSIONS).collect();
        shown.sort_by(|a, b| {
            crate::analyze::facts::compare_versions(a.0, b.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.0.cmp(b.0))
        });
        let rest: u64 = versions.iter().skip(MAX_VERSIONS).map(|v| *v.1).sum();
        let unknown = m.endpoints - versions.iter().map(|v| *v.1).sum::<u64>().min(m.endpoints);
        let mut x = LABEL as f64;
        let scale = BAR as f64 / most as f64;
        let mut seg = |o: &mut String, n: u64, fill: &str, tip: String| {
            if n == 0 {
                return;
            }
            let w = n as f64 * scale;
            let _ = write!(
                o,
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{w:.1}\" height=\"18\" fill=\"{fill}\" stroke=\"#fff\"><title>{}</title></rect>",
                y + 3,
                tip
            );
            x += w;
        };
        // What the mirror offers: what endpoints saw in its manifest, else what its own
        // report says it serves.
        let offered = m.mirror_version.as_deref().or_else(|| newest_served(m));
        for (v, n) in shown {
            let behind = offered.is_some_and(|mv| {
                crate::analyze::facts::compare_versions(v, mv) == Some(std::cmp::Ordering::Less)
            });
            let fill = if behind { "#e08a00" } else { "#2e7d32" };
            seg(o, **n, fill, format!("{}: {n} endpoints", esc(&cut(v, 64))));
        }
        seg(o, rest, "#999", format!("other versions: {rest} endpoints"));
        seg(
            o,
            unknown,
            "#ccc",
            format!("version unknown: {unknown} endpoints"),
        );
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            x + 6.0,
            y + 16,
            m.endpoints
        );
    }
    let _ = writeln!(
        o,
        "<text x=\"{LABEL}\" y=\"{}\" fill=\"#555\">green: what the mirror offers or newer · orange: behind it</text></svg></section>",
        height - 6
    );
}

/// The newest definitions version the mirror's own report says a current (not `_back`)
/// arch folder serves.
fn newest_served(m: &MirrorTally) -> Option<&str> {
    m.report
        .as_ref()?
        .served
        .iter()
        .filter(|s| !s.backup)
        .filter_map(|s| s.definitions_version.as_deref())
        .max_by(|a, b| {
            crate::analyze::facts::compare_versions(a, b)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(b))
        })
}

fn verdict_table(o: &mut String, verdicts: &BTreeMap<String, Tally>) {
    let mut v: Vec<_> = verdicts.iter().collect();
    v.sort_by(|a, b| rank(b.0).cmp(&rank(a.0)).then(a.0.cmp(b.0)));
    o.push_str("<table><tr><th>verdict</th><th class=\"n\">hosts</th><th>e.g.</th></tr>");
    for (word, t) in v.iter().take(MAX_ROWS) {
        let _ = write!(
            o,
            "<tr><td><span class=\"sev {}\">{}</span></td><td class=\"n\">{}</td><td>{}</td></tr>",
            class(word),
            short(word),
            t.count,
            examples(t)
        );
    }
    o.push_str("</table>\n");
}

fn mirror_section(o: &mut String, i: usize, url: &str, m: &MirrorTally) {
    let _ = writeln!(
        o,
        "<section class=\"mirror\" id=\"mirror-{i}\"><h2>Mirror <code>{}</code>: {} endpoints</h2>",
        short(url),
        m.endpoints
    );
    let mut facts = Vec::new();
    if let Some(v) = &m.mirror_version {
        facts.push(format!("endpoints saw it offer <b>{}</b>", short(v)));
    }
    if m.endpoints_behind.count > 0 {
        facts.push(format!(
            "{} endpoints behind it ({})",
            m.endpoints_behind.count,
            examples(&m.endpoints_behind)
        ));
    }
    if m.endpoints_ahead.count > 0 {
        facts.push(format!(
            "{} endpoints ahead of it: the mirror is behind the cloud ({})",
            m.endpoints_ahead.count,
            examples(&m.endpoints_ahead)
        ));
    }
    if m.sync_failing.count > 0 {
        facts.push(format!(
            "{} endpoints saw its last sync fail",
            m.sync_failing.count
        ));
    }
    if !facts.is_empty() {
        let _ = writeln!(o, "<p>{}</p>", facts.join(" · "));
    }
    if !m.verdicts.is_empty() {
        o.push_str("<h3>Hosts by verdict</h3>");
        verdict_table(o, &m.verdicts);
    }
    if !m.endpoint_versions.is_empty() {
        o.push_str("<h3>Definitions versions the endpoints run</h3><p>");
        let mut v: Vec<_> = m.endpoint_versions.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = v
            .iter()
            .take(MAX_ROWS)
            .map(|(v, n)| format!("<code>{}</code> × {n}", short(v)))
            .collect();
        o.push_str(&list.join(", "));
        o.push_str("</p>\n");
    }
    match &m.report {
        Some(r) => mirror_report(o, r),
        None => o.push_str(
            "<p class=\"muted\">No <code>mirror check</code> report or status file for this mirror.</p>\n",
        ),
    }
    o.push_str("</section>\n");
}

fn mirror_report(o: &mut String, r: &MirrorReport) {
    let by = if r.joined_by == "hostname" {
        " (joined by host name)"
    } else {
        ""
    };
    if r.kind == "status file" {
        let _ = writeln!(
            o,
            "<h3>Mirror host <code>{}</code>: its status file{by}</h3>",
            short(&r.host)
        );
    } else {
        let _ = writeln!(
            o,
            "<h3>Mirror host <code>{}</code>: <span class=\"sev {}\">{}</span>{by}</h3>",
            short(&r.host),
            class(&r.verdict),
            short(&r.verdict)
        );
    }
    for s in &r.sync {
        let _ = writeln!(o, "<p class=\"sync\">{}</p>", sync_line(s, short));
    }
    if r.kind == "status file" {
        return;
    }
    if !r.served.is_empty() {
        o.push_str(
            "<table><tr><th>served</th><th>definitions</th><th>engine</th><th class=\"n\">package age</th></tr>",
        );
        for s in &r.served {
            let _ = write!(
                o,
                "<tr><td><code>{}/{}{}/{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                short(&s.platform),
                short(&s.ring),
                if s.backup { "_back" } else { "" },
                short(&s.arch),
                s.definitions_version.as_deref().map_or("?".into(), short),
                s.engine_version.as_deref().map_or("?".into(), short),
                s.package_age_seconds.map_or("?".into(), age)
            );
        }
        o.push_str("</table>\n");
    }
    if r.findings.is_empty() {
        o.push_str("<p>The mirror report has no findings.</p>\n");
    } else {
        o.push_str("<ul class=\"mirror-findings\">");
        for f in &r.findings {
            let _ = write!(
                o,
                "<li><span class=\"sev {}\">{}</span> <code>{}</code> {}</li>",
                class(&f.severity),
                short(&f.severity),
                short(&f.id),
                short(&f.title)
            );
        }
        o.push_str("</ul>\n");
    }
}

/// What a status file says of a ring folder's syncs, in one line; `text` escapes (and
/// shortens) each value taken from it.
pub fn sync_line(s: &crate::report::fleet::Sync, text: impl Fn(&str) -> String) -> String {
    let folder = if s.platform.is_empty() {
        String::new()
    } else {
        format!("{}/{}: ", text(&s.platform), text(&s.ring))
    };
    // RFC 3339 with nanoseconds, as written, to the minute.
    let when = |t: &str| match t.parse::<jiff::Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => text(t),
    };
    let attempt = match (&s.last_attempt_at, s.last_attempt_ok) {
        (Some(at), Some(true)) => format!("last sync {} worked", when(at)),
        (Some(at), Some(false)) => format!(
            "last sync {} FAILED: {}",
            when(at),
            text(
                s.last_attempt_error
                    .as_deref()
                    .unwrap_or("no error recorded")
            )
        ),
        _ => "no sync recorded".to_string(),
    };
    let success = match (&s.last_success, s.last_attempt_ok) {
        (_, Some(true)) => String::new(),
        (Some(t), _) => format!("; last good sync {}", when(t)),
        (None, _) => "; no sync has worked yet".to_string(),
    };
    format!("{folder}{attempt}{success}")
}

/// Seconds as the largest whole unit (`3d 4h`, `5h 2m`, `40s`).
pub fn age(s: u64) -> String {
    match s {
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_values_shortened_with_their_length() {
        assert_eq!(
            esc("<a href='x'>&\"\u{1b}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\\u{1b}"
        );
        let long = "h".repeat(200);
        let shown = short(&long);
        assert!(shown.contains("…(200 chars)"), "{shown}");
        assert!(
            shown.starts_with(&format!("<span title=\"{long}\">")),
            "{shown}"
        );
        assert_eq!(short("<b>"), "&lt;b&gt;");
    }

    #[test]
    fn a_fleet_page_is_whole_with_no_script() {
        let page = fleet_page(&Fleet::default(), &[]);
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
        assert!(!page.contains("<script") && !page.contains("http"));
    }
}
