//! The rules: a snapshot in, findings out, most severe first. One file per family; each
//! finding is declared once, as a [`Rule`], next to the code that raises it.

mod bundle;
mod config;
mod freshness;
mod history;
mod mdatp;
mod mirror_host;
mod mirror_sync;
mod probe;
mod settings;
mod signature;
mod state;
mod system;
mod url;

use std::time::{Duration, SystemTime};

use super::finding::{self, Finding, Rule};
use super::snapshot::Snapshot;
use crate::mirror::ArchProbe;
use crate::mirror::step::UrlSource;
use crate::mirror::url::Checked;

pub use bundle::{BundleFacts, judge as judge_bundle};
pub use config::{APPLIED, ConfigFacts, Judged, file_findings, not_applied, same_setting};
pub use mirror_host::{behind_seconds, check as mirror_host_findings};
pub use mirror_sync::predicted_stale;

/// What every family file imports.
mod prelude {
    pub use super::super::facts::*;
    pub use super::super::finding::{Evidence, Finding, Rule, Severity};
    pub use super::super::snapshot::Snapshot;
    pub use super::MirrorFacts;
    pub use crate::mdatp::health::DefinitionsStatus;
    pub use crate::units::human_age;
    pub use crate::units::range::Range;
    pub use std::cmp::Ordering;
    pub use std::time::Duration;
}

/// Every finding id, in the order `diagnose --list` shows them.
pub fn catalogue() -> impl Iterator<Item = &'static Rule> {
    [
        mdatp::RULES,
        settings::RULES,
        url::RULES,
        signature::RULES,
        freshness::RULES,
        history::RULES,
        probe::RULES,
        mirror_sync::RULES,
        config::RULES,
        system::RULES,
        state::RULES,
        mirror_host::RULES,
        bundle::RULES,
    ]
    .into_iter()
    .flatten()
    .copied()
}

pub fn diagnose(s: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    mdatp::mdatp_problem(s, &mut out);
    mdatp::unlicensed(s, &mut out);
    mdatp::version(s, &mut out);
    mdatp::unhealthy(s, &mut out);
    mdatp::engine(s, &mut out);
    settings::feature_switches(s, &mut out);
    url::url_mismatch(s, &mut out);
    signature::verification(s, &mut out);
    freshness::update_failed(s, &mut out);
    freshness::stale(s, &mut out);
    freshness::status(s, &mut out);
    history::reenable(s, &mut out);
    probe::mirror_vs_endpoint(s, &mut out);
    probe::engine_vs_mirror(s, &mut out);
    mirror_sync::stalled(s, &mut out);
    mirror_findings(s, &mut out);
    config_findings(s, &mut out);
    system::disk_space(s, &mut out);
    state::history_off(s, &mut out);
    finding::sort(&mut out);
    out
}
fn mirror_findings(s: &Snapshot, out: &mut Vec<Finding>) {
    // Without offline updates on, a missing URL is not a problem of this feature. (With
    // them on it is, network or not: --skip-network skips probes, not this.)
    if s.mirror.url.is_none() && super::facts::offline_enabled(s) != Some(true) {
        return;
    }
    let facts = MirrorFacts {
        url: s.mirror.url.as_ref().map(|(u, src)| (u.as_str(), *src)),
        checked: s.mirror.checked.as_ref(),
        probes: &s.mirror.probes,
        offline_enabled: super::facts::offline_enabled(s),
        managed_config: &s.config.path,
        stale_after: s.thresholds.stale_after,
        now: std::time::SystemTime::try_from(s.now).unwrap_or(std::time::SystemTime::UNIX_EPOCH),
        mdatp_test: None,
        status: s.mirror.status.as_ref(),
        os_family: s.endpoint.os_family,
        macos: super::facts::is_macos_output(s),
    };
    out.extend(for_mirror(&facts));
}
fn config_findings(s: &Snapshot, out: &mut Vec<Finding>) {
    // What health and the url rules already judged is not said again from the file.
    let facts = ConfigFacts {
        path: &s.config.path,
        loaded: &s.config.loaded,
        keys: &s.config.keys,
        judged: Judged {
            url: s.mirror.url.as_ref().map(|(u, _)| u.as_str()),
            offline: super::facts::offline_enabled(s).is_some(),
            offline_on: super::facts::offline_enabled(s),
            verify_sig: s.field("offline_definition_update_verify_sig").is_some()
                || s.field("engine_signature_verification").is_some(),
        },
    };
    out.extend(file_findings(&facts));
    if let (Ok(cfg), Some(defs)) = (&s.config.loaded, &s.definitions) {
        out.extend(not_applied(
            cfg,
            &s.config.path,
            defs,
            s.mirror.unused.as_ref(),
        ));
    }
}
/// Everything the rules look at.
#[derive(Debug, Clone)]
pub struct MirrorFacts<'a> {
    /// The configured text, when any source had one.
    pub url: Option<(&'a str, UrlSource)>,
    pub checked: Option<&'a Checked>,
    pub probes: &'a [ArchProbe],
    /// `offline_definition_update` from health, when known.
    pub offline_enabled: Option<bool>,
    pub managed_config: &'a str,
    pub stale_after: Duration,
    pub now: SystemTime,
    /// `mdatp connectivity test`, when it ran (`connectivity --with-mdatp-test`).
    pub mdatp_test: Option<&'a crate::mdatp::connectivity::ConnectivityTest>,
    /// The mirror's status file, read with the probe.
    pub status: Option<&'a crate::mirror::status::StatusReading>,
    /// The distribution family, for fixes that name its commands (the trust store).
    pub os_family: Option<super::snapshot::OsFamily>,
    /// The endpoint is a Mac (its output read here): /mac/ is its folder, not a mistake.
    pub macos: bool,
}
/// The url and probe rules on their own (what `connectivity` runs).
pub fn for_mirror(facts: &MirrorFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    url::url_findings(facts, &mut out);
    for probe in facts.probes {
        probe::probe_findings(probe, facts, &mut out);
    }
    probe::mdatp_test_of_mirror(facts, &mut out);
    mirror_sync::unreadable(facts.status, &mut out);
    // Host-level failures (DNS, TCP, TLS) repeat for every architecture: keep one.
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| seen.insert((f.id, f.title.clone())));
    out
}

#[cfg(test)]
mod mirror_tests;
#[cfg(test)]
mod tests;
