//! `check` for monitoring: every format in OK/WARNING/CRITICAL/UNKNOWN, thresholds, the
//! deadline, the atomic textfile, and the shipped systemd units.

use std::os::unix::fs::MetadataExt;

use crate::server::{MirrorServer, MirrorTree};
use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health};

const OFFLINE_URL: &str = "http://127.0.0.1:9/linux/production/";

fn endpoint(defs: &Defs) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(&defs.url, defs.fallback));
    env
}

/// Runs `check` with extra arguments; returns the exit code and stdout.
fn check(env: &TestEnv, args: &[&str]) -> (i32, String) {
    let out = env.cmd().arg("check").args(args).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().expect("code"),
        String::from_utf8(out.stdout).expect("utf8"),
    )
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[test]
fn ok_with_one_round_of_requests_to_the_mirror() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let env = endpoint(&Defs::healthy(&server.ring_url()));
    let (code, out) = check(&env, &["--arch", "x86_64"]);
    assert_eq!(code, 0, "{out}");
    assert!(first_line(&out).starts_with("MDATP OFFLINE-UPDATES OK - definitions 1.407.417.0, 60 minutes old, from the mirror | definitions_age="), "{out}");
    let mut hits = server.hits();
    hits.sort();
    assert_eq!(
        hits,
        [
            "GET /linux/production/arch_x86_64/manifest.json",
            "GET /linux/production/arch_x86_64/updates.zip",
            "GET /linux/production/mdatp-doctor-status.json"
        ],
        "monitoring probes the manifest, the package's first bytes and the mirror's status \
         file, in one round"
    );
    let history = std::fs::read_to_string(env.state_dir().join("history.jsonl")).expect("history");
    assert!(
        history.contains("\"command\":\"check\""),
        "the run is recorded as check: {history}"
    );
}

#[test]
fn warning_critical_and_unknown_in_every_format() {
    let mut stale = Defs::healthy(OFFLINE_URL);
    stale.hours_ago = 30;
    let mut failed = Defs::healthy(OFFLINE_URL);
    failed.fail_reason = "Download failed";
    let cases = [
        (endpoint(&stale), 1, "WARNING", "definitions-stale"),
        (
            endpoint(&failed),
            2,
            "CRITICAL",
            "definitions-update-failed",
        ),
    ];
    for (env, code, word, id) in cases {
        let (c, out) = check(&env, &["--skip-network"]);
        assert_eq!(c, code, "{out}");
        assert!(
            first_line(&out).starts_with(&format!("MDATP OFFLINE-UPDATES {word} - {id}: ")),
            "{out}"
        );
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("[{word}] {id}: "))),
            "long output lists it: {out}"
        );

        let (c, out) = check(&env, &["--skip-network", "--format", "checkmk"]);
        assert_eq!(c, 0, "the local-check script itself succeeds");
        assert!(
            out.starts_with(&format!(
                "{code} \"MDATP offline updates\" definitions_age="
            )),
            "{out}"
        );
        assert!(out.contains(&format!(" {word} - {id}: ")), "{out}");

        let (c, out) = check(&env, &["--skip-network", "--format", "json"]);
        assert_eq!(c, code);
        let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(doc["verdict"], word.to_ascii_lowercase());

        let (c, out) = check(&env, &["--skip-network", "--format", "prometheus"]);
        assert_eq!(c, 0);
        assert!(
            out.contains(&format!(
                "mdatp_doctor_finding{{id=\"{id}\",severity=\"{}\"}} 1",
                word.to_ascii_lowercase()
            )),
            "{out}"
        );
    }

    let env = TestEnv::new();
    let (c, out) = check(&env, &["--skip-network", "--mdatp", "/nonexistent/mdatp"]);
    assert_eq!(c, 3, "{out}");
    assert!(
        first_line(&out).starts_with("MDATP OFFLINE-UPDATES UNKNOWN - mdatp-not-found: "),
        "{out}"
    );
    let (_, out) = check(
        &env,
        &[
            "--skip-network",
            "--mdatp",
            "/nonexistent/mdatp",
            "--format",
            "checkmk",
        ],
    );
    assert!(out.starts_with("3 \"MDATP offline updates\" "), "{out}");
}

#[test]
fn thresholds_in_plugin_range_syntax_and_as_durations() {
    let mut defs = Defs::healthy(OFFLINE_URL);
    defs.hours_ago = 2;
    let env = endpoint(&defs);
    let (code, out) = check(
        &env,
        &["--skip-network", "--warn-age", "~:3600", "--crit-age", "1d"],
    );
    assert_eq!(code, 1, "{out}");
    // The age is about 7200 s; a second may tick between writing the sample and the check.
    let perf = first_line(&out)
        .split_once(" | ")
        .map(|(_, p)| p)
        .unwrap_or("");
    let age = perf
        .strip_prefix("definitions_age=")
        .and_then(|r| r.split_once("s;"))
        .expect("age first");
    assert!(
        (7200..7260).contains(&age.0.parse::<i64>().expect("seconds")),
        "{out}"
    );
    assert!(age.1.starts_with("~:3600;86400;0 "), "{out}");
    let (code, _) = check(&env, &["--skip-network", "--warn-age", "@0:3600"]);
    assert_eq!(code, 0, "2 h is outside the @0:3600 alert range");
    let (code, _) = check(&env, &["--skip-network", "--crit-age", "1h"]);
    assert_eq!(code, 2);

    for bad in ["abc", "20:10", "", "5x"] {
        let (code, out) = check(&env, &["--skip-network", "--warn-age", bad]);
        assert_eq!(code, 3, "nagios mode answers UNKNOWN to `{bad}`");
        assert!(
            out.starts_with("MDATP OFFLINE-UPDATES UNKNOWN - bad argument: "),
            "{out}"
        );
    }
    let out = env
        .cmd()
        .args(["check", "--format", "json", "--warn-age", "abc"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(64),
        "outside nagios mode a usage error is 64"
    );
    let out = env
        .cmd()
        .args(["diagnose", "--format", "nagios"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(64),
        "monitoring formats are for check only"
    );
}

#[test]
fn the_deadline_bounds_a_hanging_mdatp() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::empty().hang())
        .on("health", Reply::empty().hang());
    let (code, out) = check(
        &env,
        &["--skip-network", "--deadline", "2", "--timeout", "60"],
    );
    assert_eq!(code, 3, "{out}");
    assert!(
        first_line(&out).starts_with("MDATP OFFLINE-UPDATES UNKNOWN - "),
        "{out}"
    );
    let pid = env.last_pid().expect("fake ran");
    assert!(
        crate::testenv::wait_dead(pid),
        "mdatp {pid} outlived the deadline"
    );
    // What ended it is said in the answer, not read off a stopwatch: the deadline's inner
    // limit (80 %, 1.6 s) cut the hung call, or, last resort, the deadline itself; never
    // mdatp's own 60 s. How soon `check` answers is measured in scripts/bench.sh.
    let (code, json) = check(
        &env,
        &[
            "--skip-network",
            "--deadline",
            "2",
            "--timeout",
            "60",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 3, "{json}");
    assert!(
        json.contains("did not finish within 1.6 s and was killed")
            || json.contains("no result within the 2 s deadline"),
        "{json}"
    );
}

#[test]
fn the_textfile_is_replaced_atomically_and_is_valid() {
    let env = endpoint(&Defs::healthy(OFFLINE_URL));
    let dir = env.path().join("textfile");
    std::fs::create_dir(&dir).expect("mkdir");
    let file = dir.join("mdatp_doctor.prom");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A reader racing the writers must only ever see a complete file (or none yet).
    let reader = {
        let (file, stop) = (file.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if let Ok(text) = std::fs::read_to_string(&file) {
                    assert!(
                        text.ends_with('\n') && text.contains("mdatp_doctor_run_duration_seconds "),
                        "partial file seen:\n{text}"
                    );
                    reads += 1;
                }
            }
            reads
        })
    };
    for _ in 0..8 {
        let (code, out) = check(
            &env,
            &[
                "--skip-network",
                "--format",
                "prometheus",
                "--textfile-dir",
                dir.to_str().expect("utf8"),
            ],
        );
        assert_eq!(
            (code, out.as_str()),
            (0, ""),
            "nothing on stdout when writing the file"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(
        reader.join().expect("reader") > 0,
        "the reader saw the file"
    );
    assert_eq!(
        std::fs::metadata(&file).expect("written").mode() & 0o777,
        0o644
    );
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["mdatp_doctor.prom"], "no temporary file left");
    let text = std::fs::read_to_string(&file).expect("read");
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("valid exposition");
    let value = |name: &str| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name)
            .map(|s| s.value.clone())
    };
    assert!(
        matches!(value("mdatp_doctor_update_source_is_mirror"), Some(prometheus_parse::Value::Gauge(v)) if v == 1.0)
    );
    assert!(
        matches!(value("mdatp_doctor_check_success"), Some(prometheus_parse::Value::Gauge(v)) if v == 1.0)
    );

    let (code, _) = check(
        &env,
        &[
            "--skip-network",
            "--format",
            "prometheus",
            "--textfile-dir",
            "/nonexistent/dir",
        ],
    );
    assert_eq!(code, 3, "an unwritable textfile directory is an error");
}

#[test]
#[ignore = "needs systemd-analyze (.ci/run installs systemd)"]
fn shipped_systemd_units_verify() {
    let analyze = which::which("systemd-analyze")
        .expect("systemd-analyze is not installed: `bash .ci/run` installs it");
    let env = TestEnv::new();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd");
    let names = [
        "mdatp-doctor-textfile.service",
        "mdatp-doctor-textfile.timer",
        "mdatp-doctor-mirror.service",
        "mdatp-doctor-mirror.timer",
        "mdatp-doctor-mirror-check.service",
        "mdatp-doctor-mirror-check.timer",
    ];
    for name in names {
        // The unit names the installed path; verify against the binary built here (and
        // without man pages: ours are not installed on the test machine).
        let text = std::fs::read_to_string(repo.join(name))
            .expect("unit")
            .replace("/usr/bin/mdatp-doctor", env!("CARGO_BIN_EXE_mdatp-doctor"));
        std::fs::write(env.path().join(name), text).expect("write");
    }
    let out = std::process::Command::new(analyze)
        .args(["verify", "--man=no"])
        .args(names.iter().map(|n| env.path().join(n)))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("mdatp-doctor-"))
        .collect();
    assert!(
        out.status.success() && problems.is_empty(),
        "systemd-analyze verify:\n{stderr}"
    );
}

/// `--format icinga`: the body of an Icinga 2 API `process-check-result` request, the
/// state in `exit_status`, so the command itself exits 0.
fn icinga(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let out = env
        .cmd()
        .env("MDATP_DOCTOR_TEST_HOSTNAME", "web01.example.org")
        .arg("check")
        .args(args)
        .args(["--format", "icinga"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "the state is in the body");
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

#[test]
fn icinga_process_check_result_bodies_for_ok_and_critical() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let env = endpoint(&Defs::healthy(&server.ring_url()));
    let body = icinga(&env, &["--arch", "x86_64"]);
    assert_eq!(body["exit_status"], 0, "{body:#}");
    let output = body["plugin_output"].as_str().expect("plugin_output");
    assert!(
        output.starts_with("MDATP OFFLINE-UPDATES OK - definitions 1.407.417.0, 60 minutes old"),
        "{body:#}"
    );
    assert!(!output.contains('|'), "no perfdata in the text: {body:#}");
    let perf: Vec<&str> = body["performance_data"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|p| p.as_str().expect("strings"))
        .collect();
    assert!(
        perf.iter()
            .any(|p| p.starts_with("definitions_age=") && p.ends_with("s;86400;259200;0")),
        "{perf:?}"
    );
    assert!(perf.contains(&"findings_critical=0;;;0"), "{perf:?}");
    assert_eq!(body["check_source"], "web01.example.org");
    let (start, end) = (
        body["execution_start"].as_f64().expect("start"),
        body["execution_end"].as_f64().expect("end"),
    );
    assert!(start > 1.5e9 && end >= start, "{body:#}");

    let mut failed = Defs::healthy(OFFLINE_URL);
    failed.fail_reason = "Download failed";
    let body = icinga(&endpoint(&failed), &["--skip-network"]);
    assert_eq!(body["exit_status"], 2, "{body:#}");
    let output = body["plugin_output"].as_str().expect("plugin_output");
    let mut lines = output.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("MDATP OFFLINE-UPDATES CRITICAL - definitions-update-failed: "),
        "{body:#}"
    );
    assert!(
        lines.any(|l| l.starts_with("[CRITICAL] definitions-update-failed: ")),
        "the long output follows: {body:#}"
    );
    assert!(
        body["performance_data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "findings_critical=1;;;0"),
        "{body:#}"
    );
}
