//! `mdatp-doctor connectivity`: find the mirror URL (argument, mdatp health, managed
//! config), check it, probe it per architecture, and turn the record into findings.

use std::time::SystemTime;

use serde::Serialize;

use crate::analyze::finding::{self, Finding, Severity};
use crate::analyze::rules::{self, MirrorFacts};
use crate::cli::ConnectivityArgs;
use crate::commands::{Context, Output, Report};
use crate::failure::Failure;
use crate::gather::{self, target};
use crate::mdatp::HealthReading;
use crate::mdatp::connectivity::ConnectivityTest;
use crate::mirror::ArchProbe;
use crate::mirror::step::{ProxyInfo, UrlSource};
use crate::render;

/// What the endpoint runs, next to what the mirror offers.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EndpointVersions {
    pub definitions_version: Option<String>,
    pub engine_version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConnectivityReport {
    pub schema_version: u32,
    pub url: Option<String>,
    pub url_source: Option<UrlSource>,
    pub proxy: ProxyInfo,
    pub endpoint: Option<EndpointVersions>,
    pub arch: Vec<ArchProbe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mdatp_connectivity_test: Option<ConnectivityTest>,
    pub findings: Vec<Finding>,
    /// Sources that could not be read (mdatp, the managed config), said plainly.
    pub warnings: Vec<String>,
    pub verdict: Severity,
}

pub fn run(
    ctx: &Context,
    args: &ConnectivityArgs,
    managed_config: &std::path::Path,
) -> Result<Report, Failure> {
    let mut plan = super::probe_plan(&args.probe);
    plan.verify_package = args.verify_package;
    plan.max_package_bytes = args.max_package_size;
    let trust = target::load_trust(&plan)?;
    let runner = ctx.mdatp_runner();
    let r = gather::probe::gather(&plan, managed_config, &runner, args.with_mdatp_test, trust);
    if r.url.is_none() && r.health.is_none() {
        return Err(Failure::unknown(
            "mirror_url_unknown",
            format!("no mirror URL to probe: {}", r.warnings.join("; ")),
            "pass --url with the mirror's ring folder, e.g. --url http://mirror:8000/linux/production/",
        ));
    }

    let managed_path = managed_config.display().to_string();
    let facts = MirrorFacts {
        url: r.url.as_ref().map(|(u, src)| (u.as_str(), *src)),
        checked: r.checked.as_ref(),
        probes: &r.probes,
        offline_enabled: r.health.as_ref().and_then(|h| h.health.offline_enabled()),
        managed_config: &managed_path,
        stale_after: plan.stale_after,
        now: SystemTime::now(),
    };
    let mut findings = rules::for_mirror(&facts);
    finding::sort(&mut findings);
    let verdict = finding::worst(&findings);

    let (url, url_source) = r.url.unzip();
    let report = ConnectivityReport {
        schema_version: 1,
        url,
        url_source,
        proxy: r.proxy,
        endpoint: r.health.as_ref().map(endpoint_versions),
        arch: r.probes,
        mdatp_connectivity_test: r.mdatp_test,
        findings,
        warnings: r.warnings,
        verdict,
    };
    let stdout = match ctx.format {
        Output::Json => render::connectivity::json(&report),
        Output::Human => render::connectivity::human(&report, ctx.style),
    };
    Ok(Report {
        stdout,
        exit: verdict.exit_code(),
    })
}

fn endpoint_versions(h: &HealthReading) -> EndpointVersions {
    EndpointVersions {
        definitions_version: h.health.str("definitions_version").map(str::to_string),
        engine_version: h.health.str("engine_version").map(str::to_string),
    }
}
