//! The typed vocabulary of a probe record: which step, where the URL came from, which
//! proxy applied. Serialised to the same strings the JSON reports have always used.

use serde::Serialize;

/// One step of a probe, in the order a client meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    Dns,
    Tcp,
    Tls,
    /// Building the HTTP client (before any request).
    Http,
    Manifest,
    Package,
    PackageSignature,
    PackageVerify,
    Directory,
    /// The probe thread itself failed (a bug, never a mirror fault).
    Probe,
}

impl StepName {
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Dns => "dns",
            StepName::Tcp => "tcp",
            StepName::Tls => "tls",
            StepName::Http => "http",
            StepName::Manifest => "manifest",
            StepName::Package => "package",
            StepName::PackageSignature => "package_signature",
            StepName::PackageVerify => "package_verify",
            StepName::Directory => "directory",
            StepName::Probe => "probe",
        }
    }
}

impl std::fmt::Display for StepName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the mirror URL was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UrlSource {
    Argument,
    Health,
    ManagedConfig,
}

impl UrlSource {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlSource::Argument => "argument",
            UrlSource::Health => "health",
            UrlSource::ManagedConfig => "managed-config",
        }
    }
}

/// Where the proxy used for probing came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxySource {
    /// `--proxy`.
    Argument,
    /// `cloudService.proxy` in the managed configuration.
    ManagedConfig,
    /// No proxy configured anywhere.
    None,
    /// `--no-proxy`.
    Disabled,
}

/// The proxy a probe goes through, and why.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyInfo {
    pub url: Option<String>,
    pub source: ProxySource,
}
