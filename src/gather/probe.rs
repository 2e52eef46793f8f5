//! What `connectivity` gathers: the mirror URL (argument, health, managed file), the
//! probe of it, and on request mdatp's own connectivity test, side by side.

use std::path::Path;

use crate::managed::config::{self, ConfigError};
use crate::mdatp::connectivity::{self as mdatp_test, ConnectivityTest};
use crate::mdatp::{self, HealthReading, MdatpError};
use crate::mirror::status::StatusReading;
use crate::mirror::step::{ProxyInfo, ProxySource, UrlSource};
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
    /// The mirror's status file, read with the probe.
    pub status: Option<StatusReading>,
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
    let chosen = target::choose_proxy(plan, config.as_ref(), service.service_proxy.as_deref());
    // A proxy set with `mdatp config proxy set` shows only in the full health; it can win
    // only over no proxy or the service environment's, so only then is it asked for.
    let health_may_set_proxy = matches!(
        chosen.source,
        ProxySource::None | ProxySource::ServiceEnvironment
    );
    let fetch_full_health = || match runner {
        Ok(runner) if health_may_set_proxy => mdatp::fetch_health(runner, &["health"]).ok(),
        _ => None,
    };
    let arches = target::arches(plan.arches);
    let probe_with = |proxy: &ProxyInfo, checked: Option<&Checked>| {
        let opts = target::probe_options(plan, proxy, trust.clone());
        match checked.and_then(|c| c.location.as_ref()) {
            Some(location) => mirror::probe_ring(location, &arches, &opts),
            None => (Vec::new(), None),
        }
    };
    let with_health = |full: Option<HealthReading>| {
        target::with_health_proxy(
            chosen.clone(),
            full.as_ref().and_then(|h| target::health_proxy(&h.health)),
        )
    };

    // Independent work runs side by side: mdatp's own test always, and health with the
    // probe when --url makes the probe independent of health.
    let (health, url, checked, (probes, status), proxy, cloud_test) = std::thread::scope(|scope| {
        let cloud = with_mdatp_test.then(|| scope.spawn(|| run_mdatp_test(runner)));
        let full = scope.spawn(fetch_full_health);
        let (health, url, checked, probes, proxy) = match &plan.url {
            Some(u) => {
                let health = scope.spawn(fetch_health);
                let checked = url::check(u);
                let probes = probe_with(&chosen, Some(&checked));
                let health = health
                    .join()
                    .unwrap_or_else(|_| Err("mdatp health: the thread failed".into()));
                // The probe did not wait for health; when health shows the proxy mdatp
                // uses, the probe went the wrong way and is done again through it.
                let proxy = with_health(full.join().ok().flatten());
                let probes = if proxy.url == chosen.url {
                    probes
                } else {
                    probe_with(&proxy, Some(&checked))
                };
                (
                    health,
                    Some((u.clone(), UrlSource::Argument)),
                    Some(checked),
                    probes,
                    proxy,
                )
            }
            None => {
                let health = fetch_health();
                let proxy = with_health(full.join().ok().flatten());
                let url = target::choose_url(
                    None,
                    health.as_ref().ok().map(|h| &h.health),
                    config.as_ref(),
                );
                let checked = url.as_ref().map(|(u, _)| url::check(u));
                let probes = probe_with(&proxy, checked.as_ref());
                (health, url, checked, probes, proxy)
            }
        };
        let cloud = cloud.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err("the mdatp test thread failed".into()))
        });
        (health, url, checked, probes, proxy, cloud)
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
        status,
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
