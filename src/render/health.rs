//! `health` output: a field / value / managed table for people, or the documented JSON
//! document for programs.

use comfy_table::{Cell, ContentArrangement, Table, presets};

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

    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            Cell::new(style.bold("Field")),
            Cell::new(style.bold("Value")),
            Cell::new(style.bold("Managed")),
        ]);
    if !style.color {
        table.force_no_tty();
    }
    let mut missing_shown = false;
    let mut previous_group = None;
    for (name, field) in rows {
        let group = fields::rank(name).0;
        if show_missing && !missing_shown && group != Group::Definitions {
            add_missing(&mut table, reading, style);
            missing_shown = true;
        }
        let label = if group == Group::Unknown && previous_group != Some(Group::Unknown) {
            // Mark where the fields this tool does not know begin.
            format!(
                "{}  {}",
                escape::line(name),
                style.dim("(unknown to mdatp-doctor)")
            )
        } else {
            escape::line(name).into_owned()
        };
        previous_group = Some(group);
        table.add_row(vec![
            Cell::new(label),
            Cell::new(display_value(field, style)),
            Cell::new(if field.managed { "managed" } else { "" }),
        ]);
    }
    if show_missing && !missing_shown {
        add_missing(&mut table, reading, style);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    for warning in &health.warnings {
        out.push_str(&style.yellow(&format!("warning: {}", escape::line(warning))));
        out.push('\n');
    }
    out
}

fn add_missing(table: &mut Table, reading: &HealthReading, style: Style) {
    for name in reading.health.missing_definitions_fields() {
        table.add_row(vec![
            Cell::new(style.dim(name)),
            Cell::new(style.dim("(not reported by this mdatp build)")),
            Cell::new(""),
        ]);
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
        Value::DateTime(dt) => format!("{} {}", dt.date(), dt.time()),
        Value::Timestamp(ts) => format!("{} UTC", ts.strftime("%Y-%m-%d %H:%M:%S")),
        // serde_json escapes C0 controls, not C1 controls or bidirectional overrides.
        Value::Json(v) => escape::line(&v.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests;
