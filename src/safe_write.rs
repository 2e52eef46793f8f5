//! Writing files the way a tool running as root must: never through a symlink, never
//! over a file someone else prepared, readable only as intended, and under temporary
//! names nobody can guess in advance.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
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
    // SAFETY: geteuid cannot fail and has no preconditions.
    let me = unsafe { libc::geteuid() };
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

/// 64 bits from the kernel's random source.
fn random_u64() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| io::Error::new(e.kind(), format!("/dev/urandom: {e}")))?;
    Ok(u64::from_ne_bytes(bytes))
}

#[cfg(test)]
mod tests;
