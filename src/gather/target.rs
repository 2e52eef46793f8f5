//! The one policy for what to probe and how: which mirror URL, which proxy, which
//! architectures, which CAs. `connectivity`, `diagnose`, `check` and `bundle` all use it,
//! so they can never disagree about the mirror an endpoint uses.

use std::path::PathBuf;
use std::time::Duration;

use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::managed::config::ManagedConfig;
use crate::mdatp::health::Health;
use crate::mirror::step::{ProxyInfo, ProxySource, UrlSource};
use crate::mirror::{ProbeOptions, tls::Trust, url};

/// Which architecture folders to probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arches {
    /// This machine's (x86_64 where Defender does not run).
    Native,
    X86_64,
    Arm64,
    All,
}

/// Which proxy the probe goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyChoice {
    /// The proxy mdatp itself uses (`cloudService.proxy`), if any.
    AsMdatp,
    /// `--proxy`.
    Given(String),
    /// `--no-proxy`.
    Disabled,
}

/// How the mirror is found and probed, free of command-line types.
#[derive(Debug, Clone)]
pub struct ProbePlan {
    /// `--url`: wins over what health and the managed file say.
    pub url: Option<String>,
    pub arches: Arches,
    pub connect_timeout: Duration,
    pub probe_timeout: Duration,
    pub ca_certs: Vec<PathBuf>,
    pub proxy: ProxyChoice,
    pub stale_after: Duration,
    pub verify_package: bool,
    pub max_package_bytes: u64,
    /// `--package-timeout`: `--verify-package`'s own budget for the whole download.
    pub package_timeout: Duration,
    /// `--probe-all`: when the managed file names another URL than the one mdatp uses,
    /// probe it to the end too (at the same time), instead of abandoning it.
    pub probe_all: bool,
}

impl ProbePlan {
    /// The defaults of the command line, for callers that have no probe options.
    pub fn defaults() -> ProbePlan {
        ProbePlan {
            url: None,
            arches: Arches::Native,
            connect_timeout: Duration::from_secs(5),
            probe_timeout: Duration::from_secs(15),
            ca_certs: Vec::new(),
            proxy: ProxyChoice::AsMdatp,
            stale_after: Duration::from_secs(7 * 86_400),
            verify_package: false,
            max_package_bytes: 0,
            package_timeout: Duration::from_secs(300),
            probe_all: false,
        }
    }
}

/// The trust store from the system and `--ca-cert`; a bad file is a usage error.
pub fn load_trust(plan: &ProbePlan) -> Result<Trust, Failure> {
    Trust::load(&plan.ca_certs).map_err(|e| Failure {
        kind: "bad_argument",
        message: e,
        hint: "--ca-cert takes a PEM file with one or more CA certificates".into(),
        exit: ExitCode::Usage,
    })
}

pub fn probe_options(plan: &ProbePlan, proxy: &ProxyInfo, trust: Trust) -> ProbeOptions {
    ProbeOptions {
        connect_timeout: plan.connect_timeout,
        probe_timeout: plan.probe_timeout,
        proxy: proxy.url.clone(),
        trust,
        verify_package: plan.verify_package,
        max_package_bytes: plan.max_package_bytes,
        package_timeout: plan.package_timeout,
    }
}

/// The mirror URL health shows (what mdatp actually uses), if any.
pub fn health_url(health: &Health) -> Option<&str> {
    health
        .str("offline_definition_url_configured")
        .filter(|u| !u.trim().is_empty())
}

/// The proxy health shows (`mdatp config proxy set`), if any: `None`, empty or a value
/// that is not a proxy address means none.
pub fn health_proxy(health: &Health) -> Option<&str> {
    health
        .str("proxy")
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("none"))
        .filter(|p| p.contains(':'))
}

/// The proxy once health has answered: `mdatp config proxy set` (shown by health) comes
/// after `--proxy`, `--no-proxy` and the managed `cloudService.proxy`, before the
/// service environment.
pub fn with_health_proxy(chosen: ProxyInfo, health_proxy: Option<&str>) -> ProxyInfo {
    match (chosen.source, health_proxy) {
        (ProxySource::None | ProxySource::ServiceEnvironment, Some(p)) => ProxyInfo {
            url: Some(p.to_string()),
            source: ProxySource::Health,
        },
        _ => chosen,
    }
}

/// The managed file's mirror URL, if any.
pub fn config_url(config: &ManagedConfig) -> Option<&str> {
    config.offline_url().filter(|u| !u.trim().is_empty())
}

/// `--url`, else the URL health shows, else the managed file's.
pub fn choose_url(
    arg: Option<&str>,
    health: Option<&Health>,
    config: Option<&ManagedConfig>,
) -> Option<(String, UrlSource)> {
    if let Some(u) = arg {
        return Some((u.to_string(), UrlSource::Argument));
    }
    if let Some(u) = health.and_then(health_url) {
        return Some((u.to_string(), UrlSource::Health));
    }
    config
        .and_then(config_url)
        .map(|u| (u.to_string(), UrlSource::ManagedConfig))
}

/// `--no-proxy`, else `--proxy`, else the proxy mdatp itself uses: the managed
/// `cloudService.proxy`, else `HTTPS_PROXY` in its service environment.
pub fn choose_proxy(
    plan: &ProbePlan,
    config: Option<&ManagedConfig>,
    service_proxy: Option<&str>,
) -> ProxyInfo {
    match &plan.proxy {
        ProxyChoice::Disabled => ProxyInfo {
            url: None,
            source: ProxySource::Disabled,
        },
        ProxyChoice::Given(p) => ProxyInfo {
            url: Some(p.clone()),
            source: ProxySource::Argument,
        },
        ProxyChoice::AsMdatp => match config.and_then(ManagedConfig::proxy) {
            Some(p) => ProxyInfo {
                url: Some(p.to_string()),
                source: ProxySource::ManagedConfig,
            },
            None => match service_proxy {
                Some(p) => ProxyInfo {
                    url: Some(p.to_string()),
                    source: ProxySource::ServiceEnvironment,
                },
                None => ProxyInfo {
                    url: None,
                    source: ProxySource::None,
                },
            },
        },
    }
}

pub fn arches(choice: Arches) -> Vec<&'static str> {
    match choice {
        Arches::X86_64 => vec!["x86_64"],
        Arches::Arm64 => vec!["arm64"],
        Arches::All => vec!["x86_64", "arm64"],
        // Defender runs on x86_64 and arm64 only; elsewhere probe the common case.
        Arches::Native => vec![url::native_arch().unwrap_or("x86_64")],
    }
}

#[cfg(test)]
mod tests;
