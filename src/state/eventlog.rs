//! Where SIEM events go: appended to a log file that a shipper tails (`--log-json`), or
//! sent to journald over its native protocol (`--journal`).
//!
//! The file is opened like a state file (never through a symlink, never blocking on a
//! FIFO, only a regular file the caller owns with one link) and written with `O_APPEND`,
//! one write(2) per run under an exclusive `flock`, so concurrent runs never interleave a
//! line; a write cut short (a full disk) is truncated away, so no partial line stays. A
//! file that other runs' rotations unlinked between our open and our check is not an
//! attack: the current file is opened instead. Past its size cap it is renamed to `FILE.1` (replacing the previous one) and a
//! new file is started: a shipper that follows by name (Filebeat, Splunk, rsyslog imfile,
//! Wazuh) reads the rest of the old file and then the new one.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The socket journald reads native-protocol datagrams on.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// How many times a run opens the log again after other runs rotated it under it.
const ATTEMPTS: usize = 32;

/// How long a run waits for another one that holds the log file's lock.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The rotated file: `FILE.1`.
pub fn rotated(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".1");
    PathBuf::from(name)
}

/// Opens the file at `path` (creating it) without following a symlink or blocking on a
/// FIFO; [`check`] then says whether it may be written.
fn open_raw(path: &Path) -> Result<File, String> {
    let shown = path.display();
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o640)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => {
                format!("{shown} is a symbolic link: refusing to follow it (remove it)")
            }
            Some(libc::ENXIO) => format!("{shown} is a FIFO without a reader: refusing it"),
            _ => format!("{shown}: {e}"),
        })
}

/// What [`open_raw`] opened, if it may be written; `None` when it lost its name since
/// (rotated away twice by other runs): the caller opens the current file instead.
fn check(file: File, path: &Path) -> Result<Option<File>, String> {
    let shown = path.display();
    let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
    if !meta.file_type().is_file() {
        return Err(format!(
            "{shown} is not a regular file: refusing to write it"
        ));
    }
    if meta.uid() != super::euid() {
        return Err(format!(
            "{shown} is owned by uid {}, not by uid {} (this run): refusing to write it (remove it)",
            meta.uid(),
            super::euid()
        ));
    }
    // Between our open and this check, one run rotated the file to FILE.1 and a second
    // rotation replaced FILE.1: the file has no name left, and its lines would reach no
    // shipper. Not an attack: open the current one.
    if meta.nlink() == 0 {
        return Ok(None);
    }
    // A hard link to a file elsewhere (planted in a shared directory) would send our lines
    // into it.
    if meta.nlink() != 1 {
        return Err(format!(
            "{shown} has {} hard links: refusing to write it (remove it)",
            meta.nlink()
        ));
    }
    Ok(Some(file))
}

/// Takes the file's exclusive lock, waiting up to [`LOCK_WAIT`].
fn lock(file: &File, shown: &std::path::Display<'_>) -> Result<(), String> {
    let started = Instant::now();
    loop {
        // SAFETY: flock on a descriptor we own; it takes no pointers.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EWOULDBLOCK) && e.kind() != io::ErrorKind::Interrupted {
            return Err(format!("cannot lock {shown}: {e}"));
        }
        if started.elapsed() >= LOCK_WAIT {
            return Err(format!(
                "{shown} stayed locked by another run for {} s",
                LOCK_WAIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Appends `text` (whole lines) to `path` in one write, first rotating the file when it
/// would grow past `max_bytes` (a file holding nothing yet takes the text whatever its size).
pub fn append(path: &Path, text: &[u8], max_bytes: u64) -> Result<(), String> {
    append_with(path, text, max_bytes, &mut || {})
}

/// [`append`], calling `opened` between opening the file and checking it (the tests play
/// the other runs there).
fn append_with(
    path: &Path,
    text: &[u8],
    max_bytes: u64,
    opened: &mut dyn FnMut(),
) -> Result<(), String> {
    let shown = path.display();
    // Each turn opens the file at the path; a turn that finds it rotated or unlinked by
    // another run (or rotated by us) opens the new one. A turn is lost only to another
    // run's rotation, which is that run making progress; the bound stops a loop against
    // something that keeps replacing the file.
    for _ in 0..ATTEMPTS {
        let file = open_raw(path)?;
        opened();
        let Some(file) = check(file, path)? else {
            continue;
        };
        lock(&file, &shown)?;
        let meta = file.metadata().map_err(|e| format!("{shown}: {e}"))?;
        let current = std::fs::symlink_metadata(path).ok();
        if current.is_none_or(|c| c.dev() != meta.dev() || c.ino() != meta.ino()) {
            continue;
        }
        if meta.size() > 0 && meta.size().saturating_add(text.len() as u64) > max_bytes {
            let old = rotated(path);
            std::fs::rename(path, &old)
                .map_err(|e| format!("cannot rotate {shown} to {}: {e}", old.display()))?;
            continue;
        }
        return write_whole(&file, text, meta.size(), &shown);
    }
    Err(format!("{shown} kept being replaced while we wrote to it"))
}

/// Writes `text` with one write(2) (`O_APPEND` puts it whole at the end of a regular
/// file), or leaves the file as it was: after a short write (the disk full, the file size
/// limit reached) the file is truncated back to its size before it (`before`, read under
/// our lock), so no partial line is left for a shipper to read. A write(2) interrupted
/// before it wrote anything is made again; `write_all` would instead append the rest in a
/// second write, after a partial line.
fn write_whole(
    mut file: &File,
    text: &[u8],
    before: u64,
    shown: &std::path::Display<'_>,
) -> Result<(), String> {
    let written = loop {
        match file.write(text) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => break other,
        }
    };
    let n = match written {
        Ok(n) if n == text.len() => return Ok(()),
        Ok(n) => n,
        // A failed write(2) wrote nothing.
        Err(e) => return Err(format!("cannot write {shown}: {e}")),
    };
    // Our bytes are the last `n` of the file: normally the file is back at `before`; if
    // something truncated it meanwhile without the lock (logrotate's copytruncate), at
    // what it held before our write, never extended with zeros.
    let end = file
        .metadata()
        .map_or(before, |m| m.size().saturating_sub(n as u64));
    let cut = match file.set_len(end) {
        Ok(()) => "the partial line was removed".to_string(),
        Err(e) => format!("the partial line could not be removed: {e}"),
    };
    Err(format!(
        "cannot write {shown}: only {n} of {} bytes fit (disk full or over the file size limit); {cut}",
        text.len()
    ))
}

/// One journal entry in the native protocol: `NAME=value\n`, or, for a value holding a
/// newline, `NAME\n`, its length as 64-bit little-endian, the value and `\n`.
pub fn journal_datagram(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(name.as_bytes());
        if value.contains('\n') {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Sends one entry to journald's socket. `Err` says why not (no journal here, the
/// datagram too large, journald not reading within two seconds).
pub fn journal_send(socket: &Path, datagram: &[u8]) -> io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    sock.set_write_timeout(Some(Duration::from_secs(2)))?;
    sock.send_to(datagram, socket).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_with_a_newline_is_sent_with_its_length() {
        let d = journal_datagram(&[("MESSAGE", "a"), ("X", "b\nc")]);
        let mut want = b"MESSAGE=a\nX\n".to_vec();
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(b"b\nc\n");
        assert_eq!(d, want);
    }

    #[test]
    fn appends_and_rotates_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.json");
        append(&path, b"one\n", 10).unwrap();
        append(&path, b"two\n", 10).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo\n");
        // 8 + 6 > 10: the file moves to .1 and a new one takes the line.
        append(&path, b"three\n", 10).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three\n");
        assert_eq!(std::fs::read(rotated(&path)).unwrap(), b"one\ntwo\n");
        // A line larger than the cap still goes into an empty file.
        append(&path, b"0123456789abcdef\n", 10).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"0123456789abcdef\n");
        assert_eq!(std::fs::read(rotated(&path)).unwrap(), b"three\n");
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }

    #[test]
    fn refuses_a_symlink_a_fifo_and_a_hard_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep\n").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = append(&link, b"x\n", 1 << 20).unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        let hard = dir.path().join("hard");
        std::fs::hard_link(&target, &hard).unwrap();
        let e = append(&hard, b"x\n", 1 << 20).unwrap_err();
        assert!(e.contains("hard links"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep\n");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = append(&fifo, b"x\n", 1 << 20).unwrap_err();
        assert!(e.contains("FIFO") || e.contains("regular"), "{e}");
    }

    #[test]
    fn a_log_two_rotations_unlinked_after_it_was_opened_is_retried_not_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.json");
        std::fs::write(&path, b"first\n").unwrap();
        let mut turns = 0;
        // Between our open and our check, two other runs rotate: the file we hold goes
        // to FILE.1, then the next rotation replaces FILE.1 and it has no name left.
        let mut rotate_twice = || {
            turns += 1;
            if turns == 1 {
                std::fs::rename(&path, rotated(&path)).unwrap();
                std::fs::write(&path, b"second\n").unwrap();
                std::fs::rename(&path, rotated(&path)).unwrap();
            }
        };
        append_with(&path, b"ours\n", 1 << 20, &mut rotate_twice).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"ours\n");
        assert_eq!(std::fs::read(rotated(&path)).unwrap(), b"second\n");
        assert_eq!(turns, 2, "one more turn, on the current file");
    }

    #[test]
    fn concurrent_writers_never_interleave_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.json");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let line = format!("{}\n", format!("{t}-{i}-").repeat(500));
                        append(&path, line.as_bytes(), 200_000).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut lines = 0;
        for p in [path.clone(), rotated(&path)] {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for l in text.lines() {
                let unit = l.split_inclusive('-').take(2).collect::<String>();
                assert_eq!(l, unit.repeat(500), "a torn or mixed line");
                lines += 1;
            }
        }
        // Rotation keeps one old file: at least the newest lines are all there.
        assert!(lines >= 50, "{lines}");
    }

    #[test]
    fn concurrent_writers_lose_no_line_below_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.json");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let line = format!("{t}-{i}-{}\n", "x".repeat(2000));
                        append(&path, line.as_bytes(), 64 * 1024 * 1024).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut seen: Vec<&str> = text
            .lines()
            .map(|l| l.rsplit_once('-').unwrap().0)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(text.lines().count(), 400);
        assert_eq!(seen.len(), 400, "every writer's every line, once");
        assert!(!rotated(&path).exists(), "nothing rotated below the cap");
    }
}
