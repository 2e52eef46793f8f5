//! `config fix --apply` and `--undo` on the disk: the managed file refused when it can be
//! swapped or written by someone else, a private backup first, then the new text in a
//! temporary file beside it with the original's owner, group, mode and SELinux label,
//! flushed and renamed over it (a crash leaves the original or the new file, never half of
//! one), and the directory flushed. Then health is read until it shows the new values.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::analyze::fix::{Expect, Taken, taken};
use crate::failure::Failure;
use crate::mdatp;
use crate::process::Runner;

/// Test-only: abort right before the rename, as a crash would (the original must survive).
pub const ABORT_BEFORE_RENAME_ENV: &str = "MDATP_DOCTOR_TEST_ABORT_BEFORE_RENAME";
/// Test-only: right before the last comparison, touch the file this names and wait, so a
/// test can save the managed file in that window (as an editor would).
pub const HOLD_BEFORE_RENAME_ENV: &str = "MDATP_DOCTOR_TEST_HOLD_BEFORE_RENAME";
const CHANGED_UNDER_US: &str =
    "changed while the fix was being written (an edit saved after it was read)";
const MAX_BACKUP_BYTES: u64 = crate::managed::config::MAX_CONFIG_BYTES;

fn refuse(kind: &'static str, message: String, hint: &str) -> Failure {
    Failure::unknown(kind, message, hint)
}

/// The managed file may be replaced only when it is a regular file (not a symlink: its
/// target could be anywhere), owned by root (`force` overrides only that), and not
/// writable by group or others (someone else could change it under us).
pub fn check_target(path: &Path, force: bool) -> Result<Metadata, Failure> {
    let shown = path.display();
    let meta = fs::symlink_metadata(path).map_err(|e| {
        refuse(
            "config_unreadable",
            format!("{shown}: {e}"),
            "check the path (--managed-config or FILE)",
        )
    })?;
    if meta.file_type().is_symlink() {
        return Err(refuse(
            "config_is_symlink",
            format!(
                "{shown} is a symbolic link: not replaced (the link's target could be any file)"
            ),
            "edit the file it points to by naming that file, after checking who controls the link",
        ));
    }
    if !meta.is_file() {
        return Err(refuse(
            "config_not_a_file",
            format!("{shown} is not a regular file"),
            "name the managed configuration file itself",
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(refuse(
            "config_writable_by_others",
            format!(
                "{shown} is writable by group or others (mode {:04o}): not replaced, anyone in that group could change it under us",
                meta.mode() & 0o7777
            ),
            "make it root-only first: chmod go-w on it, and find out who made it writable",
        ));
    }
    // The new file is written beside it and renamed over it: a directory others can
    // write would let them swap either under us.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(d) = fs::metadata(dir)
        && d.mode() & 0o022 != 0
    {
        return Err(refuse(
            "config_dir_writable_by_others",
            format!(
                "{} is writable by group or others (mode {:04o}): {shown} is not replaced there",
                dir.display(),
                d.mode() & 0o7777
            ),
            "make the directory root-only (chmod go-w) and find out who made it writable",
        ));
    }
    untrusted_ancestor(dir)?;
    if meta.uid() != 0 && !force {
        return Err(refuse(
            "config_not_owned_by_root",
            format!(
                "{shown} is owned by uid {}, not root: mdatp reads a root-owned file",
                meta.uid()
            ),
            "check why; --force writes it anyway (keeping its owner)",
        ));
    }
    rights_to_replace(path, dir, &meta)?;
    Ok(meta)
}

/// Replacing the file takes creating its successor in `dir` and giving it the file's
/// owner: a run without the rights to both (not root, or a read-only file system) is told
/// so, and how to get them, before health is read or a backup taken.
fn rights_to_replace(path: &Path, dir: &Path, meta: &Metadata) -> Result<(), Failure> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    let dir_error = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .ok()
        .and_then(|c| {
            // SAFETY: a valid C string; faccessat only reads it. AT_EACCESS: the rights
            // of the effective user, the one that writes.
            let rc = unsafe {
                libc::faccessat(
                    libc::AT_FDCWD,
                    c.as_ptr(),
                    libc::W_OK | libc::X_OK,
                    libc::AT_EACCESS,
                )
            };
            (rc != 0).then(std::io::Error::last_os_error)
        });
    let shown = path.display();
    if let Some(e) = &dir_error
        && e.raw_os_error() == Some(libc::EROFS)
    {
        return Err(refuse(
            "config_read_only",
            format!(
                "{shown} cannot be replaced: {} is on a read-only file system ({e}); nothing was changed",
                dir.display()
            ),
            "remount that file system read-write (or change the image it is built from), then run config fix again",
        ));
    }
    let not_owner = me != 0 && meta.uid() != me;
    if !not_owner && dir_error.is_none() {
        return Ok(());
    }
    let mut why = Vec::new();
    if not_owner {
        why.push(format!(
            "it belongs to uid {}, and only root may give the new file that owner",
            meta.uid()
        ));
    }
    if let Some(e) = &dir_error {
        let d = fs::metadata(dir).ok();
        why.push(format!(
            "{} ({}) does not let it create the new file beside it: {e}",
            dir.display(),
            d.map_or_else(
                || "unreadable".to_string(),
                |d| format!("owner uid {}, mode {:04o}", d.uid(), d.mode() & 0o7777)
            ),
        ));
    }
    Err(refuse(
        "config_permission_denied",
        format!(
            "uid {me} (this run) cannot replace {shown}: {}; nothing was changed",
            why.join("; and ")
        ),
        if me == 0 {
            "root is refused there (an immutable attribute, a root-squashed NFS mount or a security policy): lift that, then run config fix again"
        } else {
            "config fix --apply and --undo replace the root-owned managed file: run the same command as root (sudo mdatp-doctor config fix …)"
        },
    ))
}

/// Every directory above the managed file's must be beyond other users' reach too: one
/// they can write (without the sticky bit) or own lets them rename the whole branch and
/// put their own file at the path between our checks and our rename.
fn untrusted_ancestor(dir: &Path) -> Result<(), Failure> {
    let me = crate::units::euid();
    let start = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for d in start.ancestors() {
        let Ok(m) = fs::symlink_metadata(d) else {
            continue;
        };
        let sticky = m.mode() & 0o1000 != 0;
        let writable_by_others = m.mode() & 0o022 != 0 && !sticky;
        let foreign_owner = m.uid() != 0 && m.uid() != me;
        if writable_by_others || foreign_owner {
            let why = if foreign_owner {
                format!("is owned by uid {}", m.uid())
            } else {
                format!(
                    "is writable by group or others (mode {:04o})",
                    m.mode() & 0o7777
                )
            };
            return Err(refuse(
                "config_dir_untrusted",
                format!(
                    "{} {why}: whoever controls it could swap the managed file's folder, so nothing is written below it",
                    d.display()
                ),
                "make every directory above the file root-owned and not writable by others",
            ));
        }
    }
    Ok(())
}

/// A backup's record of what it is a copy of, written beside it as `<backup>.source`:
/// `--undo` restores a backup only onto the file it was taken from, and only as written.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct BackupRecord {
    /// The backed-up file, its directory resolved (see [`source_id`]).
    source: String,
    /// SHA-256 of the backup's bytes.
    sha256: String,
}
const RECORD_SUFFIX: &str = ".source";
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// The managed file as backups record it: its directory canonicalized (the file itself is
/// never a symlink here: check_target refuses one), so two spellings are one file.
pub fn source_id(path: &Path) -> String {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    match path.file_name() {
        Some(name) => dir.join(name).display().to_string(),
        None => path.display().to_string(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::mirror_host::tree::sha256_of(bytes).unwrap_or_default()
}

/// Creates `path` new (O_EXCL, O_NOFOLLOW, 0600) with `bytes`, flushed.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Copies `bytes` (`source` as it is now) to a new 0600 file in `dir` (a directory only
/// this user controls), named after the source and the UTC time, never over an existing
/// one; a record beside it names the source and the copy's hash.
pub fn backup(
    dir: &Path,
    source: &Path,
    bytes: &[u8],
    now: jiff::Timestamp,
) -> Result<PathBuf, Failure> {
    crate::state::check_dir(dir, true).map_err(|e| {
        let hint = match &e.fix {
            Some(f) => format!("{f}; or name another backup directory with --backup-dir"),
            None => "fix that directory or name another with --backup-dir".into(),
        };
        refuse("backup_dir_untrusted", e.message, &hint)
    })?;
    let failed = |path: &Path, e: std::io::Error| {
        refuse(
            "backup_failed",
            format!("{}: {e}", path.display()),
            "check the state directory's file system",
        )
    };
    let base = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "managed".into());
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let record = serde_json::to_vec(&BackupRecord {
        source: source_id(source),
        sha256: sha256_hex(bytes),
    })
    .unwrap_or_default();
    for n in 0..100 {
        let name = match n {
            0 => format!("{base}.{stamp}"),
            n => format!("{base}.{stamp}.{n}"),
        };
        let path = dir.join(&name);
        match write_new(&path, bytes) {
            Ok(()) => {
                let rec = dir.join(format!("{name}{RECORD_SUFFIX}"));
                write_new(&rec, &record).map_err(|e| failed(&rec, e))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(failed(&path, e)),
        }
    }
    Err(refuse(
        "backup_failed",
        format!("no free backup name in {}", dir.display()),
        "remove old backups",
    ))
}

/// The record beside a backup, if it has a readable one.
fn read_record(backup: &Path) -> Option<BackupRecord> {
    let mut name = backup.as_os_str().to_owned();
    name.push(RECORD_SUFFIX);
    let bytes = read_regular(Path::new(&name), MAX_RECORD_BYTES).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The newest backup in `dir` taken of `source` (a backup's name ends in its UTC time).
pub fn newest_backup(dir: &Path, source: &Path) -> Result<PathBuf, Failure> {
    let none = |why: String| {
        refuse(
            "no_backup",
            why,
            "nothing to undo for this file: config fix --apply writes the backups (--undo-from names one)",
        )
    };
    let entries = fs::read_dir(dir).map_err(|e| none(format!("{}: {e}", dir.display())))?;
    let wanted = source_id(source);
    let mut found: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let backup = name.strip_suffix(RECORD_SUFFIX)?.to_string();
            let path = dir.join(&backup);
            (read_record(&path)?.source == wanted).then_some((backup, path))
        })
        .collect();
    // Same source, same base name: the names sort by their time stamp (and .n suffix).
    found.sort_by_key(|(name, _)| stamp_key(name));
    found
        .pop()
        .map(|(_, p)| p)
        .ok_or_else(|| none(format!("no backup of {wanted} in {}", dir.display())))
}

/// `<base>.<stamp>[.<n>]` as (stamp, n), for ordering.
fn stamp_key(name: &str) -> (String, u32) {
    let parts: Vec<&str> = name.rsplitn(3, '.').collect();
    match parts.as_slice() {
        [n, stamp, _] if n.parse::<u32>().is_ok() && stamp.ends_with('Z') => {
            ((*stamp).to_string(), n.parse().unwrap_or(0))
        }
        [stamp, ..] => ((*stamp).to_string(), 0),
        [] => (String::new(), 0),
    }
}

/// A regular file's bytes (no symlink followed, nothing blocks on a FIFO), at most `cap`.
fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() || meta.len() > cap {
        return Err(format!("not a regular file of at most {cap} bytes"));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A backup's bytes, checked before they go over `target`: a regular file of at most the
/// config cap (no symlink followed), owned by this user and writable by nobody else, whose
/// record names `target` and its hash, holding a JSON object. `force` accepts a backup
/// without a record (written before records existed), never one of another file.
pub fn read_backup(path: &Path, target: &Path, force: bool) -> Result<Vec<u8>, Failure> {
    let shown = path.display();
    let bad = |e: String| {
        refuse(
            "backup_refused",
            format!("{shown}: {e}"),
            "name a backup config fix --apply wrote of this file (in the backup directory, with its .source record)",
        )
    };
    let meta = fs::symlink_metadata(path).map_err(|e| bad(e.to_string()))?;
    let me = crate::units::euid();
    if meta.file_type().is_symlink() {
        return Err(bad("a symbolic link: not followed".into()));
    }
    if meta.uid() != me {
        return Err(bad(format!(
            "owned by uid {}, not by this user (uid {me}): someone else could have written it",
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(bad(format!(
            "writable by group or others (mode {:04o}): anyone could have changed it",
            meta.mode() & 0o7777
        )));
    }
    let bytes = read_regular(path, MAX_BACKUP_BYTES).map_err(bad)?;
    match read_record(path) {
        Some(r) if r.source != source_id(target) => {
            return Err(bad(format!(
                "a backup of {}, not of {}",
                r.source,
                source_id(target)
            )));
        }
        Some(r) if r.sha256 != sha256_hex(&bytes) => {
            return Err(bad(
                "its bytes no longer match the hash recorded when it was written".into(),
            ));
        }
        Some(_) => {}
        None if force => {}
        None => {
            return Err(bad(
                "no record of the file it was taken from (.source beside it); --force restores it anyway"
                    .into(),
            ));
        }
    }
    if !serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| v.is_object()) {
        return Err(bad("not a JSON object: mdatp would ignore all of it".into()));
    }
    Ok(bytes)
}

/// Temporary files of an earlier write that died before its rename, older than this,
/// are removed before the next write (a write in progress finishes in well under it).
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Replaces `path` with `bytes`, keeping `meta`'s owner, group and mode and the file's
/// SELinux label: temporary file beside it, flushed, renamed, directory flushed. First
/// removes what an interrupted earlier write left beside it; returns those names. Right
/// before the rename the file must still be `expected` (the same inode, the same bytes):
/// an editor that saved meanwhile (it does not take our lock) is never overwritten.
pub fn write_preserving(
    path: &Path,
    bytes: &[u8],
    meta: &Metadata,
    expected: &[u8],
) -> Result<Vec<String>, Failure> {
    // A leftover that cannot be removed only stays; the write itself is what matters.
    let removed = crate::safe_write::remove_stale_temps(path, STALE_TEMP_AGE).unwrap_or_default();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let step = |what: &'static str| {
        move |e: std::io::Error| std::io::Error::new(e.kind(), format!("{what}: {e}"))
    };
    crate::safe_write::replace_with(path, bytes, 0o600, |file| {
        std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).map_err(step("owner"))?;
        file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(step("mode"))?;
        copy_label(path, file).map_err(step("SELinux label"))?;
        if crate::seams::var(ABORT_BEFORE_RENAME_ENV).is_some() {
            std::process::abort();
        }
        if let Some(hold) = crate::seams::var(HOLD_BEFORE_RENAME_ENV) {
            // Test-only: a window for another writer, announced by a file.
            let _ = fs::write(&hold, b"");
            std::thread::sleep(Duration::from_millis(1500));
        }
        let same_inode = fs::symlink_metadata(path)
            .is_ok_and(|m| m.ino() == meta.ino() && m.dev() == meta.dev());
        if !same_inode || read_regular(path, MAX_BACKUP_BYTES).ok().as_deref() != Some(expected) {
            return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, CHANGED_UNDER_US));
        }
        Ok(())
    })
    .and_then(|()| File::open(dir).and_then(|d| d.sync_all()).map_err(step("directory flush")))
    .map_err(|e| {
        if e.to_string() == CHANGED_UNDER_US {
            return refuse(
                "config_changed",
                format!("{}: {CHANGED_UNDER_US}; nothing was written", path.display()),
                "someone saved it meanwhile: run config fix again on the new content",
            );
        }
        refuse(
            "config_write_failed",
            format!("{}: {e}", path.display()),
            "nothing was changed unless the message names the directory flush; check the file system and its permissions",
        )
    })?;
    Ok(removed)
}

/// The original's `security.selinux` attribute onto the new file; nothing to copy (no
/// SELinux, or no label) is not an error.
fn copy_label(from: &Path, to: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let Some(label) = crate::system::xattr(from, c"security.selinux")? else {
        return Ok(());
    };
    // SAFETY: the descriptor is open; the value's pointer and length match.
    let rc = unsafe {
        libc::fsetxattr(
            to.as_raw_fd(),
            c"security.selinux".as_ptr(),
            label.as_ptr().cast(),
            label.len(),
            0,
        )
    };
    if rc < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `mdatp health --details definitions`, read once.
pub fn read_health(runner: &Runner) -> Result<crate::mdatp::health::Health, Failure> {
    Ok(mdatp::fetch_health(runner, &["health", "--details", "definitions"])?.health)
}

/// One setting as health showed it at the end of the wait.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checked {
    pub setting: String,
    pub field: &'static str,
    pub expected: serde_json::Value,
    pub result: Taken,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
}

/// Reads `mdatp health --details definitions` until every expected setting shows its new
/// value (with `[managed]` where health marks it), at most `timeout`.
pub fn verify(
    runner: &Runner,
    expect: &[Expect],
    timeout: Duration,
    mut tick: impl FnMut(usize, usize),
) -> Result<Vec<Checked>, Failure> {
    let deadline = Instant::now() + timeout;
    loop {
        let reading = mdatp::fetch_health(runner, &["health", "--details", "definitions"])?;
        let results: Vec<Checked> = expect
            .iter()
            .map(|e| {
                let (result, shown) = taken(e, &reading.health);
                Checked {
                    setting: e.setting.clone(),
                    field: e.field,
                    expected: e.value.clone(),
                    result,
                    shown,
                }
            })
            .collect();
        let done = results
            .iter()
            .filter(|c| c.result == Taken::Applied)
            .count();
        tick(done, results.len());
        if done == results.len() || Instant::now() >= deadline {
            return Ok(results);
        }
        std::thread::sleep(
            Duration::from_millis(500).min(deadline.saturating_duration_since(Instant::now())),
        );
    }
}
