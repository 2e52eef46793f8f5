//! The mirror host: what Microsoft's offline downloader (`xplat_offline_updates_download.sh`
//! 0.0.2) leaves behind, read without trusting it: its `settings.json`, its log, the tree
//! under `downloadFolder`, and the cron entries and systemd timers that run it. Pure parsers
//! plus small readers of one file or folder each; `gather::mirror_host` decides what to read.

pub mod log;
pub mod online;
pub mod run;
pub mod schedule;
pub mod settings;
pub mod tree;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

pub use log::LogSummary;
pub use schedule::ScheduleEntry;
pub use settings::Settings;
pub use tree::ArchState;

/// Where the downloader's script lives and how it looks.
#[derive(Debug, Clone, Default)]
pub struct InstallFacts {
    /// The script, when one was found or given.
    pub script: Option<PathBuf>,
    /// Why the script could not be read, when it could not.
    pub script_error: Option<String>,
    pub executable: bool,
    pub crlf: bool,
    /// `scriptVersion="…"` in the script.
    pub version: Option<String>,
    /// `jq` and `curl` on the PATH searched (`None`: missing).
    pub jq: Option<PathBuf>,
    pub curl: Option<PathBuf>,
    /// The PATH searched.
    pub path: String,
}

/// What the mirror serves at `--url`, probed the way endpoints fetch it.
#[derive(Debug, Clone)]
pub struct Serving {
    pub url: String,
    /// The ring folder on disk the URL is compared with.
    pub platform: String,
    pub ring: String,
    pub probes: Vec<crate::mirror::ArchProbe>,
    /// Why nothing could be probed (a malformed URL).
    pub error: Option<String>,
}

/// `--online`: what Microsoft publishes for one current slot.
#[derive(Debug, Clone)]
pub struct OnlineReading {
    pub platform: String,
    pub ring: String,
    pub arch: String,
    pub url: String,
    pub proxy: Option<String>,
    pub result: Result<online::Published, String>,
}

/// Everything `mirror check` looked at on the mirror host: the input of the
/// `mirror-host-*` rules.
#[derive(Debug, Clone)]
pub struct MirrorHostSnapshot {
    pub settings_path: Option<PathBuf>,
    /// The settings as read; `Err` says why they could not be (missing, unreadable, not JSON).
    /// `None` when `--folder` was given instead.
    pub settings: Option<Result<Settings, String>>,
    /// The download folder checked.
    pub folder: PathBuf,
    /// The folder could not be listed.
    pub folder_error: Option<String>,
    /// Free bytes on the folder's file system.
    pub folder_free: Option<u64>,
    /// The folder's file system type is tmpfs.
    pub folder_tmpfs: bool,
    /// Every `arch_*` folder the settings call for (or found, with `--folder`).
    pub tree: Vec<ArchState>,
    pub log_path: Option<PathBuf>,
    pub log: Option<Result<LogSummary, String>>,
    /// `None` when the schedule was not looked for.
    pub schedule: Option<Vec<ScheduleEntry>>,
    pub install: Option<InstallFacts>,
    /// `--url`: what the web server hands out.
    pub serving: Option<Serving>,
    /// `--online`: one reading per current slot.
    pub online: Option<Vec<OnlineReading>>,
    /// The endpoints' `definitionUpdatesInterval`.
    pub interval: Duration,
    pub now: SystemTime,
    /// The user running the check.
    pub uid: u32,
}
