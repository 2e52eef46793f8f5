//! `diagnose` output: an endpoint header, the findings with their fixes, a verdict line;
//! or the JSON document. Also the catalogue (`--list`) and one rule (`--explain`).

use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Value, json};

use crate::analyze::finding::Rule;
use crate::analyze::finding::{Finding, Severity};
use crate::analyze::rules;
use crate::analyze::snapshot::Snapshot;
use crate::commands::Output;
use crate::gather::RunFacts;
use crate::managed::config::ConfigError;
use crate::mdatp::health::Health;
use crate::render::findings;
use crate::render::style::Style;
use crate::units::human_age;

fn fields_json(h: &Health) -> Value {
    serde_json::to_value(&h.fields).unwrap_or(Value::Null)
}

fn config_status(s: &Snapshot) -> (&'static str, Option<String>) {
    match &s.config.loaded {
        Ok(_) => ("ok", None),
        Err(ConfigError::NotFound { .. }) => ("not-found", None),
        Err(e @ (ConfigError::InvalidJson { .. } | ConfigError::NotAnObject { .. })) => {
            ("invalid", Some(e.to_string()))
        }
        Err(e) => ("unreadable", Some(e.to_string())),
    }
}

pub fn json(s: &Snapshot, run: &RunFacts, found: &[Finding], verdict: Severity) -> String {
    let (status, error) = config_status(s);
    let doc = json!({
        "schema_version": 1,
        "snapshot": {
            "time": s.now.to_string(),
            "hostname": run.hostname,
            "mdatp": {
                "path": run.mdatp_path,
                "app_version": s.str("app_version"),
                "error": s.mdatp_problem.as_ref().map(|p| json!({"not_found": p.not_found, "message": p.message, "hint": p.hint})),
            },
            "definitions": s.definitions.as_ref().map(fields_json),
            "health": s.health.as_ref().map(fields_json),
            "managed_config": {
                "path": s.config.path,
                "status": status,
                "error": error,
                "content": s.config.loaded.as_ref().ok().map(|c| c.root.clone()),
            },
            "mirror": {
                "url": s.mirror.url.as_ref().map(|(u, _)| u),
                "url_source": s.mirror.url.as_ref().map(|(_, src)| src.as_str()),
                "skipped": s.mirror.skipped,
                "proxy": run.proxy,
                "arch": s.mirror.probes,
            },
            "history": {
                "state_dir": run.state_dir.display().to_string(),
                "entries": s.history.len(),
                "error": s.history_error,
            },
        },
        "findings": found,
        "verdict": verdict.as_str(),
    });
    format!("{doc:#}\n")
}

pub fn human(
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
    let (status, _) = config_status(s);
    rows.push(("managed config", format!("{} ({status})", s.config.path)));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        out.push_str(&format!(
            "  {:width$}  {v}\n",
            style.dim(k),
            width = width + if style.color { 8 } else { 0 }
        ));
    }
    out.push('\n');
    out.push_str(&style.bold("Findings"));
    out.push('\n');
    out.push_str(&findings::list(found, style));
    out.push('\n');
    out.push_str(&verdict_line(found, verdict, style));
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

pub fn catalogue(format: Output, style: Style) -> String {
    if format == Output::Json {
        let list: Vec<Value> = rules::catalogue()
            .map(
                |r| json!({"id": r.id, "severity": r.severity, "meaning": r.meaning, "fix": r.fix}),
            )
            .collect();
        return format!("{:#}\n", Value::Array(list));
    }
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["Id", "Severity", "Meaning"]);
    if !style.color {
        table.force_no_tty();
    }
    for r in rules::catalogue() {
        table.add_row(vec![r.id, r.severity, r.meaning]);
    }
    format!("{table}\n")
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

pub fn explain(rule: &Rule, format: Output) -> String {
    if format == Output::Json {
        return format!(
            "{:#}\n",
            json!({"id": rule.id, "severity": rule.severity, "meaning": rule.meaning, "fix": rule.fix})
        );
    }
    format!(
        "{} ({})\n\n{}\n\nFix: {}\n",
        rule.id, rule.severity, rule.meaning, rule.fix
    )
}
