//! Findings as people read them: most severe first, a mark, the id, the title, the
//! evidence and the fix. Shared by every subcommand that reports findings.

use crate::analyze::finding::{Finding, Severity};
use crate::render::escape;
use crate::render::style::Style;

pub fn mark(severity: Severity, style: Style) -> String {
    match severity {
        Severity::Critical => style.red("✗"),
        Severity::Warning => style.yellow("!"),
        Severity::Unknown => style.yellow("?"),
        Severity::Info => style.cyan("i"),
        Severity::Ok => style.green("✓"),
    }
}

/// The findings in the order given (callers sort them), or a line saying there are none.
pub fn list(findings: &[Finding], style: Style) -> String {
    if findings.is_empty() {
        return format!("{} no problem found\n", mark(Severity::Ok, style));
    }
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{} {} {}\n",
            mark(f.severity, style),
            style.bold(&format!("[{}] {}", f.severity.as_str(), f.id)),
            escape::line(&f.title)
        ));
        for e in &f.evidence {
            out.push_str(&style.dim(&format!(
                "    {}: {} = {}",
                escape::line(&e.source),
                escape::line(&e.key),
                escape::line(&e.value)
            )));
            out.push('\n');
        }
        out.push_str(&format!("    fix: {}\n", escape::line(&f.fix)));
    }
    out
}

#[cfg(test)]
mod tests;
