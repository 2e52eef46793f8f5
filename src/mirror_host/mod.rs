//! The mirror host: what Microsoft's offline downloader (`xplat_offline_updates_download.sh`
//! 0.0.2) leaves behind, read without trusting it: its `settings.json`, its log, the tree
//! under `downloadFolder`, and the cron entries and systemd timers that run it. Pure parsers
//! plus small readers of one file or folder each; `gather::mirror_host` decides what to read.

pub mod access;
pub mod folder;
pub mod log;
pub mod online;
pub mod run;
pub mod schedule;
pub mod settings;
pub mod stage;
pub mod status;
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
    /// The script's text mentions arm64 (it downloads the arm64 packages).
    pub mentions_arm64: bool,
    /// `jq` and `curl` on the PATH searched (`None`: missing).
    pub jq: Option<PathBuf>,
    pub curl: Option<PathBuf>,
    /// The PATH searched.
    pub path: String,
}

/// Who runs the downloader and whether that user can write where its settings point.
#[derive(Debug, Clone)]
pub struct JobAccess {
    pub user: String,
    /// Where the user comes from: a schedule entry, or why root is assumed.
    pub source: String,
    /// No schedule names the user: root is assumed.
    pub assumed: bool,
    /// `None`: the user is not in /etc/passwd (a directory service, or a name cron refuses).
    pub account: Option<access::Account>,
    pub targets: Vec<WriteTarget>,
}

/// A place the downloader writes.
#[derive(Debug, Clone)]
pub struct WriteTarget {
    /// `downloadFolder`, `logFilePath` or an arch folder (`linux/production/arch_x86_64`).
    pub what: String,
    pub path: PathBuf,
    /// The path, or its nearest existing ancestor, with its permissions.
    pub checked: Option<(PathBuf, access::Perm)>,
}

/// SELinux on the mirror host, read only where it matters: enforcing with a local web
/// server that would serve the tree.
#[derive(Debug, Clone)]
pub struct SelinuxFacts {
    pub enforcing: bool,
    /// The local web server found (nginx, httpd, apache2).
    pub server: Option<PathBuf>,
    /// The `security.selinux` attribute of each path the server hands out.
    pub labels: Vec<(PathBuf, Result<Option<String>, String>)>,
}

/// What the mirror serves at `--url`, probed the way endpoints fetch it.
#[derive(Debug, Clone)]
pub struct Serving {
    pub url: String,
    /// The ring folder on disk the URL is compared with.
    pub platform: String,
    pub ring: String,
    /// The arch folders on disk the URL is compared with: the download tree's, or for a
    /// staged root's `incoming/`, the stage the URL serves (canary or production).
    pub disk: Vec<ArchState>,
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

/// A staged root (`mirror promote`, `mirror rollback`) as `mirror check --folder ROOT`
/// reads it: every stage's arch folders, and the journal a killed step leaves.
#[derive(Debug, Clone)]
pub struct StagedRoot {
    /// Every `arch_*` folder of every stage that exists, as [`stage::read_all`] lists them
    /// (platform, ring, then stage, then arch).
    pub stages: Vec<stage::StageArch>,
    /// [`stage::JOURNAL`], when it is in the root: a step is in progress or was killed.
    pub journal: Option<StageJournal>,
}

/// The journal of a promote or rollback step, read only to say what was interrupted.
#[derive(Debug, Clone, Default)]
pub struct StageJournal {
    pub path: PathBuf,
    /// When it was written (the step wrote it just before its swap).
    pub modified: Option<SystemTime>,
    /// The step (`promote to production`, `rollback`…), the arch folder below the root
    /// (`linux/production/arch_x86_64`) and the definitions it was putting in place.
    pub op: Option<String>,
    pub folder: Option<String>,
    pub to_version: Option<String>,
    /// Why it could not be read (it is still there, and still settled by the next step).
    pub error: Option<String>,
}

/// The status file (`mdatp-doctor-status.json`) of one ring folder of the download tree.
#[derive(Debug, Clone)]
pub struct RingStatus {
    pub platform: String,
    pub ring: String,
    pub path: PathBuf,
    /// `None`: no file. `Some(Err)`: it cannot be read.
    pub status: Option<Result<crate::mirror::status::MirrorStatus, String>>,
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
    /// This machine's host name ("" when unknown): how `aggregate` joins a mirror report
    /// run without `--url` to the endpoints that name this host in their mirror URL.
    pub hostname: String,
    /// `None` when no download folder is known.
    pub job: Option<JobAccess>,
    pub selinux: Option<SelinuxFacts>,
    /// The status file of each ring folder of the tree (issue 28).
    pub statuses: Vec<RingStatus>,
    /// `--folder` names a staged root ([`stage::is_staged`]): its stages. `None` otherwise.
    pub staged: Option<StagedRoot>,
    /// `--folder` with no arch folder found in it: what it holds instead, to say what kind
    /// of folder was given. `None` otherwise.
    pub folder_listing: Option<FolderListing>,
}

/// The names in a folder, as read to describe it (nothing in it is opened).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderListing {
    /// The first names, sorted (at most [`FolderListing::SHOWN`]).
    pub names: Vec<String>,
    /// How many entries it holds (counted up to [`FolderListing::COUNTED`]).
    pub count: usize,
    /// `arch_x86_64` or `arch_arm64` is a folder in it: a ring folder.
    pub has_arch: bool,
    /// `production` or `preview` is a folder in it: a platform folder.
    pub has_ring: bool,
    /// `updates.zip` or `manifest.json` is in it: an arch folder.
    pub has_package: bool,
}

impl FolderListing {
    pub const SHOWN: usize = 8;
    pub const COUNTED: usize = 10_000;
}
