//! Probing a directory mirror (an NFS or CIFS mount, or a local folder): the folder,
//! `manifest.json` and `updates.zip`, their sizes, times and permissions, and the mount
//! type. The work runs in a helper thread so a hung mount costs the probe timeout, not
//! the rest of the run.

use crate::mirror::StepName;
use std::fs::{self, File, Metadata};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde_json::json;

use super::package::{self, MAX_MANIFEST_BYTES, SNIFF_BYTES};
use super::{
    ArchProbe, ErrorKind, PackageFacts, PermissionFact, ProbeOptions, Step, StepError, Timer,
    manifest_outcome, signature_outcome, verify_outcome,
};

pub fn probe(dir: &Path, arch: &str, opts: &ProbeOptions) -> ArchProbe {
    let (tx, rx) = mpsc::channel();
    let (dir_owned, arch_owned, opts_owned) = (dir.to_path_buf(), arch.to_string(), opts.clone());
    let t = Timer::start();
    std::thread::spawn(move || {
        let _ = tx.send(probe_now(&dir_owned, &arch_owned, &opts_owned));
    });
    rx.recv_timeout(opts.probe_timeout).unwrap_or_else(|_| {
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
        p
    })
}

fn probe_now(dir: &Path, arch: &str, opts: &ProbeOptions) -> ArchProbe {
    let mut probe = ArchProbe::new(arch, dir.display().to_string());
    probe.mount_type = mount_type(dir);

    let t = Timer::start();
    let meta = match fs::metadata(dir) {
        Ok(m) if m.is_dir() => m,
        Ok(_) => {
            probe.steps.push(t.fail(
                StepName::Directory,
                json!({"path": dir}),
                StepError::new(
                    ErrorKind::Invalid,
                    format!("{} is not a directory", dir.display()),
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
            if opts.verify_package && facts.is_zip == Some(true) {
                probe
                    .steps
                    .push(verify_step(&zip, opts.max_package_bytes, &mut facts));
            }
        }
        Ok(_) => probe.steps.push(t.fail(
            StepName::Package,
            json!({"path": zip}),
            StepError::new(ErrorKind::Invalid, "updates.zip is not a regular file"),
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

fn manifest_step(path: &Path, probe: &mut ArchProbe) -> Step {
    let t = Timer::start();
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
    if let Err(e) =
        File::open(path).and_then(|f| f.take(MAX_MANIFEST_BYTES).read_to_end(&mut bytes))
    {
        return t.fail(StepName::Manifest, detail, io_error(&e, path));
    }
    manifest_outcome(&t, &bytes, detail, &mut probe.manifest)
}

fn signature_step(path: &Path, facts: &mut PackageFacts) -> Step {
    let t = Timer::start();
    let mut first = Vec::new();
    if let Err(e) = File::open(path).and_then(|f| f.take(SNIFF_BYTES).read_to_end(&mut first)) {
        return t.fail(StepName::PackageSignature, json!({}), io_error(&e, path));
    }
    signature_outcome(&t, &first, json!({}), facts)
}

fn verify_step(path: &Path, max: u64, facts: &mut PackageFacts) -> Step {
    let t = Timer::start();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return t.fail(StepName::PackageVerify, json!({}), io_error(&e, path)),
    };
    verify_outcome(
        &t,
        package::verify(file, max),
        json!({"max_bytes": max}),
        facts,
    )
}

fn io_error(e: &std::io::Error, path: &Path) -> StepError {
    use std::io::ErrorKind as K;
    let kind = match e.kind() {
        K::NotFound => ErrorKind::NotFound,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::TimedOut => ErrorKind::Timeout,
        _ => ErrorKind::Io,
    };
    StepError::new(kind, format!("{}: {e}", path.display()))
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
