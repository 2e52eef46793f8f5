//! The downloader's log: each message is three lines, the output of `date`, the message, and
//! `----------End of message----------`. Script 0.0.2 logs `Script started.`,
//! `Engine version: X`, `Definition version: Y.` and `Script completed.`; its
//! `Error (N): …` lines go to stdout only, so a failed run shows in the log as a start
//! without a completion (a wrapper that appends the output may add the error lines).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::SystemTime;

/// The log is flushed by the script above 100 MB; read at most its last 4 MiB.
pub const MAX_READ: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSummary {
    /// A `Script started.` comes after the last `Script completed.` (or there is none).
    pub unfinished: bool,
    pub started_runs: usize,
    pub completed_runs: usize,
    /// The `date` line of the last `Script completed.`, as written.
    pub last_completed_date: Option<String>,
    /// That date, when it could be read (C locale, UTC or GMT).
    pub last_completed_unix: Option<i64>,
    pub last_engine: Option<String>,
    pub last_definition: Option<String>,
    /// `Error (N): …` lines, last ones kept.
    pub errors: Vec<String>,
    /// The file's modification time.
    pub modified: Option<SystemTime>,
    pub owner_uid: Option<u32>,
    pub mode: Option<u32>,
}

/// Reads the end of the log at `path`, without following a symlink at the last component.
pub fn read(path: &Path) -> Result<LogSummary, String> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_READ {
        file.seek(SeekFrom::Start(meta.len() - MAX_READ))
            .map_err(|e| e.to_string())?;
    }
    let mut bytes = Vec::new();
    file.take(MAX_READ)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    let mut s = parse(&String::from_utf8_lossy(&bytes));
    s.modified = meta.modified().ok();
    s.owner_uid = Some(meta.uid());
    s.mode = Some(meta.mode() & 0o7777);
    Ok(s)
}

pub fn parse(text: &str) -> LogSummary {
    let mut s = LogSummary::default();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    for (i, line) in lines.iter().enumerate() {
        let date = i.checked_sub(1).map(|p| lines[p]);
        if *line == "Script started." {
            s.started_runs += 1;
            s.unfinished = true;
        } else if *line == "Script completed." {
            s.completed_runs += 1;
            s.unfinished = false;
            s.last_completed_date = date.map(str::to_string);
            s.last_completed_unix = date.and_then(parse_date);
        } else if let Some(v) = line.strip_prefix("Engine version: ") {
            s.last_engine = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("Definition version: ") {
            s.last_definition = Some(v.trim().trim_end_matches('.').to_string());
        } else if line.starts_with("Error (") && line.contains("):") {
            s.errors.push(line.to_string());
            if s.errors.len() > 20 {
                s.errors.remove(0);
            }
        }
    }
    s
}

/// `date` in the C locale: `Sat Nov 28 19:10:11 UTC 2026`; only UTC/GMT is read (other
/// zone names are ambiguous).
pub fn parse_date(line: &str) -> Option<i64> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() != 6 || !matches!(f[4], "UTC" | "GMT") {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == f[1])? as i8 + 1;
    let day: i8 = f[2].parse().ok()?;
    let year: i16 = f[5].parse().ok()?;
    let t: Vec<i8> = f[3]
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    if t.len() != 3 {
        return None;
    }
    let dt = jiff::civil::DateTime::new(year, month, day, t[0], t[1], t[2], 0).ok()?;
    dt.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    const END: &str = "----------End of message----------";

    fn msg(date: &str, m: &str) -> String {
        format!("{date}\n{m}\n{END}\n")
    }

    #[test]
    fn a_completed_run_gives_its_date_and_versions() {
        let log = [
            msg("Sat Nov 28 10:00:00 UTC 2026", "Script started."),
            msg(
                "Sat Nov 28 10:00:05 UTC 2026",
                "Engine version: 1.1.25090.3001",
            ),
            msg(
                "Sat Nov 28 10:00:05 UTC 2026",
                "Definition version: 1.441.90.0.",
            ),
            msg("Sat Nov 28 10:00:09 UTC 2026", "Script completed."),
        ]
        .concat();
        let s = parse(&log);
        assert!(!s.unfinished);
        assert_eq!(s.completed_runs, 1);
        assert_eq!(s.last_definition.as_deref(), Some("1.441.90.0"));
        assert_eq!(s.last_engine.as_deref(), Some("1.1.25090.3001"));
        assert_eq!(s.last_completed_unix, Some(1_795_860_009));
    }

    #[test]
    fn a_start_without_completion_is_unfinished_and_errors_are_kept() {
        let log = [
            msg("Sat Nov 28 10:00:00 UTC 2026", "Script started."),
            msg("Sat Nov 28 10:00:09 UTC 2026", "Script completed."),
            msg("Sat Nov 28 18:00:00 CET 2026", "Script started."),
            "Error (6): Failed to download https://x\n".into(),
        ]
        .concat();
        let s = parse(&log);
        assert!(s.unfinished);
        assert_eq!(s.started_runs, 2);
        assert_eq!(s.errors, vec!["Error (6): Failed to download https://x"]);
        assert_eq!(parse_date("Sat Nov 28 18:00:00 CET 2026"), None);
        assert_eq!(parse("garbage\n\u{0}"), LogSummary::default());
    }
}
