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
mod tests {
    use super::*;
    use crate::mdatp::health::parse;

    fn reading(text: &str) -> HealthReading {
        HealthReading {
            source: Source::File {
                file: "test".into(),
            },
            health: parse(text.as_bytes()).expect("parses"),
        }
    }

    #[test]
    fn definitions_first_unknown_last_missing_listed() {
        let r = reading("zz_new : 1\napp_version : \"101.1\"\ndefinitions_version : \"1.2.3.4\"\n");
        let text = human(&r, Style::plain(), true);
        let pos = |s: &str| {
            text.find(s)
                .unwrap_or_else(|| panic!("{s} missing in\n{text}"))
        };
        assert!(pos("definitions_version") < pos("definitions_status"));
        assert!(pos("definitions_status") < pos("app_version"));
        assert!(pos("app_version") < pos("zz_new"));
        assert!(text.contains("(unknown to mdatp-doctor)"));
        assert!(text.contains("(not reported by this mdatp build)"));
        assert!(!text.contains('\u{1b}'), "plain style has no escapes");
    }

    #[test]
    fn values_read_naturally() {
        let r = reading(
            "a : \"\"\nb : unavailable\nc : Mar 14, 2024 at 12:13:17 PM\nd : [\"x\"]\ne : \"s\" [managed]\n",
        );
        let text = human(&r, Style::plain(), false);
        for expected in [
            "\"\"",
            "unavailable",
            "2024-03-14 12:13:17",
            "[\"x\"]",
            "managed",
        ] {
            assert!(text.contains(expected), "{expected} missing in\n{text}");
        }
    }

    #[test]
    fn json_document_shape() {
        let r = reading("ATTENTION: No license.\norg_id : unavailable\ngarbage\n");
        let doc: serde_json::Value = serde_json::from_str(&json(&r)).expect("valid JSON");
        assert_eq!(doc["schema_version"], 1);
        assert_eq!(doc["attention"], "No license.");
        assert_eq!(
            doc["fields"]["org_id"],
            serde_json::json!({"value": null, "raw": "unavailable", "managed": false})
        );
        assert_eq!(doc["warnings"].as_array().expect("array").len(), 1);
        assert_eq!(doc["source"], serde_json::json!({"file": "test"}));
    }
}
