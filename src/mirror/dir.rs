//! Probing a directory mirror (an NFS or CIFS mount, or a local folder): the folder,
//! `manifest.json` and `updates.zip`, their sizes, times and permissions, and the mount
//! type. The work runs in a helper thread so a hung mount costs the probe timeout, not
//! the rest of the run; `--verify-package` reads the whole package in another, within
//! its own `--package-timeout`. Files are checked (type, size) before they are read and
//! opened without blocking, so a FIFO or a huge sparse file cannot eat the probe.

use crate::mirror::StepName;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use serde_json::json;

use super::package::{self, MAX_MANIFEST_BYTES, SNIFF_BYTES};
use super::status::{self, MAX_STATUS_BYTES, MirrorStatus, STATUS_FILE, StatusReading};
use super::{
    ArchProbe, ErrorKind, PackageFacts, PermissionFact, ProbeOptions, Step, StepError, Timer,
    manifest_outcome, signature_outcome, verify_outcome,
};

pub fn probe(dir: &Path, arch: &str, opts: &ProbeOptions) -> ArchProbe {
    let (tx, rx) = mpsc::channel();
    let (dir_owned, arch_owned) = (dir.to_path_buf(), arch.to_string());
    let t = Timer::start();
    std::thread::spawn(move || {
        let _ = tx.send(probe_now(&dir_owned, &arch_owned));
    });
    let mut probe = match rx.recv_timeout(opts.probe_timeout) {
        Ok(p) => p,
        Err(_) => {
            let mut p = ArchProbe::new(arch, dir.display().to_string());
            p.steps.push(t.fail(
                StepName::Directory,
                json!({"path": dir.display().to_string()}),
                StepError::new(
                    ErrorKind::Timeout,
                    format!(
                        "the file system did not answer within {:.1} s (a hung network mount?)",
                        opts.probe_timeout.as_secs_f32()
                    ),
                ),
            ));
            return p;
        }
    };
    let is_zip = probe.package.as_ref().and_then(|f| f.is_zip) == Some(true);
    if opts.verify_package && is_zip {
        let (step, verified) = verify_bounded(&dir.join("updates.zip"), opts);
        if let Some(facts) = probe.package.as_mut() {
            facts.verified = verified;
        }
        probe.steps.push(step);
    }
    probe
}

/// Reads the whole package in a helper thread within `--package-timeout`; a mount that
/// hangs or crawls costs that budget, and the step still says how far it got.
fn verify_bounded(zip: &Path, opts: &ProbeOptions) -> (Step, Option<package::Verified>) {
    let (tx, rx) = mpsc::channel();
    let progress = package::Progress::default();
    let (path, max, counter) = (zip.to_path_buf(), opts.max_package_bytes, progress.clone());
    let t = Timer::start();
    std::thread::spawn(move || {
        let mut facts = PackageFacts::default();
        let step = verify_step(&path, max, &counter, &mut facts);
        let _ = tx.send((step, facts.verified));
    });
    rx.recv_timeout(opts.package_timeout).unwrap_or_else(|_| {
        let bytes = progress.load(Ordering::Relaxed);
        let elapsed = t.0.elapsed();
        let step = t.fail(
            StepName::PackageVerify,
            json!({"path": zip, "bytes_read": bytes, "seconds": (elapsed.as_secs_f64() * 10.0).round() / 10.0, "throughput": package::throughput(bytes, elapsed)}),
            StepError::new(
                ErrorKind::Timeout,
                format!(
                    "reading updates.zip did not finish within --package-timeout ({:.0} s): {bytes} bytes in {:.1} s ({}); a slow or hung mount?",
                    opts.package_timeout.as_secs_f64(),
                    elapsed.as_secs_f64(),
                    package::throughput(bytes, elapsed)
                ),
            ),
        );
        (step, None)
    })
}

/// Reads the ring folder's status file in a helper thread within the probe timeout (a
/// hung mount costs that, no more). It is checked before it is opened and opened without
/// blocking: a FIFO, a directory or a device in its place (or a symbolic link to one) is
/// refused unread; a file over [`MAX_STATUS_BYTES`] is refused by its size. No file is no
/// status and no error.
pub fn read_status(ring: &Path, opts: &ProbeOptions) -> StatusReading {
    let path = ring.join(STATUS_FILE);
    let (tx, rx) = mpsc::channel();
    let owned = path.clone();
    std::thread::spawn(move || {
        let _ = tx.send(status_now(&owned));
    });
    let (status, error) = rx.recv_timeout(opts.probe_timeout).unwrap_or_else(|_| {
        (
            None,
            Some(format!(
                "the file system did not answer within {:.1} s",
                opts.probe_timeout.as_secs_f32()
            )),
        )
    });
    StatusReading {
        url: path.display().to_string(),
        status,
        error,
    }
}

fn status_now(path: &Path) -> (Option<MirrorStatus>, Option<String>) {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (None, None),
        Err(e) => return (None, Some(io_error(&e, path).message)),
    };
    if !meta.is_file() {
        return (
            None,
            Some(format!(
                "{STATUS_FILE} is {}, not a regular file; not read",
                crate::units::file_kind(meta.file_type())
            )),
        );
    }
    if meta.len() > MAX_STATUS_BYTES {
        return (
            None,
            Some(format!(
                "larger than {} KiB ({} bytes); not read",
                MAX_STATUS_BYTES / 1024,
                meta.len()
            )),
        );
    }
    let mut bytes = Vec::new();
    let read = open_regular(path).and_then(|(f, _)| {
        f.take(MAX_STATUS_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&e, path))
    });
    if let Err(e) = read {
        return (None, Some(e.message));
    }
    match status::parse(&bytes) {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e)),
    }
}

fn probe_now(dir: &Path, arch: &str) -> ArchProbe {
    let mut probe = ArchProbe::new(arch, dir.display().to_string());
    probe.mount_type = mount_type(dir);

    let t = Timer::start();
    let meta = match fs::metadata(dir) {
        Ok(m) if m.is_dir() => m,
        Ok(m) => {
            probe.steps.push(t.fail(
                StepName::Directory,
                json!({"path": dir, "file_type": file_type(&m)}),
                StepError::new(
                    ErrorKind::Invalid,
                    format!(
                        "{} is {}, not a directory",
                        dir.display(),
                        crate::units::file_kind(m.file_type())
                    ),
                ),
            ));
            return probe;
        }
        Err(e) => {
            probe
                .steps
                .push(t.fail(StepName::Directory, json!({"path": dir}), io_error(&e, dir)));
            return probe;
        }
    };
    check_permissions(dir, &meta, true, &mut probe.permissions);
    let listing = fs::read_dir(dir).map(|rd| {
        rd.filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    });
    match listing {
        Ok(mut names) => {
            names.sort();
            names.truncate(50);
            probe.steps.push(t.ok(StepName::Directory, json!({"path": dir, "mode": mode(&meta), "uid": meta.uid(), "gid": meta.gid(), "entries": names, "mount_type": probe.mount_type})));
        }
        Err(e) => {
            probe.steps.push(t.fail(
                StepName::Directory,
                json!({"path": dir, "mode": mode(&meta)}),
                io_error(&e, dir),
            ));
            return probe;
        }
    }

    let step = manifest_step(&dir.join("manifest.json"), &mut probe);
    probe.steps.push(step);

    let zip = dir.join("updates.zip");
    let mut facts = PackageFacts::default();
    let t = Timer::start();
    match fs::metadata(&zip) {
        Ok(m) if m.is_file() => {
            check_permissions(&zip, &m, false, &mut probe.permissions);
            facts.size = Some(m.len());
            facts.last_modified = mtime(&m);
            probe.steps.push(t.ok(StepName::Package, json!({"path": zip, "size": m.len(), "mtime": facts.last_modified, "mode": mode(&m), "uid": m.uid(), "gid": m.gid()})));
            probe.steps.push(signature_step(&zip, &mut facts));
        }
        Ok(m) => probe.steps.push(t.fail(
            StepName::Package,
            json!({"path": zip, "file_type": file_type(&m)}),
            StepError::new(
                ErrorKind::Invalid,
                format!(
                    "updates.zip is {}, not a regular file",
                    crate::units::file_kind(m.file_type())
                ),
            ),
        )),
        Err(e) => {
            probe
                .steps
                .push(t.fail(StepName::Package, json!({"path": zip}), io_error(&e, &zip)))
        }
    }
    probe.package = Some(facts);
    probe
}

/// Opens a mirror file for reading without ever blocking on it (`O_NONBLOCK`: a FIFO in
/// its place answers at once) and checks what it is (`fstat`) before a byte is read.
fn open_regular(path: &Path) -> Result<(File, Metadata), StepError> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| io_error(&e, path))?;
    let meta = file.metadata().map_err(|e| io_error(&e, path))?;
    if !meta.is_file() {
        return Err(StepError::new(
            ErrorKind::Invalid,
            format!(
                "{} is {}, not a regular file",
                path.display(),
                crate::units::file_kind(meta.file_type())
            ),
        ));
    }
    Ok((file, meta))
}

fn manifest_step(path: &Path, probe: &mut ArchProbe) -> Step {
    let t = Timer::start();
    // stat first: it names a FIFO, a directory or a symlink loop without opening it, and
    // gives the mode even when the file cannot be opened.
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            return t.fail(
                StepName::Manifest,
                json!({"path": path}),
                io_error(&e, path),
            );
        }
    };
    if !meta.is_file() {
        return t.fail(
            StepName::Manifest,
            json!({"path": path, "file_type": file_type(&meta)}),
            StepError::new(
                ErrorKind::Invalid,
                format!(
                    "manifest.json is {}, not a regular file",
                    crate::units::file_kind(meta.file_type())
                ),
            ),
        );
    }
    check_permissions(path, &meta, false, &mut probe.permissions);
    let detail =
        json!({"path": path, "size": meta.len(), "mtime": mtime(&meta), "mode": mode(&meta)});
    if meta.len() > MAX_MANIFEST_BYTES {
        return t.fail(
            StepName::Manifest,
            detail,
            StepError::new(ErrorKind::TooLarge, "manifest.json is larger than 64 KiB"),
        );
    }
    let mut bytes = Vec::new();
    let read = open_regular(path).and_then(|(f, _)| {
        f.take(MAX_MANIFEST_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&e, path))
    });
    if let Err(e) = read {
        return t.fail(StepName::Manifest, detail, e);
    }
    manifest_outcome(&t, &bytes, detail, &mut probe.manifest)
}

fn signature_step(path: &Path, facts: &mut PackageFacts) -> Step {
    let t = Timer::start();
    let mut first = Vec::new();
    let read = open_regular(path).and_then(|(f, _)| {
        f.take(SNIFF_BYTES)
            .read_to_end(&mut first)
            .map_err(|e| io_error(&e, path))
    });
    if let Err(e) = read {
        return t.fail(StepName::PackageSignature, json!({}), e);
    }
    signature_outcome(&t, &first, json!({}), facts)
}

/// Reads the whole package; its size is checked (`fstat`) before a byte is read, so a
/// 3 GB (even sparse) file over the cap costs nothing.
fn verify_step(
    path: &Path,
    max: u64,
    progress: &package::Progress,
    facts: &mut PackageFacts,
) -> Step {
    let t = Timer::start();
    let (file, meta) = match open_regular(path) {
        Ok(f) => f,
        Err(e) => return t.fail(StepName::PackageVerify, json!({"path": path}), e),
    };
    if meta.len() > max {
        return t.fail(
            StepName::PackageVerify,
            json!({"path": path, "size": meta.len(), "max_bytes": max}),
            StepError::new(
                ErrorKind::TooLarge,
                format!(
                    "updates.zip is {} bytes, more than the {max}-byte cap (--max-package-size); not read",
                    meta.len()
                ),
            ),
        );
    }
    verify_outcome(
        &t,
        package::verify(file, max, progress),
        json!({"max_bytes": max}),
        facts,
        |cut| {
            StepError::new(
                ErrorKind::Io,
                format!(
                    "reading {} failed after {}: {}",
                    path.display(),
                    cut.describe(),
                    cut.error
                ),
            )
        },
    )
}

fn io_error(e: &std::io::Error, path: &Path) -> StepError {
    use std::io::ErrorKind as K;
    if e.raw_os_error() == Some(libc::ELOOP) {
        return StepError::new(
            ErrorKind::Invalid,
            format!("{} is a symbolic link loop: {e}", path.display()),
        );
    }
    let kind = match e.kind() {
        K::NotFound => ErrorKind::NotFound,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::TimedOut => ErrorKind::Timeout,
        _ => ErrorKind::Io,
    };
    StepError::new(kind, format!("{}: {e}", path.display()))
}

/// What kind of file something is, for the record (`fifo`, `directory`, ...).
fn file_type(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_file() {
        "file"
    } else if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "other"
    }
}

fn mode(m: &Metadata) -> String {
    format!("{:04o}", m.mode() & 0o7777)
}

fn mtime(m: &Metadata) -> Option<jiff::Timestamp> {
    m.modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
}

/// The daemon reads the mirror as root, but root is mapped to `nobody` on an NFS export
/// with root_squash (the default), so what counts is what *others* may read. A file its
/// owner cannot read is a sign of a broken copy job.
fn check_permissions(path: &Path, meta: &Metadata, is_dir: bool, out: &mut Vec<PermissionFact>) {
    let m = meta.mode();
    let mut problems = Vec::new();
    if m & 0o400 == 0 {
        problems.push("its owner cannot read it".to_string());
    }
    if m & 0o004 == 0 {
        problems.push(
            "others cannot read it (root is `nobody` on a root-squashed NFS mount)".to_string(),
        );
    }
    if is_dir && m & 0o001 == 0 {
        problems.push("others cannot enter it".to_string());
    }
    if !problems.is_empty() {
        out.push(PermissionFact {
            path: path.display().to_string(),
            mode: format!("{:04o}", m & 0o7777),
            uid: meta.uid(),
            gid: meta.gid(),
            problem: problems.join("; "),
        });
    }
}

/// The file system type of the mount holding `path`, from /proc/self/mountinfo.
pub fn mount_type(path: &Path) -> Option<String> {
    let info = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let path: PathBuf = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    mount_type_in(&info, &path)
}

fn mount_type_in(mountinfo: &str, path: &Path) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for line in mountinfo.lines() {
        // `id parent major:minor root mountpoint options [optional...] - fstype source super`
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let Some(mount_point) = left.split(' ').nth(4) else {
            continue;
        };
        let Some(fstype) = right.split(' ').next() else {
            continue;
        };
        let mount_point = mount_point.replace("\\040", " ");
        if path.starts_with(&mount_point)
            && best
                .as_ref()
                .is_none_or(|(len, _)| mount_point.len() >= *len)
        {
            best = Some((mount_point.len(), fstype.to_string()));
        }
    }
    best.map(|(_, t)| t)
}

#[cfg(test)]
mod tests;
