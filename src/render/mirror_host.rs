//! `mirror check` for people and for monitoring (Nagios, Prometheus, Checkmk).

use crate::analyze::finding::Severity;
use crate::render::check::state_word;
use crate::render::style::Style;
use crate::render::{Format, Render, findings};
use crate::report::mirror_host::{
    MirrorCheckDoc, MirrorCheckReport, MirrorRunDoc, MirrorRunReport, StageRow,
};
use crate::units::human_age;
use std::time::Duration;

pub const SERVICE: &str = "MDATP MIRROR-HOST";

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
    fn monitoring(&self, format: Format) -> Option<String> {
        Some(match format {
            Format::Prometheus => prometheus(&self.doc),
            Format::Checkmk => checkmk(&self.doc),
            _ => nagios(&self.doc),
        })
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

fn clean(s: &str) -> String {
    s.replace('|', "/").replace(['\n', '\r'], " ")
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
        return format!("{current} arch folder(s) checked in {}", d.folder);
    }
    let mut s = worst.join("; ");
    if s.len() > 900 {
        let mut end = 897;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

fn count(d: &MirrorCheckDoc, sev: Severity) -> usize {
    d.findings.iter().filter(|f| f.severity == sev).count()
}

pub fn nagios(d: &MirrorCheckDoc) -> String {
    let mut out = format!(
        "{SERVICE} {} - {} | findings_critical={};;;0 findings_warning={};;;0\n",
        state_word(d.verdict),
        summary(d),
        count(d, Severity::Critical),
        count(d, Severity::Warning)
    );
    for f in d.findings.iter().filter(|f| f.severity > Severity::Ok) {
        out.push_str(&format!(
            "[{}] {}: {} (fix: {})\n",
            f.severity.as_str().to_ascii_uppercase(),
            f.id,
            clean(&f.title),
            clean(&f.fix)
        ));
    }
    out
}

pub fn checkmk(d: &MirrorCheckDoc) -> String {
    format!(
        "{} mdatp_mirror_host findings_critical={}|findings_warning={} {}\n",
        d.verdict.exit_code().code(),
        count(d, Severity::Critical),
        count(d, Severity::Warning),
        summary(d)
    )
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn prometheus(d: &MirrorCheckDoc) -> String {
    let mut out = String::new();
    out.push_str("# HELP mdatp_mirror_status Worst mirror-host finding: 0 ok, 1 warning, 2 critical, 3 unknown.\n# TYPE mdatp_mirror_status gauge\n");
    out.push_str(&format!(
        "mdatp_mirror_status {}\n",
        d.verdict.exit_code().code()
    ));
    out.push_str("# HELP mdatp_mirror_findings Mirror-host findings by severity.\n# TYPE mdatp_mirror_findings gauge\n");
    for sev in [Severity::Critical, Severity::Warning, Severity::Unknown] {
        out.push_str(&format!(
            "mdatp_mirror_findings{{severity=\"{}\"}} {}\n",
            sev.as_str(),
            count(d, sev)
        ));
    }
    let labels = |a: &crate::report::mirror_host::ArchRow| {
        let ring = if a.backup {
            format!("{}_back", a.ring)
        } else {
            a.ring.clone()
        };
        format!(
            "platform=\"{}\",ring=\"{}\",arch=\"{}\"",
            label(&a.platform),
            label(&ring),
            label(&a.arch)
        )
    };
    out.push_str("# HELP mdatp_mirror_package_age_seconds Age of updates.zip on the mirror host.\n# TYPE mdatp_mirror_package_age_seconds gauge\n");
    for a in &d.arches {
        if let Some(age) = a.package_age_seconds {
            out.push_str(&format!(
                "mdatp_mirror_package_age_seconds{{{}}} {age}\n",
                labels(a)
            ));
        }
    }
    out.push_str("# HELP mdatp_mirror_package_ok 1 when updates.zip is a complete zip whose entries pass their CRC.\n# TYPE mdatp_mirror_package_ok gauge\n");
    for a in &d.arches {
        out.push_str(&format!(
            "mdatp_mirror_package_ok{{{}}} {}\n",
            labels(a),
            u8::from(a.package_ok == Some(true))
        ));
    }
    out.push_str("# HELP mdatp_mirror_definitions_version_info The versions manifest.json offers.\n# TYPE mdatp_mirror_definitions_version_info gauge\n");
    for a in &d.arches {
        if let (Some(e), Some(v)) = (&a.engine_version, &a.definitions_version) {
            out.push_str(&format!(
                "mdatp_mirror_definitions_version_info{{{},engine=\"{}\",definitions=\"{}\"}} 1\n",
                labels(a),
                label(e),
                label(v)
            ));
        }
    }
    out.push_str("# HELP mdatp_mirror_last_check_timestamp_seconds When this check read the tree (Unix time); the package ages are as of then.\n# TYPE mdatp_mirror_last_check_timestamp_seconds gauge\n");
    out.push_str(&format!(
        "mdatp_mirror_last_check_timestamp_seconds {}\n",
        d.checked_unix
    ));
    if let Some(stages) = &d.stages {
        stage_metrics(d, stages, &mut out);
    }
    if d.arches.iter().any(|a| a.behind_seconds.is_some()) {
        out.push_str("# HELP mdatp_mirror_behind_microsoft_seconds --online: how long Microsoft has published newer definitions than the mirror holds (0: current).\n# TYPE mdatp_mirror_behind_microsoft_seconds gauge\n");
        for a in &d.arches {
            if let Some(b) = a.behind_seconds {
                out.push_str(&format!(
                    "mdatp_mirror_behind_microsoft_seconds{{{}}} {b}\n",
                    labels(a)
                ));
            }
        }
    }
    out
}

/// A staged root's stages (`mirror check --folder ROOT`): labelled by stage as well.
fn stage_metrics(d: &MirrorCheckDoc, stages: &[StageRow], out: &mut String) {
    let labels = |r: &StageRow| {
        format!(
            "stage=\"{}\",platform=\"{}\",ring=\"{}\",arch=\"{}\"",
            r.stage.name(),
            label(&r.platform),
            label(&r.ring),
            label(&r.arch)
        )
    };
    out.push_str("# HELP mdatp_mirror_stage_info The versions each stage's arch folder holds (staged root: incoming, canary, production, back).\n# TYPE mdatp_mirror_stage_info gauge\n");
    for r in stages {
        out.push_str(&format!(
            "mdatp_mirror_stage_info{{{},definitions_version=\"{}\",engine_version=\"{}\"}} 1\n",
            labels(r),
            label(r.definitions_version.as_deref().unwrap_or("")),
            label(r.engine_version.as_deref().unwrap_or(""))
        ));
    }
    out.push_str("# HELP mdatp_mirror_stage_ok 1 when the stage's arch folder is fit to serve: a complete zip whose entries pass their CRC and a manifest with both versions.\n# TYPE mdatp_mirror_stage_ok gauge\n");
    for r in stages {
        out.push_str(&format!(
            "mdatp_mirror_stage_ok{{{}}} {}\n",
            labels(r),
            u8::from(r.ok)
        ));
    }
    out.push_str("# HELP mdatp_mirror_stage_package_age_seconds Age of updates.zip in each stage's arch folder.\n# TYPE mdatp_mirror_stage_package_age_seconds gauge\n");
    for r in stages {
        if let Some(age) = r.package_age_seconds {
            out.push_str(&format!(
                "mdatp_mirror_stage_package_age_seconds{{{}}} {age}\n",
                labels(r)
            ));
        }
    }
    out.push_str("# HELP mdatp_mirror_stage_served_seconds How long the canary or production arch folder has served what it holds.\n# TYPE mdatp_mirror_stage_served_seconds gauge\n");
    for r in stages {
        if let Some(s) = r.served_seconds {
            out.push_str(&format!(
                "mdatp_mirror_stage_served_seconds{{{}}} {s}\n",
                labels(r)
            ));
        }
    }
    out.push_str("# HELP mdatp_mirror_stage_interrupted 1 while the journal of a promote or rollback step is in the staged root (a step runs or was killed).\n# TYPE mdatp_mirror_stage_interrupted gauge\n");
    out.push_str(&format!(
        "mdatp_mirror_stage_interrupted {}\n",
        u8::from(d.stage_journal.is_some())
    ));
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
