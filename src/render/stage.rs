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
        d.root,
        style.bold(state_word(d.verdict))
    );
    for r in &d.recovered {
        out.push_str(&format!("  first: {r}\n"));
    }
    if let Some(e) = &d.error {
        out.push_str(&format!("  {e}\n"));
    }
    for s in &d.steps {
        let line = match s.action {
            Action::Promoted => format!(
                "{}: {} → {}{}",
                s.folder,
                version(&s.from_version),
                version(&s.to_version),
                s.why
                    .as_deref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default()
            ),
            Action::Unchanged => format!(
                "{}: unchanged ({})",
                s.folder,
                s.why.as_deref().unwrap_or("already served")
            ),
            Action::Refused => format!(
                "{}: refused, keeps {}: {}",
                s.folder,
                version(&s.from_version),
                s.why.as_deref().unwrap_or("")
            ),
            Action::Failed => format!(
                "{}: failed, keeps {}: {}",
                s.folder,
                version(&s.from_version),
                s.why.as_deref().unwrap_or("")
            ),
        };
        out.push_str(&format!("  {line}\n"));
        if let Some(k) = &s.kept_in {
            out.push_str(&format!("    the previous package is now in {k}\n"));
        }
    }
    if let Some(g) = &d.gate {
        for f in &g.folders {
            out.push_str(&format!(
                "  canary gate for {}: {} of {} host(s) needed run {} or newer, healthy, from its canary folder{}\n",
                f.judged.folder,
                f.counted,
                g.min_canaries,
                f.judged.want,
                match f.served_seconds {
                    Some(_) if g.soak_seconds == 0 => "; no soak asked".to_string(),
                    Some(s) => format!(
                        "; served for {} of the {} soak",
                        crate::units::human_age(std::time::Duration::from_secs(s)),
                        crate::units::human_age(std::time::Duration::from_secs(g.soak_seconds))
                    ),
                    None => String::new(),
                }
            ));
            for h in &f.judged.hosts {
                let v = h.definitions_version.as_deref().unwrap_or("?");
                if h.counted {
                    out.push_str(&format!("    ✔ {} runs {v}\n", h.host));
                } else {
                    // ✘ unwell on the canary's version (it stops the promote); – not there yet.
                    let mark = if h.failing { "✘" } else { "–" };
                    out.push_str(&format!(
                        "    {mark} {} runs {v}: {}\n",
                        h.host,
                        h.why_not.join("; ")
                    ));
                }
            }
        }
        for u in &g.unreadable {
            out.push_str(&format!("    ? {}: {}\n", u.report, u.error));
        }
    }
    for n in &d.next {
        out.push_str(&format!("  next: {n}\n"));
    }
    out
}
