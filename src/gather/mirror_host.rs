//! Gathering for `mirror check`: find the downloader's settings, then read the tree, the
//! log, the schedule and the install they point at. Every read is of one local file or
//! folder; nothing leaves the host here.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::mirror_host::tree::{self, ArchState};
use crate::mirror_host::{MirrorHostSnapshot, log, settings};

/// The script's file name, as Microsoft ships it.
pub const SCRIPT_NAME: &str = "xplat_offline_updates_download.sh";
/// Where the settings are looked for when neither --settings nor --folder is given
/// (inferred: where setup guides put the script).
pub const SETTINGS_CANDIDATES: &[&str] = &[
    "/opt/wdav-update/settings.json",
    "/opt/mdatp-offline-updates/settings.json",
    "/usr/local/bin/settings.json",
    "/root/settings.json",
];

#[derive(Debug, Clone)]
pub struct MirrorHostPlan {
    pub settings: Option<PathBuf>,
    pub folder: Option<PathBuf>,
    /// Prefix for the machine's own files (schedule, settings candidates); `/` normally.
    pub root: PathBuf,
    pub interval: Duration,
    /// `$HOME`, for the script's default download folder.
    pub home: Option<String>,
}

/// The message of a settings file that was not found anywhere.
pub const NOT_FOUND: &str = "no settings.json found";

pub fn gather(plan: &MirrorHostPlan) -> MirrorHostSnapshot {
    let settings_path = plan.settings.clone().or_else(|| {
        if plan.folder.is_some() {
            return None;
        }
        SETTINGS_CANDIDATES
            .iter()
            .map(|c| plan.root.join(c.trim_start_matches('/')))
            .find(|p| p.exists())
    });
    let settings = match (&settings_path, &plan.folder) {
        (Some(p), _) => Some(read_settings(p)),
        (None, Some(_)) => None,
        (None, None) => Some(Err(format!(
            "{NOT_FOUND} (looked in {}); pass --settings PATH or --folder DIR",
            SETTINGS_CANDIDATES.join(", ")
        ))),
    };
    let ok = settings.as_ref().and_then(|s| s.as_ref().ok());
    let folder = plan
        .folder
        .clone()
        .or_else(|| ok.and_then(|s| s.folder(plan.home.as_deref())))
        .unwrap_or_default();
    let log_path = ok.map(|s| s.log());
    let slots = match ok {
        Some(s) => tree::slots(&s.platforms(), &s.rings(), s.backup.on()),
        None => tree::discover(&folder),
    };
    let folder_error = if folder.as_os_str().is_empty() {
        Some("not known".to_string())
    } else {
        std::fs::read_dir(&folder).err().map(|e| e.to_string())
    };
    let tree: Vec<ArchState> = if folder_error.is_some() {
        Vec::new()
    } else {
        slots
            .into_iter()
            .map(|s| tree::inspect(&folder, s))
            .collect()
    };
    let log = log_path.as_ref().map(|p| log::read(p));
    MirrorHostSnapshot {
        settings_path,
        settings,
        folder_free: crate::system::free_bytes(&folder),
        folder_tmpfs: is_tmpfs(&folder),
        folder,
        folder_error,
        tree,
        log_path,
        log,
        schedule: None,
        install: None,
        interval: plan.interval,
        now: SystemTime::now(),
        // SAFETY: getuid cannot fail.
        uid: unsafe { libc::getuid() },
    }
}

/// Reads settings.json (at most 1 MiB).
pub fn read_settings(path: &Path) -> Result<settings::Settings, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    f.take(1024 * 1024 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > 1024 * 1024 {
        return Err("larger than 1 MiB: not a settings file".into());
    }
    settings::parse(&bytes)
}

fn is_tmpfs(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs fills the struct we pass; the path is a valid C string.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    const TMPFS_MAGIC: i64 = 0x0102_1994;
    st.f_type as i64 == TMPFS_MAGIC
}
