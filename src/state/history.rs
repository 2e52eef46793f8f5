//! The tool's own history: one compact JSON line per run that read health, so a later
//! run can see sequences no single health output shows (the enable → disable →
//! re-enable failure). Bounded, written atomically with mode 0600, never fatal.

use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::mdatp::health::Health;
use crate::safe_write;

pub const FILE_NAME: &str = "history.jsonl";
pub const MAX_ENTRIES: usize = 1000;
/// Lines are ~300 bytes; this leaves room for 1000 of them several times over.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub time: jiff::Timestamp,
    pub command: String,
    #[serde(default)]
    pub offline_enabled: Option<bool>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub source_uri: Option<String>,
    #[serde(default)]
    pub definitions_version: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub fail_reason: Option<String>,
}

impl Entry {
    pub fn from_health(command: &str, health: &Health, time: jiff::Timestamp) -> Entry {
        let s = |name: &str| health.str(name).map(str::to_string);
        Entry {
            time,
            command: command.to_string(),
            offline_enabled: health.offline_enabled(),
            url: s("offline_definition_url_configured"),
            source_uri: s("definitions_update_source_uri"),
            definitions_version: s("definitions_version"),
            status: s("definitions_status"),
            fail_reason: s("definitions_update_fail_reason"),
        }
    }
}

/// `--state-dir`, else `MDATP_DOCTOR_STATE_DIR` (both handled by clap), else
/// /var/lib/mdatp-doctor for root and the XDG state directory for anyone else.
pub fn default_dir() -> PathBuf {
    // SAFETY: geteuid cannot fail and has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/mdatp-doctor");
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("mdatp-doctor")
}

/// Reads the history, oldest first. A missing file is an empty history; lines that do
/// not parse (a hand edit, a newer format) are skipped.
pub fn read(dir: &Path) -> Result<Vec<Entry>, String> {
    let path = dir.join(FILE_NAME);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut text = String::new();
    file.take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut entries: Vec<Entry> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    entries.sort_by_key(|e| e.time);
    Ok(entries)
}

/// Appends one entry, keeping the newest [`MAX_ENTRIES`].
pub fn append(dir: &Path, entry: &Entry) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // Read-modify-rename under a lock, so two runs finishing together both keep their line.
    let _lock =
        super::lock::acquire_named(dir, "history.lock", Some(std::time::Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
    let mut entries = read(dir)?;
    entries.push(entry.clone());
    let skip = entries.len().saturating_sub(MAX_ENTRIES);
    let mut text = String::new();
    for e in &entries[skip..] {
        let line = serde_json::to_string(e).map_err(|e| e.to_string())?;
        text.push_str(&line);
        text.push('\n');
    }
    safe_write::replace(&dir.join(FILE_NAME), text.as_bytes(), 0o600)
        .map_err(|e| format!("cannot write {}: {e}", dir.join(FILE_NAME).display()))
}

#[cfg(test)]
mod tests;
