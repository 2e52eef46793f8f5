//! Hostile mirror hosts (issue 26, items 1, 2, 6, 7, 8): a FIFO in the download tree, an
//! arch folder swapped during the run for someone else's directory, a `mirror run` killed
//! with SIGKILL, a script whose child leaves its session, a script that deletes the whole
//! download folder, and one that prints terminal escapes. Each test is the attack that
//! once worked, kept so it cannot work again.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::mirror_host::{DEFS, Fwlink, Host, fwlink, needs_tools};

/// No run in this file may take longer: a hang is the failure being tested. Generous, so
/// only a real hang reaches it on a loaded machine with a debug build.
const HANG_LIMIT: Duration = Duration::from_secs(60);

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo on a path in a test's own directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn tool() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
}

/// Runs `cmd` with a hard time limit: a hang fails the test instead of blocking it.
fn bounded(cmd: &mut assert_cmd::Command, what: &str) -> Output {
    let out = cmd.timeout(HANG_LIMIT).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "`{what}` hung (killed after {HANG_LIMIT:?}); stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `mirror check --format json` on the host, bounded.
fn check(host: &Host) -> (i32, Value) {
    let out = bounded(
        tool()
            .args(["mirror", "check", "--format", "json", "--settings"])
            .arg(host.settings())
            .arg("--root")
            .arg(host.root()),
        "mirror check",
    );
    (out.status.code().unwrap_or(-1), json(&out))
}

fn run_cmd(host: &Host, base: &str, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = tool();
    cmd.args(["mirror", "run", "--format", "json", "--script"])
        .arg(script_path(host))
        .arg("--root")
        .arg(host.root())
        .arg("--state-dir")
        .arg(host.path().join("state"))
        .args(extra)
        .env("STANDIN_BASE_URL", base)
        .current_dir("/");
    cmd
}

/// `mirror run --format json` of the host's script, bounded: exit code, document, stderr.
fn run(host: &Host, base: &str, extra: &[&str]) -> (i32, Value, String) {
    let out = bounded(&mut run_cmd(host, base, extra), "mirror run");
    (
        out.status.code().unwrap_or(-1),
        json(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn script_path(host: &Host) -> PathBuf {
    host.path().join("xplat_offline_updates_download.sh")
}

/// A host with one good download in it, without `_back` folders.
fn downloaded_host() -> Host {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    let (code, out) = host.download(&fwlink(Fwlink::Good, DEFS), None);
    assert_eq!(code, 0, "{out}");
    host
}

fn finding<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id}: {doc:#}"))
}

// ---- #1: a FIFO in the tree hangs neither command, nor holds the lock ----

#[test]
fn a_fifo_as_the_package_or_the_manifest_never_hangs_mirror_check() {
    for (file, id) in [
        ("updates.zip", "mirror-host-package-bad"),
        ("manifest.json", "mirror-host-manifest-bad"),
    ] {
        let host = downloaded_host();
        let path = host.arch("production/arch_x86_64").join(file);
        std::fs::remove_file(&path).unwrap();
        mkfifo(&path);
        let (code, doc) = check(&host);
        assert_eq!(code, 2, "{file}: {doc:#}");
        let f = finding(&doc, id);
        assert!(f["title"].as_str().unwrap().contains("FIFO"), "{f:#}");
    }
}

#[test]
fn a_fifo_as_settings_or_script_never_hangs_mirror_check() {
    for file in ["settings.json", "xplat_offline_updates_download.sh"] {
        let host = downloaded_host();
        let path = host.path().join(file);
        std::fs::remove_file(&path).unwrap();
        mkfifo(&path);
        let (code, doc) = check(&host);
        assert_ne!(code, 0, "{file}: {doc:#}");
        assert!(doc.to_string().contains("FIFO"), "{file}: {doc:#}");
    }
}

#[test]
fn a_fifo_in_the_tree_never_holds_the_mirror_run_lock() {
    // A FIFO manifest: the downloader blocks writing to it until --run-timeout; a FIFO
    // package: only our own reads of it could block.
    for (file, id) in [
        ("manifest.json", "mirror-host-manifest-bad"),
        ("updates.zip", "mirror-host-package-bad"),
    ] {
        let host = downloaded_host();
        let path = host.arch("production/arch_x86_64").join(file);
        std::fs::remove_file(&path).unwrap();
        mkfifo(&path);
        let base = fwlink(Fwlink::Good, DEFS);
        let (code, doc, _) = run(&host, &base, &["--run-timeout", "5s"]);
        assert_eq!(code, 2, "{file}: {doc:#}");
        let f = finding(&doc["check"], id);
        assert!(f["title"].as_str().unwrap().contains("FIFO"), "{f:#}");
        // The next run is not refused by a lock the first one still holds.
        let (code, doc, stderr) = run(&host, &base, &["--run-timeout", "5s"]);
        assert_eq!(code, 2, "{file}: {doc:#} {stderr}");
        assert!(!stderr.contains("another"), "{stderr}");
    }
}
