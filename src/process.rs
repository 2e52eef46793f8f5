//! Runs an external program (mdatp, timedatectl) and returns what happened as data.
//!
//! No shell is involved. The child gets its own process group so that a timeout, an
//! oversized output or Ctrl-C can kill it together with anything it forked, and each of
//! stdout/stderr is captured up to a cap so a runaway child cannot exhaust memory.
//!
//! A descendant can leave the group (`setsid()`), so the tool is also a child subreaper
//! (`PR_SET_CHILD_SUBREAPER`): whatever a child leaves behind is re-parented to us, not
//! to init, and after a child ends (or is killed) every process descending from it or
//! left to us is killed and reaped, found through the parent links in `/proc`. This
//! module is the only code that starts processes, so every child of ours is either a
//! running invocation (registered below) or something one of them left behind.

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, Once};
use std::thread;
use std::time::{Duration, Instant};

use crate::units::{format_bytes, format_duration};

/// What can go wrong running a program; callers wrap it with their own hints.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("{} not found", .program.display())]
    NotFound { program: PathBuf },
    #[error("{} is not executable: {reason}", .path.display())]
    NotExecutable { path: PathBuf, reason: String },
    #[error("could not run {}: {source}", .program.display())]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`{} {}` did not finish within {} and was killed",
        .program.display(), .args.join(" "), format_duration(*.timeout)
    )]
    TimedOut {
        program: PathBuf,
        args: Vec<String>,
        timeout: Duration,
        partial_stdout: Vec<u8>,
    },
    #[error(
        "{} printed more than {} on {stream}; stopped reading and killed it",
        .program.display(), format_bytes(*.limit)
    )]
    OutputTooLarge {
        program: PathBuf,
        stream: Stream,
        limit: usize,
    },
    #[error("{} was killed by {}", .program.display(), signal_name(*.signal))]
    KilledBySignal {
        program: PathBuf,
        signal: i32,
        stderr: Vec<u8>,
    },
}

/// Default cap on each captured stream; real `mdatp health` prints a few KiB.
pub const DEFAULT_MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// After the child exits, how long its pipes may stay open (held by something that left
/// its process group) before we stop reading and keep what we have.
const PIPE_GRACE: Duration = Duration::from_secs(1);

/// After SIGKILL, how long we wait to reap the child. A process stuck in uninterruptible
/// sleep (a hung NFS mount, say) cannot die; we then leave it rather than hang with it.
const REAP_GRACE: Duration = Duration::from_secs(2);

/// Limits applied to one invocation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(60),
            max_output: DEFAULT_MAX_OUTPUT,
        }
    }
}

/// What a finished invocation printed and how it ended. A non-zero exit is still an
/// `Output`: mdatp's exit codes are undocumented, so callers decide what it means.
#[derive(Debug, Clone)]
pub struct Output {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_code: i32,
    pub duration: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

/// Which captured stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        })
    }
}

/// Runs one executable with limits; `trace` prints each call on stderr (`--verbose`).
#[derive(Debug, Clone)]
pub struct Runner {
    pub program: PathBuf,
    pub limits: Limits,
    pub trace: bool,
}

impl Runner {
    /// A system tool asked a quick question (systemctl, timedatectl): 5 s, 64 KiB.
    pub fn quick(program: PathBuf) -> Runner {
        Runner {
            program,
            limits: Limits {
                timeout: Duration::from_secs(5),
                max_output: 64 * 1024,
            },
            trace: false,
        }
    }

    pub fn run(&self, args: &[&str]) -> Result<Output, ProcessError> {
        let started = Instant::now();
        let result = run_once(&self.program, args, self.limits);
        if self.trace {
            trace_line(&self.program, args, &result, started.elapsed());
        }
        result
    }
}

fn trace_line(
    program: &Path,
    args: &[&str],
    result: &Result<Output, ProcessError>,
    elapsed: Duration,
) {
    let outcome = match result {
        Ok(out) => format!("exit {}", out.exit_code),
        Err(e) => e.to_string(),
    };
    // Paths and arguments may hold anything: never raw control characters on a terminal.
    let esc = |s: &str| crate::units::escape_controls(s, false).into_owned();
    eprintln!(
        "mdatp-doctor: ran {} {} -> {} in {} ms",
        esc(&program.display().to_string()),
        esc(&args.join(" ")),
        esc(&outcome),
        elapsed.as_millis()
    );
}

enum Event {
    Exited,
    Eof,
    Overflow(Stream),
}

fn lock(buf: &Mutex<Vec<u8>>) -> MutexGuard<'_, Vec<u8>> {
    // A reader thread never panics while holding the lock; if one somehow did, the bytes
    // are still valid, so recover them instead of propagating the poison.
    buf.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run_once(program: &Path, args: &[&str], limits: Limits) -> Result<Output, ProcessError> {
    become_subreaper();
    let started = Instant::now();
    // Spawned and registered under the lock, so a concurrent cleanup never takes the new
    // child for something left behind.
    let (mut child, _registration) = {
        let mut active = active();
        let child = spawn(program, args)?;
        // `process_group(0)` made the child its own group leader: its pid is the group id.
        let pgid = child.id() as libc::pid_t;
        active.insert(pgid);
        (child, ActiveGroup(pgid))
    };
    let pgid = _registration.0;

    let (tx, rx) = mpsc::channel();
    let out = Arc::new(Mutex::new(Vec::new()));
    let err = Arc::new(Mutex::new(Vec::new()));
    if let Some(pipe) = child.stdout.take() {
        spawn_reader(
            pipe,
            out.clone(),
            limits.max_output,
            Stream::Stdout,
            tx.clone(),
        );
    }
    if let Some(pipe) = child.stderr.take() {
        spawn_reader(
            pipe,
            err.clone(),
            limits.max_output,
            Stream::Stderr,
            tx.clone(),
        );
    }
    spawn_waiter(pgid, tx);

    let deadline = started + limits.timeout;
    let mut exited = false;
    let mut open_pipes = 2;
    let mut grace_until: Option<Instant> = None;
    while !(exited && open_pipes == 0) {
        let until = grace_until.unwrap_or(deadline);
        match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(Event::Exited) => {
                exited = true;
                // Anything the child left behind (in its group or not) would hold our
                // pipes open.
                kill_group(pgid);
                if !nothing_left_behind(pgid) {
                    kill_descendants(Some(pgid));
                }
                grace_until = Some(Instant::now() + PIPE_GRACE);
            }
            Ok(Event::Eof) => open_pipes -= 1,
            Ok(Event::Overflow(stream)) => {
                kill_group(pgid);
                kill_descendants(Some(pgid));
                reap_bounded(&mut child, &rx, exited);
                return Err(ProcessError::OutputTooLarge {
                    program: program.to_path_buf(),
                    stream,
                    limit: limits.max_output,
                });
            }
            Err(RecvTimeoutError::Timeout) if exited => break,
            Err(RecvTimeoutError::Timeout) => {
                kill_group(pgid);
                kill_descendants(Some(pgid));
                reap_bounded(&mut child, &rx, exited);
                return Err(ProcessError::TimedOut {
                    program: program.to_path_buf(),
                    args: args.iter().map(|s| s.to_string()).collect(),
                    timeout: limits.timeout,
                    partial_stdout: lock(&out).clone(),
                });
            }
            // Every sender is gone, so every event has been delivered.
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }

    let status = child.wait().map_err(|source| ProcessError::Spawn {
        program: program.to_path_buf(),
        source,
    })?;
    let duration = started.elapsed();
    let stdout = std::mem::take(&mut *lock(&out));
    let stderr = std::mem::take(&mut *lock(&err));
    if let Some(signal) = status.signal() {
        return Err(ProcessError::KilledBySignal {
            program: program.to_path_buf(),
            signal,
            stderr,
        });
    }
    Ok(Output {
        program: program.to_path_buf(),
        args: args.iter().map(|s| s.to_string()).collect(),
        stdout,
        stderr,
        // A status without a signal always has a code on Unix; -1 is a defensive stand-in.
        exit_code: status.code().unwrap_or(-1),
        duration,
    })
}

fn spawn(program: &Path, args: &[&str]) -> Result<Child, ProcessError> {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => ProcessError::NotFound {
                program: program.to_path_buf(),
            },
            io::ErrorKind::PermissionDenied => ProcessError::NotExecutable {
                path: program.to_path_buf(),
                reason: "permission denied".into(),
            },
            _ if source.raw_os_error() == Some(libc::ENOEXEC) => ProcessError::NotExecutable {
                path: program.to_path_buf(),
                reason: "not a program this system can run (exec format error)".into(),
            },
            _ => ProcessError::Spawn {
                program: program.to_path_buf(),
                source,
            },
        })
}

fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    buf: Arc<Mutex<Vec<u8>>>,
    cap: usize,
    stream: Stream,
    tx: Sender<Event>,
) {
    thread::spawn(move || {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let mut b = lock(&buf);
                    let room = cap.saturating_sub(b.len());
                    if n > room {
                        b.extend_from_slice(&chunk[..room]);
                        let _ = tx.send(Event::Overflow(stream));
                        return;
                    }
                    b.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send(Event::Eof);
    });
}

/// Whether the child `pid` has exited, without reaping it (`WNOWAIT`): while it is an
/// unreaped zombie its pid, which is also its process group's id, cannot be reused, so a
/// `killpg` that follows can only reach what the child left behind. `block` waits for it;
/// otherwise `Ok(false)` means still running (or interrupted). `Err`: it is no longer ours
/// to wait for (someone reaped it).
pub fn exited_unreaped(pid: libc::pid_t, block: bool) -> io::Result<bool> {
    let flags = libc::WEXITED | libc::WNOWAIT | if block { 0 } else { libc::WNOHANG };
    // SAFETY: siginfo_t is plain data that waitid fills.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::EINTR) => Ok(false),
            _ => Err(e),
        };
    }
    // SAFETY: waitid succeeded, so si_pid is set (0 when nothing has exited).
    Ok(unsafe { info.si_pid() } != 0)
}

/// Waits for the child to exit without reaping it (see [`exited_unreaped`]).
fn spawn_waiter(pid: libc::pid_t, tx: Sender<Event>) {
    thread::spawn(move || {
        while let Ok(false) = exited_unreaped(pid, true) {}
        let _ = tx.send(Event::Exited);
    });
}

fn kill_group(pgid: libc::pid_t) {
    // SIGKILL, not SIGTERM: mdatp's client holds no state worth a clean shutdown, and a
    // child that ignores SIGTERM is exactly the one we are trying to get rid of.
    // SAFETY: killpg has no memory-safety preconditions; ESRCH (group gone) is fine.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// After a kill: reap the child if it dies within `REAP_GRACE`, otherwise leave it.
fn reap_bounded(child: &mut Child, rx: &mpsc::Receiver<Event>, already_exited: bool) {
    let until = Instant::now() + REAP_GRACE;
    let mut exited = already_exited;
    while !exited {
        match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(Event::Exited) => exited = true,
            Ok(_) => {}
            Err(_) => return,
        }
    }
    let _ = child.wait();
}

/// Process groups of children still running, so an interrupt can kill them: they are in
/// their own groups and so do not receive the terminal's SIGINT themselves. A child's
/// pid is its group id, so this is also the set of our children that are invocations.
static ACTIVE: Mutex<BTreeSet<libc::pid_t>> = Mutex::new(BTreeSet::new());

fn active() -> MutexGuard<'static, BTreeSet<libc::pid_t>> {
    ACTIVE.lock().unwrap_or_else(|p| p.into_inner())
}

struct ActiveGroup(libc::pid_t);

impl Drop for ActiveGroup {
    fn drop(&mut self) {
        active().remove(&self.0);
    }
}

/// Kills every child process group still running, and everything descending from us.
/// Called from the interrupt handler, which runs on an ordinary thread, so taking a lock
/// here is safe.
pub fn kill_active_children() {
    let groups = active().clone();
    for pgid in groups {
        kill_group(pgid);
    }
    kill_descendants(None);
}

static SUBREAPER: Once = Once::new();

/// Makes this process a child subreaper (once): what a child leaves behind, even after
/// `setsid()`, is re-parented to us instead of init, so it can still be found and
/// killed. Called before the first child is started.
pub fn become_subreaper() {
    SUBREAPER.call_once(|| {
        // SAFETY: prctl with an integer argument; failure (an old kernel) only means
        // orphans go to init, as before.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong, 0, 0, 0);
        }
    });
}

/// One process as `/proc/<pid>/stat` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcEntry {
    pid: libc::pid_t,
    ppid: libc::pid_t,
    zombie: bool,
}

/// `pid (comm) S ppid ...`: the state and parent, read after the last `)` (the command
/// name may hold anything, parentheses and spaces included).
fn parse_stat(pid: libc::pid_t, stat: &str) -> Option<ProcEntry> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(ProcEntry {
        pid,
        ppid,
        zombie: state == "Z" || state == "X",
    })
}

/// Every process this system shows in /proc (empty when /proc is not there).
fn proc_table() -> Vec<ProcEntry> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            parse_stat(pid, &stat)
        })
        .collect()
}

/// The processes descending from `me`, each with the child of `me` it descends from.
fn descendants(table: &[ProcEntry], me: libc::pid_t) -> Vec<(ProcEntry, libc::pid_t)> {
    let parent: std::collections::HashMap<libc::pid_t, libc::pid_t> =
        table.iter().map(|e| (e.pid, e.ppid)).collect();
    let mut out = Vec::new();
    for e in table {
        let mut cur = e.pid;
        // Bounded: a parent chain longer than the table is a loop (pids reused mid-read).
        for _ in 0..=table.len() {
            match parent.get(&cur) {
                Some(&p) if p == me => {
                    out.push((*e, cur));
                    break;
                }
                Some(&p) if p > 1 && p != cur => cur = p,
                _ => break,
            }
        }
    }
    out
}

/// Kills what an invocation left behind and reaps it: every process descending from
/// the child `of` (whatever its group or session), and everything re-parented to us
/// (a child of ours that is no running invocation was left by one). With `of` None,
/// every descendant. Bounded: a process that cannot die (uninterruptible sleep) is left
/// after [`REAP_GRACE`].
fn kill_descendants(of: Option<libc::pid_t>) {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };

    let until = Instant::now() + REAP_GRACE;
    loop {
        let mut left = false;
        {
            let active = active();
            let table = proc_table();
            for (e, top) in descendants(&table, me) {
                let ours = match of {
                    None => true,
                    Some(child) => top == child || !active.contains(&top),
                };
                if !ours {
                    continue;
                }
                if e.zombie {
                    // Reap what was left to us; an invocation's own child is reaped by
                    // its `Child`.
                    if e.ppid == me && !active.contains(&e.pid) {
                        // SAFETY: waitpid on a child of ours, without blocking.
                        unsafe {
                            libc::waitpid(e.pid, std::ptr::null_mut(), libc::WNOHANG);
                        }
                    }
                } else if Some(e.pid) != of {
                    // SAFETY: kill has no memory-safety preconditions; ESRCH is fine.
                    unsafe {
                        libc::kill(e.pid, libc::SIGKILL);
                    }
                    left = true;
                }
            }
        }
        if !left || Instant::now() >= until {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a child that has exited (and is not reaped yet: only then is all it left
/// re-parented to us) left nothing behind, told from this process's own children
/// (`/proc/self/task/*/children`) instead of every process on the system: what a child
/// leaves is re-parented to one of our threads when it exits (we are a subreaper), so if
/// each child of ours is a running invocation (the exited one among them until it is
/// reaped), nothing descends from it, and [`kill_descendants`] would find nothing to
/// kill or reap. A thread that ends while its children are read hands them to another
/// (possibly one already read): the reading is done again, a few times at most. `false`
/// whenever that does not settle it (then the full scan).
fn nothing_left_behind(child: libc::pid_t) -> bool {
    (0..4).any(|_| own_children_are_invocations(child) == Some(true))
}

/// `None` when a thread ended while it was being read.
fn own_children_are_invocations(child: libc::pid_t) -> Option<bool> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let active = active();
    for task in tasks {
        let children = std::fs::read_to_string(task.ok()?.path().join("children")).ok()?;
        for pid in children.split_ascii_whitespace() {
            match pid.parse::<libc::pid_t>() {
                Ok(pid) if pid == child || active.contains(&pid) => {}
                _ => return Some(false),
            }
        }
    }
    Some(true)
}

/// A conventional name for a signal number, for messages.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests;
