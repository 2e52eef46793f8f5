//! Exclusive `flock`s in the state directory: one `update` at a time per endpoint
//! (`update.lock`, whose content names the holder so a refused run can say who has it),
//! and one history writer at a time (`history.lock`).

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

/// Held until dropped (closing the file releases the lock).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockError {
    /// Someone else holds it; what they wrote about themselves.
    Held {
        holder: String,
    },
    /// The state directory cannot be used (and why, and the fix when known).
    Dir(super::DirError),
    Io(String),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held { holder } => write!(f, "another update is running ({holder})"),
            LockError::Dir(e) => write!(f, "{e}"),
            LockError::Io(e) => write!(f, "cannot take the update lock: {e}"),
        }
    }
}

/// Takes the update lock; with `wait`, retries until it is free or `wait` runs out.
pub fn acquire(dir: &Path, wait: Option<Duration>) -> Result<Lock, LockError> {
    acquire_named(dir, "update.lock", wait)
}

/// Takes the lock file `name` in `dir`; with `wait`, retries until free or out of time.
pub fn acquire_named(dir: &Path, name: &str, wait: Option<Duration>) -> Result<Lock, LockError> {
    super::check_dir(dir, true).map_err(LockError::Dir)?;
    // Created 0600 when missing; never a symlink, a FIFO or a file someone else owns (a
    // lock file another user holds would let them stop every update, or name a fake
    // holder).
    let mut file = super::open_file(dir, name, super::Access::ReadWriteCreate)
        .map_err(LockError::Io)?
        .ok_or_else(|| LockError::Io(format!("{}: not created", dir.join(name).display())))?;
    let until = wait.map(|w| Instant::now() + w);
    loop {
        // SAFETY: flock on a descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(LockError::Io(err.to_string()));
        }
        if until.is_none_or(|u| Instant::now() >= u) || crate::interrupt::interrupted() {
            let mut holder = String::new();
            let _ = (&file).take(512).read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LockError::Held {
                holder: if holder.is_empty() {
                    "holder unknown".into()
                } else {
                    holder.to_string()
                },
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = write!(
        file,
        "pid {} since {}",
        std::process::id(),
        jiff::Timestamp::now()
    );
    Ok(Lock { _file: file })
}

#[cfg(test)]
mod tests;
