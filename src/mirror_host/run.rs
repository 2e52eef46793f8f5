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

/// After SIGTERM on timeout or interrupt, how long the script has before SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(500);
/// After SIGKILL, how long we wait for the script to die, and then for our pipes to close
/// (something in uninterruptible sleep cannot die; we then leave it rather than hang).
const REAP_GRACE: Duration = Duration::from_secs(2);
/// The echo of the script's output is buffered up to this much...
const ECHO_BUFFER: usize = 64 * 1024;
/// ...and flushed this often.
const ECHO_FLUSH: Duration = Duration::from_millis(100);

/// One line of the script's output as it may reach a terminal: every control character
/// (ESC, OSC, BEL, C1, bidirectional overrides; all but the final newline) shown as text,
/// credentials and tokens masked, as everywhere the tool prints what it did not write.
pub fn visible_line(line: &[u8]) -> std::borrow::Cow<'_, str> {
    let text = String::from_utf8_lossy(line);
    let masked = crate::bundle::redact::secrets(&text);
    match crate::units::escape_controls(&masked, true) {
        std::borrow::Cow::Borrowed(_) if matches!(masked, std::borrow::Cow::Borrowed(_)) => text,
        shown => std::borrow::Cow::Owned(shown.into_owned()),
    }
}

/// Waits up to `grace` for the child to exit (without reaping it); true when it did or is
/// no longer ours.
fn exits_within(pid: libc::pid_t, grace: Duration) -> bool {
    let until = Instant::now() + grace;
    loop {
        match crate::process::exited_unreaped(pid, false) {
            Ok(true) | Err(_) => return true,
            Ok(false) if Instant::now() >= until => return false,
            Ok(false) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn killpg(pgid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: killpg has no memory-safety preconditions; ESRCH (group gone) is fine.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// Kills the script's process group when this process dies, however it dies (`kill -9`
/// included, where no code of ours runs): a `sh`, in its own group, waits to read a pipe
/// whose only writer is this process; when that read ends, we are gone, and it kills the
/// group. Stopped (killed and reaped) on every exit path of ours before the script is
/// reaped, so it can never signal a group id that was freed and reused.
struct Watchdog {
    child: std::process::Child,
    _pipe: std::process::ChildStdin,
}

impl Watchdog {
    fn start(pgid: libc::pid_t) -> Option<Watchdog> {
        let mut child = Command::new("/bin/sh")
            .args([
                "-c",
                // `kill -s KILL -- -PGID`: the one spelling dash and bash both take.
                r#"read -r _; kill -s KILL -- "-$1" 2>/dev/null"#,
                "mdatp-doctor-watchdog",
                &pgid.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()?;
        let pipe = child.stdin.take()?;
        Some(Watchdog { child, _pipe: pipe })
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `script args` in the script's directory, in its own process group, under
/// `timeout`; its output lines go to stderr (escaped, buffered) as they come when `echo`.
///
/// Nothing it starts outlives the run: the script gets `PR_SET_PDEATHSIG` (SIGKILL when
/// this thread's process dies, even by `kill -9`), a [`Watchdog`] kills its group in that
/// case, and on every exit path of ours its group is killed and everything descending from
/// us reaped (we are a child subreaper, so a child of the script that called `setsid()` is
/// found too). Call it from the main thread: the parent-death signal follows the thread
/// that started the script.
pub fn run_script(script: &Path, args: &[String], timeout: Duration, echo: bool) -> ScriptRun {
    crate::process::become_subreaper();
    let started = Instant::now();
    // The script runs in its own directory: a relative path must not be resolved there.
    let script = &std::path::absolute(script).unwrap_or_else(|_| script.to_path_buf());
    let dir = script
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = std::process::id() as libc::pid_t;
    let mut cmd = Command::new(script);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: between fork and exec only async-signal-safe calls (prctl, getppid).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // We died before the prctl: the signal will never come, so do not start.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return ScriptRun {
                spawn_error: Some(format!("{}: {e}", script.display())),
                ..ScriptRun::default()
            };
        }
    };
    let pgid = child.id() as libc::pid_t;
    let watchdog = Watchdog::start(pgid);
    let kept = Arc::new(Mutex::new(Vec::<u8>::new()));
    let out = echo.then(|| {
        Arc::new(Mutex::new(std::io::BufWriter::with_capacity(
            ECHO_BUFFER,
            std::io::stderr(),
        )))
    });
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let pipes: Vec<Box<dyn Read + Send>> = [
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
    .collect();
    let readers = pipes.len();
    for pipe in pipes {
        let kept = kept.clone();
        let out = out.clone();
        let done = done_tx.clone();
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
                if let Some(out) = &out {
                    let shown = visible_line(&line);
                    let mut w = out.lock().unwrap_or_else(|p| p.into_inner());
                    let _ = w.write_all(shown.as_bytes());
                }
                let mut k = kept.lock().unwrap_or_else(|p| p.into_inner());
                k.extend_from_slice(&line);
                if k.len() > MAX_KEPT * 2 {
                    let cut = k.len() - MAX_KEPT;
                    k.drain(..cut);
                }
            }
            let _ = done.send(());
        });
    }
    drop(done_tx);
    // The echo is flushed by a thread of its own: a stalled stderr (a pipe nobody reads)
    // then stalls the echo, never the timeout below.
    let (flush_stop, flushed) = {
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let (flushed_tx, flushed_rx) = std::sync::mpsc::channel::<()>();
        let out = out.clone();
        std::thread::spawn(move || {
            loop {
                let last = !matches!(
                    stop_rx.recv_timeout(ECHO_FLUSH),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout)
                );
                if let Some(out) = &out {
                    let _ = out.lock().unwrap_or_else(|p| p.into_inner()).flush();
                }
                if last {
                    let _ = flushed_tx.send(());
                    return;
                }
            }
        });
        (stop_tx, flushed_rx)
    };

    let deadline = started + timeout;
    let mut timed_out = false;
    let mut interrupted = false;
    // Whether the interrupt handler reaped the script before we could.
    let mut reaped_elsewhere = false;
    loop {
        match crate::process::exited_unreaped(pgid, false) {
            Ok(true) => break,
            Err(_) => {
                reaped_elsewhere = true;
                break;
            }
            Ok(false) => {}
        }
        if crate::interrupt::interrupted() || Instant::now() >= deadline {
            interrupted = crate::interrupt::interrupted();
            timed_out = !interrupted;
            killpg(pgid, libc::SIGTERM);
            exits_within(pgid, TERM_GRACE);
            killpg(pgid, libc::SIGKILL);
            exits_within(pgid, REAP_GRACE);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The interrupt handler may have killed the script itself (it reaps every child):
    // the script then ended by the interrupt, not on its own.
    if crate::interrupt::interrupted() {
        interrupted = true;
        timed_out = false;
    }
    // Whatever the script left in its group goes while its pid still holds the group id,
    // then the watchdog, then the script is reaped, then whatever left the group.
    if !reaped_elsewhere && matches!(crate::process::exited_unreaped(pgid, false), Ok(true)) {
        killpg(pgid, libc::SIGKILL);
    }
    if let Some(w) = watchdog {
        w.stop();
    }
    let status = if reaped_elsewhere {
        None
    } else {
        child.try_wait().ok().flatten()
    };
    crate::process::kill_active_children();
    // Our pipes close once everything holding them is dead; bounded all the same.
    let until = Instant::now() + REAP_GRACE;
    for _ in 0..readers {
        if done_rx
            .recv_timeout(until.saturating_duration_since(Instant::now()))
            .is_err()
        {
            break;
        }
    }
    let _ = flush_stop.send(());
    let _ = flushed.recv_timeout(REAP_GRACE);
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
