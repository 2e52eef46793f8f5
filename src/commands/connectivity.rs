//! `mdatp-doctor connectivity`: find the mirror URL (argument, mdatp health, managed
//! config), check it, probe it per architecture, and turn the record into findings.

use std::time::SystemTime;

use serde::Serialize;

use crate::analyze::finding::{self, Finding, Severity};
use crate::analyze::mirror::{self as rules, MirrorFacts};
use crate::cli::{ArchChoice, ConnectivityArgs, ProbeArgs};
use crate::commands::{Context, Output, Report};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::managed::config::{self, ConfigError, ManagedConfig};
use crate::mdatp::connectivity::{self as mdatp_test, ConnectivityTest};
use crate::mdatp::{self, HealthReading};
use crate::mirror::step::{ProxyInfo, ProxySource, UrlSource};
use crate::mirror::{self, ArchProbe, ProbeOptions, tls::Trust, url};
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

/// The trust store from the system and `--ca-cert`; a bad file is a usage error.
pub fn load_trust(probe: &ProbeArgs) -> Result<Trust, Failure> {
    Trust::load(&probe.ca_cert).map_err(|e| Failure {
        kind: "bad_argument",
        message: e,
        hint: "--ca-cert takes a PEM file with one or more CA certificates".into(),
        exit: ExitCode::Usage,
    })
}

pub fn run(
    ctx: &Context,
    args: &ConnectivityArgs,
    managed_config: &std::path::Path,
) -> Result<Report, Failure> {
    let probe_args = &args.probe;
    let trust = load_trust(probe_args)?;
    let mut warnings = Vec::new();

    // Gather: the managed config and mdatp health (best effort: each may be missing).
    let config = match config::load(managed_config) {
        Ok(c) => Some(c),
        Err(ConfigError::NotFound { .. }) => None,
        Err(e) => {
            warnings.push(format!("managed config: {e}"));
            None
        }
    };
    let fetch_health = || match ctx.mdatp_runner() {
        Ok(runner) => mdatp::fetch_health(&runner, &["health", "--details", "definitions"])
            .map_err(|e| format!("mdatp health: {e}")),
        Err(e) => Err(format!("mdatp health: {e}")),
    };
    let proxy = choose_proxy(probe_args, config.as_ref());
    let arches = arches(probe_args.arch);
    let opts = probe_options(
        probe_args,
        &proxy,
        trust,
        args.verify_package,
        args.max_package_size,
    );
    let probe = |checked: Option<&url::Checked>| match checked.and_then(|c| c.location.as_ref()) {
        Some(location) => mirror::probe_all(location, &arches, &opts),
        None => Vec::new(),
    };

    // Independent work runs side by side: mdatp's own cloud test always, and health with
    // the probe when --url makes the probe independent of health.
    let (health, url_text, url_source, checked, probes, cloud_test) = std::thread::scope(|scope| {
        let cloud = args
            .with_mdatp_test
            .then(|| scope.spawn(|| run_mdatp_test(ctx)));
        let (health, url_text, url_source, checked, probes) = match &probe_args.url {
            Some(u) => {
                let health = scope.spawn(fetch_health);
                let checked = url::check(u);
                let probes = probe(Some(&checked));
                let health = health
                    .join()
                    .unwrap_or_else(|_| Err("mdatp health: the thread failed".into()));
                (
                    health,
                    Some(u.clone()),
                    Some(UrlSource::Argument),
                    Some(checked),
                    probes,
                )
            }
            None => {
                let health = fetch_health();
                let (url_text, url_source) =
                    choose_url(None, health.as_ref().ok(), config.as_ref());
                let checked = url_text.as_deref().map(url::check);
                let probes = probe(checked.as_ref());
                (health, url_text, url_source, checked, probes)
            }
        };
        let cloud = cloud.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err("the mdatp test thread failed".into()))
        });
        (health, url_text, url_source, checked, probes, cloud)
    });
    let health = match health {
        Ok(h) => Some(h),
        Err(e) => {
            warnings.push(e);
            None
        }
    };
    if url_text.is_none() && health.is_none() {
        return Err(Failure::unknown(
            "mirror_url_unknown",
            format!("no mirror URL to probe: {}", warnings.join("; ")),
            "pass --url with the mirror's ring folder, e.g. --url http://mirror:8000/linux/production/",
        ));
    }
    let mdatp_connectivity_test = match cloud_test {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            warnings.push(format!("mdatp connectivity test: {e}"));
            None
        }
        None => None,
    };

    // Analyze.
    let managed_path = managed_config.display().to_string();
    let facts = MirrorFacts {
        url: url_text.as_deref().zip(url_source),
        checked: checked.as_ref(),
        probes: &probes,
        offline_enabled: health
            .as_ref()
            .and_then(|h| h.health.str("offline_definition_update"))
            .map(|v| v == "enabled"),
        managed_config: &managed_path,
        stale_after: probe_args.stale_after,
        now: SystemTime::now(),
    };
    let mut findings = rules::findings(&facts);
    finding::sort(&mut findings);
    let verdict = finding::worst(&findings);

    let report = ConnectivityReport {
        schema_version: 1,
        url: url_text,
        url_source,
        proxy,
        endpoint: health.as_ref().map(endpoint_versions),
        arch: probes,
        mdatp_connectivity_test,
        findings,
        warnings,
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

pub fn probe_options(
    p: &ProbeArgs,
    proxy: &ProxyInfo,
    trust: Trust,
    verify_package: bool,
    max_package_bytes: u64,
) -> ProbeOptions {
    ProbeOptions {
        connect_timeout: p.connect_timeout,
        probe_timeout: p.probe_timeout,
        proxy: proxy.url.clone(),
        trust,
        verify_package,
        max_package_bytes,
        light: false,
    }
}

/// `--url`, else the URL health shows, else the managed file's.
pub fn choose_url(
    arg: Option<&str>,
    health: Option<&HealthReading>,
    config: Option<&ManagedConfig>,
) -> (Option<String>, Option<UrlSource>) {
    if let Some(u) = arg {
        return (Some(u.to_string()), Some(UrlSource::Argument));
    }
    if let Some(u) = health
        .and_then(|h| h.health.str("offline_definition_url_configured"))
        .filter(|u| !u.trim().is_empty())
    {
        return (Some(u.to_string()), Some(UrlSource::Health));
    }
    if let Some(u) = config
        .and_then(ManagedConfig::offline_url)
        .filter(|u| !u.trim().is_empty())
    {
        return (Some(u.to_string()), Some(UrlSource::ManagedConfig));
    }
    (None, None)
}

/// `--no-proxy`, else `--proxy`, else the proxy mdatp itself uses.
pub fn choose_proxy(args: &ProbeArgs, config: Option<&ManagedConfig>) -> ProxyInfo {
    if args.no_proxy {
        return ProxyInfo {
            url: None,
            source: ProxySource::Disabled,
        };
    }
    if let Some(p) = &args.proxy {
        return ProxyInfo {
            url: Some(p.clone()),
            source: ProxySource::Argument,
        };
    }
    match config.and_then(ManagedConfig::proxy) {
        Some(p) => ProxyInfo {
            url: Some(p.to_string()),
            source: ProxySource::ManagedConfig,
        },
        None => ProxyInfo {
            url: None,
            source: ProxySource::None,
        },
    }
}

pub fn arches(choice: Option<ArchChoice>) -> Vec<&'static str> {
    match choice {
        Some(ArchChoice::X86_64) => vec!["x86_64"],
        Some(ArchChoice::Arm64) => vec!["arm64"],
        Some(ArchChoice::All) => vec!["x86_64", "arm64"],
        // Defender runs on x86_64 and arm64 only; elsewhere probe the common case.
        None => vec![url::native_arch().unwrap_or("x86_64")],
    }
}

fn endpoint_versions(h: &HealthReading) -> EndpointVersions {
    EndpointVersions {
        definitions_version: h.health.str("definitions_version").map(str::to_string),
        engine_version: h.health.str("engine_version").map(str::to_string),
    }
}

fn run_mdatp_test(ctx: &Context) -> Result<ConnectivityTest, String> {
    let runner = ctx.mdatp_runner().map_err(|e| e.to_string())?;
    let out = mdatp::call(&runner, &["connectivity", "test"]).map_err(|e| e.to_string())?;
    let parsed = mdatp_test::parse(&out.stdout);
    if parsed.results.is_empty() {
        return Err(format!(
            "exit status {}, no result lines: {}",
            out.exit_code,
            mdatp::first_line(if out.stderr.is_empty() {
                &out.stdout
            } else {
                &out.stderr
            })
        ));
    }
    Ok(parsed)
}
