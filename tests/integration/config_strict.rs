//! `config check` is as strict as `diagnose` about the managed file (issue 13 §2), and
//! reading it never blocks nor costs more than the file is worth (issue 14 #12-#14):
//! the real binary on real files, with the fake mdatp where `diagnose` needs one.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::testenv::{
    DEFINITIONS, Defs, Reply, TestEnv, finding, fixture_path, full_health, ids, stdout_json,
};

/// `config check --format json FILE`: the exit code and the report.
fn config_check(env: &TestEnv, file: &Path) -> (i32, Value, Output) {
    let out = env
        .cmd()
        .args(["config", "check", "--format", "json"])
        .arg(file)
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let code = out.status.code().expect("exit code");
    let report = if out.stdout.is_empty() {
        Value::Null
    } else {
        stdout_json(&out)
    };
    (code, report, out)
}

/// `diagnose --format json --skip-network`, plus `args`.
fn diagnose(env: &TestEnv, args: &[&str]) -> (i32, Value) {
    let out = env
        .cmd()
        .args(["diagnose", "--format", "json", "--skip-network"])
        .args(args)
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    (out.status.code().expect("code"), stdout_json(&out))
}

/// An endpoint whose health shows `defs`, on a build of `version`.
fn endpoint(defs: &Defs, version: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health(version)));
    env
}

/// A managed file with offline updates on, this URL and this verification switch.
fn managed(url: &str, verify: Option<&str>) -> String {
    let features = match verify {
        Some(v) => format!(",\n  \"features\": {{\"offlineDefinitionUpdateVerifySig\": \"{v}\"}}"),
        None => String::new(),
    };
    format!(
        "{{\"antivirusEngine\": {{\"offlineDefinitionUpdate\": \"enabled\",\n  \
         \"offlineDefinitionUpdateUrl\": \"{url}\"}}{features}}}"
    )
}

fn count(report: &Value, id: &str) -> usize {
    ids(report).iter().filter(|i| **i == id).count()
}

fn write(env: &TestEnv, name: &str, text: &str) -> PathBuf {
    let path = env.path().join(name);
    std::fs::write(&path, text).expect("write");
    path
}

const GOOD_URL: &str = "http://127.0.0.1:9/linux/production/";
const ARCH_NO_SCHEME: &str = "mirror.example:8000/linux/production/arch_x86_64/";

#[test]
fn config_check_runs_the_url_rules_on_the_file() {
    let env = TestEnv::new();
    // Today's repro: no scheme and the arch folder in the URL gave exit 0.
    let file = write(&env, "m.json", &managed(ARCH_NO_SCHEME, Some("enabled")));
    let (code, report, _) = config_check(&env, &file);
    assert_eq!(code, 2, "{report:#}");
    // Most severe first: the arch folder (critical), then no scheme (a warning: how mdatp
    // reads a scheme-less URL is not documented).
    assert_eq!(ids(&report), ["url-includes-arch", "url-malformed"]);
    assert_eq!(finding(&report, "url-malformed")["severity"], "warning");
    let arch = finding(&report, "url-includes-arch");
    assert_eq!(
        arch["evidence"][0]["source"],
        format!("{}:2", file.display())
    );
    // Each fix is the whole corrected URL: scheme added, arch folder cut.
    for f in report["findings"].as_array().expect("findings") {
        assert!(
            f["fix"]
                .as_str()
                .expect("fix")
                .contains("\"http://mirror.example:8000/linux/production/\""),
            "{f:#}"
        );
    }
    for (url, id, code) in [
        ("http://m:8000/mac/production/", "url-platform-mismatch", 2),
        ("http://m:8000/updates/", "url-not-ring-folder", 1),
        ("http://m:8000/linux/production_back/", "url-rollback", 0),
    ] {
        let file = write(&env, "m.json", &managed(url, Some("enabled")));
        let (got, report, _) = config_check(&env, &file);
        assert_eq!((got, ids(&report)), (code, vec![id]), "{url}");
    }
    // Offline updates on, and no mirror named anywhere in the file.
    let file = write(&env, "m.json", &managed("", Some("enabled")));
    let (code, report, _) = config_check(&env, &file);
    assert_eq!((code, ids(&report)), (2, vec!["url-missing"]));
    assert!(env.invocations().is_empty(), "config check runs no mdatp");
}

#[test]
fn diagnose_says_each_url_problem_once() {
    let bad = "http://mirror.example:8000/linux/production/arch_x86_64/";
    // The URL in use is the file's: the url rules speak, the config rules do not repeat.
    let env = endpoint(&Defs::healthy(bad), "101.25012.0000");
    env.write_managed_config(&managed(bad, Some("enabled")));
    let (_, report) = diagnose(&env, &[]);
    assert_eq!(count(&report, "url-includes-arch"), 1, "{:?}", ids(&report));
    // Same URL, spelled differently: still the same URL.
    env.write_managed_config(&managed(
        "HTTP://MIRROR.EXAMPLE:8000/linux/production/arch_x86_64",
        Some("enabled"),
    ));
    let (_, report) = diagnose(&env, &[]);
    assert_eq!(count(&report, "url-includes-arch"), 1, "{:?}", ids(&report));

    // Health uses another (good) URL: the file's URL is still wrong, said from the file.
    let env = endpoint(&Defs::healthy(GOOD_URL), "101.25012.0000");
    env.write_managed_config(&managed(bad, Some("enabled")));
    let (_, report) = diagnose(&env, &[]);
    assert_eq!(count(&report, "url-includes-arch"), 1, "{:?}", ids(&report));
    let f = &report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == "url-includes-arch")
        .expect("present")["title"];
    assert!(
        f.as_str().expect("title").starts_with("The managed file's"),
        "{f}"
    );
    assert!(ids(&report).contains(&"config-not-applied"));

    // No mdatp: the file's URL is the one in use, judged once.
    let env = TestEnv::new();
    env.write_managed_config(&managed(ARCH_NO_SCHEME, Some("enabled")));
    let (code, report) = diagnose(&env, &["--mdatp", "/nonexistent/mdatp"]);
    assert_eq!(code, 2);
    assert_eq!(count(&report, "url-malformed"), 1, "{:?}", ids(&report));
    assert_eq!(count(&report, "url-includes-arch"), 1, "{:?}", ids(&report));
}

#[test]
fn verification_off_in_the_file() {
    let env = TestEnv::new();
    let disabled = write(&env, "off.json", &managed(GOOD_URL, Some("disabled")));
    let (code, report, _) = config_check(&env, &disabled);
    assert_eq!((code, ids(&report)), (2, vec!["config-verify-sig-off"]));
    let title = report["findings"][0]["title"].as_str().expect("title");
    assert!(
        title.contains("before 101.26062.0005") && title.contains("ignored"),
        "{title}"
    );
    let absent = write(&env, "absent.json", &managed(GOOD_URL, None));
    let (code, report, _) = config_check(&env, &absent);
    assert_eq!((code, ids(&report)), (1, vec!["config-verify-sig-off"]));
    assert_eq!(report["findings"][0]["severity"], "warning");

    // Health available: it decides (verify-sig-disabled), the file rule stays quiet.
    let env = endpoint(
        &Defs {
            verify: "disabled",
            ..Defs::healthy(GOOD_URL)
        },
        "101.25012.0000",
    );
    env.write_managed_config(&managed(GOOD_URL, Some("disabled")));
    let (_, report) = diagnose(&env, &[]);
    assert_eq!(
        count(&report, "verify-sig-disabled"),
        1,
        "{:?}",
        ids(&report)
    );
    assert_eq!(
        count(&report, "config-verify-sig-off"),
        0,
        "{:?}",
        ids(&report)
    );
    // Health says verification is on while the file leaves it out: nothing to say.
    let env = endpoint(&Defs::healthy(GOOD_URL), "101.25012.0000");
    env.write_managed_config(&managed(GOOD_URL, None));
    let (_, report) = diagnose(&env, &[]);
    assert_eq!(
        count(&report, "config-verify-sig-off"),
        0,
        "{:?}",
        ids(&report)
    );

    // No health: the file rule speaks, once.
    let env = TestEnv::new();
    env.write_managed_config(&managed(GOOD_URL, Some("disabled")));
    let (code, report) = diagnose(&env, &["--mdatp", "/nonexistent/mdatp"]);
    assert_eq!(code, 2);
    assert_eq!(
        count(&report, "config-verify-sig-off"),
        1,
        "{:?}",
        ids(&report)
    );
    assert_eq!(count(&report, "verify-sig-disabled"), 0);
}

#[test]
fn the_update_interval_outside_the_documented_ranges() {
    let env = TestEnv::new();
    for (value, code, says) in [
        ("30", 1, "below 60 s, the minimum of the macOS schema"),
        ("90000", 1, "above 86400 s"),
        ("-1", 2, "is negative"),
        ("28800", 0, ""),
    ] {
        let file = write(
            &env,
            "m.json",
            &format!("{{\"cloudService\": {{\"definitionUpdatesInterval\": {value}}}}}"),
        );
        let (got, report, _) = config_check(&env, &file);
        assert_eq!(got, code, "{value}: {report:#}");
        if !says.is_empty() {
            let title = report["findings"][0]["title"].as_str().expect("title");
            assert!(title.contains(says), "{value}: {title}");
        }
    }
    let file = write(
        &env,
        "m.json",
        "{\"cloudService\": {\"definitionUpdatesInterval\": 30}}",
    );
    let (_, report, _) = config_check(&env, &file);
    assert!(
        report["findings"][0]["title"]
            .as_str()
            .expect("title")
            .contains("Intune's Linux setting allows 0-86400")
    );
}

#[test]
fn the_full_sample_profile_passes_clean_and_new_keys_are_checked() {
    let env = TestEnv::new();
    let full = fixture_path("managed/synthetic/full-2026-profile.json");
    let (code, report, _) = config_check(&env, &full);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], serde_json::json!([]));
    // The same keys, with the mistakes the checker must now see.
    let text = std::fs::read_to_string(&full)
        .expect("fixture")
        .replace("\"dayOfWeek\": 7", "\"dayOfWeek\": 9")
        .replace("\"scanType\": \"full\"", "\"scanTyp\": \"full\"")
        .replace(
            "\"scheduledScan\": \"enabled\"",
            "\"scheduledScan\": \"on\"",
        );
    let file = write(&env, "m.json", &text);
    let (code, report, _) = config_check(&env, &file);
    assert_eq!(code, 1, "{report:#}");
    let mut found = ids(&report);
    found.sort_unstable();
    assert_eq!(
        found,
        [
            "config-invalid-value",
            "config-invalid-value",
            "config-unknown-key"
        ]
    );
}

#[test]
fn a_named_file_that_cannot_be_read_is_an_error() {
    let env = TestEnv::new();
    let missing = env.path().join("nope").join("m.json");
    let (code, report, out) = config_check(&env, &missing);
    assert_eq!(code, 3);
    assert_eq!(report["error"]["kind"], "config_not_found");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Intune"));
    // A directory, named explicitly.
    let (code, report, _) = config_check(&env, env.path());
    assert_eq!(
        (code, &report["error"]["kind"]),
        (3, &Value::from("config_not_a_file"))
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .expect("message")
            .contains("is a directory")
    );
    // Human output: the error on stderr, nothing pretending to be a verdict.
    let out = env
        .cmd()
        .args(["config", "check"])
        .arg(&missing)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    // The default path keeps its meaning: absent may just mean Intune.
    let out = env.cmd().args(["config", "check"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("config-not-found"));
}

/// Runs `cmd` and fails the test if it has not ended within `limit` (killing it): the
/// hang guard, which only a blocked run reaches.
fn finishes_within(mut cmd: std::process::Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let start = Instant::now();
    let waiter = std::thread::spawn(move || child.wait_with_output().expect("wait"));
    while !waiter.is_finished() {
        if start.elapsed() > limit {
            // SAFETY: kill(2) on the pid of our own child, which has not been reaped.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            let _ = waiter.join();
            panic!("still running after {limit:?}: it blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    waiter.join().expect("join")
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[test]
fn a_fifo_never_hangs_the_run() {
    let env = TestEnv::new();
    let fifo = env.path().join("fifo.json");
    mkfifo(&fifo);
    let limit = crate::testenv::HANG_GUARD;
    // Named explicitly: an error saying what it is.
    let mut cmd = env.std_cmd();
    cmd.args(["config", "check", "--format", "json"]).arg(&fifo);
    let out = finishes_within(cmd, limit);
    assert_eq!(out.status.code(), Some(3));
    let report = stdout_json(&out);
    assert_eq!(report["error"]["kind"], "config_not_a_file");
    assert!(
        report["error"]["message"]
            .as_str()
            .expect("message")
            .contains("FIFO"),
        "{report:#}"
    );
    // Named with --managed-config, config check refuses it the same way.
    let mut cmd = env.std_cmd();
    cmd.args(["config", "check", "--format", "json", "--managed-config"])
        .arg(&fifo);
    let out = finishes_within(cmd, limit);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stdout_json(&out)["error"]["kind"], "config_not_a_file");
    // As the managed file (from the environment, as the default path would be) for config
    // check, and as --managed-config for diagnose and check: a finding.
    for (args, named) in [
        (&["config", "check", "--format", "json"][..], false),
        (
            &["diagnose", "--format", "json", "--skip-network"][..],
            true,
        ),
        (&["check", "--format", "json", "--skip-network"][..], true),
    ] {
        let mut cmd = env.std_cmd();
        cmd.args(args).args(["--mdatp", "/nonexistent/mdatp"]);
        if named {
            cmd.arg("--managed-config").arg(&fifo);
        } else {
            cmd.env("MDATP_DOCTOR_MANAGED_CONFIG", &fifo);
        }
        let out = finishes_within(cmd, limit);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("config-unreadable"), "{args:?}: {text}");
        assert!(text.contains("FIFO"), "{args:?}: {text}");
    }
}

#[test]
fn a_repeated_section_is_not_a_false_invalid_value() {
    let text = "{\"antivirusEngine\": {\"offlineDefinitionUpdate\": \"enabled\",\n\
                \"scanArchives\": true},\n\
                \"features\": {\"offlineDefinitionUpdateVerifySig\": \"enabled\"},\n\
                \"antivirusEngine\": {\"offlineDefinitionUpdateUrl\": \"http://127.0.0.1:9/linux/production/\"}}";
    let env = TestEnv::new();
    let file = write(&env, "m.json", text);
    let (code, report, _) = config_check(&env, &file);
    assert_eq!(
        (code, ids(&report)),
        (1, vec!["config-duplicate-key"]),
        "{report:#}"
    );
    let d = &report["findings"][0];
    assert!(
        d["title"]
            .as_str()
            .expect("title")
            .contains("only the last (line 4) counts"),
        "{d:#}"
    );
    let ignored: Vec<&str> = d["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter(|e| e["value"] == "(ignored: in an earlier copy)")
        .map(|e| e["key"].as_str().expect("key"))
        .collect();
    assert_eq!(
        ignored,
        [
            "antivirusEngine.offlineDefinitionUpdate",
            "antivirusEngine.scanArchives"
        ]
    );
    assert!(d["fix"].as_str().expect("fix").contains("inferred"));
    // diagnose reads the same file the same way.
    let env = endpoint(&Defs::healthy(GOOD_URL), "101.25012.0000");
    env.write_managed_config(text);
    let (_, report) = diagnose(&env, &[]);
    assert_eq!(
        count(&report, "config-duplicate-key"),
        1,
        "{:?}",
        ids(&report)
    );
    assert_eq!(
        count(&report, "config-invalid-value"),
        0,
        "{:?}",
        ids(&report)
    );
}

#[test]
fn a_hostile_file_costs_a_bounded_report() {
    let env = TestEnv::new();
    // 0.96 MB: 120 nested objects, then 88 000 keys (the hardening run's input).
    let inner: Vec<String> = (0..88_000).map(|i| format!("\"k{i}\":0")).collect();
    let deep = format!(
        "{{\"antivirusEngine\":{}{{{}}}{}}}",
        "{\"a\":".repeat(119),
        inner.join(","),
        "}".repeat(119)
    );
    let file = write(&env, "deep.json", &deep);
    let (code, report, out) = config_check(&env, &file);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        ids(&report).contains(&"config-too-complex"),
        "{:?}",
        ids(&report)
    );
    assert!(out.stdout.len() < 20_000, "{} bytes", out.stdout.len());
    // One key of 900 KB: no quadratic edit distance, no megabytes of output.
    let file = write(
        &env,
        "bigkey.json",
        &format!(
            "{{\"antivirusEngine\": {{\"{}\": 1}}}}",
            "x".repeat(900_000)
        ),
    );
    let (code, report, out) = config_check(&env, &file);
    assert_eq!((code, ids(&report)), (1, vec!["config-unknown-key"]));
    assert!(out.stdout.len() < 10_000, "{} bytes", out.stdout.len());
}
