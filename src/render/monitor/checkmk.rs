//! A Checkmk local check line: `STATE SERVICE METRICS STATE_WORD - summary`.

use super::{MAX_FIRST_LINE, MonitorView, state_number, state_word};
use crate::units::range::Range;

pub fn render(v: &MonitorView) -> String {
    // Checkmk takes plain numbers; a general range has no place there.
    let bound = |range: &Option<Range>| {
        range
            .as_ref()
            .and_then(Range::upper_bound)
            .map(|e| format!("{}", e.round() as i64))
            .unwrap_or_default()
    };
    let metrics: Vec<String> = v
        .perfdata
        .iter()
        .map(|p| {
            if p.warn.is_some() || p.crit.is_some() {
                format!(
                    "{}={};{};{}",
                    p.label,
                    p.value,
                    bound(&p.warn),
                    bound(&p.crit)
                )
            } else {
                format!("{}={}", p.label, p.value)
            }
        })
        .collect();
    let metrics = if metrics.is_empty() {
        "-".to_string()
    } else {
        metrics.join("|")
    };
    let prefix = format!(
        "{} {} {} {} - ",
        state_number(v.verdict),
        v.checkmk_service,
        metrics,
        state_word(v.verdict),
    );
    let budget = MAX_FIRST_LINE.saturating_sub(prefix.len());
    format!("{prefix}{}\n", super::truncate(&v.summary, budget))
}
