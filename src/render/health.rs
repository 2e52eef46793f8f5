//! `health` output: field, managed and value columns for people, or the documented JSON
//! document for programs.

use crate::mdatp::HealthReading;
use crate::mdatp::fields::{self, Group};
use crate::mdatp::value::{Field, Value};
use crate::render::Render;
use crate::render::escape;
use crate::render::style::Style;
use crate::report::misc::{HealthDoc, HealthReport};

impl Render for HealthReport<'_> {
    type Doc<'a>
        = HealthDoc<'a>
    where
        Self: 'a;
    fn document(&self) -> HealthDoc<'_> {
        HealthReport::document(self)
    }
    fn human(&self, style: Style) -> String {
        human(self.reading, style, self.show_missing)
    }
}

/// The table: definitions-related fields first (in mdatp's documented order), then other
/// known fields, then fields this tool does not know, in the order mdatp printed them.
/// With `show_missing`, definitions fields the build did not print are listed as such.
pub fn human(reading: &HealthReading, style: Style, show_missing: bool) -> String {
    let health = &reading.health;
    let mut out = String::new();
    if let Some(attention) = &health.attention {
        out.push_str(&style.yellow(&format!("ATTENTION: {}", escape::line(attention))));
        out.push('\n');
    }

    let mut rows: Vec<(&String, &Field)> = health.fields.iter().collect();
    // A stable sort keeps mdatp's order inside each group (unknown fields all rank 0).
    rows.sort_by_key(|(name, _)| fields::rank(name));

    // Not a bordered table: a cell narrower than a URL or a path would split it, which
    // breaks copying and grep. Columns as `mdatp health` prints them, the value last:
    // it wraps only between words, and a long word overflows the line whole.
    let longest_name = rows
        .iter()
        .map(|(name, _)| escape::line(name).chars().count())
        .chain(
            reading
                .health
                .missing_definitions_fields()
                .into_iter()
                .filter(|_| show_missing)
                .map(|name| name.chars().count()),
        )
        .max()
        .unwrap_or(0)
        .max("Field".len());
    let width = usize::from(style.width);
    let lead = longest_name + 2 + MANAGED.len() + 2;
    let line = |out: &mut String, name: &str, shown: usize, managed: &str, value: &str| {
        let pad = longest_name.saturating_sub(shown);
        let prefix = format!(
            "{name}{:pad$}  {managed}{:gap$}  ",
            "",
            "",
            gap = MANAGED
                .len()
                .saturating_sub(crate::render::wrap::visible(managed))
        );
        crate::render::wrap::hanging(out, &prefix, lead, value, width);
    };
    line(
        &mut out,
        &style.bold("Field"),
        "Field".len(),
        &style.bold("Managed"),
        &style.bold("Value"),
    );
    let mut missing_shown = false;
    let mut previous_group = None;
    for (name, field) in rows {
        let group = fields::rank(name).0;
        if show_missing && !missing_shown && group != Group::Definitions {
            add_missing(&mut out, reading, style, &line);
            missing_shown = true;
        }
        let shown = escape::line(name);
        let mut value = display_value(field, style);
        if group == Group::Unknown && previous_group != Some(Group::Unknown) {
            // Mark where the fields this tool does not know begin.
            value = format!("{value}  {}", style.dim("(unknown to mdatp-doctor)"));
        }
        previous_group = Some(group);
        line(
            &mut out,
            &shown,
            shown.chars().count(),
            if field.managed { "managed" } else { "" },
            &value,
        );
    }
    if show_missing && !missing_shown {
        add_missing(&mut out, reading, style, &line);
    }
    for warning in &health.warnings {
        out.push_str(&style.yellow(&format!("warning: {}", escape::line(warning))));
        out.push('\n');
    }
    out
}

/// The column `Managed` (as wide as its heading).
const MANAGED: &str = "Managed";

fn add_missing(
    out: &mut String,
    reading: &HealthReading,
    style: Style,
    line: &impl Fn(&mut String, &str, usize, &str, &str),
) {
    for name in reading.health.missing_definitions_fields() {
        line(
            out,
            &style.dim(name),
            name.chars().count(),
            "",
            &style.dim("(not reported by this mdatp build)"),
        );
    }
}

/// How a value reads in the table: strings without quotes (an empty one as `""`), dates
/// in ISO form, lists and objects as compact JSON; control characters escaped.
pub fn display_value(field: &Field, style: Style) -> String {
    match &field.value {
        Value::Null => style.dim(&escape::line(
            field
                .raw
                .as_deref()
                .filter(|r| !r.is_empty())
                .unwrap_or("(empty)"),
        )),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Str(s) if s.is_empty() => style.dim("\"\""),
        Value::Str(s) => escape::line(s).into_owned(),
        Value::DateTime(_) | Value::Timestamp(_) => date(&field.value).unwrap_or_default(),
        // serde_json escapes C0 controls, not C1 controls or bidirectional overrides.
        Value::Json(v) => escape::line(&v.to_string()).into_owned(),
    }
}

/// A date as every human output shows it: ISO, `2024-03-14 12:13:17`, with ` UTC` when
/// mdatp gave an instant (its JSON form) rather than its local clock time.
pub fn date(value: &Value) -> Option<String> {
    match value {
        Value::DateTime(dt) => Some(format!("{} {}", dt.date(), dt.time())),
        Value::Timestamp(ts) => Some(format!("{} UTC", ts.strftime("%Y-%m-%d %H:%M:%S"))),
        _ => None,
    }
}

/// A date as mdatp printed it (`Nov 27, 2026 at 09:12:44 AM`, epoch milliseconds, or the
/// RFC 3339 form of either) in the form of [`date`]; anything else as given.
pub fn date_text(printed: &str) -> String {
    // A value read from mdatp's JSON form arrives as JSON text, quotes and all.
    let printed = printed.trim().trim_matches('"');
    let value = if let Some(dt) = crate::mdatp::value::parse_mdatp_date(printed) {
        Value::DateTime(dt)
    } else if let Some(ts) = crate::mdatp::value::epoch_millis(printed) {
        Value::Timestamp(ts)
    } else if let Ok(ts) = printed.parse::<jiff::Timestamp>() {
        Value::Timestamp(ts)
    } else if let Ok(dt) = printed.parse::<jiff::civil::DateTime>() {
        Value::DateTime(dt)
    } else {
        return printed.to_string();
    };
    date(&value).unwrap_or_else(|| printed.to_string())
}

#[cfg(test)]
mod tests;
