//! `connectivity` output: per architecture a table of steps (✓ ok, ! odd, ✗ failed),
//! the versions on the mirror next to the endpoint's, the findings with their fixes and a
//! one-sentence conclusion; or the JSON report.

use comfy_table::{Cell, CellAlignment};
use serde_json::Value;

use crate::analyze::finding::Severity;
use crate::mirror::step::{Key, ProxySource};
use crate::mirror::{Step, StepName};
use crate::render::Render;
use crate::render::escape;
use crate::render::findings;
use crate::render::style::Style;
use crate::render::table;
use crate::report::connectivity::ConnectivityReport;

impl Render for ConnectivityReport {
    type Doc<'a> = &'a ConnectivityReport;
    fn document(&self) -> &ConnectivityReport {
        self
    }
    fn human(&self, style: Style) -> String {
        human(self, style)
    }
}

fn human(report: &ConnectivityReport, style: Style) -> String {
    let mut out = String::new();
    let source = match report.url_source.map(|s| s.as_str()) {
        Some("argument") => "from --url",
        Some("health") => "from mdatp health",
        Some(_) => "from the managed config",
        None => "",
    };
    out.push_str(&format!(
        "{} {}  {}\n",
        style.bold("Mirror:"),
        escape::line(report.url.as_deref().unwrap_or("(none configured)")),
        style.dim(source)
    ));
    let proxy = match (&report.proxy.url, report.proxy.source) {
        (Some(u), ProxySource::Argument) => {
            format!("{}  {}", escape::line(u), style.dim("from --proxy"))
        }
        (Some(u), source) => {
            let from = match source {
                ProxySource::Health => "from mdatp health (mdatp config proxy set)",
                ProxySource::ServiceEnvironment => {
                    "from HTTPS_PROXY in mdatp's service environment"
                }
                _ => "from the managed config (cloudService.proxy)",
            };
            format!("{}  {}", escape::line(u), style.dim(from))
        }
        (None, ProxySource::Disabled) => format!("none  {}", style.dim("--no-proxy")),
        (None, _) => format!(
            "none  {}",
            style.dim("mdatp has none: no cloudService.proxy, no HTTPS_PROXY, none in health")
        ),
    };
    out.push_str(&format!("{} {proxy}\n", style.bold("Proxy: ")));
    if let Some(line) = report
        .status
        .as_ref()
        .and_then(|r| crate::render::mirror_status::line(r, report.checked_at))
    {
        out.push_str(&format!(
            "{} {}\n",
            style.bold("Status:"),
            escape::line(&line)
        ));
    }

    for probe in &report.arch {
        out.push('\n');
        out.push_str(&format!(
            "{} {}\n",
            style.bold(&escape::line(&probe.arch)),
            style.dim(&escape::line(&probe.location))
        ));
        let mut table = table::new(style, vec!["Step", "", "Detail", "Time"]);
        table::unbroken(&mut table, &[0, 1, 3]);
        for step in &probe.steps {
            table.add_row(vec![
                Cell::new(step.name),
                Cell::new(mark(step, style)),
                Cell::new(escape::line(&summary(step))),
                // TLS set up with the TCP connection is timed there, not as "0 ms".
                Cell::new(if step.detail.get("timed_with").is_some() {
                    "(in tcp)".to_string()
                } else {
                    format!("{} ms", step.duration_ms)
                })
                .set_alignment(CellAlignment::Right),
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
        if let Some(m) = &probe.manifest {
            let endpoint = report.endpoint.as_ref();
            out.push_str(&format!(
                "Versions: mirror definitions {} (engine {})  ·  endpoint definitions {}{}\n",
                escape::line(or_dash(&m.definition_version)),
                escape::line(or_dash(&m.engine_version)),
                escape::line(
                    endpoint
                        .and_then(|e| e.definitions_version.as_deref())
                        .unwrap_or("unknown")
                ),
                endpoint
                    .and_then(|e| e.engine_version.as_deref())
                    .map(|v| format!(" (engine {})", escape::line(v)))
                    .unwrap_or_default()
            ));
        }
    }

    if let Some(test) = &report.mdatp_connectivity_test {
        let failed: Vec<_> = test.results.iter().filter(|r| !r.ok).collect();
        out.push_str(&format!(
            "\nmdatp connectivity test: {} of {} OK\n",
            test.results.len() - failed.len(),
            test.results.len()
        ));
        for r in failed {
            out.push_str(&format!(
                "  ✗ {} [{}] {}\n",
                escape::line(&r.url),
                escape::line(&r.result),
                escape::line(&r.details.join(" "))
            ));
        }
    }
    for w in &report.warnings {
        out.push_str(&style.yellow(&format!("note: {}", escape::line(w))));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&findings::list(&report.findings, style));
    out.push_str(&conclusion(report));
    out.push('\n');
    out
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "\"\"" } else { s }
}

fn mark(step: &Step, style: Style) -> String {
    if !step.ok {
        style.red("✗")
    } else if step.note.is_some() {
        style.yellow("!")
    } else {
        style.green("✓")
    }
}

/// One line of what a step saw; the error wins when there is one. Raw: the caller escapes
/// it.
fn summary(step: &Step) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(hops) = step
        .get(Key::Redirects)
        .and_then(Value::as_array)
        .filter(|h| !h.is_empty())
    {
        parts.push(format!("{} redirect(s)", hops.len()));
    }
    match step.name {
        StepName::Dns => {
            if let Some(a) = step.get(Key::Addresses).and_then(Value::as_array) {
                parts.push(
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            if let Some(p) = step.get(Key::ViaProxy).and_then(Value::as_str) {
                parts.push(format!("proxy {p}"));
            }
        }
        StepName::Tcp => {
            if let Some(ok) = step
                .get(Key::Attempts)
                .and_then(Value::as_array)
                .and_then(|a| a.iter().find(|x| x["ok"] == true))
            {
                parts.push(format!(
                    "connected to {}",
                    ok["address"].as_str().unwrap_or("?")
                ));
            }
        }
        StepName::Tls => {
            if let Some(p) = step.get(Key::Protocol).and_then(Value::as_str) {
                parts.push(p.to_string());
            }
            if let Some(c) = step.get(Key::Certificate) {
                parts.push(format!(
                    "{} issued by {}, valid until {}",
                    c["subject"].as_str().unwrap_or("?"),
                    c["issuer"].as_str().unwrap_or("?"),
                    c["not_after"].as_str().unwrap_or("?")
                ));
            }
        }
        StepName::Manifest => {
            if let Some(s) = step.get(Key::Status) {
                parts.push(format!("HTTP {s}"));
            }
            if let Some(v) = step.get(Key::DefinitionVersion).and_then(Value::as_str) {
                parts.push(format!("definitions {}", or_dash(v)));
            }
            if let Some(v) = step.get(Key::EngineVersion).and_then(Value::as_str) {
                parts.push(format!("engine {}", or_dash(v)));
            }
        }
        StepName::Package => {
            if let Some(s) = step.get(Key::Status) {
                parts.push(format!("HTTP {s}"));
            }
            // The length of a 404 page says nothing about the package.
            if let Some(n) = step
                .get(Key::ContentLength)
                .or_else(|| step.get(Key::Size))
                .and_then(Value::as_u64)
                .filter(|_| step.ok)
            {
                parts.push(format!("{n} bytes"));
            }
            if let Some(m) = step
                .get(Key::LastModified)
                .or_else(|| step.get(Key::Mtime))
                .and_then(Value::as_str)
            {
                parts.push(format!("modified {m}"));
            }
            if let Some(m) = step.get(Key::Mode).and_then(Value::as_str) {
                parts.push(format!("mode {m}"));
            }
        }
        StepName::PackageSignature => {
            if let Some(s) = step.get(Key::Signature).and_then(Value::as_str) {
                parts.push(s.to_string());
            }
        }
        StepName::PackageVerify => {
            if let (Some(n), Some(e)) = (
                step.get(Key::Entries),
                step.get(Key::Sha256).and_then(Value::as_str),
            ) {
                parts.push(format!("{n} entries, sha256 {e}"));
            }
        }
        StepName::Directory => {
            if let Some(t) = step.get(Key::MountType).and_then(Value::as_str) {
                parts.push(format!("{t} mount"));
            }
            if let Some(m) = step.get(Key::Mode).and_then(Value::as_str) {
                parts.push(format!("mode {m}"));
            }
        }
        StepName::Http | StepName::Probe => {}
    }
    if let Some(note) = &step.note {
        parts.push(note.clone());
    }
    if let Some(err) = &step.error {
        parts.push(err.message.clone());
    }
    parts.join(", ")
}

fn conclusion(report: &ConnectivityReport) -> String {
    let worst = report.findings.first();
    match (report.verdict, worst) {
        (Severity::Critical, Some(f)) => format!(
            "Conclusion: the endpoint cannot pull from its mirror. {}.",
            escape::line(&f.title)
        ),
        (Severity::Warning, Some(f)) => format!(
            "Conclusion: the mirror answers, with a problem to fix. {}.",
            escape::line(&f.title)
        ),
        _ if report.arch.is_empty() => "Conclusion: nothing was probed.".into(),
        _ => {
            let arches: Vec<&str> = report.arch.iter().map(|p| p.arch.as_str()).collect();
            format!(
                "Conclusion: the mirror serves a valid package for {}; the endpoint can pull from it.",
                escape::line(&arches.join(" and "))
            )
        }
    }
}
