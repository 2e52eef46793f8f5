//! `update` output: before → after, the outcome in words, the findings on the after
//! state, and a next step whenever the outcome is not a success.

use crate::analyze::update::{Outcome, Source, UpdateState};
use crate::render::Render;
use crate::render::escape;
use crate::render::findings;
use crate::render::health;
use crate::render::style::Style;
use crate::report::update::UpdateReport;

impl Render for UpdateReport {
    type Doc<'a> = &'a UpdateReport;
    fn document(&self) -> &UpdateReport {
        self
    }
    fn human(&self, style: Style) -> String {
        human(self, style)
    }
}

/// One state as read from mdatp, escaped.
fn line(state: &UpdateState) -> String {
    let mut parts = vec![
        state
            .definitions_version
            .clone()
            .unwrap_or_else(|| "?".into()),
    ];
    if let Some(u) = &state.definitions_updated {
        // As health and diagnose show dates, not as mdatp printed it.
        parts.push(format!("updated {}", health::date_text(u)));
    }
    if let Some(s) = &state.status {
        parts.push(s.clone());
    }
    if let Some(src) = &state.source_uri {
        let whose = match state.source() {
            Source::Mirror => " (the mirror)",
            Source::Cloud => " (Microsoft's cloud)",
            Source::Unknown => "",
        };
        parts.push(format!("from {src}{whose}"));
    }
    if let Some(r) = &state.fail_reason {
        parts.push(format!("fail reason \"{r}\""));
    }
    escape::line(&parts.join(", ")).into_owned()
}

fn human(r: &UpdateReport, style: Style) -> String {
    let secs = r.duration_ms as f64 / 1000.0;
    let mut out = String::new();
    out.push_str(&format!("{}  {}\n", style.bold("Before "), line(&r.before)));
    match &r.after {
        Some(after) => out.push_str(&format!("{}  {}\n", style.bold("After  "), line(after))),
        None => out.push_str(&format!(
            "{}  {}\n",
            style.bold("After  "),
            style.dim("(not read)")
        )),
    }
    if !r.trigger.output.is_empty() {
        out.push_str(&format!(
            "{}  {}\n",
            style.bold("mdatp  "),
            escape::line(&r.trigger.output)
        ));
    }
    let outcome = match r.outcome {
        Outcome::Updated => style.green(&format!(
            "updated{} in {secs:.1} s",
            if r.source == Source::Mirror {
                " from the mirror"
            } else {
                ""
            }
        )),
        Outcome::Current => style.green(&format!("already current (checked in {secs:.1} s)")),
        Outcome::Fallback => style.yellow(&format!(
            "updated from Microsoft's cloud through fallback in {secs:.1} s: the mirror failed"
        )),
        Outcome::Failed => style.red(&format!("the update failed ({secs:.1} s)")),
        Outcome::Timeout => style.yellow(&format!("no outcome within {secs:.1} s")),
        Outcome::Unknown => style.yellow("could not tell"),
        Outcome::Triggered => format!(
            "triggered; not waited for (--no-wait){}",
            r.trigger
                .error
                .as_deref()
                .map(|e| format!(": {}", escape::line(e)))
                .unwrap_or_default()
        ),
    };
    out.push_str(&format!("{}  {outcome}\n", style.bold("Outcome")));
    if let Some(note) = &r.note {
        out.push_str(&format!("         {}\n", style.dim(&escape::line(note))));
    }
    if !r.findings.is_empty() {
        out.push('\n');
        out.push_str(&findings::list(&r.findings, style));
    }
    let next = match r.outcome {
        Outcome::Failed => Some(
            "fix what the findings above say, then run `mdatp-doctor update` again; `mdatp-doctor connectivity` shows the mirror step by step.",
        ),
        Outcome::Fallback => {
            Some("the mirror did not serve this update: `mdatp-doctor connectivity` shows why.")
        }
        Outcome::Timeout | Outcome::Unknown => Some(
            "check the daemon (`systemctl status mdatp`, /var/log/microsoft/mdatp/) and run `mdatp-doctor diagnose`.",
        ),
        _ => None,
    };
    if let Some(next) = next {
        out.push_str(&format!("\n{} {next}\n", style.bold("Next:")));
    }
    out
}
