//! The SIEM event log end to end: `--log-json` lines as a shipper reads them (each one
//! JSON object ≤ 64 KiB, whole even under concurrent runs, secrets redacted), and the real
//! consumers where this machine has them: journald (`--journal`, read back with
//! journalctl) and rsyslog (contrib/rsyslog, through imfile and mmjsonparse).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health};

/// A mirror URL with credentials: they must never reach an event.
const URL: &str = "http://mirroruser:Hunter2Secret@127.0.0.1:9/linux/production/";
const MAX_LINE: usize = 64 * 1024;

/// An endpoint whose definitions are `hours_ago` old (100: critical).
fn endpoint(hours_ago: i64) -> TestEnv {
    let mut env = TestEnv::new();
    let mut defs = Defs::healthy(URL);
    defs.hours_ago = hours_ago;
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(URL, false));
    env
}

/// Every line parsed, after checking it is one JSON object within the size limit and
/// carries no secret.
fn lines(text: &str) -> Vec<Value> {
    assert!(text.ends_with('\n') || text.is_empty(), "a torn last line");
    text.lines()
        .map(|l| {
            assert!(l.len() < MAX_LINE, "{} bytes", l.len());
            assert!(!l.contains("Hunter2Secret"), "a secret leaked: {l}");
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert!(v.is_object());
            v
        })
        .collect()
}

#[test]
fn diagnose_appends_a_line_for_the_run_and_one_per_finding() {
    let env = endpoint(100);
    let log = env.path().join("events.json");
    for _ in 0..2 {
        let out = env
            .cmd()
            .args([
                "diagnose",
                "--skip-network",
                "--format",
                "json",
                "--log-json",
            ])
            .arg(&log)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        // The report on stdout is unchanged by the event log.
        let report: Value = serde_json::from_slice(&out.stdout).expect("report");
        assert_eq!(report["verdict"], "critical");
    }
    let events = lines(&std::fs::read_to_string(&log).expect("log"));
    let runs: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"]["dataset"] == "mdatp_doctor.run")
        .collect();
    assert_eq!(runs.len(), 2, "appended, not replaced");
    let run = runs[0];
    assert_eq!(run["event"]["kind"], "event");
    assert_eq!(run["event"]["action"], "diagnose");
    assert_eq!(run["event"]["outcome"], "failure");
    assert_eq!(run["mdatp_doctor"]["verdict"], "critical");
    assert_eq!(run["mdatp_doctor"]["exit_code"], 2);
    assert_eq!(run["mdatp_doctor"]["definitions_version"], "1.407.417.0");
    assert!(!run["host"]["name"].as_str().expect("host").is_empty());
    assert_recent_utc(run["@timestamp"].as_str().expect("ts"));
    let ids = run["mdatp_doctor"]["finding_ids"]
        .as_array()
        .expect("ids")
        .clone();
    assert!(ids.contains(&Value::from("definitions-stale")), "{run:#}");
    let stale = events
        .iter()
        .find(|e| e["rule"]["id"] == "definitions-stale")
        .expect("a line for the finding");
    assert_eq!(stale["event"]["kind"], "alert");
    assert_eq!(stale["event"]["dataset"], "mdatp_doctor.finding");
    assert_eq!(stale["log"]["level"], "critical");
    assert_eq!(stale["event"]["severity"], 2);
    assert_eq!(
        stale["mdatp_doctor"]["run_id"],
        run["mdatp_doctor"]["run_id"]
    );
    assert!(!stale["message"].as_str().expect("message").is_empty());
    // One line for each run and one per finding of that run.
    assert_eq!(events.len(), 2 * (1 + ids.len()));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&log).expect("meta").permissions(),
    );
    assert_eq!(mode & 0o777, 0o640);
}

/// An RFC 3339 UTC time within the last ten minutes.
fn assert_recent_utc(s: &str) {
    let t: jiff::Timestamp = s.parse().unwrap_or_else(|e| panic!("{e}: {s}"));
    assert!(s.ends_with('Z'), "UTC: {s}");
    assert!(
        jiff::Timestamp::now().duration_since(t).as_secs() < 600,
        "{s} is not now"
    );
}

#[test]
fn concurrent_runs_never_interleave_a_line() {
    let env = endpoint(100);
    let log = env.path().join("events.json");
    let children: Vec<_> = (0..6)
        .map(|_| {
            env.std_cmd()
                .args(["check", "--skip-network", "--log-json"])
                .arg(&log)
                .stdout(Stdio::null())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().expect("wait").code(), Some(2));
    }
    let events = lines(&std::fs::read_to_string(&log).expect("log"));
    let runs = events
        .iter()
        .filter(|e| e["event"]["dataset"] == "mdatp_doctor.run")
        .count();
    assert_eq!(runs, 6);
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e["mdatp_doctor"]["run_id"].as_str())
        .collect();
    ids.dedup();
    // A run's lines are written in one piece: its run id never comes back after another's.
    assert_eq!(ids.len(), 6, "one run's lines were split by another's");
}

#[test]
fn a_dash_prints_the_events_instead_of_the_output() {
    let env = endpoint(1);
    let out = env
        .cmd()
        .args([
            "check",
            "--skip-network",
            "--format",
            "prometheus",
            "--log-json",
            "-",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let events = lines(&String::from_utf8(out.stdout).expect("utf-8"));
    assert_eq!(events.len(), 1, "a healthy run: its line alone");
    assert_eq!(events[0]["event"]["outcome"], "success");
    assert_eq!(events[0]["event"]["action"], "check");
    assert_eq!(events[0]["mdatp_doctor"]["verdict"], "ok");
    assert!(events[0]["event"]["duration"].as_u64().expect("ns") > 0);
}

#[test]
fn update_logs_its_outcome() {
    let mut env = TestEnv::new();
    let defs = Defs::healthy("http://127.0.0.1:9/linux/production/");
    env.on(DEFINITIONS, Reply::stdout(&defs.text())).on(
        "definitions update",
        Reply::stdout("Security intelligence is up to date\n"),
    );
    let out = env
        .cmd()
        .args(["update", "--no-wait", "--log-json", "-"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let events = lines(&String::from_utf8(out.stdout).expect("utf-8"));
    assert_eq!(events[0]["event"]["action"], "update");
    assert_eq!(events[0]["mdatp_doctor"]["outcome"], "triggered");
    assert_eq!(
        events[0]["mdatp_doctor"]["definitions_version"],
        "1.407.417.0"
    );
}

#[test]
fn a_log_that_cannot_be_written_is_unknown_and_says_why() {
    let env = endpoint(1);
    let target = env.path().join("elsewhere");
    std::fs::write(&target, "keep\n").expect("write");
    let link = env.path().join("events.json");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--log-json"])
        .arg(&link)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "an ok run whose log failed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot write the event log") && stderr.contains("symbolic link"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep\n");
}

#[test]
fn the_log_rotates_at_its_cap() {
    let env = endpoint(100);
    let log = env.path().join("events.json");
    for _ in 0..3 {
        env.cmd()
            .args([
                "diagnose",
                "--skip-network",
                "--log-json-max",
                "1KiB",
                "--log-json",
            ])
            .arg(&log)
            .output()
            .expect("runs");
    }
    let current = lines(&std::fs::read_to_string(&log).expect("log"));
    let old = lines(&std::fs::read_to_string(env.path().join("events.json.1")).expect("old"));
    // Each run's lines exceed 1 KiB: each run starts a new file, the previous one is kept.
    assert_eq!(current[0]["event"]["dataset"], "mdatp_doctor.run");
    assert_eq!(old[0]["event"]["dataset"], "mdatp_doctor.run");
    assert_ne!(
        current[0]["mdatp_doctor"]["run_id"],
        old[0]["mdatp_doctor"]["run_id"]
    );
}

/// A process killed when the test ends, however it ends.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            // Only a daemon that never gets there meets the hang guard.
            started.elapsed() < crate::testenv::HANG_GUARD,
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn journald() -> Option<PathBuf> {
    [
        "/lib/systemd/systemd-journald",
        "/usr/lib/systemd/systemd-journald",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// A journald namespace of our own (its socket under /run/systemd/journal.NS, its files
/// removed afterwards), so the machine's journal is never touched.
struct Namespace {
    name: String,
    _daemon: Daemon,
}

impl Namespace {
    fn start() -> Namespace {
        let bin = journald().expect("systemd-journald: `bash .ci/run` installs systemd");
        let name = format!("mdatpdoctortest{}", std::process::id());
        let daemon = Daemon(
            Command::new(bin)
                .arg(&name)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("journald starts"),
        );
        let ns = Namespace {
            name,
            _daemon: daemon,
        };
        let socket = ns.socket();
        wait_for("the namespace's socket", || socket.exists());
        ns
    }

    fn socket(&self) -> PathBuf {
        PathBuf::from(format!("/run/systemd/journal.{}/socket", self.name))
    }

    fn read(&self, filter: &str) -> Vec<Value> {
        let out = Command::new("journalctl")
            .args([
                "--namespace",
                &self.name,
                "-o",
                "json",
                "--no-pager",
                filter,
            ])
            .output()
            .expect("journalctl runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let suffix = format!(".{}", self.name);
        for dir in ["/var/log/journal", "/run/log/journal"] {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if e.file_name().to_string_lossy().ends_with(&suffix) {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let _ = std::fs::remove_dir_all(format!("/run/systemd/journal.{}", self.name));
    }
}

#[test]
#[ignore = "needs systemd-journald, journalctl and root (.ci/run runs it)"]
fn the_journal_gets_each_event_with_structured_fields() {
    let ns = Namespace::start();
    let env = endpoint(100);
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--journal", "--log-json", "-"])
        .env("MDATP_DOCTOR_JOURNAL_SOCKET", ns.socket())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = lines(&String::from_utf8(out.stdout).expect("utf-8"));
    let run_id = events[0]["mdatp_doctor"]["run_id"].as_str().expect("id");
    let filter = format!("MDATP_DOCTOR_RUN_ID={run_id}");
    let mut entries = Vec::new();
    wait_for("the entries in the journal", || {
        entries = ns.read(&filter);
        entries.len() >= events.len()
    });
    assert_eq!(entries.len(), events.len());
    let stale = entries
        .iter()
        .find(|e| e["MDATP_DOCTOR_RULE_ID"] == "definitions-stale")
        .expect("the finding's entry");
    assert_eq!(stale["PRIORITY"], "2");
    assert_eq!(stale["SYSLOG_IDENTIFIER"], "mdatp-doctor");
    assert_eq!(stale["MDATP_DOCTOR_SEVERITY"], "critical");
    assert_eq!(stale["MDATP_DOCTOR_VERDICT"], "critical");
    assert_eq!(stale["_TRANSPORT"], "journal");
    // The whole event rides along and is the same as the log line.
    let inner: Value =
        serde_json::from_str(stale["MDATP_DOCTOR_EVENT"].as_str().expect("event")).expect("json");
    assert_eq!(inner["rule"]["id"], "definitions-stale");
    for e in &entries {
        assert!(!e.to_string().contains("Hunter2Secret"), "{e}");
    }
}

#[test]
fn no_journal_is_a_warning_not_a_failure() {
    let env = endpoint(1);
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--journal"])
        .env("MDATP_DOCTOR_JOURNAL_SOCKET", env.path().join("no-socket"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no event sent to the journal"), "{stderr}");
}

const RSYSLOG_STANZA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/contrib/rsyslog/mdatp-doctor.conf"
);

/// rsyslog with the shipped stanza reading `log`, each message parsed as JSON by
/// mmjsonparse and written to `out` as `tag|facility|dataset|rule id|json`.
fn rsyslog_config(dir: &Path, log: &Path, out: &Path) -> PathBuf {
    let stanza = std::fs::read_to_string(RSYSLOG_STANZA)
        .expect("stanza")
        .replace(
            "/var/log/mdatp-doctor/events.json",
            &log.display().to_string(),
        );
    assert!(
        stanza.contains(&log.display().to_string()),
        "the path moved"
    );
    let work = dir.join("rsyslog-work");
    std::fs::create_dir_all(&work).expect("mkdir");
    let conf = dir.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            "global(maxMessageSize=\"64k\" workDirectory=\"{work}\")\n{stanza}\n\
             module(load=\"mmjsonparse\")\n\
             template(name=\"t\" type=\"string\" string=\"%syslogtag%|%syslogfacility-text%|%$!event!dataset%|%$!rule!id%|%$!all-json%\\n\")\n\
             if $programname == \"mdatp-doctor\" then {{\n\
               action(type=\"mmjsonparse\" cookie=\"\")\n\
               action(type=\"omfile\" file=\"{out}\" template=\"t\")\n\
             }}\n",
            work = work.display(),
            out = out.display(),
        ),
    )
    .expect("write conf");
    conf
}

#[test]
#[ignore = "needs rsyslogd (.ci/run installs rsyslog)"]
fn rsyslog_reads_the_log_with_the_shipped_stanza() {
    let rsyslogd = which::which("rsyslogd").expect("rsyslogd: `bash .ci/run` installs it");
    let env = endpoint(100);
    let log = env.path().join("events.json");
    let out = env.path().join("rsyslog-out");
    let conf = rsyslog_config(env.path(), &log, &out);
    // The stanza as shipped passes rsyslog's own config check.
    let checked = Command::new(&rsyslogd)
        .args(["-N1", "-f"])
        .arg(&conf)
        .output()
        .expect("rsyslogd -N1");
    assert!(checked.status.success(), "{checked:?}");
    // A finding with a huge evidence value: its line is cut below 64 KiB and arrives whole.
    let mut env = env;
    env.on(
        "health",
        Reply::stdout(&full_health(&format!("101.{}", "9".repeat(100_000)))),
    );
    let run = env
        .cmd()
        .args(["diagnose", "--skip-network", "--log-json"])
        .arg(&log)
        .output()
        .expect("runs");
    assert!(run.status.code().is_some_and(|c| c >= 1), "{run:?}");
    let written = lines(&std::fs::read_to_string(&log).expect("log"));
    let _daemon = Daemon(
        Command::new(&rsyslogd)
            .args(["-n", "-i"])
            .arg(env.path().join("rsyslog.pid"))
            .arg("-f")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rsyslogd starts"),
    );
    let mut got = String::new();
    wait_for("rsyslog's output", || {
        got = std::fs::read_to_string(&out).unwrap_or_default();
        got.lines().count() >= written.len()
    });
    let received: Vec<&str> = got.lines().collect();
    assert_eq!(received.len(), written.len());
    for (line, sent) in received.iter().zip(&written) {
        let mut parts = line.splitn(5, '|');
        let (tag, facility, dataset, rule, json) = (
            parts.next().expect("tag"),
            parts.next().expect("facility"),
            parts.next().expect("dataset"),
            parts.next().expect("rule"),
            parts.next().expect("json"),
        );
        assert_eq!((tag, facility), ("mdatp-doctor", "local0"));
        assert_eq!(dataset, sent["event"]["dataset"]);
        assert_eq!(rule, sent["rule"]["id"].as_str().unwrap_or_default());
        // mmjsonparse took the whole line as JSON: nothing was cut on the way.
        let mut parsed: Value = serde_json::from_str(json).expect("rsyslog's JSON");
        // imfile adds where it read the line.
        let meta = parsed
            .as_object_mut()
            .and_then(|o| o.remove("metadata"))
            .expect("imfile's metadata");
        assert_eq!(meta["filename"], log.display().to_string());
        assert_eq!(&parsed, sent);
    }
}

#[test]
fn a_run_that_fails_before_its_report_still_logs_why() {
    let env = endpoint(1);
    let log = env.path().join("events.json");
    let out = env
        .cmd()
        .args(["update", "--log-json"])
        .arg(&log)
        .env("MDATP_DOCTOR_MDATP", env.path().join("no-mdatp"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let events = lines(&std::fs::read_to_string(&log).expect("log"));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"]["outcome"], "unknown");
    assert_eq!(events[0]["mdatp_doctor"]["exit_code"], 3);
    let why = events[0]["mdatp_doctor"]["error"].as_str().expect("error");
    assert!(why.contains("no-mdatp"), "{why}");
    // A usage error is the caller's, not the host's: nothing logged.
    let out = env
        .cmd()
        .args(["diagnose", "--explain", "no-such-id", "--log-json"])
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(64));
    assert_eq!(lines(&std::fs::read_to_string(&log).expect("log")).len(), 1);
}
