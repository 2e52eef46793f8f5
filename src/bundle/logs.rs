//! Which log files the bundle takes: every `*.log` of the log directory and every file
//! of its `rotated/` directory, found by walking from a descriptor of the log directory
//! with `openat(O_NOFOLLOW|O_DIRECTORY)`, so the walk never leaves that tree. Symlinks of
//! any kind (to files, to directories, dangling, `rotated` itself) are never followed,
//! and FIFOs, sockets and devices are never opened; each is recorded with the reason.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use super::nofollow::{Dir, DirOpened, Kind, Opened};

/// One log file to add.
#[derive(Debug, Clone)]
pub struct LogFile {
    /// In `rotated/` rather than the log directory itself.
    pub rotated: bool,
    pub name: OsString,
    pub size: u64,
    pub mtime: (i64, i64),
    /// Its path inside the bundle (`logs/...`, `logs/rotated/...`), not yet redacted.
    pub entry: String,
}

/// The walked tree: the directories held open, the files newest first, and what was
/// left out.
#[derive(Debug)]
pub struct LogTree {
    root: PathBuf,
    top: Dir,
    rotated: Option<Dir>,
    pub files: Vec<LogFile>,
    /// `<path>: <why>` for every symlink, FIFO, device or odd entry left out.
    pub skipped: Vec<String>,
}

const ROTATED: &str = "rotated";

impl LogTree {
    /// Opens one of the files, through the directory descriptor it was found in; only a
    /// regular file (still) comes back as a file.
    pub fn open(&self, log: &LogFile) -> io::Result<Opened> {
        let dir = match (&self.rotated, log.rotated) {
            (Some(d), true) => d,
            (None, true) => return Err(io::Error::other("rotated/ is not open")),
            (_, false) => &self.top,
        };
        dir.open_file(&log.name)
    }

    /// The file's path on this machine, for messages.
    pub fn shown(&self, log: &LogFile) -> String {
        let mut p = self.root.clone();
        if log.rotated {
            p.push(ROTATED);
        }
        p.push(&log.name);
        p.display().to_string()
    }

    /// The bytes the bundle may take from these files, at most `max` each.
    pub fn capped_size(&self, max: u64) -> u64 {
        self.files.iter().map(|f| f.size.min(max)).sum()
    }
}

/// Walks `dir` (itself not followed if it is a symlink: pass the real directory).
pub fn walk(dir: &Path) -> io::Result<LogTree> {
    let top = match Dir::open(dir)? {
        DirOpened::Dir(d) => d,
        DirOpened::Not(kind) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}; pass the log directory itself", describe(kind)),
            ));
        }
    };
    let mut tree = LogTree {
        root: dir.to_path_buf(),
        top,
        rotated: None,
        files: Vec::new(),
        skipped: Vec::new(),
    };
    let shown = |rotated: bool, name: &OsString| {
        let mut p = dir.to_path_buf();
        if rotated {
            p.push(ROTATED);
        }
        p.push(name);
        p.display().to_string()
    };
    for name in tree.top.names()? {
        let Ok(st) = tree.top.stat(&name) else {
            continue; // gone meanwhile
        };
        let is_log = name.to_string_lossy().ends_with(".log");
        match st.kind {
            Kind::Directory if name == ROTATED => match tree.top.subdir(&name)? {
                DirOpened::Dir(d) => tree.rotated = Some(d),
                DirOpened::Not(kind) => {
                    tree.skipped
                        .push(format!("{}: {}", shown(false, &name), kind.why_skipped()))
                }
            },
            Kind::Regular if is_log => tree.files.push(LogFile {
                rotated: false,
                entry: format!("logs/{}", name.to_string_lossy()),
                name,
                size: st.size,
                mtime: st.mtime,
            }),
            // Every symlink is worth a line: someone put it there.
            Kind::Symlink => tree.skipped.push(format!(
                "{}: {}",
                shown(false, &name),
                st.kind.why_skipped()
            )),
            Kind::Regular | Kind::Directory => {} // not a log, not ours to list
            _ if is_log || name == ROTATED => tree.skipped.push(format!(
                "{}: {}",
                shown(false, &name),
                st.kind.why_skipped()
            )),
            _ => {}
        }
    }
    if let Some(rotated) = &tree.rotated {
        for name in rotated.names()? {
            let Ok(st) = rotated.stat(&name) else {
                continue;
            };
            if st.kind == Kind::Regular {
                tree.files.push(LogFile {
                    rotated: true,
                    entry: format!("logs/{ROTATED}/{}", name.to_string_lossy()),
                    name,
                    size: st.size,
                    mtime: st.mtime,
                });
            } else {
                tree.skipped
                    .push(format!("{}: {}", shown(true, &name), st.kind.why_skipped()));
            }
        }
    }
    // Newest first; files of the same instant in a fixed order (current before rotated,
    // then by name), not in whatever order the directory listed them.
    tree.files.sort_by(|a, b| {
        b.mtime
            .cmp(&a.mtime)
            .then(a.rotated.cmp(&b.rotated))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(tree)
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::Symlink => "a symbolic link (not followed)",
        _ => "not a directory",
    }
}
