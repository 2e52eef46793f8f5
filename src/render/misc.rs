//! People's view of the smaller documents: `config check`, `bundle`, `aggregate`. Paths,
//! entry names, manifests and fleet reports come from files anyone may have written: every
//! string from them is escaped.

use comfy_table::Table;

use crate::render::Render;
use crate::render::escape::line as esc;
use crate::render::findings;
use crate::render::style::Style;
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
}

/// A fleet table; the columns in `whole` (a verdict, a finding id) are never broken, the
/// others wrap as the width needs.
fn table(style: Style, header: Vec<&str>, whole: &[usize]) -> Table {
    let mut t = crate::render::table::new(style, header);
    crate::render::table::unbroken(&mut t, whole);
    t
}

fn examples(t: &Tally) -> String {
    let more = t.count.saturating_sub(t.examples.len() as u64);
    let mut s = esc(&t.examples.join(", ")).into_owned();
    if more > 0 {
        s.push_str(&format!(" (+{more})"));
    }
    s
}

fn fleet_human(fleet: &Fleet, style: Style) -> String {
    let mut out = format!("{} {} reports\n\n", style.bold("Fleet:"), fleet.reports);
    let mut t = table(style, vec!["Verdict", "Endpoints", "Examples"], &[0]);
    for (verdict, tally) in &fleet.verdicts {
        t.add_row(vec![
            esc(verdict).into_owned(),
            tally.count.to_string(),
            examples(tally),
        ]);
    }
    out.push_str(&format!("{t}\n\n"));
    if !fleet.findings.is_empty() {
        let mut rows: Vec<_> = fleet.findings.iter().collect();
        rows.sort_by_key(|(id, f)| (std::cmp::Reverse(f.endpoints.count), id.as_str()));
        let mut t = table(
            style,
            vec!["Finding", "Severity", "Endpoints", "Examples"],
            &[0],
        );
        for (id, f) in rows {
            t.add_row(vec![
                esc(id).into_owned(),
                esc(&f.severity).into_owned(),
                f.endpoints.count.to_string(),
                examples(&f.endpoints),
            ]);
        }
        out.push_str(&format!("{t}\n\n"));
    }
    if !fleet.mirrors.is_empty() {
        let mut t = table(
            style,
            vec![
                "Mirror",
                "Endpoints",
                "Mirror offers",
                "Endpoint versions",
                "Behind",
                "Ahead (mirror behind the cloud)",
            ],
            &[],
        );
        // The URL names the row: whole, unless that would leave the five other columns
        // less than 40 between them.
        let longest = fleet
            .mirrors
            .keys()
            .map(|url| esc(url).chars().count())
            .max()
            .unwrap_or(0);
        let room = usize::from(style.width).saturating_sub(40);
        crate::render::table::at_least(&mut t, 0, longest.min(room));
        // Nor is the version the mirror offers broken.
        let version = fleet
            .mirrors
            .values()
            .filter_map(|m| m.mirror_version.as_deref())
            .map(|v| esc(v).chars().count())
            .max()
            .unwrap_or(0);
        crate::render::table::at_least(&mut t, 2, version);
        for (url, m) in &fleet.mirrors {
            let versions = m
                .endpoint_versions
                .iter()
                .map(|(v, n)| format!("{}: {n}", esc(v)))
                .collect::<Vec<_>>()
                .join(", ");
            t.add_row(vec![
                esc(url).into_owned(),
                m.endpoints.to_string(),
                esc(m.mirror_version.as_deref().unwrap_or("?")).into_owned(),
                versions,
                examples(&m.endpoints_behind),
                examples(&m.endpoints_ahead),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    for u in &fleet.unreadable {
        out.push_str(&style.yellow(&format!(
            "unreadable: {}: {}",
            esc(&u.report),
            esc(&u.error)
        )));
        out.push('\n');
    }
    out
}
