//! Opening what other users may have planted, for the bundle: never through a symlink
//! (`O_NOFOLLOW` on every name this module opens), never blocking on a FIFO
//! (`O_NONBLOCK`), only regular files read (checked with `fstat` on the open descriptor,
//! so a swap between a look and the open cannot fool it), and directories walked with
//! `openat` from a descriptor, so a walk never leaves the tree it started in.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// What a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Regular,
    Directory,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

impl Kind {
    fn from_mode(mode: libc::mode_t) -> Kind {
        match mode & libc::S_IFMT {
            libc::S_IFREG => Kind::Regular,
            libc::S_IFDIR => Kind::Directory,
            libc::S_IFLNK => Kind::Symlink,
            libc::S_IFIFO => Kind::Fifo,
            libc::S_IFSOCK => Kind::Socket,
            libc::S_IFCHR => Kind::CharDevice,
            libc::S_IFBLK => Kind::BlockDevice,
            _ => Kind::Other,
        }
    }

    /// What a name of this kind is, in prose.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Regular => "a regular file",
            Kind::Directory => "a directory",
            Kind::Symlink => "a symbolic link",
            Kind::Fifo => "a FIFO",
            Kind::Socket => "a socket",
            Kind::CharDevice => "a character device",
            Kind::BlockDevice => "a block device",
            Kind::Other => "a special file",
        }
    }

    /// Why a name of this kind was not read, for the manifest.
    pub fn why_skipped(self) -> &'static str {
        match self {
            Kind::Symlink => "a symbolic link, not followed",
            Kind::Directory => "a directory, not walked",
            Kind::Fifo => "a FIFO, not read",
            Kind::Socket => "a socket, not read",
            Kind::CharDevice => "a character device, not read",
            Kind::BlockDevice => "a block device, not read",
            Kind::Regular | Kind::Other => "not a regular file, not read",
        }
    }
}

/// The facts of one name, from `fstatat(AT_SYMLINK_NOFOLLOW)` or `fstat`.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub kind: Kind,
    pub size: u64,
    /// Modification time (seconds, nanoseconds), for newest-first ordering.
    pub mtime: (i64, i64),
}

impl Stat {
    // The field types differ between targets; the casts are no-ops on some.
    #[allow(clippy::unnecessary_cast)]
    fn from(st: &libc::stat) -> Stat {
        Stat {
            kind: Kind::from_mode(st.st_mode),
            size: st.st_size.max(0) as u64,
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as i64),
        }
    }
}

/// An opened name: a regular file ready to read, or what it was instead.
#[derive(Debug)]
pub enum Opened {
    File(File, Stat),
    Not(Kind),
}

fn cstring(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a name with a NUL byte"))
}

fn fstat(fd: libc::c_int) -> io::Result<Stat> {
    // SAFETY: fstat fills the zeroed struct we own; fd is open for the call.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Stat::from(&st))
}

/// `openat(dir, name, flags)` (`dir` = `AT_FDCWD` for a path) as an owned descriptor.
fn openat(dir: libc::c_int, name: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: name is a valid C string; the returned descriptor is ours alone.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_CLOEXEC | libc::O_NOCTTY) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just opened and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn lstatat(dir: libc::c_int, name: &CStr) -> io::Result<Stat> {
    // SAFETY: as in fstat; AT_SYMLINK_NOFOLLOW describes a symlink itself.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Stat::from(&st))
}

/// Looks at a name without following it, then opens it only if it is a regular file,
/// with `O_NOFOLLOW|O_NONBLOCK`, and checks again on the descriptor.
fn open_regular_at(dir: libc::c_int, name: &CStr) -> io::Result<Opened> {
    // Looking first keeps us from ever opening a device or a FIFO (opening some devices
    // has effects); the open below cannot follow a symlink swapped in meanwhile, and the
    // fstat after it judges what was really opened.
    let seen = lstatat(dir, name)?;
    if seen.kind != Kind::Regular {
        return Ok(Opened::Not(seen.kind));
    }
    let fd = match openat(
        dir,
        name,
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK,
    ) {
        Ok(fd) => fd,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Opened::Not(Kind::Symlink)),
        Err(e) => return Err(e),
    };
    let stat = fstat(fd.as_raw_fd())?;
    if stat.kind != Kind::Regular {
        return Ok(Opened::Not(stat.kind));
    }
    Ok(Opened::File(File::from(fd), stat))
}

/// Opens the file at `path` for reading the way [`Dir::open_file`] does; the last
/// component is never followed (the directories above it are the caller's choice).
pub fn open_file(path: &Path) -> io::Result<Opened> {
    open_regular_at(libc::AT_FDCWD, &cstring(path.as_os_str())?)
}

/// A directory held open by descriptor.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
}

/// What [`Dir::open`] or [`Dir::subdir`] found instead of a directory.
pub enum DirOpened {
    Dir(Dir),
    Not(Kind),
}

impl Dir {
    fn open_at(dir: libc::c_int, name: &CStr) -> io::Result<DirOpened> {
        match openat(
            dir,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        ) {
            Ok(fd) => Ok(DirOpened::Dir(Dir { fd })),
            // ELOOP: a symlink; ENOTDIR: something else. Say which.
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
                match lstatat(dir, name) {
                    Ok(st) if st.kind != Kind::Directory => Ok(DirOpened::Not(st.kind)),
                    _ => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Opens the directory at `path`; a symlink as its last component is not followed.
    pub fn open(path: &Path) -> io::Result<DirOpened> {
        Dir::open_at(libc::AT_FDCWD, &cstring(path.as_os_str())?)
    }

    /// Opens a directory inside this one, never through a symlink.
    pub fn subdir(&self, name: &OsStr) -> io::Result<DirOpened> {
        Dir::open_at(self.fd.as_raw_fd(), &cstring(name)?)
    }

    /// What `name` is, without following it.
    pub fn stat(&self, name: &OsStr) -> io::Result<Stat> {
        lstatat(self.fd.as_raw_fd(), &cstring(name)?)
    }

    /// Opens `name` in this directory if, and only if, it is a regular file.
    pub fn open_file(&self, name: &OsStr) -> io::Result<Opened> {
        open_regular_at(self.fd.as_raw_fd(), &cstring(name)?)
    }

    /// The names in this directory (without `.` and `..`), in the order the file system
    /// gives them.
    pub fn names(&self) -> io::Result<Vec<OsString>> {
        // fdopendir takes ownership of the descriptor it is given: give it a duplicate.
        // SAFETY: plain descriptor calls; the DIR stream is closed below on every path.
        let dup = unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(io::Error::last_os_error());
        }
        let stream = unsafe { libc::fdopendir(dup) };
        if stream.is_null() {
            let e = io::Error::last_os_error();
            unsafe { libc::close(dup) };
            return Err(e);
        }
        // The duplicate shares the read position: start from the top every time.
        unsafe { libc::rewinddir(stream) };
        let mut names = Vec::new();
        loop {
            // SAFETY: readdir returns null at the end (or on an error, which, for a
            // directory we hold open, ends the listing as well) or a valid entry.
            let entry = unsafe { libc::readdir(stream) };
            if entry.is_null() {
                break;
            }
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            let bytes = name.to_bytes();
            if bytes != b"." && bytes != b".." {
                names.push(OsString::from_vec(bytes.to_vec()));
            }
        }
        unsafe { libc::closedir(stream) };
        Ok(names)
    }
}

#[cfg(test)]
mod tests;
