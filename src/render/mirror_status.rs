//! The mirror's status file (issue 28) in one line for people: its last successful sync,
//! its last attempt and how it went, and what Microsoft published when it last looked.
//! `connectivity` and `diagnose` show it; every value comes from the mirror, so the
//! caller escapes the line.

use std::time::Duration;

use crate::mirror::status::{MirrorStatus, StatusReading};
use crate::units::human_age;

/// `2026-12-06 10:00 UTC (30 hours ago)`, or the text as written when it is not a time.
fn when(text: &str, now: jiff::Timestamp) -> String {
    match MirrorStatus::time(text) {
        Some(t) => {
            let secs = now.as_second() - t.as_second();
            let rel = if secs >= 0 {
                format!(
                    "{} ago",
                    human_age(Duration::from_secs(secs.unsigned_abs()))
                )
            } else {
                format!("in {}", human_age(Duration::from_secs(secs.unsigned_abs())))
            };
            format!("{} UTC ({rel})", t.strftime("%Y-%m-%d %H:%M"))
        }
        None => format!("{text:?}"),
    }
}

/// The line, unescaped; `None` when the mirror has no status file or it could not be read
/// (the `mirror-status-unreadable` finding says so).
pub fn line(reading: &StatusReading, now: jiff::Timestamp) -> Option<String> {
    let s = reading.status.as_ref()?;
    let mut parts = vec![match &s.last_success {
        Some(t) => format!("last sync {}", when(t, now)),
        None => "no successful sync recorded".to_string(),
    }];
    if let Some(a) = &s.last_attempt {
        let outcome = if a.ok {
            "ok".to_string()
        } else {
            match a.error.as_deref().filter(|e| !e.is_empty()) {
                Some(e) => format!("failed: {e}"),
                None => "failed".to_string(),
            }
        };
        parts.push(format!("last attempt {} {outcome}", when(&a.at, now)));
    }
    if let Some(p) = &s.published {
        parts.push(format!(
            "Microsoft published {} (asked {})",
            p.definition_version,
            when(&p.asked_at, now)
        ));
    }
    Some(parts.join("; "))
}
