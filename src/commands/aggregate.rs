//! `mdatp-doctor aggregate FILES|DIRS...`: reads diagnose reports one at a time (a
//! directory is walked for `*.json`), folds them into a fleet summary, and prints it.

use std::path::{Path, PathBuf};

use comfy_table::{ContentArrangement, Table, presets};

use crate::analyze::fleet::{Fleet, Report as FleetReport, Tally};
use crate::cli::AggregateArgs;
use crate::commands::{Context, Output, Report};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::render::style::Style;

/// A diagnose report is a few KiB; anything this big is not one.
const MAX_REPORT_BYTES: u64 = 16 * 1024 * 1024;
/// Directory walks stop this deep (symlinks are not followed at all).
const MAX_DEPTH: usize = 8;

pub fn run(ctx: &Context, args: &AggregateArgs) -> Result<Report, Failure> {
    let mut fleet = Fleet::default();
    let mut buf = Vec::new();
    for input in &args.inputs {
        walk(input, 0, &mut fleet, &mut buf);
    }
    if fleet.reports == 0 {
        return Err(Failure::unknown(
            "no_reports",
            format!(
                "no readable diagnose report among {} input(s) ({} unreadable)",
                args.inputs.len(),
                fleet.unreadable.len()
            ),
            "pass files or directories holding `mdatp-doctor diagnose --format json` output",
        ));
    }
    let stdout = match ctx.format {
        Output::Json => {
            let mut v = serde_json::to_value(&fleet).unwrap_or_default();
            v["schema_version"] = serde_json::json!(1);
            v["mirrors_behind_cloud"] = serde_json::json!(fleet.mirrors_behind_cloud());
            format!("{v:#}\n")
        }
        Output::Human => human(&fleet, ctx.style),
    };
    Ok(Report {
        stdout,
        exit: ExitCode::Ok,
    })
}

/// Reads `path` if it is a file, or the `*.json` files below it if it is a directory;
/// one report in memory at a time (`buf` is reused).
fn walk(path: &Path, depth: usize, fleet: &mut Fleet, buf: &mut Vec<u8>) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            fleet.unreadable(&path.display().to_string(), e.to_string());
            return;
        }
    };
    if meta.is_file() {
        read_one(path, fleet, buf);
    } else if meta.is_dir() && depth < MAX_DEPTH {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
            Err(e) => {
                fleet.unreadable(&path.display().to_string(), e.to_string());
                return;
            }
        };
        entries.sort();
        for entry in entries {
            let is_dir = std::fs::symlink_metadata(&entry).is_ok_and(|m| m.is_dir());
            if is_dir || entry.extension().is_some_and(|e| e == "json") {
                walk(&entry, depth + 1, fleet, buf);
            }
        }
    }
}

fn read_one(path: &Path, fleet: &mut Fleet, buf: &mut Vec<u8>) {
    use std::io::Read;
    let name = path.display().to_string();
    buf.clear();
    let read =
        std::fs::File::open(path).and_then(|f| f.take(MAX_REPORT_BYTES + 1).read_to_end(buf));
    if let Err(e) = read {
        fleet.unreadable(&name, e.to_string());
        return;
    }
    if buf.len() as u64 > MAX_REPORT_BYTES {
        fleet.unreadable(&name, "larger than 16 MiB");
        return;
    }
    match serde_json::from_slice::<FleetReport>(buf) {
        Ok(report) if report.verdict.is_some() => {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or(name);
            fleet.add(&report, &stem);
        }
        Ok(_) => fleet.unreadable(&name, "not a diagnose report (no verdict)"),
        Err(e) => fleet.unreadable(&name, format!("invalid JSON: {e}")),
    }
}

fn table(style: Style, header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    if !style.color {
        t.force_no_tty();
    }
    t
}

fn examples(t: &Tally) -> String {
    let more = t.count.saturating_sub(t.examples.len() as u64);
    let mut s = t.examples.join(", ");
    if more > 0 {
        s.push_str(&format!(" (+{more})"));
    }
    s
}

fn human(fleet: &Fleet, style: Style) -> String {
    let mut out = format!("{} {} reports\n\n", style.bold("Fleet:"), fleet.reports);
    let mut t = table(style, vec!["Verdict", "Endpoints", "Examples"]);
    for (verdict, tally) in &fleet.verdicts {
        t.add_row(vec![
            verdict.clone(),
            tally.count.to_string(),
            examples(tally),
        ]);
    }
    out.push_str(&format!("{t}\n\n"));
    if !fleet.findings.is_empty() {
        let mut rows: Vec<_> = fleet.findings.iter().collect();
        rows.sort_by_key(|(id, f)| (std::cmp::Reverse(f.endpoints.count), id.as_str()));
        let mut t = table(style, vec!["Finding", "Severity", "Endpoints", "Examples"]);
        for (id, f) in rows {
            t.add_row(vec![
                id.clone(),
                f.severity.clone(),
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
        );
        for (url, m) in &fleet.mirrors {
            let versions = m
                .endpoint_versions
                .iter()
                .map(|(v, n)| format!("{v}: {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            t.add_row(vec![
                url.clone(),
                m.endpoints.to_string(),
                m.mirror_version.clone().unwrap_or_else(|| "?".into()),
                versions,
                examples(&m.endpoints_behind),
                examples(&m.endpoints_ahead),
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    for u in &fleet.unreadable {
        out.push_str(&style.yellow(&format!("unreadable: {}: {}", u.report, u.error)));
        out.push('\n');
    }
    out
}
