//! What the mirror's own status file (`mdatp-doctor-status.json`, issue 28) says about its
//! syncs: staleness predicted before it happens (`mirror-sync-stalled`), and a file that is
//! there but cannot be read (`mirror-status-unreadable`).

use super::prelude::*;
use crate::mirror::status::{MirrorStatus, StatusReading};
use crate::units::compare_versions;

pub static MIRROR_SYNC_STALLED: Rule = Rule {
    id: "mirror-sync-stalled",
    severity: "warning",
    meaning: "The definitions are still under the warning age, but the mirror has nothing newer than what the endpoint runs and its status file says its syncs fail (the last attempt failed) or stopped (the last attempt is more than 24 h old): if nothing changes the endpoint crosses the warning age at the time given (its definitions' update time plus --warn-age), and that is 8 hours away or less (one default update interval: further off, the mirror has time to recover). Quiet when the mirror serves a newer package, when its last sync worked within 24 h, when it has no status file, and once definitions-stale speaks.",
    fix: "On the mirror host, run `mdatp-doctor mirror run` and read its errors; check its timer or cron entry and that it reaches go.microsoft.com and definitionupdates.microsoft.com.",
    basis: "Warning: nothing is unprotected yet, but with the mirror not syncing no newer package can arrive and the endpoint will be stale within --warn-age, so a person looks within a day. This tool writes the status file it rests on (`mirror run`, issue 28). Inferred: the definitions-stale thresholds (24 h or twice the update interval; the 8 h default interval is documented on linux-preferences), and a last attempt more than 24 h old as stopped (a mirror syncs at least as often as endpoints poll, every 8 h by default).",
};

pub static MIRROR_STATUS_UNREADABLE: Rule = Rule {
    id: "mirror-status-unreadable",
    severity: "info",
    meaning: "The mirror serves a status file (mdatp-doctor-status.json) that could not be read: not JSON, larger than 64 KiB, another schema, an error answer or a timeout. Only mdatp-doctor reads it; mdatp never does.",
    fix: "On the mirror host, `mdatp-doctor mirror run` rewrites the file; if something else serves that name, remove it.",
    basis: "Info: the file is mdatp-doctor's own and mdatp never reads it, so nothing about updates depends on it; it only takes away the sync history the prediction uses. This tool defines the file (issue 28, mirror::status).",
};

pub static RULES: &[&Rule] = &[&MIRROR_SYNC_STALLED, &MIRROR_STATUS_UNREADABLE];

/// How far ahead a predicted staleness is raised: one default update interval (8 h,
/// documented on linux-preferences), the same horizon as the MdatpMirrorSyncStalled alert.
pub const HORIZON: Duration = Duration::from_secs(8 * 3600);

/// A sync attempt older than this counts as stopped.
pub const STOPPED_AFTER: Duration = Duration::from_secs(24 * 3600);

/// When the definitions cross the warning age if no update arrives: their update time
/// plus the warning threshold (`None` when the age or a plain threshold is unknown).
pub fn predicted_stale(s: &Snapshot) -> Option<jiff::Timestamp> {
    let (age, _) = definitions_age(s)?;
    let warn = s.warn_age().upper_bound()?;
    let updated = s.now.as_second() - i64::try_from(age.as_secs()).ok()?;
    jiff::Timestamp::from_second(updated + warn.round() as i64).ok()
}

fn at(s: &Snapshot, text: &str) -> Option<(jiff::Timestamp, Duration)> {
    let t = MirrorStatus::time(text)?;
    let ago = u64::try_from(s.now.as_second() - t.as_second()).unwrap_or(0);
    Some((t, Duration::from_secs(ago)))
}

/// `2026-12-06 10:00 UTC (30 hours ago)`.
fn when(t: jiff::Timestamp, ago: Duration) -> String {
    format!(
        "{} UTC ({} ago)",
        t.strftime("%Y-%m-%d %H:%M"),
        human_age(ago)
    )
}

pub(super) fn stalled(s: &Snapshot, out: &mut Vec<Finding>) {
    let Some(reading) = &s.mirror.status else {
        return;
    };
    let Some(status) = &reading.status else {
        return;
    };
    let Some((age, mut evidence)) = definitions_age(s) else {
        return;
    };
    let (warn, crit) = (s.warn_age(), s.thresholds.crit_age);
    if warn.alerts(age.as_secs_f64()) || crit.alerts(age.as_secs_f64()) {
        return; // definitions-stale speaks.
    }
    // A newer package on the mirror: the next pull fixes it.
    let endpoint = s.str("definitions_version");
    let served = s.mirror.definitions_version();
    if let (Some(e), Some(m)) = (endpoint, served)
        && compare_versions(m, e) == Some(Ordering::Greater)
    {
        return;
    }
    let attempt = status.last_attempt.as_ref();
    let attempted = attempt.and_then(|a| at(s, &a.at));
    let success = status.last_success.as_deref().and_then(|t| at(s, t));
    let failed = attempt.is_some_and(|a| !a.ok);
    // No attempt recorded: the file's own time is the last thing the mirror did.
    let last_seen = attempted.or_else(|| at(s, &status.written_at));
    let stopped = last_seen.is_some_and(|(_, ago)| ago > STOPPED_AFTER);
    if !failed && !stopped {
        return;
    }
    let Some(stale_at) = predicted_stale(s) else {
        return;
    };
    let left =
        Duration::from_secs(u64::try_from(stale_at.as_second() - s.now.as_second()).unwrap_or(0));
    // Further off, the mirror has a whole update interval or more to recover: one failed
    // run is not yet a stall worth a person's time.
    if left > HORIZON {
        return;
    }
    let since = match success {
        Some((t, ago)) => format!(
            "the mirror has not synced successfully since {}",
            when(t, ago)
        ),
        None => "the mirror's status file records no successful sync".to_string(),
    };
    let why = match (attempt, attempted) {
        (Some(a), Some((t, ago))) if !a.ok && ago <= STOPPED_AFTER => format!(
            "its last attempt at {} failed: {}",
            when(t, ago),
            a.error
                .as_deref()
                .filter(|e| !e.is_empty())
                .unwrap_or("no error recorded")
        ),
        (Some(a), Some((t, ago))) => format!(
            "its last attempt was at {}{}, more than 24 hours ago: its syncs have stopped",
            when(t, ago),
            if a.ok { "" } else { " and failed" }
        ),
        _ => match last_seen {
            Some((t, ago)) => format!(
                "it records no sync attempt and last wrote its status at {}: its syncs have stopped",
                when(t, ago)
            ),
            None => "it records no sync attempt".to_string(),
        },
    };
    evidence.push(ev(s, "definitions_version"));
    if let Some(m) = served {
        evidence.push(Evidence::new(
            "mirror",
            "manifest.json DefinitionVersion",
            m,
        ));
    }
    let src = "mirror status";
    if let Some(a) = attempt {
        evidence.push(Evidence::new(
            src,
            "last_attempt",
            format!(
                "{} {}{}",
                a.at,
                if a.ok { "ok" } else { "failed" },
                a.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        ));
    }
    evidence.push(Evidence::new(
        src,
        "last_success",
        status.last_success.as_deref().unwrap_or("(none)"),
    ));
    evidence.push(Evidence::new(src, "url", reading.url.as_str()));
    evidence.push(Evidence::new(
        "analysis",
        "predicted stale",
        format!(
            "{stale_at} (definitions' update time + {})",
            human_age(Duration::from_secs_f64(warn.upper_bound().unwrap_or(0.0)))
        ),
    ));
    out.push(MIRROR_SYNC_STALLED.raise(
        Severity::Warning,
        format!(
            "Security intelligence will be stale in about {}: {since}; {why}",
            human_age(nearest(left))
        ),
        evidence,
        MIRROR_SYNC_STALLED.fix.into(),
    ));
}

/// `d` to the nearest unit `human_age` names (hours from 2 hours, else minutes): "about"
/// 4 hours is 3 h 59 min, which the seconds a run takes must not turn into 3.
fn nearest(d: Duration) -> Duration {
    let unit = if d.as_secs() >= 2 * 3600 - 1800 {
        3600
    } else {
        60
    };
    Duration::from_secs((d.as_secs() + unit / 2) / unit * unit)
}

/// A status file that is there but is not one (read by `connectivity` too).
pub(super) fn unreadable(reading: Option<&StatusReading>, out: &mut Vec<Finding>) {
    let Some(r) = reading else {
        return;
    };
    let Some(error) = &r.error else {
        return;
    };
    out.push(MIRROR_STATUS_UNREADABLE.raise(
        Severity::Info,
        format!("The mirror's status file cannot be read: {error}"),
        vec![
            Evidence::new("mirror status", "url", r.url.as_str()),
            Evidence::new("mirror status", "error", error.as_str()),
        ],
        MIRROR_STATUS_UNREADABLE.fix.into(),
    ));
}
