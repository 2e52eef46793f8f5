//! The event log's two shapes: NDJSON lines for `--log-json`, and the same event as
//! journald fields for `--journal` (the whole line rides along in `MDATP_DOCTOR_EVENT`).

use crate::report::siem::{Event, line};

/// One line per event, each ending in a newline; nothing a terminal acts on (see
/// [`super::escape::json`]).
pub fn ndjson(events: &[Event]) -> String {
    let mut out = String::new();
    for e in events {
        out.push_str(&super::escape::json(line(e)));
        out.push('\n');
    }
    out
}

/// The journal fields of one event: the standard `MESSAGE`, `PRIORITY` and
/// `SYSLOG_IDENTIFIER`, ours under `MDATP_DOCTOR_`, and the event line itself.
pub fn journal_fields(event: &Event) -> Vec<(&'static str, String)> {
    let json = super::escape::json(line(event));
    // The message as the line has it: scrubbed and cut like the rest.
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let d = &parsed["mdatp_doctor"];
    let mut fields = vec![
        ("MESSAGE", text(&parsed["message"])),
        ("PRIORITY", event.event.severity.to_string()),
        ("SYSLOG_IDENTIFIER", "mdatp-doctor".to_string()),
        ("MDATP_DOCTOR_DATASET", event.event.dataset.to_string()),
        (
            "MDATP_DOCTOR_COMMAND",
            event.mdatp_doctor.command.to_string(),
        ),
        ("MDATP_DOCTOR_RUN_ID", event.mdatp_doctor.run_id.clone()),
        (
            "MDATP_DOCTOR_VERDICT",
            event.mdatp_doctor.verdict.to_string(),
        ),
        ("MDATP_DOCTOR_OUTCOME", event.event.outcome.to_string()),
    ];
    if let Some(rule) = &event.rule {
        fields.push(("MDATP_DOCTOR_RULE_ID", rule.id.clone()));
        fields.push(("MDATP_DOCTOR_SEVERITY", text(&d["severity"])));
    }
    fields.push(("MDATP_DOCTOR_EVENT", json));
    fields
}
