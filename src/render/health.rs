//! `health` output: a field / value / managed table for people, or the documented JSON
//! document (`schema_version` 1) for programs.

use comfy_table::{Cell, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::mdatp::fields::{self, Group};
use crate::mdatp::value::{Field, Value};
use crate::mdatp::{HealthReading, Source};
use crate::render::style::Style;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct HealthDoc<'a> {
    schema_version: u32,
    source: &'a Source,
    attention: Option<&'a str>,
    fields: &'a indexmap::IndexMap<String, Field>,
    warnings: &'a [String],
}

/// The JSON document, pretty-printed, with a final newline.
pub fn json(reading: &HealthReading) -> String {
    let doc = HealthDoc {
        schema_version: SCHEMA_VERSION,
        source: &reading.source,
        attention: reading.health.attention.as_deref(),
        fields: &reading.health.fields,
        warnings: &reading.health.warnings,
    };
    // Serializing maps with string keys and plain values cannot fail.
    let mut s = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    s.push('\n');
    s
}

/// The table: definitions-related fields first (in mdatp's documented order), then other
/// known fields, then fields this tool does not know, in the order mdatp printed them.
/// With `show_missing`, definitions fields the build did not print are listed as such.
pub fn human(reading: &HealthReading, style: Style, show_missing: bool) -> String {
    let health = &reading.health;
    let mut out = String::new();
    if let Some(attention) = &health.attention {
        out.push_str(&style.yellow(&format!("ATTENTION: {attention}")));
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
            format!("{name}  {}", style.dim("(unknown to mdatp-doctor)"))
        } else {
            name.clone()
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
        out.push_str(&style.yellow(&format!("warning: {warning}")));
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
/// in ISO form, lists and objects as compact JSON.
pub fn display_value(field: &Field, style: Style) -> String {
    match &field.value {
        Value::Null => style.dim(
            field
                .raw
                .as_deref()
                .filter(|r| !r.is_empty())
                .unwrap_or("(empty)"),
        ),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Str(s) if s.is_empty() => style.dim("\"\""),
        Value::Str(s) => s.clone(),
        Value::DateTime(dt) => format!("{} {}", dt.date(), dt.time()),
        Value::Timestamp(ts) => format!("{} UTC", ts.strftime("%Y-%m-%d %H:%M:%S")),
        Value::Json(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests;
