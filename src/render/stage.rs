//! `mirror promote` and `mirror rollback` for people (the JSON is the document).

use super::Render;
use super::check::state_word;
use super::findings;
use super::style::Style;
use crate::report::stage::{Action, StageDoc, StageReport};

fn version(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("nothing")
}

impl Render for StageReport {
    type Doc<'a> = &'a StageDoc;
    fn document(&self) -> &StageDoc {
        &self.doc
    }
    fn human(&self, style: Style) -> String {
        human(&self.doc, style)
    }
}

/// One line of outside text (paths, host names, reasons quoting files and manifests),
/// escaped whole: a newline or an escape sequence in a host name or a manifest cannot
/// forge a line of ours.
fn push(out: &mut String, line: String) {
    out.push_str(&super::escape::line(&line));
    out.push('\n');
}

/// The promote or rollback for people (also the tail of `mirror run --promote-canary`).
pub fn human(d: &StageDoc, style: Style) -> String {
    let what = if d.command == "mirror rollback" {
        format!("mirror rollback of {}", d.to)
    } else {
        format!("mirror promote to {}", d.to)
    };
    let mut out = format!(
        "{} {what} in {}: {}\n",
        findings::mark(d.verdict, style),
        super::escape::line(&d.root),
        style.bold(state_word(d.verdict))
    );
    for r in &d.recovered {
        push(&mut out, format!("  first: {r}"));
    }
    if let Some(e) = &d.error {
        push(&mut out, format!("  {e}"));
    }
    for s in &d.steps {
        let why = s.why.as_deref();
        let line = match s.action {
            Action::Promoted => format!(
                "{}: {} → {}{}",
                s.folder,
                version(&s.from_version),
                version(&s.to_version),
                why.map(|w| format!(" ({w})")).unwrap_or_default()
            ),
            Action::Unchanged => format!(
                "{}: unchanged ({})",
                s.folder,
                why.unwrap_or("already served")
            ),
            Action::Refused => format!(
                "{}: refused, keeps {}: {}",
                s.folder,
                version(&s.from_version),
                why.unwrap_or("")
            ),
            Action::Failed => format!(
                "{}: failed, keeps {}: {}",
                s.folder,
                version(&s.from_version),
                why.unwrap_or("")
            ),
        };
        push(&mut out, format!("  {line}"));
        if let Some(k) = &s.kept_in {
            push(&mut out, format!("    the previous package is now in {k}"));
        }
    }
    if let Some(g) = &d.gate {
        for f in &g.folders {
            let soak = match f.served_seconds {
                Some(_) if g.soak_seconds == 0 => "; no soak asked".to_string(),
                Some(s) => format!(
                    "; served for {} of the {} soak",
                    crate::units::human_age(std::time::Duration::from_secs(s)),
                    crate::units::human_age(std::time::Duration::from_secs(g.soak_seconds))
                ),
                None => String::new(),
            };
            push(
                &mut out,
                format!(
                    "  canary gate for {}: {} of {} host(s) needed run {} or newer, healthy, from its canary folder{soak}",
                    f.judged.folder, f.counted, g.min_canaries, f.judged.want
                ),
            );
            for h in &f.judged.hosts {
                let v = h.definitions_version.as_deref().unwrap_or("?");
                // ✔ counted; ✘ unwell (it stops the promote); – not there yet or elsewhere.
                let line = if h.counted {
                    format!("    ✔ {} runs {v}", h.host)
                } else {
                    let mark = if h.failing { "✘" } else { "–" };
                    format!("    {mark} {} runs {v}: {}", h.host, h.why_not.join("; "))
                };
                push(&mut out, line);
            }
        }
        for u in &g.unreadable {
            push(&mut out, format!("    ? {}: {}", u.report, u.error));
        }
    }
    for n in &d.next {
        push(&mut out, format!("  next: {n}"));
    }
    out
}
