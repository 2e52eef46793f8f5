//! What leaves the machine, attacked (issue 26, items 10–12): the event log on a full
//! disk (a file size limit set in the child, and a real full tmpfs when we may mount
//! one), tokens and credentials in mdatp's fail reason against every output that leaves
//! the process, and host names that only appear in free text against a real bundle made
//! with `--redact-domain`. Real files, real processes, the real binary.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::bundle::{all_text, read_bundle};
use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health};

const MIRROR: &str = "http://127.0.0.1:9/linux/production/";

/// An endpoint whose definitions are `hours_ago` old, with `fail_reason` as mdatp's.
fn endpoint(hours_ago: i64, fail_reason: &'static str) -> TestEnv {
    let mut env = TestEnv::new();
    let mut defs = Defs::healthy(MIRROR);
    defs.hours_ago = hours_ago;
    defs.fail_reason = fail_reason;
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(MIRROR, false));
    env
}

/// Every line of an event log, each parsed as one JSON object; a torn or glued line
/// fails the test.
fn parsed_lines(text: &str) -> Vec<Value> {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "a torn last line: {:?}",
        &text[text.len().saturating_sub(200)..]
    );
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert!(v.is_object(), "{l}");
            v
        })
        .collect()
}

/// Whole JSON lines of exactly `total` bytes (a shipper's earlier lines).
fn earlier_lines(total: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    while out.len() < total {
        let left = total - out.len();
        // `{"n":N,"pad":""}\n` is at most 30 bytes without the padding; a short tail line
        // takes what is left.
        let head = format!("{{\"n\":{n},\"pad\":\"");
        let room = if left >= 130 {
            100
        } else {
            left - head.len() - 3
        };
        out.push_str(&head);
        out.push_str(&"x".repeat(room));
        out.push_str("\"}\n");
        n += 1;
    }
    assert_eq!(out.len(), total);
    out
}

/// Runs `cmd` with the file size limit (RLIMIT_FSIZE) at `limit` bytes in the child
/// only: what a full disk does to a write, on any machine, without root. SIGXFSZ is left
/// at its default (which kills with a core dump): the binary must ignore it itself, so
/// that a write past the limit returns EFBIG.
fn with_file_size_limit(mut cmd: Command, limit: u64) -> Output {
    // SAFETY: between fork and exec the closure only makes two async-signal-safe system
    // calls and touches no memory of the parent's.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0
                || libc::signal(libc::SIGXFSZ, libc::SIG_DFL) == libc::SIG_ERR
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.stdin(Stdio::null()).output().expect("runs")
}

/// `diagnose --log-json` into a log holding `size` bytes of earlier lines, with room for
/// `room` more bytes under the file size limit.
fn diagnose_into_a_log_near_the_limit(
    size: usize,
    room: u64,
) -> (TestEnv, PathBuf, String, Output) {
    let env = endpoint(1, "");
    let log = env.path().join("events.json");
    let before = earlier_lines(size);
    std::fs::write(&log, &before).expect("write");
    let mut cmd = env.std_cmd();
    cmd.args(["diagnose", "--skip-network", "--log-json"])
        .arg(&log);
    let out = with_file_size_limit(cmd, before.len() as u64 + room);
    (env, log, before, out)
}

#[test]
fn a_write_cut_short_by_the_file_size_limit_leaves_no_torn_line() {
    // Room for 100 more bytes: the run's line (several hundred) is cut in the middle by
    // the kernel, as on a disk that fills up during the write.
    let (env, log, before, out) = diagnose_into_a_log_near_the_limit(64 * 1024, 100);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let after = std::fs::read_to_string(&log).expect("log");
    parsed_lines(&after);
    assert_eq!(after, before, "the partial line was cut back");
    assert_eq!(
        out.status.code(),
        Some(3),
        "an ok run whose log failed: {stderr}"
    );
    assert!(
        stderr.contains("cannot write the event log") && stderr.contains("bytes fit"),
        "{stderr}"
    );
    // The log stays usable: the next run appends whole lines after the earlier ones.
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--log-json"])
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let all = parsed_lines(&std::fs::read_to_string(&log).expect("log"));
    assert_eq!(
        all.last().expect("a line")["event"]["dataset"],
        "mdatp_doctor.run"
    );
}

#[test]
fn a_log_already_at_the_file_size_limit_is_an_error_not_a_core_dump() {
    // A write that starts at the limit raises SIGXFSZ, whose default kills the process
    // with a core dump; the binary ignores it and reports EFBIG like a full disk.
    let (_env, log, before, out) = diagnose_into_a_log_near_the_limit(4 * 1024, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{:?}: {stderr}", out.status);
    assert!(stderr.contains("cannot write the event log"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&log).expect("log"), before);
}

/// A tmpfs of `size` mounted on `dir` for the life of the value.
struct Mounted(PathBuf);

impl Mounted {
    fn tmpfs(dir: &Path, size: &str) -> Mounted {
        std::fs::create_dir_all(dir).expect("mkdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "mounting a tmpfs needs root: `bash .ci/run` runs it as root"
        );
        Mounted(dir.to_path_buf())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
#[ignore = "needs root to mount a tmpfs (.ci/run runs it)"]
fn a_disk_that_fills_during_the_write_leaves_no_torn_line() {
    let env = endpoint(100, "");
    let disk = Mounted::tmpfs(&env.path().join("small"), "64k");
    let log = disk.0.join("events.json");
    // Three pages, the last with 96 bytes free; then the rest of the file system is
    // taken, so the run's lines get those 96 bytes and then ENOSPC.
    let before = earlier_lines(3 * 4096 - 96);
    std::fs::write(&log, &before).expect("write");
    let mut filler = std::fs::File::create(disk.0.join("filler")).expect("filler");
    let page = [0u8; 4096];
    while filler.write(&page).is_ok_and(|n| n > 0) {}
    drop(filler);
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--log-json"])
        .arg(&log)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let after = std::fs::read_to_string(&log).expect("log");
    parsed_lines(&after);
    assert_eq!(after, before, "the partial line was cut back");
    // A critical run stays critical; the failure is said.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write the event log") && stderr.contains("bytes fit"),
        "{stderr}"
    );
}

/// mdatp's fail reason holding credentials in every form the bundle knows.
const FAIL_REASON: &str = "Download failed: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.SflKxwRJSMeKKF2QT4fw \
     from https://user:s3cretPW@mirror01.corp.example/linux/production/ (HTTP 401; \
     Proxy-Authorization: Basic dXNlcjpzM2NyZXQ=; password=hunter2pw; \
     blob https://acct.blob.core.windows.net/defs/updates.zip?sv=2020-08-04&sig=U0FTc2lnbmF0dXJl&se=2030)";

/// The secret parts of [`FAIL_REASON`]: none may leave.
const SECRETS: &[&str] = &[
    "eyJhbGciOiJSUzI1NiJ9",
    "eyJzdWIiOiJ4In0",
    "SflKxwRJSMeKKF2QT4fw",
    "s3cretPW",
    "dXNlcjpzM2NyZXQ",
    "hunter2pw",
    "U0FTc2lnbmF0dXJl",
];

/// Each secret of [`SECRETS`] found in `text`, as `what: secret`.
fn leaks(what: &str, text: &str) -> Vec<String> {
    SECRETS
        .iter()
        .filter(|s| text.contains(*s))
        .map(|s| format!("{what}: {s}"))
        .collect()
}

#[test]
fn tokens_in_the_fail_reason_leave_in_no_report_event_or_monitoring_output() {
    let env = endpoint(1, FAIL_REASON);
    let log = env.path().join("events.json");
    // Each output, and whether it quotes the fail reason (Prometheus has no free text).
    let runs: &[(&[&str], bool)] = &[
        (&["diagnose", "--format", "json"], true),
        (&["diagnose"], true),
        (&["health", "--format", "json"], true),
        (&["check", "--format", "nagios"], true),
        (&["check", "--format", "checkmk"], true),
        (&["check", "--format", "json"], true),
        (&["check", "--format", "prometheus"], false),
        (&["diagnose", "--log-json", "-"], true),
        (&["check", "--log-json", "-"], true),
    ];
    let mut leaked = Vec::new();
    for (args, quotes) in runs {
        let mut cmd = env.cmd();
        cmd.args(*args);
        if args[0] != "health" {
            cmd.arg("--skip-network");
        }
        let out = cmd.output().expect("runs");
        let what = args.join(" ");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.is_empty(), "{what}: {out:?}");
        leaked.extend(leaks(&what, &stdout));
        leaked.extend(leaks(
            &format!("{what} (stderr)"),
            &String::from_utf8_lossy(&out.stderr),
        ));
        if *quotes && leaked.is_empty() {
            // The rest of the reason stays readable, the masks say where secrets were.
            for kept in [
                "Download failed",
                "Bearer REDACTED",
                "REDACTED@mirror01.corp.example/linux/production/",
                "HTTP 401",
            ] {
                assert!(stdout.contains(kept), "{what} lost {kept:?}:\n{stdout}");
            }
        }
    }
    // The event log file, for the commands a SIEM follows.
    for command in ["diagnose", "check"] {
        let out = env
            .cmd()
            .args([command, "--skip-network", "--log-json"])
            .arg(&log)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{out:?}");
    }
    let text = std::fs::read_to_string(&log).expect("log");
    leaked.extend(leaks("--log-json FILE", &text));
    assert!(leaked.is_empty(), "leaked:\n{}", leaked.join("\n"));
    let events = parsed_lines(&text);
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["rule"]["id"] == "definitions-update-failed")
        .collect();
    assert_eq!(failed.len(), 2, "one finding line per run");
    for e in failed {
        let message = e["message"].as_str().expect("message");
        assert!(message.contains("Bearer REDACTED"), "{message}");
        let evidence = e["mdatp_doctor"]["evidence"].to_string();
        assert!(evidence.contains("password=REDACTED"), "{evidence}");
    }
}

/// A host name under the redacted domain, in the forms free text holds it.
const DOMAIN_LOG: &str = "info: resolved Mirror01.CORP.example to its address\n\
    warn: backup.eu.corp.example did not answer; fallback ns1.corp.example.\n\
    info: public go.microsoft.com stays, and so does x-corp.example (another company)\n";

#[test]
fn redact_domain_replaces_every_host_under_it_in_every_file_and_the_manifest() {
    let mut env = TestEnv::new();
    let mirror = "http://mirror01.corp.example:8000/linux/production/";
    let mut defs = Defs::healthy(mirror);
    defs.fail_reason = "Download from mirror01.corp.example failed; proxy.corp.example said 502";
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")))
        .on(
            "connectivity test",
            Reply::stdout("Testing connection with https://x.cp.wd.microsoft.com ... [OK]\n")
                .stderr("warning: MIRROR01.corp.EXAMPLE is slow\n"),
        )
        .on("*", Reply::stdout(""));
    env.write_managed_config(&format!(
        r#"{{"cloudService": {{"proxy": "http://alice:pw@proxy.corp.example:3128/"}},
            "antivirusEngine": {{"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "{mirror}"}}}}"#
    ));
    let logs = env.path().join("logs");
    std::fs::create_dir_all(logs.join("rotated")).expect("mkdir");
    std::fs::write(logs.join("microsoft_defender_core.log"), DOMAIN_LOG).expect("log");
    // A log named after the host, and a wdavcfg path under the domain that does not
    // exist: the names reach the entry list and the manifest's `skipped`.
    std::fs::write(
        logs.join("rotated/mirror01.corp.example.log.1"),
        "older line\n",
    )
    .expect("log");
    let wdavcfg = env.path().join("cfg.corp.example");

    let out_path = env.path().join("domain.tar.gz");
    let out = env
        .cmd()
        .args(["bundle", "--skip-network", "--format", "json", "-o"])
        .arg(&out_path)
        .arg("--log-dir")
        .arg(&logs)
        .arg("--wdavcfg")
        .arg(&wdavcfg)
        .args(["--redact-domain", "Corp.Example"])
        .output()
        .expect("runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = read_bundle(&out_path);
    let names: Vec<&String> = files.keys().collect();
    let text = all_text(&files);
    // Nowhere, in any case: not in a file, not in a name, not in the manifest.
    for (name, bytes) in &files {
        let lower = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        let leaks: Vec<&str> = lower
            .match_indices("corp.example")
            .map(|(i, _)| &lower[i.saturating_sub(30)..(i + 40).min(lower.len())])
            .filter(|around| !around.contains("x-corp.example"))
            .collect();
        assert!(leaks.is_empty(), "{name}: {leaks:#?}");
        assert!(
            !name.to_ascii_lowercase().contains("corp.example"),
            "{names:?}"
        );
    }
    // One placeholder per name, the same in every file and case.
    let manifest: Value = serde_json::from_slice(&files["MANIFEST.json"]).expect("manifest");
    let log = String::from_utf8_lossy(&files["logs/microsoft_defender_core.log"]).into_owned();
    let report: Value = serde_json::from_slice(&files["report.json"]).expect("report");
    let url = report["snapshot"]["mirror"]["url"].as_str().expect("url");
    let host = url
        .strip_prefix("http://")
        .and_then(|r| r.split(':').next())
        .expect("a host");
    assert!(host.starts_with("host-"), "{url}");
    assert!(
        log.contains(&format!("resolved {host} to its address")),
        "{log}"
    );
    let stderr = manifest["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["path"] == "mdatp/connectivity-test.txt")
        .map(|e| e["source"]["stderr"].to_string())
        .expect("the call's entry");
    assert!(
        stderr.contains(&format!("warning: {host} is slow")),
        "{stderr}"
    );
    assert!(
        files.contains_key(&format!("logs/rotated/{host}.log.1")),
        "{names:?}"
    );
    // The rest stays readable: Microsoft's names, another company's, the proxy's
    // credentials masked as always, and the manifest says a domain was redacted.
    assert!(log.contains("public go.microsoft.com stays"), "{log}");
    assert!(log.contains("x-corp.example (another company)"), "{log}");
    assert!(!text.contains("alice:pw"), "the proxy's credentials");
    assert_eq!(
        manifest["redaction"]["domains"], 1,
        "{:#}",
        manifest["redaction"]
    );
    assert_eq!(manifest["redaction"]["ids"], false);
    // The bundle reads back whole.
    let listed = env
        .cmd()
        .args(["bundle", "--list-contents"])
        .arg(&out_path)
        .output()
        .expect("runs");
    assert_eq!(listed.status.code(), Some(0), "{listed:?}");
    // Re-diagnosed, the `host-N` placeholders are known as placeholders (as with
    // --redact-ids): the mirror URL is listed as redacted, never judged by its form.
    let rediagnosed = env
        .cmd()
        .args(["diagnose", "--format", "json", "--from-bundle"])
        .arg(&out_path)
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&rediagnosed.stdout).expect("json");
    let redacted = doc["source"]["redacted"].to_string();
    assert!(redacted.contains("mirror: url"), "{redacted}");
}

#[test]
fn redact_domain_takes_only_a_domain_with_a_dot() {
    let env = TestEnv::new();
    for bad in ["local", "corp..example", "-x.example"] {
        let out = env
            .cmd()
            .args(["bundle", "--skip-network"])
            .arg(format!("--redact-domain={bad}"))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(64), "{bad}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("not a DNS domain") || stderr.contains("one label"),
            "{bad}: {stderr}"
        );
    }
    let out = env
        .cmd()
        .args(["bundle", "--no-redact", "--redact-domain", "corp.example"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(64),
        "--no-redact conflicts: {out:?}"
    );
}
