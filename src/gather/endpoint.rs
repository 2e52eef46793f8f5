//! Facts about the endpoint that mdatp's health does not print: the offboarding file,
//! mdatp's service (its state when the client cannot reach it, the proxy in its
//! environment), free space where definitions live, and the distribution family.

use std::path::{Path, PathBuf};

use crate::analyze::snapshot::{EndpointFacts, OsFamily};
use crate::process::Runner;

/// Where those facts are read (overridable so tests stay off the real machine's files).
#[derive(Debug, Clone)]
pub struct EndpointPlan {
    pub offboard_file: PathBuf,
    pub definitions_dir: PathBuf,
    pub os_release: PathBuf,
    /// `systemctl`; `None`: look it up on PATH.
    pub systemctl: Option<PathBuf>,
}

/// Written by the offboarding script; while it exists, onboarding again fails.
pub const OFFBOARD_FILE: &str = "/etc/opt/microsoft/mdatp/mdatp_offboard.json";
/// mdatp's variable data: definitions are stored below it.
pub const DEFINITIONS_DIR: &str = "/var/opt/microsoft/mdatp";

impl Default for EndpointPlan {
    fn default() -> Self {
        EndpointPlan {
            offboard_file: OFFBOARD_FILE.into(),
            definitions_dir: DEFINITIONS_DIR.into(),
            os_release: "/etc/os-release".into(),
            systemctl: None,
        }
    }
}

/// The facts that do not depend on what health says (read before the probe, which
/// needs the service's proxy).
pub fn read(plan: &EndpointPlan) -> EndpointFacts {
    let os_release = read_small(&plan.os_release).unwrap_or_default();
    EndpointFacts {
        offboard_file: std::fs::symlink_metadata(&plan.offboard_file)
            .is_ok()
            .then(|| plan.offboard_file.display().to_string()),
        service_state: None,
        service_proxy: systemctl(plan, &["show", "mdatp", "--property=Environment"])
            .and_then(|out| service_proxy(&out)),
        definitions_free: plan
            .definitions_dir
            .is_dir()
            .then(|| crate::system::free_bytes(&plan.definitions_dir))
            .flatten()
            .map(|b| (plan.definitions_dir.display().to_string(), b)),
        mirror_free: None,
        os_family: OsFamily::from_os_release(&os_release),
    }
}

/// `systemctl is-active mdatp`: asked only when the client could not reach the daemon.
pub fn service_state(plan: &EndpointPlan) -> Option<String> {
    let out = systemctl(plan, &["is-active", "mdatp"])?;
    let word = out.lines().next()?.trim();
    // Only systemd's own state words: anything else (no systemd as init) says nothing.
    [
        "active",
        "inactive",
        "failed",
        "activating",
        "deactivating",
        "reloading",
    ]
    .contains(&word)
    .then(|| word.to_string())
}

/// Free bytes on a directory mirror (the ring folder's file system).
pub fn mirror_free(location: &str) -> Option<(String, u64)> {
    let path = Path::new(location);
    let dir = if path.is_absolute() {
        path.to_path_buf()
    } else {
        url::Url::parse(location)
            .ok()
            .filter(|u| u.scheme() == "file")?
            .to_file_path()
            .ok()?
    };
    dir.is_dir()
        .then(|| crate::system::free_bytes(&dir))
        .flatten()
        .map(|b| (dir.display().to_string(), b))
}

/// The HTTPS proxy in `Environment=` as `systemctl show` prints it.
pub fn service_proxy(show: &str) -> Option<String> {
    let env = show.lines().find_map(|l| l.strip_prefix("Environment="))?;
    // Assignments are space-separated; systemd quotes one that contains spaces.
    env.split_whitespace()
        .map(|w| w.trim_matches('"'))
        .find_map(|w| {
            let (k, v) = w.split_once('=')?;
            (k.eq_ignore_ascii_case("https_proxy") && !v.is_empty()).then(|| v.to_string())
        })
}

fn systemctl(plan: &EndpointPlan, args: &[&str]) -> Option<String> {
    let program = match &plan.systemctl {
        Some(p) => p.clone(),
        None => which::which("systemctl").ok()?,
    };
    let runner = Runner::quick(program);
    let out = runner.run(args).ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(64 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

#[cfg(test)]
mod tests;
