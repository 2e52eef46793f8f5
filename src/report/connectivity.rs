//! `connectivity`: the mirror as the endpoint would reach it, step by step.

use serde::Serialize;

use super::SchemaVersion;
use crate::analyze::finding::{Finding, Severity};
use crate::mdatp::HealthReading;
use crate::mdatp::connectivity::ConnectivityTest;
use crate::mirror::ArchProbe;
use crate::mirror::status::StatusReading;
use crate::mirror::step::{ProxyInfo, UrlSource};

/// What the endpoint runs, next to what the mirror offers.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EndpointVersions {
    pub definitions_version: Option<String>,
    pub engine_version: Option<String>,
}

impl EndpointVersions {
    pub fn of(h: &HealthReading) -> EndpointVersions {
        EndpointVersions {
            definitions_version: h.health.str("definitions_version").map(str::to_string),
            engine_version: h.health.str("engine_version").map(str::to_string),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConnectivityReport {
    pub schema_version: SchemaVersion,
    pub url: Option<String>,
    pub url_source: Option<UrlSource>,
    pub proxy: ProxyInfo,
    pub endpoint: Option<EndpointVersions>,
    pub arch: Vec<ArchProbe>,
    /// The mirror's status file, read with the probe (issue 28).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusReading>,
    /// When the probe ran (for the ages the human view shows).
    #[serde(skip)]
    pub checked_at: jiff::Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mdatp_connectivity_test: Option<ConnectivityTest>,
    pub findings: Vec<Finding>,
    /// Sources that could not be read (mdatp, the managed config), said plainly.
    pub warnings: Vec<String>,
    pub verdict: Severity,
}
