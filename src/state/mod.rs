//! The tool's own state on the endpoint (under `--state-dir`).
//!
//! The tool runs as root and believes what it finds here, so nothing here is trusted
//! blindly: the directory must be a directory owned by the caller that no one else may
//! write (it is created 0700), and each file in it is opened without following a
//! symlink and without blocking (`O_NOFOLLOW|O_NONBLOCK`: a FIFO cannot hang a run) and
//! must then be a regular file owned by the caller. Anything else is refused with a
//! message that says what was found and how to fix it.

pub mod eventlog;
pub mod history;
pub mod lock;

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::units::euid;

/// Why the state directory cannot be used: what was found, and the fix when it is a matter
/// of rights or of the path (the caller adds a general one otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirError {
    pub message: String,
    pub fix: Option<String>,
}

impl DirError {
    fn plain(message: String) -> DirError {
        DirError { message, fix: None }
    }
}

impl std::fmt::Display for DirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<DirError> for String {
    fn from(e: DirError) -> String {
        e.message
    }
}

/// Checks that `dir` is a state directory the caller alone controls; with `create`, a
/// missing one is made (mode 0700, parents too). `Ok(false)`: it does not exist (and
/// `create` was not asked).
pub fn check_dir(dir: &Path, create: bool) -> Result<bool, DirError> {
    let shown = dir.display();
    let link = match std::fs::symlink_metadata(dir) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(unreachable_dir(dir, "reach", &e)),
    };
    if link.is_none() {
        if !create {
            return Ok(false);
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| unreachable_dir(dir, "create", &e))?;
    }
    // A symlink to the directory is followed only when the caller made it (one planted by
    // someone else, in /tmp say, would send our files wherever they chose).
    if let Some(l) = &link
        && l.file_type().is_symlink()
        && l.uid() != euid()
    {
        return Err(DirError::plain(format!(
            "state directory {shown} is a symbolic link owned by uid {}, not by uid {}: refusing to follow it; remove it",
            l.uid(),
            euid()
        )));
    }
    let meta = std::fs::metadata(dir).map_err(|e| unreachable_dir(dir, "reach", &e))?;
    if !meta.is_dir() {
        return Err(DirError {
            message: format!(
                "state directory {shown} is {}, not a directory",
                crate::units::file_kind(meta.file_type())
            ),
            fix: Some("point --state-dir (MDATP_DOCTOR_STATE_DIR) at a directory".into()),
        });
    }
    if meta.uid() != euid() {
        return Err(DirError::plain(format!(
            "state directory {shown} is owned by uid {}, not by uid {} (this run): refusing to trust it; use a directory of your own (chown {} {shown}, or --state-dir)",
            meta.uid(),
            euid(),
            euid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(DirError::plain(format!(
            "state directory {shown} is group- or world-writable (mode {mode:04o}): others could plant or swap its files; refusing to trust it (chmod 700 {shown})"
        )));
    }
    Ok(true)
}

/// The state directory `dir` could not be reached or created (`verb`) because of `e`:
/// the real reason, found on the nearest path that exists above it (a file where a folder
/// should be, a folder this user may not write, a read-only file system), and its fix.
fn unreachable_dir(dir: &Path, verb: &str, e: &io::Error) -> DirError {
    let shown = dir.display();
    let errno = e.raw_os_error();
    let nearest = dir
        .ancestors()
        .skip(1)
        .find_map(|a| std::fs::metadata(a).ok().map(|m| (a, m)));
    let me = euid();
    let state_dir_option = "point --state-dir (MDATP_DOCTOR_STATE_DIR) at";
    let (why, fix) = match (errno, &nearest) {
        (Some(libc::ENOTDIR), Some((a, m))) if !m.is_dir() => (
            format!(
                "{} is {}, not a directory",
                a.display(),
                crate::units::file_kind(m.file_type())
            ),
            Some(format!("{state_dir_option} a directory path")),
        ),
        (Some(libc::EROFS), Some((a, _))) => (
            format!("{} is on a read-only file system", a.display()),
            Some(format!(
                "{state_dir_option} a writable file system (e.g. under /var/lib)"
            )),
        ),
        (Some(libc::EACCES | libc::EPERM), Some((a, m))) => (
            format!(
                "{} (owner uid {}, mode {:04o}) does not let uid {me} (this run) {}",
                a.display(),
                m.uid(),
                m.mode() & 0o7777,
                if verb == "create" {
                    "create folders in it"
                } else {
                    "search it"
                }
            ),
            Some(if me == 0 {
                format!(
                    "root is refused there too (an immutable attribute, a root-squashed NFS mount or a security policy): {state_dir_option} a local directory"
                )
            } else {
                format!(
                    "run as root (sudo mdatp-doctor …), whose state is /var/lib/mdatp-doctor, or {state_dir_option} a directory uid {me} can write"
                )
            }),
        ),
        _ => (String::new(), None),
    };
    let message = if why.is_empty() {
        format!("cannot {verb} the state directory {shown}: {e}")
    } else {
        format!("cannot {verb} the state directory {shown}: {e}: {why}")
    };
    DirError { message, fix }
}

/// How a state file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    /// Read and write, created 0600 when missing (lock files).
    ReadWriteCreate,
    /// Read and append (`O_APPEND`), created 0600 when missing (the history).
    Append,
}

/// Opens the state file `name` in `dir` (already checked with [`check_dir`]): never
/// through a symlink, never blocking on a FIFO, and only a regular file the caller owns.
/// `Ok(None)`: it does not exist (only for [`Access::Read`]).
pub(crate) fn open_file(dir: &Path, name: &str, access: Access) -> Result<Option<File>, String> {
    let path = dir.join(name);
    let shown = path.display();
    let mut opts = OpenOptions::new();
    opts.read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    match access {
        Access::Read => {}
        Access::ReadWriteCreate => {
            opts.write(true).create(true).truncate(false).mode(0o600);
        }
        Access::Append => {
            opts.append(true).create(true).mode(0o600);
        }
    }
    let file = match opts.open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound && access == Access::Read => {
            return Ok(None);
        }
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(format!(
                "{shown} is a symbolic link: refusing to follow it (remove it)"
            ));
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    if !meta.file_type().is_file() {
        return Err(format!(
            "{shown} is {}, not a regular file: refusing to read it (remove it)",
            crate::units::file_kind(meta.file_type())
        ));
    }
    if meta.uid() != euid() {
        return Err(format!(
            "{shown} is owned by uid {}, not by uid {} (this run): refusing to trust it (remove it)",
            meta.uid(),
            euid()
        ));
    }
    Ok(Some(file))
}

#[cfg(test)]
mod tests;
