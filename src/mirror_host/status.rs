//! Writes `mdatp-doctor-status.json` (see [`crate::mirror::status`]) into a ring folder
//! the mirror serves: atomically (a new file beside it, renamed over), relative to the
//! folder opened by descriptor and checked like every folder `mirror run` writes into.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::folder;
use super::tree::{self, ArchState};
use crate::mirror::status::{
    self, ArchStatus, Attempt, MirrorStatus, Published, STATUS_FILE, STATUS_SCHEMA,
};

/// What one arch folder serves, when it is fit to serve.
pub fn arch_status(a: &ArchState) -> Option<ArchStatus> {
    let Some(Ok(p)) = &a.package else { return None };
    let Some(Ok(m)) = &a.manifest else {
        return None;
    };
    if p.zip.is_err() || m.is_empty() {
        return None;
    }
    Some(ArchStatus {
        definition_version: m.definition_version.clone(),
        engine_version: m.engine_version.clone(),
        package_bytes: p.meta.size,
        package_sha256: p.sha256.clone().unwrap_or_default(),
    })
}

/// The status file in `ring_dir`, as it was left (`None`: missing or unreadable).
pub fn previous(ring_dir: &Path) -> Option<MirrorStatus> {
    read(ring_dir)?.ok()
}

/// The status file in `ring_dir`: `None` when missing, `Err` why it cannot be read.
pub fn read(ring_dir: &Path) -> Option<Result<MirrorStatus, String>> {
    let path = ring_dir.join(STATUS_FILE);
    std::fs::symlink_metadata(&path).ok()?;
    Some((|| {
        let (f, _) = tree::open_regular(&path)?;
        let mut bytes = Vec::new();
        f.take(status::MAX_STATUS_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        status::parse(&bytes)
    })())
}

/// The sync history a new status file carries: this attempt, and the last success and
/// Microsoft's version from `before` when this attempt failed.
#[derive(Debug, Clone)]
pub struct History {
    pub last_attempt: Option<Attempt>,
    pub last_success: Option<String>,
    pub published: Option<Published>,
}

impl History {
    /// After a sync attempt at `now`: `error` is `None` when it worked, and then the
    /// versions it fetched are what Microsoft published (the downloader asks the fwlink
    /// on every run).
    pub fn after_attempt(
        before: Option<&MirrorStatus>,
        now: &str,
        error: Option<String>,
        fetched: Option<&str>,
    ) -> History {
        let ok = error.is_none();
        History {
            last_attempt: Some(Attempt {
                at: now.to_string(),
                ok,
                error,
            }),
            last_success: if ok {
                Some(now.to_string())
            } else {
                before.and_then(|b| b.last_success.clone())
            },
            published: match (ok, fetched) {
                (true, Some(v)) => Some(Published {
                    definition_version: v.to_string(),
                    asked_at: now.to_string(),
                }),
                _ => before.and_then(|b| b.published.clone()),
            },
        }
    }

    /// The history a status file already holds.
    pub fn of(s: Option<&MirrorStatus>) -> History {
        History {
            last_attempt: s.and_then(|s| s.last_attempt.clone()),
            last_success: s.and_then(|s| s.last_success.clone()),
            published: s.and_then(|s| s.published.clone()),
        }
    }
}

/// What the arch folders `arches` serve, by arch.
pub fn arch_map<'a>(
    arches: impl IntoIterator<Item = &'a ArchState>,
) -> BTreeMap<String, ArchStatus> {
    arches
        .into_iter()
        .filter_map(|a| Some((a.slot.arch.clone(), arch_status(a)?)))
        .collect()
}

/// Writes the status of the ring folder `top`/`rel` (which must exist), describing what
/// `arch` says it serves, 0644 (the web server reads it as its own user).
pub fn write(
    top: &Path,
    rel: &[String],
    arch: BTreeMap<String, ArchStatus>,
    history: &History,
    written_by: &str,
    now: &str,
) -> Result<PathBuf, String> {
    let (dir, _) = folder::open_for_writing(top, rel, &[], false)?;
    let doc = MirrorStatus {
        schema_version: STATUS_SCHEMA,
        written_at: now.to_string(),
        written_by: written_by.to_string(),
        hostname: Some(crate::system::hostname()).filter(|h| !h.is_empty()),
        arch,
        last_attempt: history.last_attempt.clone(),
        last_success: history.last_success.clone(),
        published: history.published.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    crate::safe_write::replace_in(dir.fd(), STATUS_FILE, 0o644, |f| {
        std::io::Write::write_all(f, &bytes)
    })
    .map_err(|e| format!("{}: {e}", dir.path.join(STATUS_FILE).display()))?;
    Ok(dir.path.join(STATUS_FILE))
}
