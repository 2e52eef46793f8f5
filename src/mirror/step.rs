//! The typed vocabulary of a probe record: which step, where the URL came from, which
//! proxy applied. Serialised to the same strings the JSON reports have always used.

use serde::Serialize;

/// One step of a probe, in the order a client meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

/// A fact a step records in its `detail`, by name: readers use these instead of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Host,
    Url,
    Path,
    Status,
    Redirects,
    Signature,
    ContentType,
    EngineVersion,
    DefinitionVersion,
    Addresses,
    ViaProxy,
    Attempts,
    Protocol,
    Certificate,
    ContentLength,
    Size,
    LastModified,
    Mtime,
    Mode,
    Sha256,
    Entries,
    MountType,
    /// What a directory mirror has where a file or folder should be (`fifo`, ...).
    FileType,
}

impl Key {
    pub fn as_str(self) -> &'static str {
        match self {
            Key::Host => "host",
            Key::Url => "url",
            Key::Path => "path",
            Key::Status => "status",
            Key::Redirects => "redirects",
            Key::Signature => "signature",
            Key::ContentType => "content_type",
            Key::EngineVersion => "engine_version",
            Key::DefinitionVersion => "definition_version",
            Key::Addresses => "addresses",
            Key::ViaProxy => "via_proxy",
            Key::Attempts => "attempts",
            Key::Protocol => "protocol",
            Key::Certificate => "certificate",
            Key::ContentLength => "content_length",
            Key::Size => "size",
            Key::LastModified => "last_modified",
            Key::Mtime => "mtime",
            Key::Mode => "mode",
            Key::Sha256 => "sha256",
            Key::Entries => "entries",
            Key::MountType => "mount_type",
            Key::FileType => "file_type",
        }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxySource {
    /// `--proxy`.
    Argument,
    /// `cloudService.proxy` in the managed configuration.
    ManagedConfig,
    /// `HTTPS_PROXY` in mdatp's service environment (systemd drop-in).
    ServiceEnvironment,
    /// `mdatp config proxy set`, as health shows it.
    Health,
    /// No proxy configured anywhere.
    None,
    /// `--no-proxy`.
    Disabled,
}

/// The proxy a probe goes through, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ProxyInfo {
    pub url: Option<String>,
    pub source: ProxySource,
}
