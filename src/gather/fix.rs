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
const BACKUP_PREFIX: &str = "mdatp_managed.json.";
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
    Ok(meta)
}

/// Copies `bytes` (the file as it is now) to a new 0600 file in `dir` (a directory only
/// this user controls), named by the UTC time; never over an existing one.
pub fn backup(dir: &Path, bytes: &[u8], now: jiff::Timestamp) -> Result<PathBuf, Failure> {
    crate::state::check_dir(dir, true).map_err(|e| {
        refuse(
            "backup_dir_untrusted",
            e,
            "fix that directory or name another with --backup-dir",
        )
    })?;
    let stamp = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    for n in 0..100 {
        let name = match n {
            0 => format!("{BACKUP_PREFIX}{stamp}"),
            n => format!("{BACKUP_PREFIX}{stamp}.{n}"),
        };
        let path = dir.join(&name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes)
                    .and_then(|()| f.sync_all())
                    .map_err(|e| {
                        refuse(
                            "backup_failed",
                            format!("{}: {e}", path.display()),
                            "check the state directory's file system",
                        )
                    })?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(refuse(
                    "backup_failed",
                    format!("{}: {e}", path.display()),
                    "check the state directory's file system",
                ));
            }
        }
    }
    Err(refuse(
        "backup_failed",
        format!("no free backup name in {}", dir.display()),
        "remove old backups",
    ))
}

/// The newest backup in `dir` (names sort by time).
pub fn newest_backup(dir: &Path) -> Result<PathBuf, Failure> {
    let entries = fs::read_dir(dir).map_err(|e| {
        refuse(
            "no_backup",
            format!("{}: {e}", dir.display()),
            "nothing to undo: config fix --apply writes the backups",
        )
    })?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(BACKUP_PREFIX))
        .max()
        .map(|n| dir.join(n))
        .ok_or_else(|| {
            refuse(
                "no_backup",
                format!("no backup in {}", dir.display()),
                "nothing to undo: config fix --apply writes the backups",
            )
        })
}

/// A backup's bytes: a regular file (no symlink followed), at most the config cap.
pub fn read_backup(path: &Path) -> Result<Vec<u8>, Failure> {
    let bad = |e: String| {
        refuse(
            "backup_unreadable",
            format!("{}: {e}", path.display()),
            "name a backup written by config fix --apply",
        )
    };
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| bad(e.to_string()))?;
    let meta = file.metadata().map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() || meta.len() > MAX_BACKUP_BYTES {
        return Err(bad("not a regular file of at most 1 MiB".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BACKUP_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(e.to_string()))?;
    Ok(bytes)
}

/// Temporary files of an earlier write that died before its rename, older than this,
/// are removed before the next write (a write in progress finishes in well under it).
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Replaces `path` with `bytes`, keeping `meta`'s owner, group and mode and the file's
/// SELinux label: temporary file beside it, flushed, renamed, directory flushed. First
/// removes what an interrupted earlier write left beside it; returns those names.
pub fn write_preserving(
    path: &Path,
    bytes: &[u8],
    meta: &Metadata,
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
        if std::env::var_os(ABORT_BEFORE_RENAME_ENV).is_some() {
            std::process::abort();
        }
        Ok(())
    })
    .and_then(|()| File::open(dir).and_then(|d| d.sync_all()).map_err(step("directory flush")))
    .map_err(|e| {
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
