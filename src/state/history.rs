//! The tool's own history: one compact JSON line per run that read health, so a later
//! run can see sequences no single health output shows (the enable → disable →
//! re-enable failure). Bounded (entries, line length, bytes read), written atomically
//! with mode 0600, read line by line from its newest end, never fatal.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::mdatp::health::Health;
use crate::safe_write;

pub const FILE_NAME: &str = "history.jsonl";
pub const MAX_ENTRIES: usize = 1000;
/// An entry is ~300 bytes; a longer one is cut down to this when written, and a longer
/// line is skipped when read.
pub const MAX_LINE_BYTES: usize = 4096;
/// What is read of the file (its newest part): [`MAX_ENTRIES`] lines of the longest
/// kind fit, so everything written is read back.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
const _: () = assert!((MAX_ENTRIES * (MAX_LINE_BYTES + 1)) as u64 <= MAX_FILE_BYTES);

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

    /// The entry as one JSON line of at most [`MAX_LINE_BYTES`]: text fields (mdatp's
    /// fail reason can be long) are cut down until it fits.
    pub fn line(&self) -> String {
        let mut cap = 1024;
        loop {
            let mut e = self.clone();
            for field in [
                Some(&mut e.command),
                e.url.as_mut(),
                e.source_uri.as_mut(),
                e.definitions_version.as_mut(),
                e.status.as_mut(),
                e.fail_reason.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                cut(field, cap);
            }
            // Serialising plain strings and options cannot fail.
            let line = serde_json::to_string(&e).unwrap_or_default();
            if line.len() <= MAX_LINE_BYTES || cap == 0 {
                return line;
            }
            cap /= 2;
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
fn cut(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
}

/// `--state-dir`, else `MDATP_DOCTOR_STATE_DIR` (both handled by clap), else
/// /var/lib/mdatp-doctor for root and the XDG state directory for anyone else.
pub fn default_dir() -> PathBuf {
    // SAFETY: geteuid cannot fail and has no preconditions.
    let uid = unsafe { libc::geteuid() };
    default_dir_for(uid, |k| std::env::var_os(k), passwd_home(uid))
}

/// Root keeps /var/lib/mdatp-doctor; a user the XDG state directory, else `~/.local/state`
/// (from HOME, else the password database), else their private runtime directory, and
/// only then a per-user directory in /tmp, which the state checks refuse if another user
/// made it first. Never one shared /tmp/mdatp-doctor.
pub fn default_dir_for(
    uid: u32,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
    passwd_home: Option<PathBuf>,
) -> PathBuf {
    if uid == 0 {
        return PathBuf::from("/var/lib/mdatp-doctor");
    }
    let absolute = |v: Option<std::ffi::OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    absolute(env("XDG_STATE_HOME"))
        .or_else(|| absolute(env("HOME")).map(|h| h.join(".local/state")))
        .or_else(|| passwd_home.map(|h| h.join(".local/state")))
        .or_else(|| absolute(env("XDG_RUNTIME_DIR")))
        .map(|base| base.join("mdatp-doctor"))
        .unwrap_or_else(|| PathBuf::from(format!("/tmp/mdatp-doctor-{uid}")))
}

/// The home directory the password database gives `uid`, if any.
fn passwd_home(uid: u32) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let mut buf = vec![0u8; 16 * 1024];
    // SAFETY: getpwuid_r fills `pwd` with pointers into `buf`, which outlives their use.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let rc = unsafe {
        libc::getpwuid_r(
            uid,
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() || pwd.pw_dir.is_null() {
        return None;
    }
    // SAFETY: pw_dir points to a NUL-terminated string inside `buf`.
    let dir = unsafe { std::ffi::CStr::from_ptr(pwd.pw_dir) };
    let path = PathBuf::from(std::ffi::OsStr::from_bytes(dir.to_bytes()));
    path.is_absolute().then_some(path)
}

/// What was read from the history file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Oldest first, at most [`MAX_ENTRIES`], the newest kept.
    pub entries: Vec<Entry>,
    /// Lines that were skipped: not UTF-8 (a stray byte, a write cut inside a
    /// character), not an entry, or longer than [`MAX_LINE_BYTES`].
    pub skipped: usize,
}

impl History {
    /// Says what was skipped, if anything (for the history error/info text).
    pub fn skipped_note(&self) -> Option<String> {
        (self.skipped > 0).then(|| {
            format!(
                "{FILE_NAME}: {} unreadable line(s) skipped (not UTF-8, not an entry, or over {MAX_LINE_BYTES} bytes); the other {} entries are used and the next write drops the bad lines",
                self.skipped,
                self.entries.len()
            )
        })
    }
}

/// Reads the history, oldest first. A missing directory or file is an empty history. A
/// state directory or file someone else controls is refused (history off). Only the
/// newest [`MAX_FILE_BYTES`] are read, line by line; lines that do not parse are skipped
/// and counted, never fatal.
pub fn read(dir: &Path) -> Result<History, String> {
    if !super::check_dir(dir, false)? {
        return Ok(History::default());
    }
    let Some(bytes) = read_tail(dir)? else {
        return Ok(History::default());
    };
    Ok(parse(&bytes))
}

/// The raw history file, checked like [`read`] and capped at its newest
/// [`MAX_FILE_BYTES`] (for the support bundle). `Ok(None)`: there is none.
pub fn read_raw(dir: &Path) -> Result<Option<Vec<u8>>, String> {
    if !super::check_dir(dir, false)? {
        return Ok(None);
    }
    read_tail(dir)
}

/// The last [`MAX_FILE_BYTES`] of the file, starting at a line boundary.
fn read_tail(dir: &Path) -> Result<Option<Vec<u8>>, String> {
    let Some(mut file) = super::open_file(dir, FILE_NAME, super::Access::Read)? else {
        return Ok(None);
    };
    let path = dir.join(FILE_NAME);
    let len = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let start = len.saturating_sub(MAX_FILE_BYTES);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if start > 0 {
        // The first line is probably cut: start after it.
        let cut = bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..cut);
    }
    Ok(Some(bytes))
}

fn parse(bytes: &[u8]) -> History {
    let mut history = History::default();
    for line in bytes.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry = (line.len() <= MAX_LINE_BYTES)
            .then(|| std::str::from_utf8(line).ok())
            .flatten()
            .and_then(|l| serde_json::from_str::<Entry>(l).ok());
        match entry {
            Some(e) => history.entries.push(e),
            None => history.skipped += 1,
        }
    }
    history.entries.sort_by_key(|e| e.time);
    let skip = history.entries.len().saturating_sub(MAX_ENTRIES);
    history.entries.drain(..skip);
    history
}

/// Appends one entry (capped at [`MAX_LINE_BYTES`]), keeping the newest [`MAX_ENTRIES`];
/// lines that did not parse are dropped.
pub fn append(dir: &Path, entry: &Entry) -> Result<(), String> {
    super::check_dir(dir, true)?;
    // Read-modify-rename under a lock, so two runs finishing together both keep their line.
    let _lock =
        super::lock::acquire_named(dir, "history.lock", Some(std::time::Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
    let mut entries = read(dir)?.entries;
    entries.push(entry.clone());
    let skip = entries.len().saturating_sub(MAX_ENTRIES);
    let mut text = String::new();
    for e in &entries[skip..] {
        text.push_str(&e.line());
        text.push('\n');
    }
    safe_write::replace(&dir.join(FILE_NAME), text.as_bytes(), 0o600)
        .map_err(|e| format!("cannot write {}: {e}", dir.join(FILE_NAME).display()))
}

#[cfg(test)]
mod tests;
