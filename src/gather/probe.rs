//! What `connectivity` gathers: the mirror URL (argument, health, managed file), the
//! probe of it, and on request mdatp's own connectivity test, side by side.

use std::path::Path;

use crate::managed::config::{self, ConfigError};
use crate::mdatp::connectivity::{self as mdatp_test, ConnectivityTest};
use crate::mdatp::{self, HealthReading, MdatpError};
use crate::mirror::step::{ProxyInfo, UrlSource};
use crate::mirror::url::{self, Checked};
use crate::mirror::{self, ArchProbe, tls::Trust};
use crate::process::Runner;

use super::target::{self, ProbePlan};

/// Everything read about the mirror and the endpoint's view of it.
pub struct MirrorReading {
    pub health: Option<HealthReading>,
    pub url: Option<(String, UrlSource)>,
    pub checked: Option<Checked>,
    pub probes: Vec<ArchProbe>,
    pub proxy: ProxyInfo,
    pub mdatp_test: Option<ConnectivityTest>,
    /// Why `mdatp connectivity test` gave nothing, when it was asked for.
    pub mdatp_test_error: Option<String>,
    /// Sources that could not be read (mdatp, the managed config), said plainly.
    pub warnings: Vec<String>,
    pub os_family: Option<crate::analyze::snapshot::OsFamily>,
}

pub fn gather(
    plan: &ProbePlan,
    managed_config: &Path,
    runner: &Result<Runner, MdatpError>,
    with_mdatp_test: bool,
    trust: Trust,
    endpoint: &super::EndpointPlan,
) -> MirrorReading {
    let mut warnings = Vec::new();
    // The managed config and mdatp health are best effort: each may be missing.
    let config = match config::load(managed_config) {
        Ok(c) => Some(c),
        Err(ConfigError::NotFound { .. }) => None,
        Err(e) => {
            warnings.push(format!("managed config: {e}"));
            None
        }
    };
    let fetch_health = || match runner {
        Ok(runner) => mdatp::fetch_health(runner, &["health", "--details", "definitions"])
            .map_err(|e| format!("mdatp health: {e}")),
        Err(e) => Err(format!("mdatp health: {e}")),
    };
    let service = super::endpoint::read(endpoint);
    let proxy = target::choose_proxy(plan, config.as_ref(), service.service_proxy.as_deref());
    let arches = target::arches(plan.arches);
    let opts = target::probe_options(plan, &proxy, trust);
    let probe = |checked: Option<&Checked>| match checked.and_then(|c| c.location.as_ref()) {
        Some(location) => mirror::probe_all(location, &arches, &opts),
        None => Vec::new(),
    };

    // Independent work runs side by side: mdatp's own test always, and health with the
    // probe when --url makes the probe independent of health.
    let (health, url, checked, probes, cloud_test) = std::thread::scope(|scope| {
        let cloud = with_mdatp_test.then(|| scope.spawn(|| run_mdatp_test(runner)));
        let (health, url, checked, probes) = match &plan.url {
            Some(u) => {
                let health = scope.spawn(fetch_health);
                let checked = url::check(u);
                let probes = probe(Some(&checked));
                let health = health
                    .join()
                    .unwrap_or_else(|_| Err("mdatp health: the thread failed".into()));
                (
                    health,
                    Some((u.clone(), UrlSource::Argument)),
                    Some(checked),
                    probes,
                )
            }
            None => {
                let health = fetch_health();
                let url = target::choose_url(
                    None,
                    health.as_ref().ok().map(|h| &h.health),
                    config.as_ref(),
                );
                let checked = url.as_ref().map(|(u, _)| url::check(u));
                let probes = probe(checked.as_ref());
                (health, url, checked, probes)
            }
        };
        let cloud = cloud.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err("the mdatp test thread failed".into()))
        });
        (health, url, checked, probes, cloud)
    });
    let health = match health {
        Ok(h) => Some(h),
        Err(e) => {
            warnings.push(e);
            None
        }
    };
    let (mdatp_test, mdatp_test_error) = match cloud_test {
        Some(Ok(t)) => (Some(t), None),
        Some(Err(e)) => (None, Some(format!("mdatp connectivity test: {e}"))),
        None => (None, None),
    };
    MirrorReading {
        health,
        url,
        checked,
        probes,
        proxy,
        mdatp_test,
        mdatp_test_error,
        warnings,
        os_family: service.os_family,
    }
}

fn run_mdatp_test(runner: &Result<Runner, MdatpError>) -> Result<ConnectivityTest, String> {
    let runner = runner.as_ref().map_err(|e| e.to_string())?;
    let out = mdatp::call(runner, &["connectivity", "test"]).map_err(|e| e.to_string())?;
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
