//! What a `definitions update` did, judged by re-reading health rather than by mdatp's
//! message (its texts are undocumented beyond "Security intelligence is up to date").

use serde::Serialize;

use super::facts::{is_microsoft, is_mirror_source};
use crate::mdatp::health::{DefinitionsStatus, Health};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// New definitions, from the mirror (or from a source we cannot tell).
    Updated,
    /// Nothing newer: already current.
    Current,
    /// New definitions, but from Microsoft's cloud: the mirror failed and fallback served.
    Fallback,
    Failed,
    Timeout,
    /// Could not tell (mdatp failed, health stopped answering, interrupted).
    Unknown,
    /// `--no-wait`: triggered, not waited for.
    Triggered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Mirror,
    Cloud,
    Unknown,
}

/// The fields that tell one health reading's update from another's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdateState {
    pub definitions_version: Option<String>,
    /// As printed: comparing text is enough to see a change.
    pub definitions_updated: Option<String>,
    pub status: Option<String>,
    pub source_uri: Option<String>,
    pub fail_reason: Option<String>,
    pub configured_url: Option<String>,
    pub offline_enabled: Option<bool>,
}

impl UpdateState {
    pub fn from_health(h: &Health) -> UpdateState {
        let s = |n: &str| h.str(n).map(str::to_string);
        UpdateState {
            definitions_version: s("definitions_version"),
            definitions_updated: h.get("definitions_updated").map(|f| {
                f.raw
                    .clone()
                    .unwrap_or_else(|| f.value.to_json().to_string())
            }),
            status: s("definitions_status"),
            source_uri: s("definitions_update_source_uri"),
            fail_reason: s("definitions_update_fail_reason").filter(|r| !r.trim().is_empty()),
            configured_url: s("offline_definition_url_configured"),
            offline_enabled: h.offline_enabled(),
        }
    }

    pub fn source(&self) -> Source {
        match (&self.source_uri, &self.configured_url) {
            (Some(src), Some(url)) if is_mirror_source(src, url) => Source::Mirror,
            (Some(src), _) if is_microsoft(src) => Source::Cloud,
            _ => Source::Unknown,
        }
    }
}

/// Whether the update has settled, and how; `None` means keep waiting.
pub fn settle(before: &UpdateState, now: &UpdateState) -> Option<Outcome> {
    let status = now.status.as_deref().map(DefinitionsStatus::parse);
    if status == Some(DefinitionsStatus::Updating) {
        return None;
    }
    let changed = now.definitions_updated != before.definitions_updated
        || now.definitions_version != before.definitions_version;
    if changed {
        return Some(match now.source() {
            Source::Cloud if now.offline_enabled == Some(true) => Outcome::Fallback,
            _ => Outcome::Updated,
        });
    }
    if status == Some(DefinitionsStatus::UpdateFailed) || now.fail_reason.is_some() {
        return Some(Outcome::Failed);
    }
    match status {
        Some(DefinitionsStatus::UpToDate) => Some(Outcome::Current),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
