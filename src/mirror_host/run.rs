//! `mirror run`: runs the downloader unchanged (exec, no shell, its directory as working
//! directory) under a timeout, forwarding its output to stderr and keeping a bounded
//! tail; snapshots good arch folders before and restores them atomically after, writing
//! only into folders opened by descriptor and checked (see [`super::folder`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::folder::{self, Dir, Owner};
use super::tree::{LEFTOVERS, MANIFEST, PACKAGE, Slot};
use crate::safe_write;

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

/// A good arch folder kept aside before the run: private copies of its package and
/// manifest, and the owner and mode of each folder from the download folder down to it,
/// so a run that removes them can have them back as they were.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The download folder.
    pub folder: PathBuf,
    /// The folders below it down to the arch folder (`linux`, `production`, `arch_x86_64`).
    pub rel: Vec<String>,
    /// The owner and mode of the download folder, then of each folder of `rel`.
    pub owners: Vec<Option<Owner>>,
    pub package: PathBuf,
    pub manifest: PathBuf,
    pub package_owner: Owner,
    pub manifest_owner: Owner,
}

impl Saved {
    /// The arch folder.
    pub fn dir(&self) -> PathBuf {
        self.rel.iter().fold(self.folder.clone(), |p, n| p.join(n))
    }
}

/// Copies `src` (through a symlink to a regular file, never a FIFO or a device: only the
/// copy is written) to `dst`, a new private file; returns the owner and mode of what was
/// read.
fn copy_private(src: &Path, dst: &Path) -> std::io::Result<Owner> {
    let (mut from, _) = super::tree::open_regular(src).map_err(std::io::Error::other)?;
    let owner = folder::owner_of(&from)?;
    let mut to = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(dst)?;
    std::io::copy(&mut from, &mut to)?;
    to.sync_all()?;
    Ok(owner)
}

/// Saves the arch folder of `slot` under the download folder `folder` into `keep` (a
/// private directory) as `name.*`.
pub fn save(folder: &Path, slot: &Slot, keep: &Path, name: &str) -> std::io::Result<Saved> {
    let rel: Vec<String> = slot
        .rel()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut owners = Vec::new();
    let mut at = folder.to_path_buf();
    owners.push(dir_owner(&at));
    for n in &rel {
        at = at.join(n);
        owners.push(dir_owner(&at));
    }
    let package = keep.join(format!("{name}.updates.zip"));
    let manifest = keep.join(format!("{name}.manifest.json"));
    let package_owner = copy_private(&at.join(PACKAGE), &package)?;
    let manifest_owner = copy_private(&at.join(MANIFEST), &manifest)?;
    Ok(Saved {
        folder: folder.to_path_buf(),
        rel,
        owners,
        package,
        manifest,
        package_owner,
        manifest_owner,
    })
}

/// The owner and mode of the folder at `path` (not through a symlink).
fn dir_owner(path: &Path) -> Option<Owner> {
    std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| Owner::of(&m))
}

/// Puts the private copy `from` in place of `name` in `dir` (see
/// [`safe_write::replace_in`]), with `owner`'s owner and mode.
fn restore_file(dir: &Dir, name: &str, from: &Path, owner: Owner) -> Result<(), String> {
    safe_write::replace_in(dir.fd(), name, 0o600, |out| {
        let (mut src, _) = super::tree::open_regular(from).map_err(std::io::Error::other)?;
        std::io::copy(&mut src, out)?;
        // SAFETY: fchown/fchmod on a descriptor we own; a failed chown (not root) keeps
        // the file ours.
        unsafe {
            let _ = libc::fchown(out.as_raw_fd(), owner.uid, owner.gid);
            if libc::fchmod(out.as_raw_fd(), owner.mode as libc::mode_t) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    })
    .map_err(|e| format!("{}: {e}", dir.path.join(name).display()))
}

/// Restores a saved folder: every folder from the download folder down opened without
/// following a symlink and refused unless root or this user owns it and no one else may
/// write it (what the run removed is made again as it was), then the package and the
/// manifest (the order the downloader writes them), each written relative to the arch
/// folder's descriptor with the mode and owner the saved originals had. Returns the
/// folders recreated, the highest first.
pub fn restore(saved: &Saved) -> Result<Vec<PathBuf>, String> {
    let (dir, recreated) =
        folder::open_for_writing(&saved.folder, &saved.rel, &saved.owners, true)?;
    for (name, from, owner) in [
        (PACKAGE, &saved.package, saved.package_owner),
        (MANIFEST, &saved.manifest, saved.manifest_owner),
    ] {
        restore_file(&dir, name, from, owner)?;
    }
    // What a killed run leaves next to it is no longer true of the restored files.
    for l in LEFTOVERS {
        let _ = dir.remove_file(l);
    }
    Ok(recreated)
}

/// Removes the temporary files a `mirror run` killed in the middle of a restore left in
/// the arch folder of `slot` (it holds the run lock: no other run is writing them);
/// returns their paths. Nothing is touched in a folder that is not safe to write.
pub fn remove_stale_temps(folder: &Path, slot: &Slot) -> Vec<PathBuf> {
    let rel: Vec<String> = slot
        .rel()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let Ok((dir, _)) = folder::open_for_writing(folder, &rel, &[], false) else {
        return Vec::new();
    };
    [PACKAGE, MANIFEST]
        .into_iter()
        .flat_map(|n| {
            safe_write::remove_stale_temps_in(dir.fd(), n, Duration::ZERO).unwrap_or_default()
        })
        .map(|n| dir.path.join(n))
        .collect()
}
