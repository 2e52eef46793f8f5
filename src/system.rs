//! Facts about the machine (an adapter, asked through `gather`): its name, and for the support bundle what the
//! offline-update checks depend on: OS, kernel, clock and time sync (TLS and freshness
//! checks need a right clock), free space where the definitions and our state live, and
//! which proxy variables are set (names only).

use std::path::Path;

use serde_json::{Value, json};

use crate::process::Runner;

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn os_release() -> Value {
    let text = read("/etc/os-release").unwrap_or_default();
    let mut map = serde_json::Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=')
            && matches!(k, "ID" | "VERSION_ID" | "PRETTY_NAME" | "ID_LIKE")
        {
            map.insert(k.to_ascii_lowercase(), json!(v.trim_matches('"')));
        }
    }
    Value::Object(map)
}

/// `timedatectl` answers whether the clock is NTP-synchronised; bounded like any call.
fn time_sync() -> Value {
    let Ok(program) = which::which("timedatectl") else {
        return json!({"available": false});
    };
    let runner = Runner::quick(program);
    match runner.run(&[
        "show",
        "--property=NTPSynchronized",
        "--property=Timezone",
        "--property=NTP",
    ]) {
        Ok(out) if out.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut map = serde_json::Map::new();
            for line in text.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    map.insert(k.to_string(), json!(v));
                }
            }
            Value::Object(map)
        }
        Ok(out) => json!({"error": format!("exit status {}", out.exit_code)}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// TEST ONLY: a fixed host name, so the example bundle in examples/ is the same on
/// every machine that regenerates it. Not an option, not documented for users.
const TEST_HOSTNAME_ENV: &str = "MDATP_DOCTOR_TEST_HOSTNAME";
/// TEST ONLY: a fixed "now" (RFC 3339) for the same reason.
const TEST_NOW_ENV: &str = "MDATP_DOCTOR_TEST_NOW";

/// This machine's host name ("" when the kernel will not say).
pub fn hostname() -> String {
    if let Some(name) = crate::seams::var(TEST_HOSTNAME_ENV).filter(|n| !n.is_empty()) {
        return name;
    }
    read("/proc/sys/kernel/hostname").unwrap_or_default()
}

/// The current time (for a run's snapshot and what a bundle records of it).
pub fn now() -> jiff::Timestamp {
    crate::seams::var(TEST_NOW_ENV)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(jiff::Timestamp::now)
}

/// The IANA name of this machine's time zone, when it has one (mdatp prints local times).
pub fn time_zone() -> Option<String> {
    jiff::tz::TimeZone::system().iana_name().map(str::to_string)
}

fn statvfs(dir: &Path) -> Option<libc::statvfs> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs fills the struct we pass; the path is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut st) } == 0).then_some(st)
}

/// Bytes free for an unprivileged writer in `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    statvfs(dir).map(|st| st.f_bavail * st.f_frsize)
}

/// The size of the file system holding `dir` (0 for /proc, /sys and their kind).
pub fn total_bytes(dir: &Path) -> Option<u64> {
    statvfs(dir).map(|st| st.f_blocks * st.f_frsize)
}

pub fn facts(state_dir: &Path, host_placeholder: Option<&str>) -> Value {
    let hostname = hostname();
    let uptime = read("/proc/uptime")
        .and_then(|u| {
            u.split_whitespace()
                .next()
                .and_then(|s| s.parse::<f64>().ok())
        })
        .map(|s| s as u64);
    let free = |p: &Path| free_bytes(p);
    let proxy_vars: Vec<&str> = [
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
    ]
    .into_iter()
    .filter(|v| std::env::var_os(v).is_some())
    .collect();
    json!({
        "hostname": host_placeholder.map(str::to_string).unwrap_or(hostname),
        "os_release": os_release(),
        "kernel": read("/proc/sys/kernel/osrelease"),
        "architecture": std::env::consts::ARCH,
        "uptime_seconds": uptime,
        "clock_utc": now().to_string(),
        // mdatp prints local times: reading them again elsewhere needs the zone.
        "time_zone": time_zone(),
        "time_sync": time_sync(),
        "free_bytes": {
            "/var/opt/microsoft/mdatp": free(Path::new("/var/opt/microsoft/mdatp")),
            "state_dir": free(state_dir),
        },
        // Names only: values can hold credentials, and the daemon does not read them anyway.
        "proxy_environment_variables": proxy_vars,
    })
}

/// An extended attribute of `path` itself (a symlink is not followed), raw: `Ok(None)` when
/// the file has none or the file system keeps none. At most 4 KiB, the kernel's own limit
/// for a security context.
pub fn xattr(path: &Path, name: &std::ffi::CStr) -> std::io::Result<Option<Vec<u8>>> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: both names are valid C strings and buf is as long as the size passed.
    let n = unsafe {
        libc::lgetxattr(
            c.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENODATA | libc::ENOTSUP) => Ok(None),
            _ => Err(e),
        };
    }
    buf.truncate(usize::try_from(n).unwrap_or(0));
    Ok(Some(buf))
}
