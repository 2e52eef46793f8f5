//! The doctor's own state: whether a run history can be kept.

use super::prelude::*;

pub static HISTORY_OFF: Rule = Rule {
    id: "history-off",
    severity: "info",
    meaning: "No run history can be kept or trusted, so toggle sequences cannot be seen: the state directory cannot be written, or it (or a file in it) is not a regular file or directory owned by this user and closed to others. Unreadable lines (torn, not UTF-8) are not this: they are skipped, counted in the report's snapshot.history.note, and the other entries are used.",
    fix: "Give --state-dir to this user alone (mode 0700, owned by root for root), with plain files in it.",
    basis: "Info: only this tool's own memory is affected, never the endpoint's protection. This tool's own state; no Microsoft statement.",
};

/// Every finding this family can raise, in catalogue order.
pub static RULES: &[&Rule] = &[&HISTORY_OFF];

pub(super) fn history_off(s: &Snapshot, out: &mut Vec<Finding>) {
    if let Some(e) = &s.history_error {
        out.push(HISTORY_OFF.raise(
            Severity::Info,
            "The run history cannot be kept or trusted, so toggles of the feature over time cannot be seen".into(),
            vec![Evidence::new("state", "history", e)],
            "Make --state-dir (or MDATP_DOCTOR_STATE_DIR) a directory of this user alone, e.g. /var/lib/mdatp-doctor owned by root with mode 0700, holding plain files; the evidence says what was found.".into(),
        ));
    }
}
