//! `mirror check` for people and for monitoring (what it shows every monitoring format).

use crate::analyze::finding::Severity;
use crate::render::monitor::{self, Gauge, MonitorView, Perf, clean, state_word};
use crate::render::style::Style;
use crate::render::{Render, findings};
use crate::report::mirror_host::{
    ArchRow, MirrorCheckDoc, MirrorCheckReport, MirrorRunDoc, MirrorRunReport, StageRow,
};
use crate::units::human_age;
use std::time::Duration;

pub const SERVICE: &str = "MDATP MIRROR-HOST";
/// What node_exporter's textfile collector reads for the mirror host.
pub const TEXTFILE_NAME: &str = "mdatp_mirror.prom";

impl Render for MirrorCheckReport {
    type Doc<'a> = &'a MirrorCheckDoc;
    fn document(&self) -> &MirrorCheckDoc {
        &self.doc
    }
    fn human(&self, style: Style) -> String {
        let d = &self.doc;
        let mut out = String::new();
        out.push_str(&format!(
            "{} mirror host: {}\n",
            findings::mark(d.verdict, style),
            style.bold(state_word(d.verdict))
        ));
        if let Some(s) = &d.settings {
            out.push_str(&format!("  settings: {s}\n"));
        }
        out.push_str(&format!("  folder:   {}\n", d.folder));
        if let Some(l) = &d.log {
            out.push_str(&format!("  log:      {l}\n"));
        }
        if let Some(u) = &d.runs_as {
            out.push_str(&format!("  runs as:  {u}\n"));
        }
        for a in &d.arches {
            out.push_str(&format!(
                "  {}/{}{}/arch_{}: {}\n",
                a.platform,
                a.ring,
                if a.backup { "_back" } else { "" },
                a.arch,
                arch_line(a)
            ));
        }
        stages_section(d, &mut out);
        out.push('\n');
        out.push_str(&findings::list(&d.findings, style));
        out
    }
    fn monitor(&self) -> Option<MonitorView> {
        Some(view(&self.doc, crate::system::hostname()))
    }
}

fn arch_line(a: &crate::report::mirror_host::ArchRow) -> String {
    match (a.package_ok, &a.definitions_version) {
        (None, _) => "no package".into(),
        (Some(false), _) => "bad package".into(),
        (Some(true), v) => format!(
            "definitions {}, {} bytes",
            v.as_deref().filter(|v| !v.is_empty()).unwrap_or("?"),
            a.package_bytes.unwrap_or(0)
        ),
    }
}

/// A staged root's stages, arch folder by arch folder, in the order a package goes
/// through them.
fn stages_section(d: &MirrorCheckDoc, out: &mut String) {
    let Some(stages) = &d.stages else { return };
    out.push_str("  stages:   incoming → canary → production → back\n");
    if stages.is_empty() {
        out.push_str("    no arch folder in any stage yet\n");
    }
    // The document lists stage by stage; people read one arch folder's path at a time.
    let key = |r: &StageRow| (r.platform.clone(), r.ring.clone(), r.arch.clone());
    let mut keys = Vec::new();
    for r in stages {
        if !keys.contains(&key(r)) {
            keys.push(key(r));
        }
    }
    for k in keys {
        out.push_str(&format!("    {}/{}/arch_{}:\n", k.0, k.1, k.2));
        for r in stages.iter().filter(|r| key(r) == k) {
            out.push_str(&format!("      {:<11} {}\n", r.stage.name(), stage_line(r)));
            if let Some(why) = &r.why_not {
                out.push_str(&format!("      {:<11} NOT FIT TO SERVE: {why}\n", ""));
            }
            if let Some(e) = &r.marker_error {
                out.push_str(&format!("      {:<11} marker unreadable: {e}\n", ""));
            }
        }
    }
    if let Some(j) = &d.stage_journal {
        let what = match (&j.op, &j.folder) {
            (Some(op), Some(f)) => format!("{op} of {f}"),
            (Some(op), None) => op.clone(),
            _ => "a step".into(),
        };
        let age = j.age_seconds.map_or(String::new(), |a| {
            format!(", written {} ago", human_age(secs(a)))
        });
        out.push_str(&format!(
            "  journal:  {} ({what} unfinished{age})\n",
            j.path
        ));
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

fn stage_line(r: &StageRow) -> String {
    let mut parts = Vec::new();
    match (&r.definitions_version, &r.engine_version) {
        (Some(d), Some(e)) if !d.is_empty() => parts.push(format!("{d} (engine {e})")),
        _ => {}
    }
    if let Some(a) = r.package_age_seconds {
        parts.push(format!("package {} old", human_age(secs(a))));
    }
    if let Some(s) = r.served_seconds {
        parts.push(format!("serving it for {}", human_age(secs(s))));
    }
    if parts.is_empty() {
        "empty".into()
    } else {
        parts.join(", ")
    }
}

fn summary(d: &MirrorCheckDoc) -> String {
    let worst: Vec<String> = d
        .findings
        .iter()
        .filter(|f| f.severity == d.verdict && f.severity >= Severity::Warning)
        .map(|f| format!("{}: {}", f.id, clean(&f.title)))
        .collect();
    if worst.is_empty() {
        let current = d.arches.iter().filter(|a| !a.backup).count();
        return format!("{current} arch folder(s) checked in {}", clean(&d.folder));
    }
    worst.join("; ")
}

fn count(d: &MirrorCheckDoc, sev: Severity) -> usize {
    d.findings.iter().filter(|f| f.severity == sev).count()
}

/// What `mirror check` shows a monitoring system.
pub fn view(d: &MirrorCheckDoc, host: String) -> MonitorView {
    let long_output = crate::render::monitor::finding_lines(&d.findings);
    MonitorView {
        service: SERVICE,
        checkmk_service: "mdatp_mirror_host",
        textfile: TEXTFILE_NAME,
        lists_all: "mdatp-doctor mirror check",
        verdict: d.verdict,
        summary: summary(d),
        perfdata: vec![
            Perf::count("findings_critical", count(d, Severity::Critical)),
            Perf::count("findings_warning", count(d, Severity::Warning)),
        ],
        long_output,
        gauges: gauges(d),
        host,
        started_unix: Some(d.checked_unix as f64),
        ended_unix: None,
    }
}

fn gauges(d: &MirrorCheckDoc) -> Vec<Gauge> {
    let labels = |a: &ArchRow| {
        let ring = if a.backup {
            format!("{}_back", a.ring)
        } else {
            a.ring.clone()
        };
        vec![
            ("platform", a.platform.clone()),
            ("ring", ring),
            ("arch", a.arch.clone()),
        ]
    };
    let mut findings = Gauge::new("mdatp_mirror_findings", "Mirror-host findings by severity.");
    for sev in [Severity::Critical, Severity::Warning, Severity::Unknown] {
        findings = findings.sample(
            vec![("severity", sev.as_str().to_string())],
            count(d, sev) as f64,
        );
    }
    let mut age = Gauge::new(
        "mdatp_mirror_package_age_seconds",
        "Age of updates.zip on the mirror host.",
    );
    let mut ok = Gauge::new(
        "mdatp_mirror_package_ok",
        "1 when updates.zip is a complete zip whose entries pass their CRC.",
    );
    let mut version = Gauge::new(
        "mdatp_mirror_definitions_version_info",
        "The versions manifest.json offers.",
    );
    let mut behind = Gauge::new(
        "mdatp_mirror_behind_microsoft_seconds",
        "--online: how long Microsoft has published newer definitions than the mirror holds (0: current).",
    );
    for a in &d.arches {
        if let Some(s) = a.package_age_seconds {
            age = age.sample(labels(a), s);
        }
        ok = ok.sample(labels(a), f64::from(u8::from(a.package_ok == Some(true))));
        if let (Some(e), Some(v)) = (&a.engine_version, &a.definitions_version) {
            let mut l = labels(a);
            l.push(("engine", e.clone()));
            l.push(("definitions", v.clone()));
            version = version.sample(l, 1.0);
        }
        if let Some(b) = a.behind_seconds {
            behind = behind.sample(labels(a), b);
        }
    }
    let mut out = vec![
        Gauge::one(
            "mdatp_mirror_status",
            "Worst mirror-host finding: 0 ok, 1 warning, 2 critical, 3 unknown.",
            Some(f64::from(d.verdict.exit_code().code())),
        ),
        findings,
        age,
        ok,
        version,
        Gauge::one(
            "mdatp_mirror_last_check_timestamp_seconds",
            "When this check read the tree (Unix time); the package ages are as of then.",
            Some(d.checked_unix as f64),
        ),
    ];
    if let Some(stages) = &d.stages {
        out.extend(stage_gauges(d, stages));
    }
    out.push(behind);
    out
}

/// A staged root's stages (`mirror check --folder ROOT`): labelled by stage as well.
fn stage_gauges(d: &MirrorCheckDoc, stages: &[StageRow]) -> Vec<Gauge> {
    let labels = |r: &StageRow| {
        vec![
            ("stage", r.stage.name().to_string()),
            ("platform", r.platform.clone()),
            ("ring", r.ring.clone()),
            ("arch", r.arch.clone()),
        ]
    };
    let mut info = Gauge::new(
        "mdatp_mirror_stage_info",
        "The versions each stage's arch folder holds (staged root: incoming, canary, production, back).",
    );
    let mut ok = Gauge::new(
        "mdatp_mirror_stage_ok",
        "1 when the stage's arch folder is fit to serve: a complete zip whose entries pass their CRC and a manifest with both versions.",
    );
    let mut age = Gauge::new(
        "mdatp_mirror_stage_package_age_seconds",
        "Age of updates.zip in each stage's arch folder.",
    );
    let mut served = Gauge::new(
        "mdatp_mirror_stage_served_seconds",
        "How long the canary or production arch folder has served what it holds.",
    );
    for r in stages {
        let mut l = labels(r);
        l.push((
            "definitions_version",
            r.definitions_version.clone().unwrap_or_default(),
        ));
        l.push((
            "engine_version",
            r.engine_version.clone().unwrap_or_default(),
        ));
        info = info.sample(l, 1.0);
        ok = ok.sample(labels(r), f64::from(u8::from(r.ok)));
        if let Some(a) = r.package_age_seconds {
            age = age.sample(labels(r), a);
        }
        if let Some(s) = r.served_seconds {
            served = served.sample(labels(r), s);
        }
    }
    vec![
        info,
        ok,
        age,
        served,
        Gauge::flag(
            "mdatp_mirror_stage_interrupted",
            "1 while the journal of a promote or rollback step is in the staged root (a step runs or was killed).",
            Some(d.stage_journal.is_some()),
        ),
    ]
}

/// `mirror check` in Monitoring Plugins output.
pub fn nagios(d: &MirrorCheckDoc) -> String {
    monitor::nagios::render(&view(d, String::new()))
}

pub fn checkmk(d: &MirrorCheckDoc) -> String {
    monitor::checkmk::render(&view(d, String::new()))
}

pub fn prometheus(d: &MirrorCheckDoc) -> String {
    monitor::prometheus::render(&view(d, String::new()))
}

impl Render for MirrorRunReport {
    type Doc<'a> = &'a MirrorRunDoc;
    fn document(&self) -> &MirrorRunDoc {
        &self.doc
    }
    fn human(&self, style: Style) -> String {
        let d = &self.doc;
        let mut out = format!(
            "{} mirror run: {}\n",
            findings::mark(d.verdict, style),
            style.bold(state_word(d.verdict))
        );
        let how = match (&d.spawn_error, d.timed_out, d.exit_code) {
            (Some(e), _, _) => format!("could not be started: {e}"),
            (None, _, _) if d.interrupted => "killed: mdatp-doctor was interrupted".into(),
            (None, true, _) => format!("killed after {:.0} s (timeout)", d.duration_seconds),
            (None, false, Some(c)) => format!("exited {c} after {:.1} s", d.duration_seconds),
            (None, false, None) => "killed by a signal".into(),
        };
        out.push_str(&format!("  script: {} {how}\n", d.script));
        for e in &d.errors {
            out.push_str(&format!("  script said: {e}\n"));
        }
        for r in &d.restored {
            out.push_str(&format!(
                "  restored the previous package and manifest in {r}\n"
            ));
        }
        for e in &d.restore_errors {
            out.push_str(&format!("  could not restore: {e}\n"));
        }
        for e in &d.status_errors {
            out.push_str(&format!("  could not write the status file: {e}\n"));
        }
        if let Some(v) = d.verdict_after_restore {
            out.push_str(&format!("  after the restore: {}\n", state_word(v)));
        }
        out.push('\n');
        out.push_str(&findings::list(&d.check.findings, style));
        if let Some(p) = &d.promote {
            out.push('\n');
            out.push_str(&super::stage::human(p, style));
        }
        out
    }
}

/// The run's result for node_exporter's textfile collector.
pub fn run_textfile(d: &MirrorRunDoc) -> String {
    format!(
        "# HELP mdatp_mirror_run_status Result of the last mirror run: 0 ok, 1 warning, 2 critical, 3 unknown.\n\
         # TYPE mdatp_mirror_run_status gauge\n\
         mdatp_mirror_run_status {}\n\
         # HELP mdatp_mirror_run_restored Arch folders restored to their previous package by the last run.\n\
         # TYPE mdatp_mirror_run_restored gauge\n\
         mdatp_mirror_run_restored {}\n\
         # HELP mdatp_mirror_run_last_timestamp_seconds When the last mirror run finished.\n\
         # TYPE mdatp_mirror_run_last_timestamp_seconds gauge\n\
         mdatp_mirror_run_last_timestamp_seconds {}\n",
        d.verdict.exit_code().code(),
        d.restored.len(),
        d.finished_unix
    )
}
