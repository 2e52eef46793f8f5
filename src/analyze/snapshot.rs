//! Everything `diagnose` gathered, in one value: the input of the pure rules. Tests
//! build these by hand; `gather` fills them from the world.

use std::time::Duration;

use crate::managed::config::{ConfigError, ManagedConfig};
use crate::managed::scan::Keys;
use crate::mdatp::health::Health;
use crate::mirror::ArchProbe;
use crate::mirror::status::StatusReading;
use crate::mirror::step::UrlSource;
use crate::mirror::url::Checked;
use crate::state::history::Entry;
use crate::units::range::Range;

/// Why mdatp gave us nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MdatpProblem {
    pub not_found: bool,
    /// The client ran but could not reach the daemon (`Failed to connect`): the fix is
    /// the service (`systemctl status mdatp`, `journalctl -u mdatp`), not the client.
    pub daemon_down: bool,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone)]
pub struct ConfigSnap {
    pub path: String,
    pub loaded: Result<ManagedConfig, ConfigError>,
    pub keys: Keys,
}

#[derive(Debug, Clone, Default)]
pub struct MirrorSnap {
    pub url: Option<(String, UrlSource)>,
    pub checked: Option<Checked>,
    pub probes: Vec<ArchProbe>,
    /// `--skip-network`: the mirror was not probed on purpose.
    pub skipped: bool,
    /// The managed file's URL when mdatp uses another: probed to the end with
    /// `--probe-all`, else abandoned as soon as health named the other one.
    pub unused: Option<UnusedUrl>,
    /// The mirror's own status file, read with the probe (`None`: not probed, or no
    /// connection).
    pub status: Option<StatusReading>,
}

/// A configured mirror URL that is not the one mdatp uses.
#[derive(Debug, Clone)]
pub struct UnusedUrl {
    pub url: String,
    /// Empty when it was not probed to the end (no `--probe-all`).
    pub probes: Vec<ArchProbe>,
    pub probed: bool,
}

impl MirrorSnap {
    /// The engine version the mirror's manifest offers (the first probe that read one).
    pub fn engine_version(&self) -> Option<&str> {
        self.probes
            .iter()
            .filter_map(|p| p.manifest.as_ref())
            .map(|m| m.engine_version.as_str())
            .find(|v| !v.is_empty())
    }

    /// The definitions version the mirror's manifest offers (the first probe that read one).
    pub fn definitions_version(&self) -> Option<&str> {
        self.probes
            .iter()
            .filter_map(|p| p.manifest.as_ref())
            .map(|m| m.definition_version.as_str())
            .find(|v| !v.is_empty())
    }
}

/// Facts about the endpoint outside mdatp's own output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointFacts {
    /// The offboarding file, when it exists: it blocks re-onboarding until removed.
    pub offboard_file: Option<String>,
    /// `systemctl is-active mdatp`, read only when mdatp could not answer and systemd did.
    pub service_state: Option<String>,
    /// The HTTPS proxy set in mdatp's service environment (`systemctl show mdatp`).
    pub service_proxy: Option<String>,
    /// Free bytes where mdatp keeps its definitions, with that directory.
    pub definitions_free: Option<(String, u64)>,
    /// Free bytes on a mounted-directory mirror, with its ring folder.
    pub mirror_free: Option<(String, u64)>,
    /// The distribution family from /etc/os-release (`debian`, `rhel`, `suse`), for
    /// commands that differ between them.
    pub os_family: Option<OsFamily>,
}

/// Where a distribution keeps its CA trust store, and the command that rebuilds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsFamily {
    Debian,
    Rhel,
    Suse,
}

impl OsFamily {
    /// From the ID and ID_LIKE words of /etc/os-release.
    pub fn from_os_release(text: &str) -> Option<OsFamily> {
        let mut words = Vec::new();
        for line in text.lines() {
            if let Some(v) = line
                .strip_prefix("ID=")
                .or_else(|| line.strip_prefix("ID_LIKE="))
            {
                words.extend(v.trim_matches('"').split_whitespace().map(str::to_string));
            }
        }
        let has = |w: &[&str]| words.iter().any(|x| w.contains(&x.as_str()));
        if has(&[
            "suse",
            "opensuse",
            "sles",
            "sled",
            "opensuse-leap",
            "opensuse-tumbleweed",
        ]) {
            Some(OsFamily::Suse)
        } else if has(&[
            "rhel",
            "fedora",
            "centos",
            "rocky",
            "almalinux",
            "ol",
            "amzn",
        ]) {
            Some(OsFamily::Rhel)
        } else if has(&["debian", "ubuntu"]) {
            Some(OsFamily::Debian)
        } else {
            None
        }
    }

    /// Where to put a CA certificate and what to run then.
    pub fn trust_store(self) -> (&'static str, &'static str) {
        match self {
            OsFamily::Debian => (
                "/usr/local/share/ca-certificates/ (as a .crt file)",
                "update-ca-certificates",
            ),
            OsFamily::Rhel => ("/etc/pki/ca-trust/source/anchors/", "update-ca-trust"),
            OsFamily::Suse => ("/etc/pki/trust/anchors/", "update-ca-certificates"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Thresholds {
    /// Warn when the definitions' age (seconds) is in this range; `None`: above
    /// max(24 h, 2 × update interval).
    pub warn_age: Option<Range>,
    pub crit_age: Range,
    pub stale_after: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warn_age: None,
            crit_age: Range::above(Duration::from_secs(72 * 3600)),
            stale_after: Duration::from_secs(7 * 86_400),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub now: jiff::Timestamp,
    /// The endpoint's time zone: mdatp prints local wall-clock times.
    pub tz: jiff::tz::TimeZone,
    /// `mdatp health --details definitions`.
    pub definitions: Option<Health>,
    /// Plain `mdatp health` (version, license, enforcement).
    pub health: Option<Health>,
    pub mdatp_problem: Option<MdatpProblem>,
    pub config: ConfigSnap,
    pub mirror: MirrorSnap,
    pub history: Vec<Entry>,
    /// Why history could not be read or written, if so.
    pub history_error: Option<String>,
    /// History lines that could not be read and were skipped (a torn or non-UTF-8
    /// line): the other entries are used, so this is a note, not `history-off`.
    pub history_note: Option<String>,
    pub thresholds: Thresholds,
    pub endpoint: EndpointFacts,
}

impl Snapshot {
    /// A field from the definitions output, else from the full health.
    pub fn field(&self, name: &str) -> Option<&crate::mdatp::value::Field> {
        self.definitions
            .as_ref()
            .and_then(|h| h.get(name))
            .or_else(|| self.health.as_ref().and_then(|h| h.get(name)))
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(|f| f.value.as_str())
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.field(name).and_then(|f| f.value.as_bool())
    }

    pub fn config(&self) -> Option<&ManagedConfig> {
        self.config.loaded.as_ref().ok()
    }

    /// `cloudService.definitionUpdatesInterval`, or mdatp's default of 8 hours.
    pub fn update_interval(&self) -> Duration {
        self.config()
            .and_then(|c| c.get("cloudService", "definitionUpdatesInterval"))
            .and_then(serde_json::Value::as_f64)
            .filter(|s| *s > 0.0 && *s < 1e9)
            .map(Duration::from_secs_f64)
            .unwrap_or(Duration::from_secs(28_800))
    }

    pub fn warn_age(&self) -> Range {
        self.thresholds.warn_age.unwrap_or_else(|| {
            Range::above(Duration::from_secs(24 * 3600).max(self.update_interval() * 2))
        })
    }
}
