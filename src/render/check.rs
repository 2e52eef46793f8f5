//! `check` for monitoring systems: what its result shows in every monitoring format (see
//! [`crate::render::monitor`]). Titles and fixes quote what was read: control characters
//! are escaped in every format.

use crate::analyze::finding::{Finding, Severity};
use crate::render::Render;
use crate::render::monitor::{self, Gauge, MonitorView, Perf, clean};
use crate::render::style::Style;
use crate::report::check::{CheckReport, CheckResult};
use crate::report::diagnose::DiagnoseDoc;
use crate::units::human_age;

pub use crate::render::monitor::{MAX_FIRST_LINE, MAX_LONG_LINE, MAX_LONG_OUTPUT, state_word};

impl Render for CheckReport {
    type Doc<'a> = &'a DiagnoseDoc;
    fn document(&self) -> &DiagnoseDoc {
        &self.doc
    }
    /// The diagnose view of the run; the plugin output when the run never finished.
    fn human(&self, _style: Style) -> String {
        self.human.clone().unwrap_or_else(|| nagios(&self.result))
    }
    fn monitor(&self) -> Option<MonitorView> {
        Some(view(&self.result, crate::system::hostname()))
    }
}

pub const SERVICE: &str = "MDATP OFFLINE-UPDATES";
/// What node_exporter's textfile collector reads.
pub const TEXTFILE_NAME: &str = "mdatp_doctor.prom";

fn summary(r: &CheckResult) -> String {
    if let Some(p) = &r.problem {
        return clean(p);
    }
    let worst: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.severity == r.verdict && f.severity >= Severity::Warning)
        .collect();
    if worst.is_empty() {
        let mut parts = Vec::new();
        if let Some(v) = &r.definitions_version {
            parts.push(format!("definitions {}", clean(v)));
        }
        if let Some(age) = r.metrics.definitions_age_seconds {
            parts.push(format!(
                "{} old",
                human_age(std::time::Duration::from_secs_f64(age.max(0.0)))
            ));
        }
        match r.metrics.update_source_is_mirror {
            Some(true) => parts.push("from the mirror".into()),
            Some(false) => parts.push("not from the mirror".into()),
            None => {}
        }
        return if parts.is_empty() {
            "offline updates look healthy".into()
        } else {
            parts.join(", ")
        };
    }
    let others = r
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .count()
        - worst.len();
    let mut text = worst
        .iter()
        .map(|f| format!("{}: {}", f.id, clean(&f.title)))
        .collect::<Vec<_>>()
        .join("; ");
    if others > 0 {
        text.push_str(&format!(" (+{others} more)"));
    }
    text
}

/// What the check's result shows a monitoring system.
pub fn view(r: &CheckResult, host: String) -> MonitorView {
    let m = &r.metrics;
    let mut perfdata = Vec::new();
    if let Some(age) = m.definitions_age_seconds {
        perfdata.push(Perf {
            label: "definitions_age",
            value: (age.round() as i64).to_string(),
            unit: "s",
            warn: Some(r.warn),
            crit: Some(r.crit),
        });
    }
    perfdata.push(Perf::count("findings_critical", m.findings_critical));
    perfdata.push(Perf::count("findings_warning", m.findings_warning));
    if let Some(l) = m.mirror_latency_seconds {
        perfdata.push(Perf {
            label: "mirror_latency",
            value: format!("{l:.3}"),
            unit: "s",
            warn: None,
            crit: None,
        });
    }
    let long_output = crate::render::monitor::finding_lines(&r.findings);
    MonitorView {
        service: SERVICE,
        checkmk_service: "\"MDATP offline updates\"",
        textfile: TEXTFILE_NAME,
        lists_all: "mdatp-doctor diagnose",
        verdict: r.verdict,
        summary: summary(r),
        perfdata,
        long_output,
        gauges: gauges(r),
        host,
        started_unix: Some(r.started_unix),
        ended_unix: Some(r.started_unix + r.duration_seconds),
    }
}

fn gauges(r: &CheckResult) -> Vec<Gauge> {
    let m = &r.metrics;
    let name = |n: &str| format!("mdatp_doctor_{n}");
    let mut mirror_up = Gauge::new(
        name("mirror_up"),
        "1 when every probe step of the mirror succeeded, per architecture.",
    );
    for (arch, ok) in &m.mirror_up {
        mirror_up = mirror_up.sample(vec![("arch", arch.clone())], if *ok { 1.0 } else { 0.0 });
    }
    let mut info = Gauge::new(
        name("mirror_definitions_info"),
        "The definitions version the mirror's manifest offers.",
    );
    if let Some(v) = &m.mirror_definitions_version {
        info = info.sample(vec![("version", v.clone())], 1.0);
    }
    let mut findings = Gauge::new(
        name("finding"),
        "A current finding of mdatp-doctor diagnose, by id and severity.",
    );
    for f in &r.findings {
        findings = findings.sample(
            vec![
                ("id", f.id.to_string()),
                ("severity", f.severity.as_str().to_string()),
            ],
            1.0,
        );
    }
    vec![
        Gauge::flag(
            name("check_success"),
            "1 when the check completed, 0 when it hit the deadline or failed.",
            Some(r.complete),
        ),
        Gauge::one(
            name("definitions_age_seconds"),
            "Age of the loaded security intelligence.",
            m.definitions_age_seconds,
        ),
        Gauge::flag(
            name("definitions_up_to_date"),
            "1 when mdatp reports definitions_status up_to_date.",
            m.definitions_up_to_date,
        ),
        Gauge::flag(
            name("offline_update_enabled"),
            "1 when offline security intelligence updates are enabled.",
            m.offline_update_enabled,
        ),
        Gauge::flag(
            name("signature_verification_enabled"),
            "1 when offline packages are signature-verified.",
            m.signature_verification_enabled,
        ),
        Gauge::flag(
            name("update_source_is_mirror"),
            "1 when the last update came from the configured mirror.",
            m.update_source_is_mirror,
        ),
        mirror_up,
        info,
        Gauge::one(
            name("mirror_last_sync_timestamp_seconds"),
            "When the mirror last synced successfully (Unix time, from its mdatp-doctor-status.json).",
            m.mirror_last_sync_timestamp_seconds,
        ),
        Gauge::flag(
            name("mirror_last_sync_success"),
            "1 when the mirror's last sync attempt worked, 0 when it failed (from its mdatp-doctor-status.json).",
            m.mirror_last_sync_success,
        ),
        Gauge::one(
            name("predicted_stale_timestamp_seconds"),
            "When the definitions cross the warning age if no update arrives (Unix time).",
            m.predicted_stale_timestamp_seconds,
        ),
        findings,
        Gauge::one(
            name("last_run_timestamp_seconds"),
            "When this check ran (Unix time).",
            Some(r.started_unix),
        ),
        Gauge::one(
            name("run_duration_seconds"),
            "How long this check took.",
            Some(r.duration_seconds),
        ),
    ]
}

/// The result in Monitoring Plugins output (also what people see when the run never
/// finished).
pub fn nagios(r: &CheckResult) -> String {
    monitor::nagios::render(&view(r, String::new()))
}

pub fn checkmk(r: &CheckResult) -> String {
    monitor::checkmk::render(&view(r, String::new()))
}

pub fn prometheus(r: &CheckResult) -> String {
    monitor::prometheus::render(&view(r, String::new()))
}

#[cfg(test)]
mod tests;
