//! The download tree opened by descriptor, for `mirror run`'s restore: each folder from the
//! download folder down to `arch_*` is opened relative to the one above it with
//! `O_DIRECTORY|O_NOFOLLOW`, and written into only when root or this user owns it and
//! neither its group nor others may write it. Files then go in relative to the descriptor
//! (see [`crate::safe_write::replace_in`]), so a symlink or another user's directory
//! swapped into the path during the run can never redirect a write made as root.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A file's or folder's mode, owner and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Owner {
    pub fn of(meta: &std::fs::Metadata) -> Owner {
        Owner {
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }

    fn of_stat(st: &libc::stat) -> Owner {
        Owner {
            mode: st.st_mode & 0o7777,
            uid: st.st_uid,
            gid: st.st_gid,
        }
    }

    /// A folder made by this run when nothing says how it was: 0755, this user's.
    pub fn default_folder() -> Owner {
        // SAFETY: geteuid and getegid cannot fail and have no preconditions.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        Owner {
            mode: 0o755,
            uid,
            gid,
        }
    }
}

use crate::units::euid;

/// Why a folder with `owner` at `shown` must not be written into, or `None` when it may:
/// root or this user owns it, and neither its group nor others may write it.
pub fn untrusted(shown: &Path, owner: Owner) -> Option<String> {
    let me = euid();
    let shown = shown.display();
    if owner.uid != 0 && owner.uid != me {
        return Some(format!(
            "{shown} is owned by uid {}, not by root or uid {me} (this run): refusing to write into it",
            owner.uid
        ));
    }
    if owner.mode & 0o022 != 0 {
        return Some(format!(
            "{shown} is writable by its group or by others (mode {:04o}): refusing to write into it (chmod go-w {shown})",
            owner.mode
        ));
    }
    None
}

fn c_name(name: &str) -> Result<CString, String> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(format!("{name:?} is not a folder name"));
    }
    CString::new(name).map_err(|_| format!("{name:?} holds a NUL byte"))
}

fn fstat(fd: BorrowedFd<'_>) -> io::Result<libc::stat> {
    // SAFETY: stat is plain data that fstat fills; the descriptor is borrowed.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

fn kind(mode: u32) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => "a directory",
        libc::S_IFREG => "a regular file",
        libc::S_IFLNK => "a symbolic link",
        libc::S_IFIFO => "a FIFO",
        libc::S_IFSOCK => "a socket",
        libc::S_IFCHR | libc::S_IFBLK => "a device",
        _ => "a special file",
    }
}

/// An open folder of the tree, with the path it was reached by (for messages).
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    pub path: PathBuf,
}

impl Dir {
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// A folder opened elsewhere (`O_DIRECTORY|O_NOFOLLOW`), not judged: for removing
    /// what is in it, never for writing into it.
    pub fn from_fd(fd: OwnedFd, path: PathBuf) -> Dir {
        Dir { fd, path }
    }

    /// A directory descriptor, accepted only as a folder we may write into.
    fn checked(fd: OwnedFd, path: PathBuf) -> Result<Dir, String> {
        let st = fstat(fd.as_fd()).map_err(|e| format!("{}: {e}", path.display()))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(format!(
                "{} is {}, not a directory",
                path.display(),
                kind(st.st_mode)
            ));
        }
        if let Some(why) = untrusted(&path, Owner::of_stat(&st)) {
            return Err(why);
        }
        Ok(Dir { fd, path })
    }

    fn open_path(path: &Path, nofollow: bool) -> io::Result<OwnedFd> {
        let mut flags = libc::O_DIRECTORY | libc::O_CLOEXEC;
        if nofollow {
            flags |= libc::O_NOFOLLOW;
        }
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(path)?;
        Ok(OwnedFd::from(f))
    }

    /// The download folder; `Ok(None)` when it is missing. A symlink at its path (an
    /// administrator's choice of storage) is followed only when root or this user owns
    /// the link; the folder it leads to is checked like any other.
    pub fn open_top(path: &Path) -> Result<Option<Dir>, String> {
        let shown = path.display();
        let link = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{shown}: {e}")),
        };
        let symlink = link.file_type().is_symlink();
        if symlink && link.uid() != 0 && link.uid() != euid() {
            return Err(format!(
                "{shown} is a symbolic link owned by uid {}: refusing to follow it",
                link.uid()
            ));
        }
        let fd = Dir::open_path(path, !symlink).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => {
                format!("{shown} became a symbolic link: refusing to follow it")
            }
            _ => format!("{shown}: {e}"),
        })?;
        Dir::checked(fd, path.to_path_buf()).map(Some)
    }

    /// The folder holding `path`, as the administrator named it: opened, not judged (it
    /// may be /tmp); only [`Dir::make_child`] is used on it.
    pub fn open_parent(path: &Path) -> Result<Dir, String> {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let fd = Dir::open_path(parent, false).map_err(|e| format!("{}: {e}", parent.display()))?;
        Ok(Dir {
            fd,
            path: parent.to_path_buf(),
        })
    }

    /// `name` in this folder, never through a symlink; `Ok(None)` when it is missing.
    pub fn child(&self, name: &str) -> Result<Option<Dir>, String> {
        let c = c_name(name)?;
        let path = self.path.join(name);
        let shown = path.display();
        // SAFETY: stat is plain data; fstatat on a descriptor we hold, with a C string.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } != 0
        {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::NotFound => Ok(None),
                _ => Err(format!("{shown}: {e}")),
            };
        }
        match st.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {}
            libc::S_IFLNK => {
                return Err(format!(
                    "{shown} is a symbolic link: refusing to write through it (it was a folder before the run)"
                ));
            }
            m => return Err(format!("{shown} is {}, not a directory", kind(m))),
        }
        // SAFETY: openat on a descriptor we hold, with a C string; the descriptor returned
        // is owned by the OwnedFd made from it.
        let fd = unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::ELOOP) | Some(libc::ENOTDIR) => {
                    format!(
                        "{shown} was swapped for a symbolic link or a file: refusing to write through it"
                    )
                }
                _ => format!("{shown}: {e}"),
            });
        }
        // SAFETY: fd was just returned by openat and belongs to nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Dir::checked(fd, path).map(Some)
    }

    /// Makes the folder `name` in this one with `owner` (what it had before the run), and
    /// opens it as [`Dir::child`] does. Refused when `owner` is one we would not write
    /// into; when something appeared at `name` meanwhile, that is judged instead.
    pub fn make_child(&self, name: &str, owner: Owner) -> Result<Dir, String> {
        let c = c_name(name)?;
        let path = self.path.join(name);
        if let Some(why) = untrusted(&path, owner) {
            return Err(format!("not recreated as it was before the run: {why}"));
        }
        // SAFETY: mkdirat on a descriptor we hold, with a C string.
        if unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), 0o700) } != 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::AlreadyExists {
                return self
                    .child(name)?
                    .ok_or_else(|| format!("{}: appeared and vanished", path.display()));
            }
            return Err(format!("cannot create {}: {e}", path.display()));
        }
        let dir = self
            .child(name)?
            .ok_or_else(|| format!("{}: vanished after it was made", path.display()))?;
        let fd = dir.fd.as_raw_fd();
        // SAFETY: fchown/fchmod/fsync on descriptors we hold. A failed chown (not root)
        // leaves the folder ours, which is still one we may write into.
        unsafe {
            let _ = libc::fchown(fd, owner.uid, owner.gid);
            if libc::fchmod(fd, owner.mode as libc::mode_t) != 0 {
                return Err(format!(
                    "{}: {}",
                    path.display(),
                    io::Error::last_os_error()
                ));
            }
            libc::fsync(self.fd.as_raw_fd());
        }
        Ok(dir)
    }

    /// Unlinks `name` here if it is a regular file (never a symlink or a folder).
    pub fn remove_file(&self, name: &str) -> Result<bool, String> {
        let c = c_name(name)?;
        // SAFETY: stat is plain data; fstatat/unlinkat on a descriptor we hold.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let is_file = unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        } == 0
            && st.st_mode & libc::S_IFMT == libc::S_IFREG;
        if !is_file {
            return Ok(false);
        }
        if unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) } != 0 {
            return Err(format!(
                "{}: {}",
                self.path.join(name).display(),
                io::Error::last_os_error()
            ));
        }
        Ok(true)
    }
}

/// Opens the folder `rel` below the download folder `top` for writing, every step
/// checked; with `recreate`, what is missing is made again with the owner and mode it had
/// (`owners`: the download folder's, then each step's; `None` when unknown). Returns the
/// folder and the paths recreated, the highest first.
pub fn open_for_writing(
    top: &Path,
    rel: &[String],
    owners: &[Option<Owner>],
    recreate: bool,
) -> Result<(Dir, Vec<PathBuf>), String> {
    let owner = |i: usize| {
        owners
            .get(i)
            .copied()
            .flatten()
            .unwrap_or_else(Owner::default_folder)
    };
    let mut recreated = Vec::new();
    let missing = |p: &Path| format!("{} is missing", p.display());
    let mut dir = match Dir::open_top(top)? {
        Some(d) => d,
        None if recreate => {
            let name = top
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| format!("{}: not a folder name", top.display()))?;
            let d = Dir::open_parent(top)?.make_child(name, owner(0))?;
            recreated.push(d.path.clone());
            d
        }
        None => return Err(missing(top)),
    };
    for (i, name) in rel.iter().enumerate() {
        dir = match dir.child(name)? {
            Some(d) => d,
            None if recreate => {
                let d = dir.make_child(name, owner(i + 1))?;
                recreated.push(d.path.clone());
                d
            }
            None => return Err(missing(&dir.path.join(name))),
        };
    }
    Ok((dir, recreated))
}

/// A file's (mode, owner, group) read from an open descriptor.
pub fn owner_of(file: &File) -> io::Result<Owner> {
    file.metadata().map(|m| Owner::of(&m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn rel(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn a_symlink_below_the_top_or_a_folder_others_can_write_is_refused() {
        let base = tempfile::tempdir().expect("tempdir");
        let top = base.path().join("wdav-update");
        std::fs::create_dir_all(top.join("linux/production/arch_x86_64")).expect("mkdir");
        let elsewhere = base.path().join("elsewhere");
        std::fs::create_dir_all(elsewhere.join("arch_x86_64")).expect("mkdir");
        let path = rel(&["linux", "production", "arch_x86_64"]);
        let (dir, made) = open_for_writing(&top, &path, &[], false).expect("a plain tree");
        assert!(made.is_empty());
        assert_eq!(dir.path, top.join("linux/production/arch_x86_64"));

        chmod(&top.join("linux/production/arch_x86_64"), 0o777);
        let e = open_for_writing(&top, &path, &[], false).expect_err("writable");
        assert!(
            e.contains("writable by its group or by others (mode 0777)"),
            "{e}"
        );
        chmod(&top.join("linux/production/arch_x86_64"), 0o755);

        std::fs::rename(top.join("linux/production"), base.path().join("moved")).expect("mv");
        std::os::unix::fs::symlink(&elsewhere, top.join("linux/production")).expect("ln");
        let e = open_for_writing(&top, &path, &[], true).expect_err("a symlink");
        assert!(e.contains("is a symbolic link"), "{e}");
        assert_eq!(
            std::fs::read_dir(elsewhere.join("arch_x86_64"))
                .expect("ls")
                .count(),
            0
        );
    }

    #[test]
    fn what_the_run_removed_is_made_again_with_its_mode() {
        let base = tempfile::tempdir().expect("tempdir");
        let top = base.path().join("wdav-update");
        let path = rel(&["linux", "production", "arch_x86_64"]);
        let me = Owner::default_folder();
        let owners = [
            Some(Owner { mode: 0o705, ..me }),
            None,
            None,
            Some(Owner { mode: 0o750, ..me }),
        ];
        let (dir, made) = open_for_writing(&top, &path, &owners, true).expect("recreated");
        assert_eq!(made.first(), Some(&top));
        assert_eq!(made.len(), 4);
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").mode() & 0o7777;
        assert_eq!(mode(&top), 0o705);
        assert_eq!(mode(&top.join("linux")), 0o755);
        assert_eq!(mode(&dir.path), 0o750);
        // A folder that was writable by others is not made again that way.
        std::fs::remove_dir(&dir.path).expect("rmdir");
        let loose = [None, None, None, Some(Owner { mode: 0o777, ..me })];
        let e = open_for_writing(&top, &path, &loose, true).expect_err("refused");
        assert!(e.contains("not recreated"), "{e}");
        assert!(!dir.path.exists());
    }
}
