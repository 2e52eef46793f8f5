//! Hostile mirror hosts (issue 26, items 1, 2, 6, 7, 8): a FIFO in the download tree, an
//! arch folder swapped during the run for someone else's directory, a `mirror run` killed
//! with SIGKILL, a script whose child leaves its session, a script that deletes the whole
//! download folder, and one that prints terminal escapes. Each test is the attack that
//! once worked, kept so it cannot work again.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::mirror_host::{DEFS, Fwlink, Host, fwlink, needs_tools};

/// No run in this file may take longer: a hang is the failure being tested.
const HANG_LIMIT: Duration = crate::testenv::HANG_GUARD;

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
        // The fix is to remove it, not the permissions of a file that is none.
        if file == "updates.zip" {
            let fix = f["fix"].as_str().unwrap();
            assert!(
                fix.starts_with("Remove ") && !fix.contains("permissions"),
                "{fix}"
            );
        }
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

// ---- #2: restore never writes into a folder someone else controls ----

/// A loopback URL nothing listens on, for scripts that never fetch.
const NOWHERE: &str = "http://127.0.0.1:9/fwlink/";

/// Another user, for directories "someone else" owns (the ignored tests run as root).
const NOBODY: u32 = 65534;

/// Replaces the downloader with a shell script of our own.
fn script(host: &Host, body: &str) {
    let path = script_path(host);
    // Shaped like the real one where `mirror check` looks (its version, arm64).
    std::fs::write(
        &path,
        format!("#!/bin/sh\nscriptVersion=\"0.0.2\"\n# downloads x86_64 and arm64\n{body}"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A good host whose script swaps `arch_x86_64` (or what `swap` names) during the run.
fn swapped_run(host: &Host, swap: &str) -> (i32, Value) {
    script(host, &format!("{swap}\necho swapped\n"));
    let (code, doc, _) = run(host, NOWHERE, &[]);
    (code, doc)
}

#[test]
fn restore_refuses_an_arch_folder_others_can_write() {
    let host = downloaded_host();
    let arch = host.arch("production/arch_x86_64");
    let (code, doc) = swapped_run(
        &host,
        &format!(
            "chmod 0777 '{0}'\nprintf '<html>403</html>' > '{0}/updates.zip'",
            arch.display()
        ),
    );
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["restored"], serde_json::json!([]), "{doc:#}");
    let errors = strings(&doc["restore_errors"]).join("\n");
    assert!(errors.contains("writable"), "{errors}");
    assert_eq!(
        std::fs::read(arch.join("updates.zip")).unwrap(),
        b"<html>403</html>"
    );
}

#[test]
#[ignore = "needs root to chown a directory to another user (.ci/run runs it as root)"]
fn restore_never_writes_into_an_arch_folder_swapped_for_someone_elses_directory() {
    // Their directory in /tmp, where the downloader's default folder invites it.
    let theirs = tempfile::Builder::new()
        .prefix("theirs-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(theirs.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::lchown(theirs.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    let t = theirs.path().display();

    // 1. arch_x86_64 becomes a symlink to their directory.
    let host = downloaded_host();
    let arch = host.arch("production/arch_x86_64");
    let a = arch.display();
    let (code, doc) = swapped_run(&host, &format!("mv '{a}' '{a}.gone'\nln -s '{t}' '{a}'"));
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        names(theirs.path()).is_empty(),
        "root wrote into another user's directory: {:?}",
        names(theirs.path())
    );
    assert_eq!(doc["restored"], serde_json::json!([]), "{doc:#}");
    let errors = strings(&doc["restore_errors"]).join("\n");
    assert!(errors.contains("symbolic link"), "{errors}");

    // 2. arch_x86_64 becomes a real directory they own.
    let host = downloaded_host();
    let arch = host.arch("production/arch_x86_64");
    let a = arch.display();
    let (code, doc) = swapped_run(
        &host,
        &format!("mv '{a}' '{a}.gone'\nmkdir '{a}'\nchown {NOBODY} '{a}'"),
    );
    assert_eq!(code, 2, "{doc:#}");
    assert!(names(&arch).is_empty(), "{:?}", names(&arch));
    let errors = strings(&doc["restore_errors"]).join("\n");
    assert!(errors.contains(&format!("uid {NOBODY}")), "{errors}");

    // 3. The ring folder above both arch folders becomes a symlink to their directory,
    // which holds an arch folder of theirs.
    let their_arch = theirs.path().join("arch_x86_64");
    std::fs::create_dir(&their_arch).unwrap();
    std::os::unix::fs::lchown(&their_arch, Some(NOBODY), Some(NOBODY)).unwrap();
    let host = downloaded_host();
    let ring = host.arch("production");
    let r = ring.display();
    let (code, doc) = swapped_run(&host, &format!("mv '{r}' '{r}.gone'\nln -s '{t}' '{r}'"));
    assert_eq!(code, 2, "{doc:#}");
    assert!(names(&their_arch).is_empty(), "{:?}", names(&their_arch));
    assert_eq!(doc["restored"], serde_json::json!([]), "{doc:#}");
    let errors = strings(&doc["restore_errors"]).join("\n");
    assert!(errors.contains("symbolic link"), "{errors}");
}

// ---- #6: no downloader outlives `mirror run` ----

/// The pid a script wrote to `file`, waited for (bounded).
fn pid_in(file: &Path) -> i32 {
    let until = Instant::now() + HANG_LIMIT;
    loop {
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return pid;
        }
        assert!(Instant::now() < until, "{} never written", file.display());
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// True when `pid` is gone or a zombie before the hang guard; otherwise it is killed (a
/// failed test must not leave it running) and false.
fn dies(pid: i32) -> bool {
    let until = Instant::now() + HANG_LIMIT;
    while Instant::now() < until {
        if crate::testenv::is_dead(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill on a pid a script of this test started.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    false
}

#[test]
fn kill_9_of_mirror_run_leaves_no_downloader_running_and_the_next_run_proceeds() {
    let host = downloaded_host();
    let dir = host.path().display().to_string();
    script(
        &host,
        &format!("echo $$ > '{dir}/script.pid'\nsleep 300 &\necho $! > '{dir}/sleep.pid'\nwait\n"),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "run", "--script"])
        .arg(script_path(&host))
        .arg("--root")
        .arg(host.root())
        .arg("--state-dir")
        .arg(host.path().join("state"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let script_pid = pid_in(&host.path().join("script.pid"));
    let sleep_pid = pid_in(&host.path().join("sleep.pid"));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        dies(script_pid),
        "the script {script_pid} outlived kill -9 of mirror run"
    );
    assert!(
        dies(sleep_pid),
        "the script's child {sleep_pid} outlived kill -9 of mirror run"
    );
    // The lock died with its holder.
    script(&host, "echo second run\n");
    let (code, doc, stderr) = run(&host, NOWHERE, &[]);
    assert!(!stderr.contains("another"), "{stderr}");
    assert_eq!(doc["exit_code"], 0, "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
}

#[test]
fn a_setsid_child_of_the_script_does_not_survive_a_normal_run() {
    let host = downloaded_host();
    let dir = host.path().display().to_string();
    // One leaves its session quietly, one keeps our pipes open.
    script(
        &host,
        &format!(
            "setsid sh -c 'echo $$ > {dir}/quiet.pid; exec sleep 300' </dev/null >/dev/null 2>&1 &\n\
             setsid sh -c 'echo $$ > {dir}/loud.pid; exec sleep 300' &\n\
             i=0; while [ ! -s {dir}/quiet.pid ] || [ ! -s {dir}/loud.pid ]; do sleep 0.1; i=$((i+1)); [ $i -gt 300 ] && break; done\n\
             echo launched\n"
        ),
    );
    let (code, doc, stderr) = run(&host, NOWHERE, &[]);
    assert!(stderr.contains("launched"), "{stderr}");
    let quiet = pid_in(&host.path().join("quiet.pid"));
    let loud = pid_in(&host.path().join("loud.pid"));
    assert!(dies(quiet), "setsid child {quiet} survived the run");
    assert!(
        dies(loud),
        "setsid child {loud} holding the pipes survived the run"
    );
    assert_eq!(doc["exit_code"], 0, "{doc:#}");
    assert_eq!(code, 0, "{doc:#}");
}

// ---- #7: a script that deletes the whole download folder ----

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

#[test]
fn a_script_that_deletes_the_download_folder_gets_it_back_as_it_was() {
    let host = downloaded_host();
    let folder = host.path().join("wdav-update");
    let arch = host.arch("production/arch_x86_64");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o705)).unwrap();
    std::fs::set_permissions(&arch, std::fs::Permissions::from_mode(0o705)).unwrap();
    let package = std::fs::read(arch.join("updates.zip")).unwrap();
    let manifest = std::fs::read(arch.join("manifest.json")).unwrap();
    let package_mode = mode(&arch.join("updates.zip"));
    script(
        &host,
        &format!("rm -rf '{}'\necho gone\n", folder.display()),
    );
    let (code, doc, _) = run(&host, NOWHERE, &[]);
    assert_eq!(code, 2, "the run broke the tree: {doc:#}");
    let restored = strings(&doc["restored"]);
    assert_eq!(restored.len(), 2, "x86_64 and arm64: {doc:#}");
    assert!(
        restored.iter().all(|r| r.contains("recreated")),
        "{restored:?}"
    );
    assert_eq!(doc["verdict_after_restore"], "ok", "{doc:#}");
    assert_eq!(std::fs::read(arch.join("updates.zip")).unwrap(), package);
    assert_eq!(std::fs::read(arch.join("manifest.json")).unwrap(), manifest);
    assert_eq!(mode(&arch.join("updates.zip")), package_mode);
    assert_eq!(mode(&folder), 0o705);
    assert_eq!(mode(&arch), 0o705);
    // The tree is whole again; only the status file remembers that the sync failed.
    let (code, doc) = check(&host);
    assert_eq!(code, 1, "{doc:#}");
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(ids, ["mirror-host-sync-failed"], "{doc:#}");
}

// ---- #8: the script's output, escaped and buffered ----

#[test]
fn the_scripts_output_reaches_the_terminal_escaped() {
    let host = downloaded_host();
    script(
        &host,
        "printf 'plain line\\n'\n\
         printf 'title \\033]0;owned\\007 bell\\n'\n\
         printf '\\033[2J\\033[31mred\\n' >&2\n\
         printf 'Error (7): \\033[5mblink\\n'\n",
    );
    for format in ["json", "human"] {
        let out = bounded(
            tool()
                .args(["mirror", "run", "--format", format, "--script"])
                .arg(script_path(&host))
                .arg("--root")
                .arg(host.root())
                .arg("--state-dir")
                .arg(host.path().join("state")),
            "mirror run",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stderr.contains(['\x1b', '\x07']) && !stdout.contains(['\x1b', '\x07']),
            "raw escapes reached the terminal:\n{stderr:?}\n{stdout:?}"
        );
        assert!(stderr.contains("plain line\n"), "{stderr}");
        assert!(
            stderr.contains("title \\x1b]0;owned\\x07 bell\n"),
            "{stderr}"
        );
        assert!(stderr.contains("\\x1b[2J\\x1b[31mred\n"), "{stderr}");
    }
}

#[test]
fn a_flood_of_output_is_echoed_whole_and_in_order() {
    let host = downloaded_host();
    script(&host, "seq 1 200000\necho done\n");
    let (code, doc, stderr) = run(&host, NOWHERE, &[]);
    assert_eq!(code, 0, "{doc:#}");
    let lines: Vec<&str> = stderr.lines().collect();
    let at = lines.iter().position(|l| *l == "1").expect("first line");
    let want: Vec<String> = (1..=200_000).map(|n| n.to_string()).collect();
    assert_eq!(&lines[at..at + want.len()], want.as_slice());
    assert_eq!(lines[at + want.len()], "done");
}
