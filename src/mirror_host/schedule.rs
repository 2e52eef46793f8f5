//! What runs the downloader on a schedule: cron entries and systemd timers.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEntry {
    pub source: PathBuf,
    pub line: usize,
    pub user: Option<String>,
    /// The longest gap between two runs, when it could be worked out.
    pub period: Option<Duration>,
    pub command: String,
}
