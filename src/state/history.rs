//! The tool's own history: one compact JSON line per run that read health, so a later
//! run can see sequences no single health output shows (the enable → disable →
//! re-enable failure). Bounded (entries, line length, bytes read), mode 0600, appended
//! one line per run and compacted atomically now and then, read backwards from its
//! newest end, never fatal.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::mdatp::health::Health;
use crate::safe_write;

pub const FILE_NAME: &str = "history.jsonl";
pub const MAX_ENTRIES: usize = 1000;
/// An entry is ~300 bytes; a longer one is cut down to this when written, and a longer
/// line is skipped when read.
pub const MAX_LINE_BYTES: usize = 4096;
/// The most that is read of the file (its newest part): [`MAX_ENTRIES`] lines of the
/// longest kind fit, so everything written is read back.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
const _: () = assert!((MAX_ENTRIES * (MAX_LINE_BYTES + 1)) as u64 <= MAX_FILE_BYTES);
/// Lines the file may hold beyond [`MAX_ENTRIES`] before an append compacts it: at the
/// cap, one rewrite per this many runs (the rest append one line each).
pub const COMPACT_SLACK: usize = MAX_ENTRIES / 2;
/// The most an append reads to count the file's lines; a file with more bytes than
/// [`MAX_ENTRIES`] + [`COMPACT_SLACK`] lines of the longest kind is compacted.
const COMPACT_SCAN_BYTES: u64 = ((MAX_ENTRIES + COMPACT_SLACK) * (MAX_LINE_BYTES + 1)) as u64;

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
    let uid = crate::units::euid();
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
/// newest [`MAX_ENTRIES`] lines are read, backwards from the end of the file and never
/// more than [`MAX_FILE_BYTES`]; lines that do not parse are skipped and counted, never
/// fatal.
pub fn read(dir: &Path) -> Result<History, String> {
    if !super::check_dir(dir, false)? {
        return Ok(History::default());
    }
    let Some(bytes) = read_newest(dir)? else {
        return Ok(History::default());
    };
    Ok(parse(&bytes))
}

/// The raw newest lines of the history file, checked and bounded like [`read`] (for the
/// support bundle). `Ok(None)`: there is none.
pub fn read_raw(dir: &Path) -> Result<Option<Vec<u8>>, String> {
    if !super::check_dir(dir, false)? {
        return Ok(None);
    }
    read_newest(dir)
}

/// The newest [`MAX_ENTRIES`] lines of the file.
fn read_newest(dir: &Path) -> Result<Option<Vec<u8>>, String> {
    let Some(file) = super::open_file(dir, FILE_NAME, super::Access::Read)? else {
        return Ok(None);
    };
    let shown = |e: std::io::Error| format!("{}: {e}", dir.join(FILE_NAME).display());
    let len = file.metadata().map_err(shown)?.len();
    let tail = tail_lines(&file, len, MAX_ENTRIES, MAX_FILE_BYTES).map_err(shown)?;
    Ok(Some(tail.bytes))
}

/// The end of a file, read backwards.
struct Tail {
    /// Whole lines (the newest may lack its newline: a write cut short), oldest first.
    bytes: Vec<u8>,
    /// Where `bytes` starts in the file: above zero, the file holds more than was read.
    start: u64,
}

/// How much is read at a time, from the end of the file backwards.
const CHUNK_BYTES: u64 = 64 * 1024;

/// The newest `lines` lines of `file` (`len` bytes long), read backwards from its end a
/// chunk at a time and never more than `max_bytes` of it: a huge file costs no more
/// than a normal one. When `max_bytes` runs out first, the line it cut is dropped.
fn tail_lines(file: &File, len: u64, lines: usize, max_bytes: u64) -> std::io::Result<Tail> {
    let floor = len.saturating_sub(max_bytes);
    let mut chunks: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut pos = len;
    let mut found = 0;
    let mut start = None;
    while pos > floor && start.is_none() {
        let size = (pos - floor).min(CHUNK_BYTES);
        pos -= size;
        let mut chunk = vec![0; size as usize];
        file.read_exact_at(&mut chunk, pos)?;
        // A newline ends the line before it; the one that ends the file starts none.
        for (i, _) in chunk.iter().enumerate().rev().filter(|(_, b)| **b == b'\n') {
            let at = pos + i as u64;
            if at + 1 < len {
                found += 1;
                if found == lines {
                    start = Some(at + 1);
                    break;
                }
            }
        }
        chunks.push((pos, chunk));
    }
    let start = match start {
        Some(s) => s,
        None if pos == 0 => 0,
        // Cut at `max_bytes`: the oldest line read is probably partial.
        None => chunks
            .iter()
            .rev()
            .find_map(|(at, c)| {
                c.iter()
                    .position(|&b| b == b'\n')
                    .map(|i| at + i as u64 + 1)
            })
            .unwrap_or(len),
    };
    let mut bytes = Vec::with_capacity((len - start) as usize);
    for (at, chunk) in chunks.iter().rev() {
        let skip = start.saturating_sub(*at).min(chunk.len() as u64) as usize;
        bytes.extend_from_slice(&chunk[skip..]);
    }
    Ok(Tail { bytes, start })
}

/// The newest `lines` lines of `bytes`.
fn newest_lines(bytes: &[u8], lines: usize) -> &[u8] {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.iter()
        .enumerate()
        .rev()
        .filter(|(_, b)| **b == b'\n')
        .nth(lines.saturating_sub(1))
        .map_or(bytes, |(i, _)| &bytes[i + 1..])
}

/// The entries of history text (as [`read`] takes them from the file; a support bundle
/// keeps the same lines).
pub fn parse(bytes: &[u8]) -> History {
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

/// Appends one entry (capped at [`MAX_LINE_BYTES`]) as one line in one `write(2)` with
/// `O_APPEND`: a run at the cap writes its ~300 bytes, not the whole file. The file is
/// rewritten (compacted to the newest [`MAX_ENTRIES`]) only when it holds more than
/// [`COMPACT_SLACK`] lines beyond them (so at most once per that many runs), when its
/// last line was cut short (a crash mid-write: the new line must not be glued to it), or
/// when one of its newest lines does not parse (dropped, as the skipped-lines note says).
pub fn append(dir: &Path, entry: &Entry) -> Result<(), String> {
    super::check_dir(dir, true)?;
    // One writer at a time: an append between a compaction's read and its rename would
    // be lost.
    let _lock =
        super::lock::acquire_named(dir, "history.lock", Some(std::time::Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
    let path = dir.join(FILE_NAME);
    let shown = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let file = super::open_file(dir, FILE_NAME, super::Access::Append)?
        .ok_or_else(|| format!("cannot write {}: not created", path.display()))?;
    let meta = file.metadata().map_err(shown)?;
    let tail = tail_lines(
        &file,
        meta.len(),
        MAX_ENTRIES + COMPACT_SLACK,
        COMPACT_SCAN_BYTES,
    )
    .map_err(shown)?;
    let torn = tail.bytes.last().is_some_and(|&b| b != b'\n');
    let kept = parse(newest_lines(&tail.bytes, MAX_ENTRIES));
    if tail.start > 0 || torn || kept.skipped > 0 {
        return compact(dir, kept.entries, entry);
    }
    // Created 0600, but an older file (or one restored by hand) may be more open.
    if meta.mode() & 0o7777 != 0o600 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(shown)?;
    }
    let mut line = entry.line();
    line.push('\n');
    // One write(2): O_APPEND puts it whole at the end. No fsync: losing the newest line
    // to a power cut costs one entry, and a cut line is dropped by the next append.
    let written = (&file).write(line.as_bytes()).map_err(shown)?;
    if written != line.len() {
        return Err(format!(
            "cannot write {}: {written} of {} bytes written (disk full?); the cut line is dropped by the next run",
            path.display(),
            line.len()
        ));
    }
    Ok(())
}

/// Replaces the file with `entries` and `entry`, the newest [`MAX_ENTRIES`] of them:
/// atomically (a fresh 0600 file in the same directory, synced, renamed over it, the
/// directory synced), so a crash leaves the old file or the new one, never half of one.
fn compact(dir: &Path, mut entries: Vec<Entry>, entry: &Entry) -> Result<(), String> {
    let path = dir.join(FILE_NAME);
    let shown = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    entries.push(entry.clone());
    let skip = entries.len().saturating_sub(MAX_ENTRIES);
    let mut text = String::new();
    for e in &entries[skip..] {
        text.push_str(&e.line());
        text.push('\n');
    }
    safe_write::replace(&path, text.as_bytes(), 0o600).map_err(shown)?;
    // The rename is durable only once the directory is.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests;
