//! Monitoring Plugins output: `SERVICE STATE - summary | perfdata`, then the long output.

use super::{MAX_FIRST_LINE, MAX_LONG_LINE, MAX_LONG_OUTPUT, MonitorView, Perf, state_word};

/// Kept free at the end of the long output for the line that counts what was left out.
const TAIL_ROOM: usize = 120;

/// The perfdata items, `label=value[unit];warn;crit;0`.
pub fn perfdata(v: &MonitorView) -> Vec<String> {
    v.perfdata.iter().map(item).collect()
}

fn item(p: &Perf) -> String {
    let range = |r: &Option<crate::units::range::Range>| {
        r.as_ref().map(|r| r.to_plugin_syntax()).unwrap_or_default()
    };
    format!(
        "{}={}{};{};{};0",
        p.label,
        p.value,
        p.unit,
        range(&p.warn),
        range(&p.crit)
    )
}

/// The status line's text, after `SERVICE STATE - `, cut to fit the first line.
pub fn first_line_text(v: &MonitorView) -> String {
    let perf = perfdata(v).join(" ");
    let prefix = prefix(v);
    let budget = MAX_FIRST_LINE.saturating_sub(prefix.len() + perf.len() + 3);
    super::truncate(&v.summary, budget)
}

fn prefix(v: &MonitorView) -> String {
    format!("{} {} - ", v.service, state_word(v.verdict))
}

/// `s` cut to at most `max` bytes, saying how many bytes were cut.
fn cap(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    // "... (+N bytes)" takes at most 24 bytes for any N below 10^10.
    let mut end = max.saturating_sub(24);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... (+{} bytes)", &s[..end], s.len() - end)
}

/// The long output, capped: each line at [`MAX_LONG_LINE`], all at [`MAX_LONG_OUTPUT`],
/// what is left out counted on a last line.
pub fn long_output(v: &MonitorView) -> Vec<String> {
    let mut out = Vec::new();
    let mut used = 0;
    for (i, line) in v.long_output.iter().enumerate() {
        let line = cap(line, MAX_LONG_LINE);
        let last = i + 1 == v.long_output.len();
        let room = MAX_LONG_OUTPUT - if last { 0 } else { TAIL_ROOM };
        if used + line.len() + 1 > room {
            out.push(format!(
                "... {} more finding(s) not shown (`{}` lists them all)",
                v.long_output.len() - i,
                v.lists_all
            ));
            break;
        }
        used += line.len() + 1;
        out.push(line);
    }
    out
}

pub fn render(v: &MonitorView) -> String {
    let mut out = format!(
        "{}{} | {}\n",
        prefix(v),
        first_line_text(v),
        perfdata(v).join(" ")
    );
    for line in long_output(v) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}
