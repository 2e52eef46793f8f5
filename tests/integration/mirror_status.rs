//! The mirror's status file on the endpoint (issue 28): every probe reads
//! `<ring>mdatp-doctor-status.json` with the manifest, over HTTP from the loopback mirror
//! servers and from a directory mirror; `connectivity`, `diagnose` and `check` show it,
//! predict staleness from it, and export it. Hostile files (64 MiB, not JSON, deep
//! nesting, escape sequences, a FIFO, a device, a stalled body) are bounded and harmless.

use std::path::Path;

use serde_json::Value;

use crate::server::{MirrorServer, MirrorTree, Override};
use crate::testenv::{
    DEFINITIONS, Defs, Reply, TestEnv, config_for, finding, full_health, ids, stdout_json,
};

const STATUS: &str = "/linux/production/mdatp-doctor-status.json";

/// RFC 3339, `hours` before now.
fn ago(hours: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours)).to_string()
}

/// What `mirror run` writes after a run that failed (`error`), with the last good one
/// `success_h` hours ago.
fn failing_status(attempt_h: i64, success_h: i64, error: &str) -> String {
    serde_json::json!({
        "schema_version": 1,
        "written_at": ago(attempt_h),
        "written_by": "mirror run",
        "arch": {"x86_64": {"definition_version": "1.407.417.0", "engine_version": "1.1.24020.4",
                             "package_bytes": 22, "package_sha256": ""}},
        "last_attempt": {"at": ago(attempt_h), "ok": false, "error": error},
        "last_success": ago(success_h),
        "published": {"definition_version": "1.407.500.0", "asked_at": ago(success_h)},
    })
    .to_string()
}

fn write_status(tree: &MirrorTree, bytes: &[u8]) {
    std::fs::write(tree.ring_dir().join("mdatp-doctor-status.json"), bytes).expect("write");
}

/// An endpoint whose definitions (1.407.417.0, the mirror's) are `hours` old.
fn endpoint(url: &str, hours: i64) -> TestEnv {
    let mut defs = Defs::healthy(url);
    defs.hours_ago = hours;
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(url, false));
    env
}

fn run(env: &TestEnv, args: &[&str]) -> std::process::Output {
    let out = env
        .cmd()
        .args(args)
        .timeout(crate::testenv::HANG_GUARD)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn connectivity_json(env: &TestEnv, url: &str, more: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "connectivity",
        "--format",
        "json",
        "--arch",
        "x86_64",
        "--url",
        url,
    ];
    args.extend_from_slice(more);
    let out = run(env, &args);
    (out.status.code().expect("exit"), stdout_json(&out))
}

#[test]
fn connectivity_reads_the_status_file_in_the_same_round_and_shows_it_escaped() {
    let tree = MirrorTree::healthy();
    write_status(
        &tree,
        failing_status(
            2,
            26,
            "curl: (56) CONNECT tunnel failed, response 403\u{1b}]0;pwned\u{7}",
        )
        .as_bytes(),
    );
    let server = MirrorServer::http(tree.root.path());
    let env = endpoint(&server.ring_url(), 20);
    let (code, report) = connectivity_json(&env, &server.ring_url(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(ids(&report), Vec::<&str>::new());
    let status = &report["status"];
    assert_eq!(
        status["url"],
        format!("{}mdatp-doctor-status.json", server.ring_url())
    );
    assert_eq!(status["status"]["last_attempt"]["ok"], false);
    // Control characters never survive the parser.
    let error = status["status"]["last_attempt"]["error"]
        .as_str()
        .expect("error");
    assert!(error.starts_with("curl: (56)") && !error.chars().any(char::is_control));
    assert!(server.hits().iter().any(|h| h == &format!("GET {STATUS}")));

    let out = run(
        &env,
        &[
            "connectivity",
            "--arch",
            "x86_64",
            "--url",
            &server.ring_url(),
        ],
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    let line = text
        .lines()
        .find(|l| l.starts_with("Status:"))
        .unwrap_or_else(|| panic!("no status line:\n{text}"));
    assert!(line.contains("last sync "), "{line}");
    assert!(line.contains("(26 hours ago)"), "{line}");
    assert!(line.contains("(2 hours ago) failed: curl: (56)"), "{line}");
    assert!(line.contains("Microsoft published 1.407.500.0"), "{line}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}

#[test]
fn hostile_status_files_over_http_are_bounded_and_harmless() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let env = endpoint(&server.ring_url(), 1);
    let url = server.ring_url();

    // No file (404): no status, no error, nothing raised.
    let (code, report) = connectivity_json(&env, &url, &[]);
    assert_eq!((code, ids(&report)), (0, vec![]), "{report:#}");
    assert_eq!(report["status"]["status"], Value::Null);
    assert!(report["status"].get("error").is_none());

    // One info finding, exit 0, for each file that is not a status file.
    let deep = format!("{}{}", "{\"a\":[".repeat(50_000), "]}".repeat(50_000));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not JSON",
            b"<html><body>Welcome to nginx!</body></html>".to_vec(),
            "not a status file",
        ),
        ("deep nesting", deep.into_bytes(), "larger than 64 KiB"),
        (
            "deep nesting, small",
            "[".repeat(20_000).into_bytes(),
            "not a status file",
        ),
        (
            "another schema",
            br#"{"schema_version": 7, "written_at": "x"}"#.to_vec(),
            "schema_version 7",
        ),
        (
            "a little over 64 KiB",
            vec![b' '; 64 * 1024 + 1],
            "larger than 64 KiB",
        ),
    ];
    for (what, bytes, says) in cases {
        write_status(&tree, &bytes);
        let (code, report) = connectivity_json(&env, &url, &[]);
        assert_eq!(code, 0, "{what}: {report:#}");
        assert_eq!(ids(&report), ["mirror-status-unreadable"], "{what}");
        let error = report["status"]["error"].as_str().expect("error");
        assert!(error.contains(says), "{what}: {error}");
        assert_eq!(
            finding(&report, "mirror-status-unreadable")["severity"],
            "info"
        );
    }

    // 64 MiB announced: refused by its length, never read.
    server.set(STATUS, Override::HugeZip(64 << 20));
    let (code, report) = connectivity_json(&env, &url, &[]);
    assert_eq!(code, 0, "{report:#}");
    let error = report["status"]["error"].as_str().expect("error");
    assert!(error.contains("67108864 bytes announced"), "{error}");

    // An error answer is said; a body that stalls ends at the probe's deadline.
    server.set(STATUS, Override::Status(500));
    let (_, report) = connectivity_json(&env, &url, &[]);
    assert!(
        report["status"]["error"]
            .as_str()
            .expect("error")
            .contains("HTTP 500")
    );
    write_status(&tree, failing_status(1, 1, "x").as_bytes());
    server.set(STATUS, Override::StallAfter(10));
    // (A hang would meet HANG_GUARD; what ended it is asserted below, never how fast.)
    let (code, report) = connectivity_json(&env, &url, &["--probe-timeout", "2"]);
    assert_eq!(code, 0, "{report:#}");
    // The probe's own steps are fine: the status file alone was cut.
    assert!(
        report["arch"][0]["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["ok"] == true)
    );
    let error = report["status"]["error"].as_str().expect("error");
    assert!(
        error.contains("deadline") || error.contains("within"),
        "{error}"
    );
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo on a path in a test's own directory.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn hostile_status_files_in_a_directory_mirror_are_refused_unread() {
    let tree = MirrorTree::healthy();
    let ring = format!("{}/", tree.ring_dir().display());
    let env = endpoint(&ring, 1);
    let file = tree.ring_dir().join("mdatp-doctor-status.json");

    // Missing: nothing.
    let (code, report) = connectivity_json(&env, &ring, &[]);
    assert_eq!((code, ids(&report)), (0, vec![]), "{report:#}");
    assert_eq!(report["status"]["status"], Value::Null);

    // A good one.
    std::fs::write(&file, failing_status(3, 30, "proxy 403")).expect("write");
    let (_, report) = connectivity_json(&env, &ring, &[]);
    assert_eq!(
        report["status"]["status"]["last_attempt"]["error"],
        "proxy 403"
    );

    // A FIFO (nobody writes to it: reading would block), a symbolic link to a device, a
    // sparse 64 MiB file: each refused before a byte is read, quickly.
    std::fs::remove_file(&file).expect("rm");
    mkfifo(&file);
    let (code, report) = connectivity_json(&env, &ring, &[]);
    assert_eq!(code, 0);
    assert!(
        report["status"]["error"]
            .as_str()
            .expect("error")
            .contains("not a regular file"),
        "{report:#}"
    );
    std::fs::remove_file(&file).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", &file).expect("symlink");
    let (_, report) = connectivity_json(&env, &ring, &[]);
    assert!(
        report["status"]["error"]
            .as_str()
            .expect("error")
            .contains("not a regular file")
    );
    std::fs::remove_file(&file).expect("rm");
    let f = std::fs::File::create(&file).expect("create");
    f.set_len(64 << 20).expect("sparse");
    let (_, report) = connectivity_json(&env, &ring, &[]);
    let error = report["status"]["error"].as_str().expect("error");
    assert!(
        error.contains("larger than 64 KiB (67108864 bytes)"),
        "{error}"
    );
    assert_eq!(ids(&report), ["mirror-status-unreadable"]);
}

#[test]
fn diagnose_and_check_predict_staleness_from_a_failing_mirror_and_export_it() {
    let tree = MirrorTree::healthy();
    write_status(
        &tree,
        failing_status(2, 26, "Error (0): Failed to download: proxy answered 403").as_bytes(),
    );
    let server = MirrorServer::http(tree.root.path());
    let env = endpoint(&server.ring_url(), 20);

    // diagnose: the warning, with its prediction, and the status line.
    let out = run(&env, &["diagnose", "--format", "json", "--arch", "x86_64"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = stdout_json(&out);
    assert_eq!(ids(&doc), ["mirror-sync-stalled"], "{doc:#}");
    let title = finding(&doc, "mirror-sync-stalled")["title"]
        .as_str()
        .expect("title");
    assert!(
        title.starts_with("Security intelligence will be stale in about 4 hours: the mirror has not synced successfully since"),
        "{title}"
    );
    assert!(
        title.contains("failed: Error (0): Failed to download"),
        "{title}"
    );
    let mirror = &doc["snapshot"]["mirror"];
    assert_eq!(mirror["status"]["status"]["last_attempt"]["ok"], false);
    assert_eq!(mirror["last_sync_success"], false);
    let last_sync = mirror["last_sync_timestamp_seconds"]
        .as_i64()
        .expect("last sync");
    let now = jiff::Timestamp::now().as_second();
    assert!((now - 26 * 3600 - last_sync).abs() < 120, "{last_sync}");
    let predicted = doc["snapshot"]["predicted_stale_timestamp_seconds"]
        .as_i64()
        .expect("predicted");
    assert!((now + 4 * 3600 - predicted).abs() < 120, "{predicted}");

    // aggregate: the mirror's last sync, and who saw it failing.
    let fleet_dir = tempfile::tempdir().expect("tempdir");
    for host in ["a", "b"] {
        std::fs::write(fleet_dir.path().join(format!("{host}.json")), &out.stdout).expect("write");
    }
    let agg = run(
        &TestEnv::new(),
        &[
            "aggregate",
            "--format",
            "json",
            fleet_dir.path().to_str().expect("utf8"),
        ],
    );
    let fleet = stdout_json(&agg);
    let m = &fleet["mirrors"][server.ring_url()];
    assert_eq!(m["last_sync_timestamp_seconds"], last_sync, "{fleet:#}");
    assert_eq!(m["sync_failing"]["count"], 2);
    let agg = run(
        &TestEnv::new(),
        &["aggregate", fleet_dir.path().to_str().expect("utf8")],
    );
    let text = String::from_utf8(agg.stdout).expect("utf8");
    assert!(
        text.contains(&format!("{}\n", server.ring_url()))
            && text.contains("Last sync:")
            && text.contains("its last sync failed, say"),
        "{text}"
    );

    let out = run(&env, &["diagnose", "--arch", "x86_64"]);
    let text = String::from_utf8(out.stdout).expect("utf8");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("mirror status"))
        .unwrap_or_else(|| panic!("no mirror status row:\n{text}"));
    assert!(
        row.contains("last sync") && row.contains("failed: Error (0)"),
        "{row}"
    );
    assert!(text.contains("mirror-sync-stalled"), "{text}");

    // check: the same values, as JSON and as gauges.
    let out = run(&env, &["check", "--format", "json", "--arch", "x86_64"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = stdout_json(&out);
    assert_eq!(
        doc["snapshot"]["mirror"]["last_sync_timestamp_seconds"],
        last_sync
    );
    assert_eq!(doc["snapshot"]["mirror"]["last_sync_success"], false);
    assert!(doc["snapshot"]["predicted_stale_timestamp_seconds"].is_i64());
    let out = run(
        &env,
        &["check", "--format", "prometheus", "--arch", "x86_64"],
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name}:\n{text}"))
            .parse()
            .expect("number")
    };
    assert_eq!(
        value("mdatp_doctor_mirror_last_sync_timestamp_seconds") as i64,
        last_sync
    );
    assert_eq!(value("mdatp_doctor_mirror_last_sync_success"), 0.0);
    assert!(
        (value("mdatp_doctor_predicted_stale_timestamp_seconds") as i64 - predicted).abs() < 120
    );
    assert!(
        text.contains("mdatp_doctor_finding{id=\"mirror-sync-stalled\",severity=\"warning\"} 1"),
        "{text}"
    );

    // The event log's run line carries the same (SIEM).
    let out = run(&env, &["check", "--arch", "x86_64", "--log-json", "-"]);
    let text = String::from_utf8(out.stdout).expect("utf8");
    let line: Value = serde_json::from_str(text.lines().next().expect("run line")).expect("json");
    let detail = &line["mdatp_doctor"];
    assert_eq!(line["event"]["dataset"], "mdatp_doctor.run");
    assert_eq!(detail["mirror_last_sync_success"], false);
    assert_eq!(
        detail["mirror_last_sync"],
        jiff::Timestamp::from_second(last_sync)
            .expect("ts")
            .to_string()
    );
    assert!(detail["predicted_stale"].is_string(), "{line:#}");

    // The mirror syncs again: quiet, and the gauge says 1.
    let mut ok = serde_json::from_str::<Value>(&failing_status(1, 1, "x")).expect("json");
    ok["last_attempt"] = serde_json::json!({"at": ago(1), "ok": true});
    write_status(&tree, ok.to_string().as_bytes());
    let out = run(
        &env,
        &["check", "--format", "prometheus", "--arch", "x86_64"],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        text.contains("mdatp_doctor_mirror_last_sync_success 1\n"),
        "{text}"
    );
}

#[test]
fn a_bundle_keeps_the_status_reading_and_its_re_diagnosis_predicts_the_same() {
    use crate::from_bundle::{engineer, write_bundle};
    let tree = MirrorTree::healthy();
    write_status(
        &tree,
        failing_status(2, 26, "proxy answered 403 \u{1b}[2J").as_bytes(),
    );
    let server = MirrorServer::http(tree.root.path());
    let env = endpoint(&server.ring_url(), 20);
    let logs = env.path().join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    let bundle = env.path().join("b.tar.gz");
    let out = write_bundle(&env, &logs, &bundle, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = server.accepted();
    let out = engineer(&env)
        .args(["diagnose", "--format", "json", "--from-bundle"])
        .arg(&bundle)
        .output()
        .expect("runs");
    let report = stdout_json(&out);
    assert_eq!(server.accepted(), hits, "re-diagnosing probes nothing");
    assert!(ids(&report).contains(&"mirror-sync-stalled"), "{report:#}");
    assert_eq!(
        report["snapshot"]["mirror"]["status"]["status"]["last_attempt"]["ok"],
        false
    );
    let error = report["snapshot"]["mirror"]["status"]["status"]["last_attempt"]["error"]
        .as_str()
        .expect("error");
    assert!(!error.chars().any(char::is_control), "{error:?}");
}
