//! What runs the downloader on a schedule: cron entries (`/etc/crontab`, `/etc/cron.d/*`
//! with a user field; user crontabs without) and systemd timers (`OnCalendar=`,
//! `OnUnitActiveSec=`), each with the longest gap between two runs when it can be worked
//! out. Parsers are pure; `read_*` read one file.

use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEntry {
    pub source: PathBuf,
    pub line: usize,
    pub user: Option<String>,
    /// The longest gap between two runs, when it could be worked out.
    pub period: Option<Duration>,
    /// The command (cron) or the service's ExecStart (timer).
    pub command: String,
    /// Where the output goes: a redirection in the command, else cron's mail or the journal.
    pub output: String,
}

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// Entries of a crontab file; `system` files have a user field after the five times.
pub fn parse_crontab(source: &Path, text: &str, system: bool) -> Vec<ScheduleEntry> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Variable assignments (`PATH=…`, `MAILTO=…`).
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('=') && !first.starts_with('@') {
            continue;
        }
        let (period, rest) = if let Some(spec) = first.strip_prefix('@') {
            let p = match spec {
                "hourly" => Some(HOUR),
                "daily" | "midnight" => Some(DAY),
                "weekly" => Some(7 * DAY),
                "monthly" => Some(31 * DAY),
                "yearly" | "annually" => Some(366 * DAY),
                _ => None,
            };
            (p, line[first.len()..].trim_start())
        } else {
            let fields: Vec<&str> = line.split_whitespace().take(5).collect();
            if fields.len() < 5 {
                continue;
            }
            let mut rest = line;
            for f in &fields {
                rest = rest.trim_start()[f.len()..].trim_start();
            }
            (cron_period(&fields), rest)
        };
        let (user, command) = if system {
            let mut it = rest.splitn(2, char::is_whitespace);
            let user = it.next().unwrap_or("").to_string();
            (Some(user), it.next().unwrap_or("").trim().to_string())
        } else {
            (None, rest.to_string())
        };
        if command.is_empty() {
            continue;
        }
        let output = redirection(&command).unwrap_or_else(|| "mailed by cron (MAILTO)".into());
        out.push(ScheduleEntry {
            source: source.to_path_buf(),
            line: n + 1,
            user,
            period: period.map(Duration::from_secs),
            command,
            output,
        });
    }
    out
}

fn redirection(command: &str) -> Option<String> {
    let i = command.find('>')?;
    Some(command[i..].trim().to_string())
}

/// Expands one cron field into its values within `lo..=hi`.
fn expand(field: &str, lo: u32, hi: u32) -> Option<Vec<u32>> {
    let mut v = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().ok()?, b.parse().ok()?)
        } else {
            let a: u32 = range.parse().ok()?;
            (a, if part.contains('/') { hi } else { a })
        };
        if a < lo || b > hi || a > b {
            return None;
        }
        v.extend((a..=b).step_by(step as usize));
    }
    v.sort_unstable();
    v.dedup();
    Some(v)
}

/// The longest gap between runs of `m h dom mon dow`, in seconds; `None` for what this
/// does not model (names, restricted days of month or months).
fn cron_period(f: &[&str]) -> Option<u64> {
    let minutes = expand(f[0], 0, 59)?;
    let hours = expand(f[1], 0, 23)?;
    if f[2] != "*" || f[3] != "*" {
        return None;
    }
    let mut times: Vec<u64> = hours
        .iter()
        .flat_map(|h| {
            minutes
                .iter()
                .map(move |m| (*h as u64) * HOUR + (*m as u64) * 60)
        })
        .collect();
    times.sort_unstable();
    let days: Vec<u64> = if f[4] == "*" {
        (0..7).collect()
    } else {
        let mut d: Vec<u64> = expand(f[4], 0, 7)?
            .into_iter()
            .map(|d| u64::from(d % 7))
            .collect();
        d.sort_unstable();
        d.dedup();
        d
    };
    let week: Vec<u64> = days
        .iter()
        .flat_map(|d| times.iter().map(move |t| d * DAY + t))
        .collect();
    max_gap(&week, 7 * DAY)
}

/// The longest gap between sorted instants repeating every `cycle` seconds.
fn max_gap(at: &[u64], cycle: u64) -> Option<u64> {
    let first = *at.first()?;
    let mut gap = first + cycle - at[at.len() - 1];
    for w in at.windows(2) {
        gap = gap.max(w[1] - w[0]);
    }
    Some(gap)
}

/// A systemd time span: `8h`, `30min`, `1d 2h`, `3600` (seconds).
pub fn parse_span(s: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut any = false;
    for part in s.split_whitespace() {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let unit = &part[digits.len()..];
        let n: u64 = digits.parse().ok()?;
        let mult = match unit {
            "" | "s" | "sec" | "second" | "seconds" => 1,
            "m" | "min" | "minute" | "minutes" => 60,
            "h" | "hr" | "hour" | "hours" => HOUR,
            "d" | "day" | "days" => DAY,
            "w" | "week" | "weeks" => 7 * DAY,
            _ => return None,
        };
        total += n * mult;
        any = true;
    }
    any.then_some(total)
}

/// `OnCalendar=` values: the shorthands, and `[*-*-*] H:M[:S]` with lists, ranges and
/// `start/step` in the hour and minute.
pub fn calendar_period(spec: &str) -> Option<u64> {
    let spec = spec.trim();
    match spec {
        "minutely" => return Some(60),
        "hourly" => return Some(HOUR),
        "daily" => return Some(DAY),
        "weekly" => return Some(7 * DAY),
        "monthly" => return Some(31 * DAY),
        "yearly" | "annually" => return Some(366 * DAY),
        _ => {}
    }
    let time = match spec.split_whitespace().collect::<Vec<_>>()[..] {
        [t] => t,
        ["*-*-*", t] => t,
        _ => return None,
    };
    let parts: Vec<&str> = time.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let conv = |f: &str, hi: u32| {
        // systemd writes `00/8` for "every 8 from 0"; cron's expand reads `0/8` the same.
        expand(f, 0, hi)
    };
    let hours = conv(parts[0], 23)?;
    let minutes = conv(parts[1], 59)?;
    let times: Vec<u64> = hours
        .iter()
        .flat_map(|h| {
            minutes
                .iter()
                .map(move |m| (*h as u64) * HOUR + (*m as u64) * 60)
        })
        .collect();
    max_gap(&times, DAY)
}

/// A `.timer` and the `.service` it starts: the period, and the service's ExecStart and
/// User. `service` is the service file's text when it could be read.
pub fn parse_timer(source: &Path, timer: &str, service: Option<&str>) -> Option<ScheduleEntry> {
    let mut periods = Vec::new();
    for line in timer.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("OnCalendar=") {
            periods.push(calendar_period(v));
        } else if let Some(v) = line
            .strip_prefix("OnUnitActiveSec=")
            .or_else(|| line.strip_prefix("OnUnitInactiveSec="))
        {
            periods.push(parse_span(v));
        }
    }
    if periods.is_empty() {
        return None;
    }
    // Several triggers: the shortest known gap wins; any unknown leaves it unknown.
    let period = periods
        .iter()
        .copied()
        .collect::<Option<Vec<u64>>>()
        .and_then(|p| p.into_iter().min());
    let key = |k: &str| {
        service.and_then(|s| {
            s.lines()
                .map(str::trim)
                .filter_map(|l| l.strip_prefix(k))
                .next_back()
                .map(str::to_string)
        })
    };
    Some(ScheduleEntry {
        source: source.to_path_buf(),
        line: 0,
        user: Some(key("User=").unwrap_or_else(|| "root".into())),
        period: period.map(Duration::from_secs),
        command: key("ExecStart=").unwrap_or_default(),
        output: key("StandardOutput=").unwrap_or_else(|| "the journal".into()),
    })
}

/// Whether an entry runs the downloader (directly, or through `mdatp-doctor mirror run`).
pub fn runs_downloader(command: &str, script_name: &str) -> bool {
    command.contains(script_name) || command.contains("mirror run")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<Duration> {
        Some(Duration::from_secs(s.parse::<u64>().unwrap()))
    }

    #[test]
    fn cron_periods_are_the_longest_gap() {
        let f = Path::new("/etc/crontab");
        let text = "SHELL=/bin/sh\nPATH=/usr/bin\n# m h dom mon dow user command\n\
                    0 */8 * * * root /opt/x/xplat_offline_updates_download.sh >>/var/log/x.log 2>&1\n\
                    30 2 * * * root /bin/daily\n15 1,13 * * 1-5 wdav /bin/weekday\n\
                    @hourly root /bin/h\n0 0 1 * * root /bin/monthly\n";
        let e = parse_crontab(f, text, true);
        assert_eq!(e.len(), 5);
        assert_eq!(e[0].period, p("28800"));
        assert_eq!(e[0].user.as_deref(), Some("root"));
        assert_eq!(
            e[0].command,
            "/opt/x/xplat_offline_updates_download.sh >>/var/log/x.log 2>&1"
        );
        assert_eq!(e[0].output, ">>/var/log/x.log 2>&1");
        assert_eq!(e[0].line, 4);
        assert_eq!(e[1].period, p("86400"));
        // Friday 13:15 to Monday 01:15.
        assert_eq!(e[2].period, p(&(2 * 86_400 + 12 * 3600).to_string()));
        assert_eq!(e[3].period, p("3600"));
        assert_eq!(e[4].period, None);
        let user = parse_crontab(f, "*/20 * * * * /bin/x\n", false);
        assert_eq!(user[0].period, p("1200"));
        assert_eq!(user[0].user, None);
        assert_eq!(user[0].output, "mailed by cron (MAILTO)");
    }

    #[test]
    fn timers_read_calendar_and_spans() {
        assert_eq!(calendar_period("*-*-* 00/8:00:00"), Some(8 * HOUR));
        assert_eq!(calendar_period("*-*-* 02:30"), Some(DAY));
        assert_eq!(calendar_period("hourly"), Some(HOUR));
        assert_eq!(calendar_period("Mon *-*-* 00:00"), None);
        assert_eq!(parse_span("1d 2h"), Some(DAY + 2 * HOUR));
        assert_eq!(parse_span("30min"), Some(1800));
        assert_eq!(parse_span("soon"), None);
        let t = parse_timer(
            Path::new("/etc/systemd/system/x.timer"),
            "[Timer]\nOnCalendar=daily\nOnUnitActiveSec=4h\n",
            Some("[Service]\nUser=wdav\nExecStart=/opt/x/xplat_offline_updates_download.sh\n"),
        )
        .unwrap();
        assert_eq!(t.period, Some(Duration::from_secs(4 * HOUR)));
        assert_eq!(t.user.as_deref(), Some("wdav"));
        assert!(runs_downloader(
            &t.command,
            "xplat_offline_updates_download.sh"
        ));
        assert!(parse_timer(Path::new("x"), "[Timer]\nPersistent=true\n", None).is_none());
    }
}
