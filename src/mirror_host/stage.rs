//! The staged mirror (`mirror promote`, `mirror rollback`): one served document root
//! holding the downloader's `incoming/` tree, a `canary/` ring tree, the fleet's
//! `<platform>/<ring>/` and `<ring>_back/`. Every stage is a normal ring folder, so an
//! endpoint sees nothing new.
//!
//! A stage's `arch_*` folder is never changed file by file. A new one is built beside it
//! under a hidden name, checked, and swapped in with `renameat2(RENAME_EXCHANGE)`: a web
//! server resolving `arch_x86_64/…` finds the old pair or the new pair, never a mix and
//! never nothing. A journal in the root (written before the swap, with the inode of each
//! folder involved) lets the next run finish a step a kill cut short after the swap, or
//! undo one cut short before it.

use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::folder::{self, Dir, Owner};
use super::tree::{self, ArchState, MANIFEST, PACKAGE, Slot};

/// Written in each arch folder a stage serves: when it started serving and from where.
/// Endpoints never ask for it (they fetch `manifest.json` and `updates.zip` only).
pub const MARKER: &str = ".mdatp-doctor-stage.json";
/// The journal of the step in progress, in the root.
pub const JOURNAL: &str = ".mdatp-doctor-journal.json";
/// The packages rolled back, in the root: never promoted again.
pub const REJECTED: &str = ".mdatp-doctor-rejected.json";
/// Rejections kept (the newest).
const MAX_REJECTED: usize = 100;
pub const INCOMING: &str = "incoming";
pub const CANARY: &str = "canary";
/// Hidden names of folders being built (`.arch_x86_64.stage-<hex>`).
const STAGING_TAG: &str = ".stage-";
/// The marker and the journal are a few hundred bytes.
const MAX_SMALL: u64 = 64 * 1024;

/// The stages, in the order a package goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Incoming,
    Canary,
    Production,
    Back,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::Incoming,
        Stage::Canary,
        Stage::Production,
        Stage::Back,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Incoming => "incoming",
            Stage::Canary => "canary",
            Stage::Production => "production",
            Stage::Back => "back",
        }
    }

    /// The ring folder of `platform`/`ring` in this stage, below the root.
    pub fn ring_rel(self, platform: &str, ring: &str) -> Vec<String> {
        let (p, r) = (platform.to_string(), ring.to_string());
        match self {
            Stage::Incoming => vec![INCOMING.into(), p, r],
            Stage::Canary => vec![CANARY.into(), p, r],
            Stage::Production => vec![p, r],
            Stage::Back => vec![p, format!("{ring}_back")],
        }
    }

    pub fn arch_path(self, root: &Path, platform: &str, ring: &str, arch: &str) -> PathBuf {
        self.ring_rel(platform, ring)
            .iter()
            .fold(root.to_path_buf(), |p, n| p.join(n))
            .join(format!("arch_{arch}"))
    }
}

/// The platforms and rings a staged root may hold.
pub const PLATFORMS: [&str; 2] = ["linux", "mac"];
pub const RINGS: [&str; 2] = ["production", "preview"];

/// What [`MARKER`] says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// When this folder started being served (the swap).
    pub since_unix: i64,
    /// The stage it came from.
    pub from: Stage,
    #[serde(default)]
    pub definition_version: String,
    #[serde(default)]
    pub engine_version: String,
    /// Random, the journal's too: tells this folder from any other after a kill, whatever
    /// the device and inode numbers became (a reboot can renumber them).
    #[serde(default)]
    pub token: String,
}

/// One `arch_*` folder of one stage, as read.
#[derive(Debug, Clone)]
pub struct StageArch {
    pub stage: Stage,
    pub platform: String,
    pub ring: String,
    pub arch: String,
    pub state: ArchState,
    /// `None`: no marker (filled by hand, or by the downloader in `incoming/`), or an
    /// unreadable one (`marker_error`).
    pub marker: Option<Marker>,
    pub marker_error: Option<String>,
    /// The folder's own modification time: when its last file went in.
    pub dir_modified: Option<SystemTime>,
}

impl StageArch {
    /// The package and manifest this folder serves, or why they must not be served.
    pub fn good(&self) -> Result<&crate::mirror::package::Manifest, String> {
        verdict(&self.state)
    }

    /// Since when this folder has served what it holds: its marker, else the time its
    /// last file went in.
    pub fn since(&self) -> Option<SystemTime> {
        self.marker
            .as_ref()
            .and_then(|m| u64::try_from(m.since_unix).ok())
            .map(|s| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s))
            .or(self.dir_modified)
    }
}

/// Whether an arch folder holds a pair fit to serve: a package that is a complete zip
/// whose entries pass their CRC, and a manifest with both versions.
pub fn verdict(a: &ArchState) -> Result<&crate::mirror::package::Manifest, String> {
    match &a.package {
        None => return Err("no updates.zip".into()),
        Some(Err(e)) => return Err(format!("updates.zip cannot be read: {e}")),
        Some(Ok(p)) => {
            if let Err(e) = &p.zip {
                return Err(format!("updates.zip is not a complete zip: {e}"));
            }
        }
    }
    match &a.manifest {
        None => Err("no manifest.json".into()),
        Some(Err(e)) => Err(format!("manifest.json cannot be read: {e}")),
        Some(Ok(m)) if m.is_empty() => {
            Err("manifest.json has an empty EngineVersion or DefinitionVersion".into())
        }
        Some(Ok(m)) => Ok(m),
    }
}

/// The root holds a staged layout: `incoming/` or `canary/` is a folder in it.
pub fn is_staged(root: &Path) -> bool {
    [INCOMING, CANARY]
        .iter()
        .any(|n| std::fs::symlink_metadata(root.join(n)).is_ok_and(|m| m.is_dir()))
}

/// The staged root a download folder belongs to: the folder is `<root>/incoming` and the
/// root holds a staged layout.
pub fn staged_root_of(download_folder: &Path) -> Option<&Path> {
    download_folder
        .file_name()
        .filter(|n| *n == INCOMING)
        .and(download_folder.parent())
        .filter(|r| is_staged(r))
}

/// Reads a small JSON file (the marker, the journal) as `T`; `Ok(None)` when missing.
fn read_small<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, String> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(None);
    }
    let (f, _) = tree::open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_SMALL + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SMALL {
        return Err(format!("larger than {MAX_SMALL} bytes"));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| format!("not what mdatp-doctor writes: {e}"))
}

/// Reads one stage's arch folder; `None` when it does not exist.
pub fn read_arch(
    root: &Path,
    stage: Stage,
    platform: &str,
    ring: &str,
    arch: &str,
    deadline: Option<Instant>,
) -> Option<StageArch> {
    let path = stage.arch_path(root, platform, ring, arch);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    let slot = Slot {
        platform: platform.into(),
        ring: ring.into(),
        back: stage == Stage::Back,
        arch: arch.into(),
    };
    let state = tree::inspect_dir(&path, slot, deadline);
    let (marker, marker_error) = match read_small::<Marker>(&path.join(MARKER)) {
        Ok(m) => (m, None),
        Err(e) => (None, Some(format!("{}: {e}", path.join(MARKER).display()))),
    };
    Some(StageArch {
        stage,
        platform: platform.into(),
        ring: ring.into(),
        arch: arch.into(),
        state,
        marker,
        marker_error,
        dir_modified: meta.is_dir().then(|| meta.modified().ok()).flatten(),
    })
}

/// The arch folders one stage holds for `platform`/`ring`.
pub fn read_ring(
    root: &Path,
    stage: Stage,
    platform: &str,
    ring: &str,
    deadline: Option<Instant>,
) -> Vec<StageArch> {
    tree::ARCHES
        .iter()
        .filter_map(|arch| read_arch(root, stage, platform, ring, arch, deadline))
        .collect()
}

/// Every arch folder of every stage under `root`, stage by stage.
pub fn read_all(root: &Path, deadline: Option<Instant>) -> Vec<StageArch> {
    let mut out = Vec::new();
    for platform in PLATFORMS {
        for ring in RINGS {
            for stage in Stage::ALL {
                out.extend(read_ring(root, stage, platform, ring, deadline));
            }
        }
    }
    out
}

/// A package rolled back out of a ring: the canary may still serve it, and the next
/// promote must not put it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub platform: String,
    pub ring: String,
    pub arch: String,
    pub definition_version: String,
    pub engine_version: String,
    pub rejected_unix: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RejectedFile {
    rejected: Vec<Rejected>,
}

/// The packages rolled back under `root` (none when the file is missing).
pub fn rejected(root: &Path) -> Result<Vec<Rejected>, String> {
    read_small::<RejectedFile>(&root.join(REJECTED))
        .map(|f| f.map(|f| f.rejected).unwrap_or_default())
        .map_err(|e| format!("{}: {e}", root.join(REJECTED).display()))
}

/// Records `r` as rolled back (atomically; the newest [`MAX_REJECTED`] are kept).
pub fn reject(root: &Path, r: Rejected) -> Result<(), String> {
    let mut all = rejected(root)?;
    all.retain(|x| x != &r);
    all.push(r);
    let cut = all.len().saturating_sub(MAX_REJECTED);
    all.drain(..cut);
    let bytes =
        serde_json::to_vec_pretty(&RejectedFile { rejected: all }).map_err(|e| e.to_string())?;
    let top = Dir::open_top(root)?.ok_or_else(|| format!("{} is missing", root.display()))?;
    crate::safe_write::replace_in(top.fd(), REJECTED, 0o644, |f| {
        std::io::Write::write_all(f, &bytes)
    })
    .map_err(|e| format!("{}: {e}", root.join(REJECTED).display()))
}

// ---------------------------------------------------------------------------------------
// Writing: folders built aside, swapped in whole, journaled.

/// `.arch_<arch>.stage-<hex>`: a folder a step builds.
fn is_staging_name(name: &str) -> bool {
    name.strip_prefix(".arch_")
        .and_then(|r| r.split_once(STAGING_TAG))
        .is_some_and(|(arch, hex)| {
            tree::ARCHES.contains(&arch)
                && !hex.is_empty()
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

fn c_name(name: &str) -> Result<CString, String> {
    CString::new(name).map_err(|_| format!("{name:?} holds a NUL byte"))
}

fn os_err(what: impl std::fmt::Display) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// Written into the folder a step is about to retire, holding the journal's `old_token`:
/// after a kill, the retired folder is told by it from the back folder it is exchanged with.
const RETIRE: &str = ".mdatp-doctor-retire";

/// The retire token in `dir`/`name`.
fn retire_token_of(dir: &Dir, name: &str) -> Option<String> {
    let (f, _) = tree::open_regular(&dir.path.join(name).join(RETIRE)).ok()?;
    let mut t = String::new();
    f.take(256).read_to_string(&mut t).ok()?;
    Some(t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The token of the marker in `dir`/`name` (`None`: no folder, no marker, or not ours).
fn token_of(dir: &Dir, name: &str) -> Option<String> {
    read_small::<Marker>(&dir.path.join(name).join(MARKER))
        .ok()
        .flatten()
        .map(|m| m.token)
        .filter(|t| !t.is_empty())
}

/// The device a folder we hold is on.
fn device_of(dir: &Dir) -> Result<u64, String> {
    // SAFETY: stat is plain data that fstat fills; the descriptor is borrowed.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(dir.fd().as_raw_fd(), &mut st) } != 0 {
        return Err(os_err(dir.path.display()));
    }
    Ok(st.st_dev)
}

/// `renameat2` between two folders we hold; `exchange` swaps the two names atomically,
/// otherwise `to` must not exist.
fn rename2(
    from_dir: &Dir,
    from: &str,
    to_dir: &Dir,
    to: &str,
    exchange: bool,
) -> Result<(), String> {
    let (a, b) = (c_name(from)?, c_name(to)?);
    let flags = if exchange {
        libc::RENAME_EXCHANGE
    } else {
        libc::RENAME_NOREPLACE
    };
    // The system call itself, not glibc's wrapper (2.28+): the packages built for old glibc
    // (2.17) must link, and the call exists in every kernel Defender supports (3.15+).
    // SAFETY: renameat2 on descriptors we hold, with NUL-terminated names.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            from_dir.fd().as_raw_fd(),
            a.as_ptr(),
            to_dir.fd().as_raw_fd(),
            b.as_ptr(),
            flags,
        )
    };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        let what = if exchange { "swap" } else { "move" };
        let hint = match e.raw_os_error() {
            Some(libc::EINVAL) if exchange => {
                " (this file system cannot swap two folders atomically: put the root on ext4, xfs, btrfs or tmpfs)"
            }
            Some(libc::EXDEV) => " (the stages must be on one file system)",
            _ => "",
        };
        return Err(format!(
            "cannot {what} {} and {}: {e}{hint}",
            from_dir.path.join(from).display(),
            to_dir.path.join(to).display()
        ));
    }
    // SAFETY: fsync on descriptors we hold: the rename itself is made durable.
    unsafe {
        libc::fsync(from_dir.fd().as_raw_fd());
        libc::fsync(to_dir.fd().as_raw_fd());
    }
    Ok(())
}

/// The names in a folder we hold (not `.` and `..`).
fn entries(dir: &Dir) -> Result<Vec<String>, String> {
    // SAFETY: fdopendir takes a descriptor of its own (a dup), closed by closedir.
    let dup = unsafe { libc::fcntl(dir.fd().as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(os_err(dir.path.display()));
    }
    let d = unsafe { libc::fdopendir(dup) };
    if d.is_null() {
        unsafe { libc::close(dup) };
        return Err(os_err(dir.path.display()));
    }
    // SAFETY: the stream is rewound (the dup shares its offset with `dir`).
    unsafe { libc::rewinddir(d) };
    let mut out = Vec::new();
    loop {
        // SAFETY: readdir on the stream we opened; the entry is read before the next call.
        let e = unsafe { libc::readdir(d) };
        if e.is_null() {
            break;
        }
        let name = unsafe { std::ffi::CStr::from_ptr((*e).d_name.as_ptr()) };
        let name = name.to_string_lossy().into_owned();
        if name != "." && name != ".." {
            out.push(name);
        }
    }
    unsafe { libc::closedir(d) };
    Ok(out)
}

/// Removes the folder `name` in `parent`: its files (and symlinks, never followed), then
/// the folder. A folder inside it (not ours to judge) fails the removal with its name; the
/// callers leave the rest and say so.
fn remove_tree(parent: &Dir, name: &str) -> Result<(), String> {
    let c = c_name(name)?;
    let path = parent.path.join(name);
    // Opened without the trust check: we only unlink in it, never write.
    // SAFETY: openat on a descriptor we hold; the result is owned below.
    let fd = unsafe {
        libc::openat(
            parent.fd().as_raw_fd(),
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return match e.kind() {
            std::io::ErrorKind::NotFound => Ok(()),
            _ => Err(format!("{}: {e}", path.display())),
        };
    }
    // SAFETY: fd was just returned by openat.
    let dir = Dir::from_fd(unsafe { OwnedFd::from_raw_fd(fd) }, path.clone());
    for e in entries(&dir)? {
        let ce = c_name(&e)?;
        // SAFETY: unlinkat on a descriptor we hold; a folder fails with EISDIR.
        if unsafe { libc::unlinkat(dir.fd().as_raw_fd(), ce.as_ptr(), 0) } != 0 {
            return Err(os_err(path.join(&e).display()));
        }
    }
    // SAFETY: unlinkat of the now empty folder.
    if unsafe { libc::unlinkat(parent.fd().as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) } != 0 {
        return Err(os_err(path.display()));
    }
    Ok(())
}

/// Where a new arch folder's files come from.
#[derive(Debug, Clone)]
pub struct Source {
    pub dir: PathBuf,
    /// Hard-link the package rather than copy it: only from a stage of ours, where no
    /// file is ever rewritten in place. The downloader rewrites `manifest.json` (and its
    /// `_back` copies) in place, so what comes from `incoming/` is always copied.
    pub link: bool,
}

/// One step: a new arch folder for `stage`/`platform`/`ring`/`arch`, whose previous
/// folder goes to `keep_old_in` (the back stage) or away.
#[derive(Debug, Clone)]
pub struct Install {
    pub op: String,
    pub stage: Stage,
    pub platform: String,
    pub ring: String,
    pub arch: String,
    pub source: Source,
    pub keep_old_in: Option<Stage>,
    pub marker: Marker,
    /// The SHA-256 of the package judged fit to serve: the copy must be that package.
    pub package_sha256: Option<String>,
}

/// The journal: what a step meant to do and which folder is which.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    op: String,
    /// The ring folder, below the root.
    ring: Vec<String>,
    arch: String,
    staged: String,
    /// The new folder's marker token.
    token: String,
    /// There was a previous folder: the token written into it ([`RETIRE`]).
    old_token: Option<String>,
    /// Where the previous folder goes (the back ring folder), below the root.
    back: Option<Vec<String>>,
    to_version: String,
    started_unix: i64,
}

/// Kills this process at a named point of a step, for the tests that prove a `kill -9`
/// anywhere leaves every served folder whole (`MDATP_DOCTOR_TEST_KILL_AT=<point>`).
fn test_kill_point(point: &str) {
    if crate::seams::var("MDATP_DOCTOR_TEST_KILL_AT").is_some_and(|p| p == point) {
        // SAFETY: raise has no memory-safety preconditions.
        unsafe {
            libc::raise(libc::SIGKILL);
        }
    }
}

/// Opens (making what is missing, 0755 and ours) the folder `rel` below `root`.
fn open_ring(root: &Path, rel: &[String]) -> Result<Dir, String> {
    folder::open_for_writing(root, rel, &[], true).map(|(d, _)| d)
}

/// 16 random hex digits (the random source safe_write names its files with).
fn random_hex() -> Result<String, String> {
    crate::safe_write::random_u64()
        .map(|r| format!("{r:016x}"))
        .map_err(|e| e.to_string())
}

/// Copies `src` into `dir` as `name`: a new file (`O_EXCL|O_NOFOLLOW`, 0600 until done),
/// fsynced, owned by this user (not the downloader's) with the source's mode less any
/// write bit for group and others.
fn copy_in(dir: &Dir, name: &str, src: &Path) -> Result<(), String> {
    let (mut from, meta) =
        tree::open_regular(src).map_err(|e| format!("{}: {e}", src.display()))?;
    // Readable by the web server, writable by nobody else, whatever the source's mode.
    let mode = (Owner::of(&meta).mode & 0o755) | 0o444;
    if meta.len() > tree::MAX_PACKAGE {
        return Err(format!("{}: larger than the 2 GiB cap", src.display()));
    }
    let c = c_name(name)?;
    // SAFETY: openat on a descriptor we hold; the descriptor is owned by the File below.
    let fd = unsafe {
        libc::openat(
            dir.fd().as_raw_fd(),
            c.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0o600 as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(os_err(dir.path.join(name).display()));
    }
    let mut to = unsafe { std::fs::File::from_raw_fd(fd) };
    // The size it had when opened: a file still growing is not copied without end.
    std::io::copy(&mut (&mut from).take(meta.len()), &mut to)
        .map_err(|e| format!("{}: {e}", dir.path.join(name).display()))?;
    // SAFETY: fchmod on a descriptor we own.
    unsafe {
        libc::fchmod(fd, mode as libc::mode_t);
    }
    to.sync_all()
        .map_err(|e| format!("{}: {e}", dir.path.join(name).display()))
}

/// Hard-links `name` of the folder `src_dir` into `dir`: only a regular file, never a
/// symlink (whose target could change what is served after the gate).
fn link_in(dir: &Dir, src_dir: &Dir, name: &str) -> Result<(), String> {
    let c = c_name(name)?;
    // SAFETY: stat is plain data; fstatat on a descriptor we hold, not following links.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe {
        libc::fstatat(
            src_dir.fd().as_raw_fd(),
            c.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    } != 0
    {
        return Err(os_err(src_dir.path.join(name).display()));
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(format!(
            "{} is not a regular file (a symlink?): never linked into a served folder",
            src_dir.path.join(name).display()
        ));
    }
    // SAFETY: linkat on descriptors we hold; without AT_SYMLINK_FOLLOW a symlink is linked
    // as itself, which the check of the built folder then refuses.
    if unsafe {
        libc::linkat(
            src_dir.fd().as_raw_fd(),
            c.as_ptr(),
            dir.fd().as_raw_fd(),
            c.as_ptr(),
            0,
        )
    } != 0
    {
        return Err(os_err(format!(
            "cannot link {} into {}",
            src_dir.path.join(name).display(),
            dir.path.display()
        )));
    }
    Ok(())
}

/// What one step did.
#[derive(Debug, Clone, Serialize)]
pub struct Installed {
    /// The arch folder now served.
    pub path: String,
    /// What it served before (`None`: nothing).
    pub previous: Option<String>,
    /// Where the previous folder went (the back stage), when kept.
    pub kept_in: Option<String>,
    /// What could not be tidied after the swap (a retired folder left behind).
    pub notes: Vec<String>,
}

/// Builds the new arch folder aside, checks it, journals, swaps it in, moves the previous
/// one to the back stage (or removes it), and clears the journal.
pub fn install(root: &Path, step: &Install) -> Result<Installed, String> {
    let ring_rel = step.stage.ring_rel(&step.platform, &step.ring);
    let ring = open_ring(root, &ring_rel)?;
    let arch_name = format!("arch_{}", step.arch);
    let staged = format!(".{arch_name}{STAGING_TAG}{}", random_hex()?);
    // The new folder gets the previous one's owner and mode (the source's when new).
    let old = ring.child(&arch_name)?;
    // A new folder is ours, 0755: never the downloader's user's, who could then rewrite
    // what the canary (and, through its links, production) serves.
    let owner = match &old {
        Some(d) => folder_owner(&d.path)?,
        None => Owner::default_folder(),
    };
    let built = ring.make_child(&staged, owner)?;
    let token = match random_hex() {
        Ok(t) => t,
        Err(e) => {
            let _ = remove_tree(&ring, &staged);
            return Err(e);
        }
    };
    // The source package as it was before the copy: a downloader running outside the lock
    // that replaces it meanwhile must not get a new package paired with an old manifest.
    let src_id = || {
        std::fs::symlink_metadata(step.source.dir.join(PACKAGE))
            .map(|m| (m.dev(), m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
            .ok()
    };
    let before = src_id();
    let result = (|| {
        if step.source.link {
            let src = Dir::open_top(&step.source.dir)?
                .ok_or_else(|| format!("{} is missing", step.source.dir.display()))?;
            link_in(&built, &src, PACKAGE)?;
        } else {
            copy_in(&built, PACKAGE, &step.source.dir.join(PACKAGE))?;
        }
        copy_in(&built, MANIFEST, &step.source.dir.join(MANIFEST))?;
        if src_id() != before {
            return Err(format!(
                "{} changed while it was copied (a download running outside mirror run's lock?): run again",
                step.source.dir.join(PACKAGE).display()
            ));
        }
        // Served from the swap, a moment after this (the check below reads the package).
        let mut marker = step.marker.clone();
        marker.since_unix = jiff::Timestamp::now().as_second();
        marker.token = token.clone();
        let marker = serde_json::to_vec_pretty(&marker).map_err(|e| e.to_string())?;
        crate::safe_write::replace_in(built.fd(), MARKER, 0o644, |f| {
            std::io::Write::write_all(f, &marker)
        })
        .map_err(|e| format!("{}: {e}", built.path.join(MARKER).display()))?;
        // SAFETY: fsync on a descriptor we hold.
        unsafe { libc::fsync(built.fd().as_raw_fd()) };
        // What is about to be served is checked as it lies, after it was built.
        let slot = Slot {
            platform: step.platform.clone(),
            ring: step.ring.clone(),
            back: false,
            arch: step.arch.clone(),
        };
        let state = tree::inspect_dir(&built.path, slot, None);
        let m = verdict(&state).map_err(|e| format!("the copy is not fit to serve: {e}"))?;
        if m.definition_version != step.marker.definition_version
            || m.engine_version != step.marker.engine_version
        {
            return Err(format!(
                "the copy's manifest names {}/{}, not {}/{}: the source changed while it was copied (run again)",
                m.engine_version,
                m.definition_version,
                step.marker.engine_version,
                step.marker.definition_version
            ));
        }
        let copied = state
            .package
            .as_ref()
            .and_then(|p| p.as_ref().ok())
            .and_then(|p| p.sha256.clone());
        if step.package_sha256.is_some() && copied != step.package_sha256 {
            return Err(format!(
                "the copied updates.zip (sha256 {}) is not the package judged (sha256 {}): the source changed while it was copied (run again)",
                copied.unwrap_or_default(),
                step.package_sha256.clone().unwrap_or_default()
            ));
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = remove_tree(&ring, &staged);
        return Err(e);
    }
    test_kill_point("built");
    let back = match step.keep_old_in {
        Some(stage) if old.is_some() => Some(stage.ring_rel(&step.platform, &step.ring)),
        _ => None,
    };
    let back_dir = match back.as_ref().map(|rel| open_ring(root, rel)).transpose() {
        Ok(d) => d,
        Err(e) => {
            let _ = remove_tree(&ring, &staged);
            return Err(e);
        }
    };
    // The previous folder can only be moved to the back on the same file system: said
    // before anything is swapped, never after.
    if let Some(b) = &back_dir
        && device_of(b)? != device_of(&ring)?
    {
        let _ = remove_tree(&ring, &staged);
        return Err(format!(
            "{} is on another file system than {}: the stages must be on one",
            b.path.display(),
            ring.path.display()
        ));
    }
    // The previous folder is marked before the journal names it (a file endpoints never
    // ask for; the pair in it is untouched).
    let old_token = match &old {
        Some(d) => {
            let t = match random_hex() {
                Ok(t) => t,
                Err(e) => {
                    let _ = remove_tree(&ring, &staged);
                    return Err(e);
                }
            };
            if let Err(e) = crate::safe_write::replace_in(d.fd(), RETIRE, 0o644, |f| {
                std::io::Write::write_all(f, t.as_bytes())
            }) {
                let _ = remove_tree(&ring, &staged);
                return Err(format!("{}: {e}", d.path.join(RETIRE).display()));
            }
            Some(t)
        }
        None => None,
    };
    let journal = Journal {
        op: step.op.clone(),
        ring: ring_rel.clone(),
        arch: arch_name.clone(),
        staged: staged.clone(),
        token: token.clone(),
        old_token: old_token.clone(),
        back: back.clone(),
        to_version: step.marker.definition_version.clone(),
        started_unix: step.marker.since_unix,
    };
    if let Err(e) = write_journal(root, &journal) {
        let _ = remove_tree(&ring, &staged);
        return Err(e);
    }
    test_kill_point("journaled");
    // The commit: one atomic swap (or move, when there was nothing).
    if let Err(e) = rename2(&ring, &staged, &ring, &arch_name, old.is_some()) {
        let _ = remove_tree(&ring, &staged);
        let _ = remove_journal(root);
        return Err(e);
    }
    test_kill_point("swapped");
    let path = ring.path.join(&arch_name).display().to_string();
    let previous = old.as_ref().map(|_| path.clone());
    // Swapped: what follows only tidies, and what fails of it is said, never a failure.
    let (kept_in, notes) = finish(root, &journal, &ring, back_dir.as_ref());
    Ok(Installed {
        path,
        previous,
        kept_in,
        notes,
    })
}

/// After the swap: the previous folder (now under the staged name) goes to the back
/// stage, replacing what was there, and whatever remains under the staged name is removed;
/// then the journal. Each part is skipped when already done, so a run that resumes after
/// a kill calls this too. Nothing here can undo the swap: what fails is said (a folder
/// left under a hidden name is never served) and the journal is cleared all the same, so
/// no later step is ever blocked by it.
fn finish(
    root: &Path,
    j: &Journal,
    ring: &Dir,
    back: Option<&Dir>,
) -> (Option<String>, Vec<String>) {
    let mut kept_in = None;
    let mut notes = Vec::new();
    // Under the staged name now: the previous folder, unless it was already moved on (then
    // the back folder it was exchanged with is there, without its token).
    let old_there = j.old_token.is_some() && retire_token_of(ring, &j.staged) == j.old_token;
    let mut keep_failed = false;
    if let Some(back) = back {
        if old_there {
            let exists = std::fs::symlink_metadata(back.path.join(&j.arch)).is_ok();
            match rename2(ring, &j.staged, back, &j.arch, exists) {
                Ok(()) => {
                    test_kill_point("kept");
                    kept_in = Some(back.path.join(&j.arch).display().to_string());
                }
                Err(e) => {
                    keep_failed = true;
                    notes.push(format!(
                        "the previous folder could not be kept as the back ({e}); it is left at {} (never served): move it by hand, or the next step removes it",
                        ring.path.join(&j.staged).display()
                    ));
                }
            }
        } else if j.old_token.is_some() {
            kept_in = Some(back.path.join(&j.arch).display().to_string());
        }
    }
    if !keep_failed && let Err(e) = remove_tree(ring, &j.staged) {
        notes.push(format!(
            "the retired folder {} was left (never served): {e}; remove it by hand",
            ring.path.join(&j.staged).display()
        ));
    }
    test_kill_point("cleaned");
    if let Err(e) = remove_journal(root) {
        notes.push(format!("the journal could not be removed: {e}"));
    }
    (kept_in, notes)
}

fn folder_owner(path: &Path) -> Result<Owner, String> {
    std::fs::symlink_metadata(path)
        .map(|m| Owner::of(&m))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn write_journal(root: &Path, j: &Journal) -> Result<(), String> {
    let top = Dir::open_top(root)?.ok_or_else(|| format!("{} is missing", root.display()))?;
    let bytes = serde_json::to_vec_pretty(j).map_err(|e| e.to_string())?;
    crate::safe_write::replace_in(top.fd(), JOURNAL, 0o600, |f| {
        std::io::Write::write_all(f, &bytes)
    })
    .map_err(|e| format!("{}: {e}", root.join(JOURNAL).display()))
}

fn remove_journal(root: &Path) -> Result<(), String> {
    let top = Dir::open_top(root)?.ok_or_else(|| format!("{} is missing", root.display()))?;
    top.remove_file(JOURNAL)?;
    // SAFETY: fsync on a descriptor we hold.
    unsafe { libc::fsync(top.fd().as_raw_fd()) };
    Ok(())
}

/// Takes an exclusive lock on the root folder itself (held while the returned file is
/// open): two promotes on one root never overlap, whatever state directory each uses.
pub fn lock_root(root: &Path) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(root)
        .map_err(|e| format!("{}: {e}", root.display()))?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(format!(
            "{}: another promote or rollback is working on this root",
            root.display()
        ));
    }
    Ok(f)
}

/// Finishes or undoes the step a kill cut short (the journal says which folder is which),
/// and removes folders left half built; returns what was done, one line each. Call it
/// with the lock held, before any new step.
pub fn recover(root: &Path) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    // A journal or record a kill cut short while it was written (under the lock: stale).
    if let Ok(Some(top)) = Dir::open_top(root) {
        for name in [JOURNAL, REJECTED] {
            let _ =
                crate::safe_write::remove_stale_temps_in(top.fd(), name, std::time::Duration::ZERO);
        }
    }
    let journal = read_small::<Journal>(&root.join(JOURNAL)).map_err(|e| {
        format!(
            "{}: {e} (remove it once the tree is checked)",
            root.join(JOURNAL).display()
        )
    })?;
    if let Some(j) = journal {
        // Only names a step of ours writes: nothing outside the stage folders is touched
        // whatever the journal says.
        let bad_rel = std::iter::once(&j.ring).chain(j.back.iter()).any(|rel| {
            rel.iter()
                .any(|n| n.is_empty() || n == "." || n == ".." || n.contains('/'))
        });
        let stage_ring = |rel: &Vec<String>| {
            PLATFORMS.iter().any(|p| {
                RINGS
                    .iter()
                    .any(|r| Stage::ALL.iter().any(|st| &st.ring_rel(p, r) == rel))
            })
        };
        let bad_rel =
            bad_rel || !stage_ring(&j.ring) || j.back.as_ref().is_some_and(|b| !stage_ring(b));
        let arch_ok = tree::ARCHES.iter().any(|a| j.arch == format!("arch_{a}"));
        if bad_rel || !arch_ok || !is_staging_name(&j.staged) {
            return Err(format!(
                "{}: not a journal mdatp-doctor wrote (it names folders outside the stages)",
                root.join(JOURNAL).display()
            ));
        }
        let ring = open_ring(root, &j.ring)?;
        let shown = ring.path.join(&j.arch).display().to_string();
        if token_of(&ring, &j.arch).as_deref() == Some(j.token.as_str()) {
            // The swap happened: the clients already get the new folder; finish.
            let back = match j.back.as_ref().map(|rel| open_ring(root, rel)).transpose() {
                Ok(b) => b,
                Err(e) => {
                    done.push(format!("the back folder cannot be opened: {e}"));
                    None
                }
            };
            let (kept, notes) = finish(root, &j, &ring, back.as_ref());
            done.push(match kept {
                Some(k) => format!(
                    "finished the interrupted {} of {shown}: {} is served, the previous folder kept as {k}",
                    j.op, j.to_version
                ),
                None => format!(
                    "finished the interrupted {} of {shown}: {} is served",
                    j.op, j.to_version
                ),
            });
            done.extend(notes);
        } else {
            // The swap never happened: the clients saw nothing; undo (only the folder that
            // carries the journal's token: anything else under that name is left to the
            // sweep).
            if token_of(&ring, &j.staged).as_deref() == Some(j.token.as_str())
                && let Err(e) = remove_tree(&ring, &j.staged)
            {
                done.push(format!("{e}; remove it by hand (it was never served)"));
            }
            remove_journal(root)?;
            done.push(format!(
                "undid the interrupted {} of {shown}: it was killed before the swap, so nothing served had changed",
                j.op
            ));
        }
    }
    // Folders built by a step killed before it wrote its journal were never served.
    for platform in PLATFORMS {
        for ring_name in RINGS {
            for stage in [Stage::Canary, Stage::Production, Stage::Back] {
                let rel = stage.ring_rel(platform, ring_name);
                let Ok((ring, _)) = folder::open_for_writing(root, &rel, &[], false) else {
                    continue;
                };
                for e in entries(&ring).unwrap_or_default() {
                    if is_staging_name(&e) {
                        done.push(match remove_tree(&ring, &e) {
                            Ok(()) => format!(
                                "removed {}, a folder a killed step had half built (never served)",
                                ring.path.join(&e).display()
                            ),
                            Err(err) => format!(
                                "{err}: a folder a killed step had half built (never served); remove it by hand"
                            ),
                        });
                    }
                }
            }
        }
    }
    Ok(done)
}
