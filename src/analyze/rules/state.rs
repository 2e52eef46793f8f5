//! The doctor's own state: whether a run history can be kept.

use super::prelude::*;

pub static HISTORY_OFF: Rule = Rule {
    id: "history-off",
    severity: "info",
    meaning: "The state directory cannot be written, so no run history is kept and toggle sequences cannot be seen.",
    fix: "Make --state-dir writable by root.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&HISTORY_OFF];

pub(super) fn history_off(s: &Snapshot, out: &mut Vec<Finding>) {
    if let Some(e) = &s.history_error {
        out.push(HISTORY_OFF.raise(
            Severity::Info,
            "The run history cannot be kept, so toggles of the feature over time cannot be seen".into(),
            vec![Evidence::new("state", "history", e)],
            "Make --state-dir (or MDATP_DOCTOR_STATE_DIR) a directory root can write, e.g. /var/lib/mdatp-doctor.".into(),
        ));
    }
}
