//! Prometheus text exposition: gauge families, no sample timestamps (node_exporter skips
//! files with them), a family without samples left out.

use super::MonitorView;
use crate::render::escape;

/// Escapes a label value for the text exposition format, after showing its control
/// characters as text (the format would carry them raw; `\x1b` then reads `\\x1b`).
pub fn label(v: &str) -> String {
    escape::lines(v)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub fn render(v: &MonitorView) -> String {
    let mut out = String::new();
    for g in v.gauges.iter().filter(|g| !g.samples.is_empty()) {
        out.push_str(&format!(
            "# HELP {name} {}\n# TYPE {name} gauge\n",
            g.help,
            name = g.name
        ));
        for s in &g.samples {
            let labels = if s.labels.is_empty() {
                String::new()
            } else {
                let inner: Vec<String> = s
                    .labels
                    .iter()
                    .map(|(k, val)| format!("{k}=\"{}\"", label(val)))
                    .collect();
                format!("{{{}}}", inner.join(","))
            };
            out.push_str(&format!("{}{labels} {}\n", g.name, s.value));
        }
    }
    out
}
