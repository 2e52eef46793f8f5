//! `mdatp-doctor connectivity`: find the mirror URL (argument, mdatp health, managed
//! config), check it, probe it per architecture, and turn the record into findings.

use std::time::SystemTime;

use crate::analyze::finding;
use crate::analyze::rules::{self, MirrorFacts};
use crate::cli::ConnectivityArgs;
use crate::commands::{Context, Finished};
use crate::failure::Failure;
use crate::gather::{self, target};
use crate::render;
use crate::report::SchemaVersion;
use crate::report::connectivity::{ConnectivityReport, EndpointVersions};

pub fn run(
    ctx: &Context,
    args: &ConnectivityArgs,
    managed_config: &std::path::Path,
) -> Result<Finished, Failure> {
    let mut plan = super::probe_plan(&args.probe);
    plan.verify_package = args.verify_package;
    plan.max_package_bytes = args.max_package_size;
    plan.package_timeout = args.package_timeout;
    let trust = target::load_trust(&plan)?;
    let runner = ctx.mdatp_runner();
    let mut r = gather::probe::gather(
        &plan,
        managed_config,
        &runner,
        args.with_mdatp_test,
        trust,
        &ctx.endpoint,
    );
    if r.url.is_none() && r.health.is_none() {
        return Err(Failure::unknown(
            "mirror_url_unknown",
            format!("no mirror URL to probe: {}", r.warnings.join("; ")),
            "pass --url with the mirror's ring folder, e.g. --url http://mirror:8000/linux/production/",
        ));
    }
    r.warnings.extend(r.mdatp_test_error.take());

    let managed_path = managed_config.display().to_string();
    let facts = MirrorFacts {
        url: r.url.as_ref().map(|(u, src)| (u.as_str(), *src)),
        checked: r.checked.as_ref(),
        probes: &r.probes,
        offline_enabled: r.health.as_ref().and_then(|h| h.health.offline_enabled()),
        managed_config: &managed_path,
        stale_after: plan.stale_after,
        now: SystemTime::now(),
        mdatp_test: r.mdatp_test.as_ref(),
        status: r.status.as_ref(),
        os_family: r.os_family,
        // connectivity runs on the endpoint itself: Linux.
        macos: false,
    };
    let mut findings = rules::for_mirror(&facts);
    finding::sort(&mut findings);
    let verdict = finding::worst(&findings);

    let (url, url_source) = r.url.unzip();
    let report = ConnectivityReport {
        schema_version: SchemaVersion,
        url,
        url_source,
        proxy: r.proxy,
        endpoint: r.health.as_ref().map(EndpointVersions::of),
        arch: r.probes,
        status: r.status,
        checked_at: jiff::Timestamp::now(),
        mdatp_connectivity_test: r.mdatp_test,
        findings,
        warnings: r.warnings,
        verdict,
    };
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit: verdict.exit_code(),
    })
}
