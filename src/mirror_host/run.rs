//! `mirror run`: runs the downloader unchanged (exec, no shell, its directory as working
//! directory) under a timeout, forwarding its output to stderr and keeping a bounded
//! tail; snapshots good arch folders before and restores them atomically after.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The output kept from the script (its last bytes).
pub const MAX_KEPT: usize = 256 * 1024;

#[derive(Debug, Clone, Default)]
pub struct ScriptRun {
    /// `None` when killed by a signal or on timeout.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// Ctrl-C or SIGTERM arrived while it ran (it was killed).
    pub interrupted: bool,
    pub duration: Duration,
    /// The last [`MAX_KEPT`] bytes of stdout and stderr, interleaved by line.
    pub output: String,
    /// `Error (N): …` lines of its output.
    pub errors: Vec<String>,
    /// Why it could not be started.
    pub spawn_error: Option<String>,
}

/// Runs `script args` in the script's directory; its output lines go to `echo` as they come.
pub fn run_script(script: &Path, args: &[String], timeout: Duration, echo: bool) -> ScriptRun {
    let started = Instant::now();
    // The script runs in its own directory: a relative path must not be resolved there.
    let script = &std::path::absolute(script).unwrap_or_else(|_| script.to_path_buf());
    let dir = script
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut child = match Command::new(script)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            return ScriptRun {
                spawn_error: Some(format!("{}: {e}", script.display())),
                ..ScriptRun::default()
            };
        }
    };
    let kept = Arc::new(Mutex::new(Vec::<u8>::new()));
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|pipe| {
        let kept = kept.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(pipe);
            let mut line = Vec::new();
            loop {
                line.clear();
                // Lines are cut at 64 KiB so a flood without newlines stays bounded.
                match (&mut r).take(64 * 1024).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if echo {
                    let _ = std::io::stderr().write_all(&line);
                }
                let mut k = kept.lock().unwrap_or_else(|p| p.into_inner());
                k.extend_from_slice(&line);
                if k.len() > MAX_KEPT * 2 {
                    let cut = k.len() - MAX_KEPT;
                    k.drain(..cut);
                }
            }
        })
    })
    .collect();
    let pgid = child.id() as libc::pid_t;
    let deadline = started + timeout;
    let mut timed_out = false;
    let mut interrupted = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline || crate::interrupt::interrupted() => {
                interrupted = crate::interrupt::interrupted();
                timed_out = !interrupted;
                // SAFETY: signalling the process group this function created.
                unsafe {
                    libc::killpg(pgid, libc::SIGTERM);
                }
                std::thread::sleep(Duration::from_millis(500));
                unsafe {
                    libc::killpg(pgid, libc::SIGKILL);
                }
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => break None,
        }
    };
    // The interrupt handler may have killed the script itself (it reaps every child):
    // the script then ended by the interrupt, not on its own.
    if crate::interrupt::interrupted() {
        interrupted = true;
        timed_out = false;
    }
    // Whatever the script left running in its group must not hold the pipes open.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
    for r in readers {
        let _ = r.join();
    }
    let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if kept.len() > MAX_KEPT {
        kept.drain(..kept.len() - MAX_KEPT);
    }
    let output = String::from_utf8_lossy(&kept).into_owned();
    let errors = output
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("Error (") && l.contains("):"))
        .map(str::to_string)
        .collect();
    ScriptRun {
        exit_code: if timed_out || interrupted {
            None
        } else {
            status.and_then(|s| s.code())
        },
        timed_out,
        interrupted,
        duration: started.elapsed(),
        output,
        errors,
        spawn_error: None,
    }
}

/// A good arch folder kept aside before the run.
#[derive(Debug, Clone)]
pub struct Saved {
    pub dir: PathBuf,
    pub package: PathBuf,
    pub manifest: PathBuf,
}

/// Copies `src` (read through a symlink: only the copy is written) to `dst`, a new
/// private file.
fn copy_private(src: &Path, dst: &Path) -> std::io::Result<()> {
    let (mut from, _) = super::tree::open_regular(src).map_err(std::io::Error::other)?;
    let mut to = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dst)?;
    std::io::copy(&mut from, &mut to)?;
    to.sync_all()
}

/// Saves `dir`'s package and manifest into `keep` (a private directory) as `name.*`.
pub fn save(dir: &Path, keep: &Path, name: &str) -> std::io::Result<Saved> {
    let saved = Saved {
        dir: dir.to_path_buf(),
        package: keep.join(format!("{name}.updates.zip")),
        manifest: keep.join(format!("{name}.manifest.json")),
    };
    copy_private(&dir.join(super::tree::PACKAGE), &saved.package)?;
    copy_private(&dir.join(super::tree::MANIFEST), &saved.manifest)?;
    Ok(saved)
}

/// Puts `from` in place of `target` atomically: a new file in the target's directory
/// (O_EXCL, O_NOFOLLOW), fsynced, with the mode and owner of the file it replaces (or of
/// the saved copy's original), then renamed over the target; a symlink there is replaced,
/// never followed.
fn restore_file(from: &Path, target: &Path, mode: u32, uid: u32, gid: u32) -> std::io::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.mdatp-doctor-{}", std::process::id()));
    let result = (|| {
        let mut src = std::fs::File::open(from)?;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        std::io::copy(&mut src, &mut out)?;
        // SAFETY: fchown/fchmod on a descriptor we own; a failed chown (not root) keeps us.
        unsafe {
            use std::os::fd::AsRawFd;
            let _ = libc::fchown(out.as_raw_fd(), uid, gid);
            libc::fchmod(out.as_raw_fd(), mode as libc::mode_t);
        }
        out.sync_all()?;
        std::fs::rename(&tmp, target)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Restores a saved folder: the package first, then the manifest (the order the
/// downloader writes them), each keeping the mode and owner the saved originals had.
pub fn restore(
    saved: &Saved,
    package_meta: (u32, u32, u32),
    manifest_meta: (u32, u32, u32),
) -> std::io::Result<()> {
    let (m, u, g) = package_meta;
    restore_file(
        &saved.package,
        &saved.dir.join(super::tree::PACKAGE),
        m,
        u,
        g,
    )?;
    let (m, u, g) = manifest_meta;
    restore_file(
        &saved.manifest,
        &saved.dir.join(super::tree::MANIFEST),
        m,
        u,
        g,
    )?;
    // What a killed run leaves next to it is no longer true of the restored files.
    for l in super::tree::LEFTOVERS {
        let p = saved.dir.join(l);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(())
}

/// (mode, uid, gid) of a file, without following a symlink.
pub fn owner(path: &Path) -> Option<(u32, u32, u32)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.mode() & 0o7777, m.uid(), m.gid()))
}
