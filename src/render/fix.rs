//! People's view of `config fix`: the changes with the finding each resolves, what is left
//! for a person, the diff (coloured on a terminal), then the backup and what health
//! showed. Everything taken from the file is escaped.

use crate::analyze::fix::Taken;
use crate::managed::edit::dotted;
use crate::render::Render;
use crate::render::escape::line as esc;
use crate::render::findings;
use crate::render::style::Style;
use crate::report::fix::{FixMode, FixReport};

impl Render for FixReport {
    type Doc<'a> = &'a FixReport;
    fn document(&self) -> &FixReport {
        self
    }

    fn human(&self, style: Style) -> String {
        let mut s = String::new();
        let what = match (self.mode, self.edits.len()) {
            (FixMode::Undo, _) => "restored from the backup".to_string(),
            (_, 0) => "nothing to change".to_string(),
            (FixMode::DryRun, 1) => "1 change (dry run: --apply makes it)".to_string(),
            (FixMode::DryRun, n) => format!("{n} changes (dry run: --apply makes them)"),
            (FixMode::Apply, 1) => "1 change made".to_string(),
            (FixMode::Apply, n) => format!("{n} changes made"),
        };
        s.push_str(&format!("{}: {}\n", style.bold(&esc(&self.path)), what));
        for e in &self.edits {
            let change = match (&e.from_pointer, &e.old, &e.new) {
                (Some(from), _, _) => {
                    format!("{} → {}", dotted(from), dotted(&e.pointer))
                }
                (None, Some(old), Some(new)) => {
                    format!("{}: {} → {}", dotted(&e.pointer), old, new)
                }
                (None, None, Some(new)) => format!("{}: added, {}", dotted(&e.pointer), new),
                _ => dotted(&e.pointer),
            };
            let by = match self.mode {
                FixMode::Undo => "--undo",
                _ => e.finding.unwrap_or("--set"),
            };
            s.push_str(&format!("  {by:<22} {}\n", esc(&change)));
            if let Some(note) = &e.repeated {
                s.push_str(&format!("  {:<22} {}\n", "", style.dim(&esc(note))));
            }
        }
        if !self.left_alone.is_empty() {
            s.push_str(&format!(
                "{}\n",
                style.bold("Left alone (a person must choose):")
            ));
            for l in &self.left_alone {
                s.push_str(&format!(
                    "  {:<22} {}\n  {:<22} {}\n",
                    l.finding,
                    esc(&l.title),
                    "",
                    style.dim(&esc(&l.reason))
                ));
            }
        }
        if !self.hunks.is_empty() {
            s.push_str(&format!(
                "{}\n{}\n",
                style.red(&format!("--- {}", esc(&self.path))),
                style.green(&format!("+++ {}", esc(&self.path)))
            ));
            for h in &self.hunks {
                let ids = if h.findings.is_empty() {
                    String::new()
                } else {
                    format!(" {}", h.findings.join(", "))
                };
                s.push_str(&format!("{}\n", style.cyan(&format!("{}{ids}", h.header))));
                for (tag, line) in &h.lines {
                    let text = format!("{tag}{}", esc(line));
                    s.push_str(&match tag {
                        '-' => style.red(&text),
                        '+' => style.green(&text),
                        _ => text,
                    });
                    s.push('\n');
                }
            }
        }
        if !self.policy_managed.is_empty() {
            s.push_str(&format!(
                "{} health shows {} as [managed] without the file holding them: a policy (Intune, the security portal) sets them and may override or ignore this file\n",
                style.yellow("!"),
                self.policy_managed.join(", ")
            ));
        }
        if let Some(b) = &self.backup {
            s.push_str(&format!(
                "Backup: {} (undo with `mdatp-doctor config fix --undo`)\n",
                esc(b)
            ));
        }
        if let Some(v) = &self.verify {
            match &v.skipped {
                Some(why) => s.push_str(&format!("Not checked against health: {}\n", esc(why))),
                None => {
                    s.push_str(&format!("{}\n", style.bold("What mdatp shows:")));
                    for c in &v.checked {
                        let (mark, word) = match c.result {
                            Taken::Applied => (style.green("✓"), "applied"),
                            Taken::NotPickedUp => (style.red("✗"), "not picked up"),
                            Taken::ShownDifferently => (style.yellow("!"), "shown differently"),
                        };
                        s.push_str(&format!(
                            "  {mark} {:<50} {word}: {} {}\n",
                            esc(&c.setting),
                            c.field,
                            esc(c.shown.as_deref().unwrap_or("(not shown)"))
                        ));
                    }
                    for u in &v.unchecked {
                        s.push_str(&format!(
                            "  - {:<50} not shown by health: not checked\n",
                            esc(u)
                        ));
                    }
                }
            }
        }
        if let Some(r) = &self.remaining {
            s.push_str(&format!(
                "{}\n{}",
                style.bold("The file's findings now:"),
                findings::list(r, style)
            ));
        }
        s
    }
}
