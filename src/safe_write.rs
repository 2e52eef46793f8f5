//! Writing files the way a tool running as root must: never through a symlink, never
//! over a file someone else prepared, readable only as intended, and under temporary
//! names nobody can guess in advance.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// How many fresh random names [`create_temp`] tries before giving up.
const TEMP_ATTEMPTS: usize = 8;

/// Atomically replaces `path` with `bytes`: the data goes to a fresh temporary file in the
/// same directory (see [`create_temp`]), which is then renamed over `path`. A symlink at
/// `path` is replaced, not followed; readers never see a half-written file.
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    replace_with(path, bytes, mode, |_| Ok(()))
}

/// [`replace`], with `prepare` run on the written, not yet flushed temporary file (to give
/// it an owner, a mode, attributes) before it is renamed into place.
pub fn replace_with(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    prepare: impl FnOnce(&File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    // The temporary name must not look like the real one to globbing readers
    // (node_exporter only reads `*.prom`, for instance), hence the leading dot and suffix.
    let (mut file, tmp) = create_temp(dir, &format!(".{}.tmp-", name.to_string_lossy()), "", mode)?;
    let result = (|| {
        file.write_all(bytes)?;
        prepare(&file)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes what [`replace_with`] left beside `path` when the process died between
/// creating its temporary file and renaming it (a crash, a kill, a power cut): regular
/// files (never symlinks) named `.<name>.tmp-<16 hex digits>`, owned by this user and
/// untouched for `min_age`, so a write in progress elsewhere is left alone. Returns the
/// names removed.
pub fn remove_stale_temps(path: &Path, min_age: std::time::Duration) -> io::Result<Vec<String>> {
    use std::os::unix::fs::MetadataExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        return Ok(Vec::new());
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let me = crate::units::euid();
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(digits) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let meta = fs::symlink_metadata(entry.path())?;
        let old = meta
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= min_age);
        if meta.file_type().is_file() && meta.uid() == me && old {
            fs::remove_file(entry.path())?;
            removed.push(file_name.to_string_lossy().into_owned());
        }
    }
    Ok(removed)
}

/// Creates a new file `dir/<prefix><16 random hex digits><suffix>` with
/// `O_CREAT|O_EXCL|O_NOFOLLOW` and `mode`, so nobody can prepare it (or a symlink in its
/// place) beforehand. A name that is taken is retried with fresh random digits a few
/// times; running out is an I/O error, never `AlreadyExists` (which callers read as "the
/// destination exists": a usage error).
pub fn create_temp(
    dir: &Path,
    prefix: &str,
    suffix: &str,
    mode: u32,
) -> io::Result<(File, PathBuf)> {
    create_temp_named(dir, mode, || {
        Ok(format!("{prefix}{:016x}{suffix}", random_u64()?))
    })
}

/// [`create_temp`] with the names supplied by `next_name` (tests force a clash with it).
fn create_temp_named(
    dir: &Path,
    mode: u32,
    mut next_name: impl FnMut() -> io::Result<String>,
) -> io::Result<(File, PathBuf)> {
    for _ in 0..TEMP_ATTEMPTS {
        let tmp = dir.join(next_name()?);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
        {
            Ok(file) => return Ok((file, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "no free temporary name in {} after {TEMP_ATTEMPTS} random tries (is someone \
         filling the directory?)",
        dir.display()
    )))
}

/// `name` as one entry of a directory (no `/`, not `.` or `..`), for the `*at` calls.
fn entry_name(name: &str) -> io::Result<CString> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a file name"),
        ));
    }
    CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a file name"))
}

/// [`replace_with`] relative to a directory already opened (and checked) by descriptor, so
/// nothing in its path can be swapped for a symlink between the check and the write: a
/// fresh temporary file `.<name>.tmp-<16 random hex digits>` is created in `dir` with
/// `openat(O_CREAT|O_EXCL|O_NOFOLLOW)` and `mode`, filled by `fill` (which may also give
/// it an owner and a mode), fsynced, renamed over `name` with `renameat`, and the directory
/// fsynced. A symlink at `name` is replaced, never followed; a kill at any instant leaves
/// either the old file or the new one, whole (and at worst the temporary file, which
/// [`remove_stale_temps_in`] clears).
pub fn replace_in(
    dir: BorrowedFd<'_>,
    name: &str,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let target = entry_name(name)?;
    let (mut file, tmp) = create_temp_in(dir, &format!(".{name}.tmp-"), mode)?;
    let result = (|| {
        fill(&mut file)?;
        file.sync_all()?;
        // SAFETY: renameat on a descriptor we borrow, with two NUL-terminated names.
        if unsafe {
            libc::renameat(
                dir.as_raw_fd(),
                tmp.as_ptr(),
                dir.as_raw_fd(),
                target.as_ptr(),
            )
        } != 0
        {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fsync on a descriptor we borrow; it makes the rename itself durable.
        if unsafe { libc::fsync(dir.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    })();
    if result.is_err() {
        // SAFETY: unlinkat of our own temporary name (gone already if the rename happened).
        unsafe {
            libc::unlinkat(dir.as_raw_fd(), tmp.as_ptr(), 0);
        }
    }
    result
}

/// [`create_temp`] in a directory opened by descriptor: `dir/<prefix><16 hex digits>`,
/// created with `openat(O_CREAT|O_EXCL|O_NOFOLLOW)`; returns the file and its name.
fn create_temp_in(dir: BorrowedFd<'_>, prefix: &str, mode: u32) -> io::Result<(File, CString)> {
    for _ in 0..TEMP_ATTEMPTS {
        let name = entry_name(&format!("{prefix}{:016x}", random_u64()?))?;
        // SAFETY: openat on a descriptor we borrow, with a NUL-terminated name; the
        // descriptor returned is owned by the File made from it below.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                mode as libc::c_uint,
            )
        };
        if fd >= 0 {
            // SAFETY: fd was just returned by openat and is owned by nobody else.
            return Ok((unsafe { File::from_raw_fd(fd) }, name));
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::AlreadyExists {
            return Err(e);
        }
    }
    Err(io::Error::other(format!(
        "no free temporary name after {TEMP_ATTEMPTS} random tries (is someone filling the \
         directory?)"
    )))
}

/// [`remove_stale_temps`] in a directory opened by descriptor: regular files (never
/// symlinks) named `.<name>.tmp-<16 hex digits>`, owned by this user and untouched for
/// `min_age`, unlinked relative to `dir`. Returns the names removed.
pub fn remove_stale_temps_in(
    dir: BorrowedFd<'_>,
    name: &str,
    min_age: std::time::Duration,
) -> io::Result<Vec<String>> {
    entry_name(name)?;
    let prefix = format!(".{name}.tmp-");
    let me = crate::units::euid();
    // The directory's entries, read through the descriptor itself (its /proc link names
    // the very directory we hold, whatever its path has become).
    let mut removed = Vec::new();
    for entry in fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd()))? {
        let file_name = entry?.file_name();
        let Some(n) = file_name.to_str() else {
            continue;
        };
        let Some(digits) = n.strip_prefix(&prefix) else {
            continue;
        };
        if digits.len() != 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let c = entry_name(n)?;
        // SAFETY: stat is plain data that fstatat fills.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: fstatat on a descriptor we borrow, with a NUL-terminated name.
        if unsafe {
            libc::fstatat(
                dir.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } != 0
        {
            continue;
        }
        let age = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .saturating_sub(st.st_mtime.max(0) as u64);
        if st.st_mode & libc::S_IFMT == libc::S_IFREG && st.st_uid == me && age >= min_age.as_secs()
        {
            // SAFETY: unlinkat on a descriptor we borrow, with a NUL-terminated name.
            if unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) } != 0 {
                return Err(io::Error::last_os_error());
            }
            removed.push(n.to_string());
        }
    }
    Ok(removed)
}

/// 64 bits from the kernel's random source.
/// 64 random bits from /dev/urandom (not glibc's getrandom: too new for the glibc 2.17
/// packages).
pub fn random_u64() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| io::Error::new(e.kind(), format!("/dev/urandom: {e}")))?;
    Ok(u64::from_ne_bytes(bytes))
}

#[cfg(test)]
mod tests;
