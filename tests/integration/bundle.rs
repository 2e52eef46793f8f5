//! `bundle` end to end: bundles opened and read entry by entry, planted secrets, failing
//! collectors, refused output paths, and a huge sparse log.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::testenv::{DEFINITIONS, Reply, TestEnv, stdout_json};

pub(crate) const ORG: &str = "b6cafe3e-bf50-4d8d-829a-d68b3fd21827";
const SAS: &str = "sig=Zm9vYmFyU0VDUkVU";

/// An endpoint with planted secrets: a proxy password in the managed config, a SAS token
/// in a log, and an org id in health.
pub(crate) fn endpoint() -> (TestEnv, PathBuf) {
    let mut env = TestEnv::new();
    let defs = crate::testenv::Defs::healthy("http://127.0.0.1:9/linux/production/").text();
    let full = format!(
        "healthy : true\nlicensed : true\napp_version : \"101.25012.0000\"\norg_id : \"{ORG}\"\n"
    );
    env.on(DEFINITIONS, Reply::stdout(&defs))
        .on("health", Reply::stdout(&full))
        .on(
            "health --output json",
            Reply::fixture("mdatp/health/linux-101.23062.0010.json"),
        )
        .on(
            "connectivity test",
            Reply::fixture("mdatp/connectivity/linux-ok.txt"),
        )
        .on(
            "version",
            Reply::stdout("Product version: 101.25012.0000\n"),
        );
    env.write_managed_config(
        r#"{"cloudService": {"proxy": "http://alice:s3cret@proxy.corp:3128/"},
            "antivirusEngine": {"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "http://127.0.0.1:9/linux/production/"}}"#,
    );
    let logs = env.path().join("logs");
    std::fs::create_dir_all(logs.join("rotated")).expect("mkdir");
    std::fs::write(
        logs.join("microsoft_defender_core.log"),
        format!("info: downloading https://acct.blob.core.windows.net/defs/updates.zip?sv=2020-08-04&{SAS}&se=2030\ninfo: org {ORG} from 10.20.30.40\n"),
    )
    .expect("log");
    std::fs::write(
        logs.join("rotated/microsoft_defender_core.log.1"),
        "older line\n",
    )
    .expect("log");
    // Older for real: two files written in the same clock tick would tie, and the
    // bundle's newest-first order would then be the file system's.
    std::fs::File::options()
        .write(true)
        .open(logs.join("rotated/microsoft_defender_core.log.1"))
        .and_then(|f| {
            f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        })
        .expect("mtime");
    std::fs::write(logs.join("not-a-log.txt"), "ignored\n").expect("other");
    (env, logs)
}

pub(crate) fn bundle(
    env: &TestEnv,
    logs: &Path,
    out: &Path,
    extra: &[&str],
) -> std::process::Output {
    env.cmd()
        .args(["bundle", "--skip-network", "--format", "json", "-o"])
        .arg(out)
        .arg("--log-dir")
        .arg(logs)
        .arg("--wdavcfg")
        .arg(env.path().join("wdavcfg"))
        .args(extra)
        .output()
        .expect("runs")
}

/// Every entry of a .tar.gz, by name.
pub(crate) fn read_bundle(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).expect("open bundle");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        out.insert(name, bytes);
    }
    out
}

pub(crate) fn all_text(files: &BTreeMap<String, Vec<u8>>) -> String {
    files
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_bundle_holds_every_collector_and_a_true_manifest() {
    let (env, logs) = endpoint();
    std::fs::write(env.path().join("wdavcfg"), "{\"cloudService\":{}}").expect("wdavcfg");
    let out_path = env.path().join("support.tar.gz");
    let out = bundle(&env, &logs, &out_path, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout_json(&out);
    assert_eq!(summary["failed"], serde_json::json!([]));
    assert_eq!(
        std::fs::metadata(&out_path).expect("bundle").mode() & 0o777,
        0o600
    );

    let files = read_bundle(&out_path);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    for expected in [
        "MANIFEST.json",
        "report.json",
        "report.txt",
        "mdatp/health.txt",
        "mdatp/health-definitions.txt",
        "mdatp/health.json",
        "mdatp/connectivity-test.txt",
        "mdatp/version.txt",
        "mirror.json",
        "config/mdatp_managed.json",
        "config/wdavcfg",
        "logs/microsoft_defender_core.log",
        "logs/rotated/microsoft_defender_core.log.1",
        "system.json",
        "history.jsonl",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(!names.contains(&"logs/not-a-log.txt"));

    let manifest: Value = serde_json::from_slice(&files["MANIFEST.json"]).expect("manifest");
    assert_eq!(manifest["tool"]["name"], "mdatp-doctor");
    assert_eq!(
        manifest["redaction"],
        serde_json::json!({"enabled": true, "ids": false})
    );
    for entry in manifest["entries"].as_array().expect("entries") {
        let name = entry["path"].as_str().expect("path");
        let bytes = &files[name];
        assert_eq!(entry["size"], bytes.len(), "{name}");
        let sha: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(entry["sha256"], sha, "{name}");
        assert!(entry["collector"].is_string());
    }
    let health_entry = manifest["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["path"] == "mdatp/health.txt")
        .expect("entry");
    assert_eq!(health_entry["source"]["exit_status"], 0);
    assert!(
        health_entry["source"]["command"][0]
            .as_str()
            .expect("cmd")
            .ends_with("fake-mdatp")
    );
    // The health calls diagnose made are reused, not run again.
    let calls: Vec<String> = env.invocations().iter().map(|a| a.join(" ")).collect();
    for call in ["health", "health --details definitions"] {
        assert_eq!(
            calls.iter().filter(|c| *c == call).count(),
            1,
            "{call}: {calls:?}"
        );
    }
    let report: Value = serde_json::from_slice(&files["report.json"]).expect("report");
    assert_eq!(report["schema_version"], 1);

    let out = env
        .cmd()
        .args(["bundle", "--list-contents"])
        .arg(&out_path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok ")).count(),
        15,
        "every entry but the manifest itself:\n{text}"
    );
}

use sha2::Digest;

#[test]
fn planted_secrets_never_leave_and_ids_go_on_request() {
    let (env, logs) = endpoint();
    let plain = env.path().join("plain.tar.gz");
    assert_eq!(
        bundle(&env, &logs, &plain, &[]).status.code(),
        Some(0),
        "an absent wdavcfg is skipped, not a failure"
    );
    let text = all_text(&read_bundle(&plain));
    for secret in ["s3cret", "alice", "Zm9vYmFyU0VDUkVU"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert!(text.contains("http://REDACTED@proxy.corp:3128/"));
    assert!(text.contains(ORG), "without --redact-ids the org id stays");

    let redacted = env.path().join("ids.tar.gz");
    bundle(&env, &logs, &redacted, &["--redact-ids"]);
    let files = read_bundle(&redacted);
    let text = all_text(&files);
    for id in [ORG, "10.20.30.40", "proxy.corp"] {
        let leaks: Vec<&String> = files
            .iter()
            .filter(|(_, b)| String::from_utf8_lossy(b).contains(id))
            .map(|(n, _)| n)
            .collect();
        assert!(leaks.is_empty(), "{id} leaked in {leaks:?}");
    }
    // The same value gets the same placeholder in every file.
    let health = String::from_utf8_lossy(&files["mdatp/health.txt"]).into_owned();
    let log = String::from_utf8_lossy(&files["logs/microsoft_defender_core.log"]).into_owned();
    assert!(health.contains("org_id : \"org-1\""), "{health}");
    assert!(log.contains("org org-1 from ip-"), "{log}");
    let manifest: Value = serde_json::from_slice(&files["MANIFEST.json"]).expect("manifest");
    assert_eq!(manifest["redaction"]["ids"], true);
    assert!(
        manifest["hostname"]
            .as_str()
            .expect("host")
            .starts_with("host-")
    );
    assert!(
        !text.contains("\"org-1\": \"") && !text.contains(&format!("\"{ORG}\"")),
        "the mapping is not in the bundle"
    );

    let raw = env.path().join("raw.tar.gz");
    bundle(&env, &logs, &raw, &["--no-redact"]);
    assert!(
        all_text(&read_bundle(&raw)).contains("s3cret"),
        "--no-redact keeps everything"
    );
}

#[test]
fn failing_collectors_are_recorded_and_do_not_stop_the_others() {
    let (env, _) = endpoint();
    let out_path = env.path().join("partial.tar.gz");
    let out = env
        .cmd()
        .args([
            "bundle",
            "--skip-network",
            "--format",
            "json",
            "--mdatp",
            "/nonexistent/mdatp",
            "--log-dir",
            "/nonexistent/logs",
            "-o",
        ])
        .arg(&out_path)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = read_bundle(&out_path);
    let manifest: Value = serde_json::from_slice(&files["MANIFEST.json"]).expect("manifest");
    let failed: Vec<&str> = manifest["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .map(|f| f["collector"].as_str().expect("c"))
        .collect();
    assert!(
        failed.contains(&"logs") && failed.contains(&"mdatp health"),
        "{failed:?}"
    );
    assert!(
        files.contains_key("report.json")
            && files.contains_key("config/mdatp_managed.json")
            && files.contains_key("system.json")
    );
}

#[test]
fn an_existing_file_or_a_symlink_is_never_overwritten() {
    let (env, logs) = endpoint();
    let existing = env.path().join("existing.tar.gz");
    std::fs::write(&existing, "keep me").expect("write");
    let out = bundle(&env, &logs, &existing, &[]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&existing).expect("read"), b"keep me");

    let target = env.path().join("victim");
    std::fs::write(&target, "victim").expect("write");
    let link = env.path().join("link.tar.gz");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let out = bundle(&env, &logs, &link, &[]);
    assert_eq!(out.status.code(), Some(64));
    assert_eq!(std::fs::read(&target).expect("read"), b"victim");
    let leftovers: Vec<_> = std::fs::read_dir(env.path())
        .expect("ls")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");
}

#[test]
fn a_1_gib_sparse_log_is_capped() {
    let (env, logs) = endpoint();
    let huge = logs.join("huge.log");
    let f = std::fs::File::create(&huge).expect("create");
    f.set_len(1024 * 1024 * 1024).expect("sparse 1 GiB");
    drop(f);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&huge)
        .expect("open");
    std::io::Write::write_all(&mut f, b"\nlast line with token=TOPSECRET\n").expect("append");
    let out_path = env.path().join("capped.tar.gz");
    let out = bundle(&env, &logs, &out_path, &["--max-log-bytes", "64KiB"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = read_bundle(&out_path);
    let tail = &files["logs/huge.log"];
    assert!(tail.len() <= 64 * 1024, "{} bytes", tail.len());
    let text = String::from_utf8_lossy(tail);
    assert!(
        text.ends_with("last line with token=REDACTED\n"),
        "the end of the log is kept, redacted"
    );
}

#[test]
#[ignore = "needs root to mount a 1 MiB tmpfs (.ci/run runs it)"]
fn a_file_system_without_room_is_refused_up_front() {
    let (env, logs) = endpoint();
    let small = env.path().join("small");
    std::fs::create_dir(&small).expect("mkdir");
    // A 1 MiB file system of our own; without the right to mount one, there is nothing to test.
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        mounted,
        "mounting a tmpfs needs root: `bash .ci/run` runs it as root"
    );
    let out = bundle(&env, &logs, &small.join("b.tar.gz"), &[]);
    let _ = std::process::Command::new("umount").arg(&small).status();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bytes free") && stderr.contains("--max-log-bytes"),
        "{stderr}"
    );
}

/// Every fake invocation that ended on its own: its command line and when it ran
/// (microseconds since the epoch), from the fake's `timeline.jsonl`.
fn timeline(env: &TestEnv) -> BTreeMap<String, (u64, u64)> {
    let log = std::fs::read_to_string(env.path().join("timeline.jsonl")).expect("timeline");
    log.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("timeline line is JSON");
            let args: Vec<&str> = v["args"]
                .as_array()
                .expect("args")
                .iter()
                .map(|a| a.as_str().expect("arg"))
                .collect();
            let at = |k: &str| v[k].as_u64().expect("time");
            (args.join(" "), (at("start_us"), at("end_us")))
        })
        .collect()
}

#[test]
fn the_bundles_own_mdatp_calls_run_alongside_the_diagnose_gather() {
    let (mut env, logs) = endpoint();
    // Every call sleeps: made one after another, no two could overlap. They end in the
    // reverse of their order in the archive, which must not change that order.
    let defs = crate::testenv::Defs::healthy("http://127.0.0.1:9/linux/production/").text();
    env.on(DEFINITIONS, Reply::stdout(&defs).sleep_ms(1500))
        .on(
            "health",
            Reply::stdout(&format!("healthy : true\norg_id : \"{ORG}\"\n")).sleep_ms(1500),
        )
        .on(
            "health --output json",
            Reply::fixture("mdatp/health/linux-101.23062.0010.json").sleep_ms(1400),
        )
        .on(
            "connectivity test",
            Reply::fixture("mdatp/connectivity/linux-ok.txt").sleep_ms(1200),
        )
        .on(
            "version",
            Reply::stdout("Product version: 1\n").sleep_ms(1000),
        );
    let out_path = env.path().join("b.tar.gz");
    let out = bundle(&env, &logs, &out_path, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let ran = timeline(&env);
    let calls = [
        DEFINITIONS,
        "health",
        "health --output json",
        "connectivity test",
        "version",
    ];
    for (i, a) in calls.iter().enumerate() {
        for b in &calls[i + 1..] {
            let ((a_start, a_end), (b_start, b_end)) = (ran[*a], ran[*b]);
            assert!(
                a_start < b_end && b_start < a_end,
                "`{a}` and `{b}` did not run side by side: {ran:?}"
            );
        }
    }

    let files = read_bundle(&out_path);
    let manifest: Value = serde_json::from_slice(&files["MANIFEST.json"]).expect("manifest");
    let order: Vec<&str> = manifest["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        order,
        [
            "report.json",
            "report.txt",
            "mdatp/health.txt",
            "mdatp/health-definitions.txt",
            "mdatp/health.json",
            "mdatp/connectivity-test.txt",
            "mdatp/version.txt",
            "mirror.json",
            "endpoint.json",
            "config/mdatp_managed.json",
            "logs/microsoft_defender_core.log",
            "logs/rotated/microsoft_defender_core.log.1",
            "system.json",
            "history.jsonl",
        ]
    );
    // The archive holds them in the same order, the manifest last.
    let file = std::fs::File::open(&out_path).expect("open bundle");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let in_archive: Vec<String> = archive
        .entries()
        .expect("entries")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .display()
                .to_string()
        })
        .collect();
    let mut expected: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    expected.push("MANIFEST.json".into());
    assert_eq!(in_archive, expected);
}
