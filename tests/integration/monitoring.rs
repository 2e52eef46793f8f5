//! The monitoring integrations in contrib/, each checked by the software that consumes it:
//! node_exporter scrapes the textfile, promtool runs the rules' unit tests, nagios4 and
//! icinga2 validate their configs, zabbix_agent2 runs the UserParameter. Those tests are
//! ignored in a plain `cargo test` (the tools are not there) and fail, never pass, when run
//! without the tool; `.ci/run` installs the tools and runs them. The Grafana dashboard and
//! the Checkmk local-check line need no tool: they are checked against the real output here.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server::{MirrorServer, MirrorTree};
use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health};

const OFFLINE_URL: &str = "http://127.0.0.1:9/linux/production/";

fn contrib(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(rel)
}

/// The tool's path; asked to run, a test must run, so a missing tool is a failure.
fn need(tool: &str) -> PathBuf {
    which::which(tool).unwrap_or_else(|_| {
        panic!("{tool} is not installed: `bash .ci/run` installs it (see its apt_install lines)")
    })
}

fn endpoint(defs: &Defs) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(&defs.url, defs.fallback));
    env
}

/// An endpoint whose last update failed: verdict critical, one critical finding.
fn failing_endpoint() -> TestEnv {
    let mut defs = Defs::healthy(OFFLINE_URL);
    defs.fail_reason = "Download failed";
    endpoint(&defs)
}

/// A child process killed and reaped when the test ends, passed or failed.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs a command to its end (killed past the project's hang guard: only a hang gets near
/// it, never a slow machine), output through files so a chatty tool can never block on a
/// full pipe.
fn run(cmd: &mut Command) -> Ran {
    let limit = crate::testenv::HANG_GUARD;
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(&out).expect("stdout file"))
        .stderr(File::create(&err).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut child = Killed(child);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            start.elapsed() < limit,
            "{cmd:?} still runs after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    Ran {
        status,
        stdout: std::fs::read_to_string(&out).expect("stdout"),
        stderr: std::fs::read_to_string(&err).expect("stderr"),
    }
}

/// A port that was free on loopback a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind loopback")
        .port()
}

/// GET http://127.0.0.1:<port><path>; the body of a 200, or None if nothing answers yet.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).ok()?;
    // A stalled answer is a hang, not a slow machine.
    conn.set_read_timeout(Some(crate::testenv::HANG_GUARD))
        .ok()?;
    write!(conn, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    conn.read_to_string(&mut text).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "{head}"
    );
    Some(body.to_string())
}

/// The `name{labels}` part of every sample line in a text exposition.
fn series(exposition: &str) -> Vec<String> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            l.rsplit_once(' ')
                .expect("sample has a value")
                .0
                .to_string()
        })
        .collect()
}

/// The metric names of a text exposition.
fn families(exposition: &str) -> BTreeSet<String> {
    series(exposition)
        .iter()
        .map(|s| s.split('{').next().expect("name").to_string())
        .collect()
}

/// The value of one series in a scrape.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .map(|v| v.trim().parse().expect("sample value"))
    })
}

// ---------------------------------------------------------------- Prometheus

#[test]
#[ignore = "needs prometheus-node-exporter (.ci/run installs it)"]
fn node_exporter_serves_the_textfile_and_never_sees_it_half_written() {
    let exporter = need("prometheus-node-exporter");
    let env = failing_endpoint();
    let textdir = env.path().join("textfile");
    std::fs::create_dir(&textdir).expect("mkdir");
    let check = |env: &TestEnv| {
        let mut cmd = env.std_cmd();
        cmd.args(["check", "--format", "prometheus", "--skip-network"])
            .arg("--textfile-dir")
            .arg(&textdir);
        cmd
    };
    let first = run(&mut check(&env));
    assert!(first.status.success(), "{}", first.stderr);
    assert_eq!(
        first.stdout, "",
        "with --textfile-dir the metrics go to the file"
    );
    let written = std::fs::read_to_string(textdir.join("mdatp_doctor.prom")).expect("textfile");

    let (_exporter, port, scrape) = scrape_textfiles(&exporter, &textdir);
    for s in series(&written) {
        assert!(
            sample(&scrape, &s).is_some(),
            "{s} is in the textfile but not in the scrape:\n{scrape}"
        );
    }
    assert_eq!(
        sample(
            &scrape,
            r#"mdatp_doctor_finding{id="definitions-update-failed",severity="critical"}"#
        ),
        Some(1.0)
    );
    assert_eq!(sample(&scrape, "mdatp_doctor_check_success"), Some(1.0));

    // `check` replaces the file in a loop while node_exporter is scraped as fast as it
    // answers: every scrape sees a whole file (no parse error, every series there).
    let runs: Vec<Command> = (0..15).map(|_| check(&env)).collect();
    let writer = std::thread::spawn(move || {
        for mut cmd in runs {
            let ran = run(&mut cmd);
            assert!(ran.status.success(), "{}", ran.stderr);
        }
    });
    let mut scrapes = 0;
    let mut stamps = BTreeSet::new();
    let start = Instant::now();
    while !writer.is_finished() {
        assert!(
            start.elapsed() < crate::testenv::HANG_GUARD,
            "the rewrite loop does not end"
        );
        let scrape = http_get(port, "/metrics").expect("node_exporter answers");
        assert_eq!(
            sample(&scrape, "node_textfile_scrape_error"),
            Some(0.0),
            "scrape {scrapes} saw a broken textfile:\n{scrape}"
        );
        // Whole files only: every family of the first file, and its critical finding. (The
        // set of findings may change between runs: the history feeds some rules.)
        for family in families(&written) {
            assert!(
                scrape.contains(&format!("\n{family}")),
                "scrape {scrapes} lacks {family}:\n{scrape}"
            );
        }
        assert_eq!(
            sample(
                &scrape,
                r#"mdatp_doctor_finding{id="definitions-update-failed",severity="critical"}"#
            ),
            Some(1.0),
            "scrape {scrapes}"
        );
        let stamp = sample(&scrape, "mdatp_doctor_last_run_timestamp_seconds").expect("stamp");
        stamps.insert(stamp.to_bits());
        scrapes += 1;
    }
    writer.join().expect("every check run succeeded");
    assert!(scrapes >= 10, "only {scrapes} scrapes during the rewrites");
    assert!(
        stamps.len() >= 2,
        "the scrapes saw the file replaced ({} distinct runs)",
        stamps.len()
    );

    // The control: a file left half-written (as a plain, non-atomic write would be seen)
    // is an error to node_exporter, so the assertion above can fail.
    std::fs::write(
        textdir.join("half.prom"),
        &written[..written
            .find("\nmdatp_doctor_check_success ")
            .expect("sample")
            + 12],
    )
    .expect("write");
    let scrape = http_get(port, "/metrics").expect("node_exporter answers");
    assert_eq!(
        sample(&scrape, "node_textfile_scrape_error"),
        Some(1.0),
        "{scrape}"
    );
}

#[test]
#[ignore = "needs prometheus-node-exporter (.ci/run installs it)"]
fn node_exporter_serves_the_mirror_host_textfiles() {
    use crate::mirror_host::{DEFS, Fwlink, Host, fwlink, mirror_run, needs_tools};
    let exporter = need("prometheus-node-exporter");
    needs_tools();
    let host = Host::new();
    let textdir = host.path().join("textfile");
    std::fs::create_dir(&textdir).expect("mkdir");
    let dir_arg = textdir.to_str().expect("utf8 path");
    let (code, doc, stderr) = mirror_run(
        &host,
        &fwlink(Fwlink::Good, DEFS),
        &["--textfile-dir", dir_arg],
    );
    assert!(code <= 1, "{doc:#}{stderr}");
    let ran = run(Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "check", "--format", "prometheus", "--settings"])
        .arg(host.settings())
        .arg("--root")
        .arg(host.root())
        .args(["--textfile-dir", dir_arg]));
    assert!(ran.status.success(), "{}", ran.stderr);
    let written: String = ["mdatp_mirror_run.prom", "mdatp_mirror.prom"]
        .iter()
        .map(|f| std::fs::read_to_string(textdir.join(f)).expect("textfile"))
        .collect();
    let (_exporter, _, scrape) = scrape_textfiles(&exporter, &textdir);
    // node_exporter sorts the labels: compare parsed samples, not lines.
    let parse = |text: &str| {
        prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
            .expect("valid exposition")
            .samples
    };
    let served = parse(&scrape);
    let ours = parse(&written);
    assert!(ours.len() >= 8, "{written}");
    for w in &ours {
        assert!(
            served
                .iter()
                .any(|s| s.metric == w.metric && s.labels == w.labels && s.value == w.value),
            "{} {:?} is in a textfile but not in the scrape:\n{scrape}",
            w.metric,
            w.labels
        );
    }
    assert_eq!(sample(&scrape, "mdatp_mirror_run_restored"), Some(0.0));
}

/// Every `*.yml` rule file in contrib/prometheus.
fn rule_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(contrib("prometheus"))
        .expect("contrib/prometheus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

/// The alert names a YAML rule file or unit test file mentions, by a plain text scan.
fn yaml_values(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start().trim_start_matches("- ");
            l.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|v| v.trim().trim_matches(['\'', '"']).to_string())
        })
        .filter(|v| !v.is_empty())
        .collect()
}

#[test]
#[ignore = "needs promtool (.ci/run installs the prometheus package)"]
fn promtool_checks_the_rules_and_their_unit_tests_cover_every_alert() {
    let promtool = need("promtool");
    let ran = run(Command::new(&promtool)
        .args(["check", "rules"])
        .args(rule_files()));
    assert!(ran.status.success(), "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("SUCCESS"), "{}", ran.stdout);

    let mut tests: Vec<PathBuf> = std::fs::read_dir(contrib("prometheus/tests"))
        .expect("contrib/prometheus/tests")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    tests.sort();
    assert!(!tests.is_empty(), "no unit tests");
    let ran = run(Command::new(&promtool).args(["test", "rules"]).args(&tests));
    assert!(ran.status.success(), "{}{}", ran.stdout, ran.stderr);

    // Every alert has a case where it fires and one where it stays quiet.
    let alerts: BTreeSet<String> = rule_files()
        .iter()
        .flat_map(|f| yaml_values(&std::fs::read_to_string(f).expect("rules"), "alert"))
        .collect();
    assert!(alerts.contains("MdatpCriticalFinding"), "{alerts:?}");
    let test_text: String = tests
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("tests"))
        .collect();
    for alert in &alerts {
        let cases: Vec<&str> = test_text
            .split("- eval_time:")
            .filter(|case| yaml_values(case, "alertname").first() == Some(alert))
            .collect();
        assert!(
            cases.iter().any(|c| c.contains("exp_alerts: []")),
            "{alert}: no case where it stays quiet"
        );
        assert!(
            cases.iter().any(|c| c.contains("exp_labels:")),
            "{alert}: no case where it fires"
        );
    }

    // And promtool does fail a wrong expectation: the same tests, one expectation flipped.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("tests")).expect("mkdir");
    for f in rule_files() {
        std::fs::copy(&f, dir.path().join(f.file_name().expect("name"))).expect("copy");
    }
    let broken = test_text.replacen("value: 1\n", "value: 7\n", 1);
    assert_ne!(broken, test_text);
    let broken_file = dir.path().join("tests/broken.yml");
    std::fs::write(&broken_file, broken).expect("write");
    let ran = run(Command::new(&promtool)
        .args(["test", "rules"])
        .arg(&broken_file));
    assert!(!ran.status.success(), "{}", ran.stdout);
}

/// Every metric family `check --format prometheus` writes, from real runs: one against a
/// live mirror (mirror series) whose last update failed (finding series).
fn exported_metric_names() -> BTreeSet<String> {
    let tree = MirrorTree::healthy();
    // The mirror's status file (issue 28), so its series are exported too.
    let then = jiff::Timestamp::now().to_string();
    std::fs::write(
        tree.ring_dir().join("mdatp-doctor-status.json"),
        format!(
            r#"{{"schema_version": 1, "written_at": "{then}", "last_attempt": {{"at": "{then}", "ok": true}}, "last_success": "{then}"}}"#
        ),
    )
    .expect("status file");
    let server = MirrorServer::http(tree.root.path());
    let mut defs = Defs::healthy(&server.ring_url());
    defs.fail_reason = "Download failed";
    let env = endpoint(&defs);
    let out = env
        .cmd()
        .args(["check", "--format", "prometheus", "--arch", "all"])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf8");
    let names = families(&text);
    for expected in [
        "mdatp_doctor_check_success",
        "mdatp_doctor_definitions_age_seconds",
        "mdatp_doctor_finding",
        "mdatp_doctor_mirror_up",
        "mdatp_doctor_mirror_definitions_info",
        "mdatp_doctor_last_run_timestamp_seconds",
        "mdatp_doctor_mirror_last_sync_timestamp_seconds",
        "mdatp_doctor_mirror_last_sync_success",
        "mdatp_doctor_predicted_stale_timestamp_seconds",
    ] {
        assert!(names.contains(expected), "{expected} not exported:\n{text}");
    }
    let mut names = names;
    names.extend(mirror_host_metric_names());
    names
}

/// Every metric family the mirror host writes, from real runs of the downloader stand-in
/// against the loopback fwlink: `mirror run --textfile-dir` (the run's file) and
/// `mirror check --online --format prometheus` (the tree, the lag behind Microsoft).
fn mirror_host_metric_names() -> BTreeSet<String> {
    use crate::mirror_host::{DEFS, Fwlink, Host, check_online, fwlink, mirror_run, needs_tools};
    needs_tools();
    let host = Host::new();
    let base = fwlink(Fwlink::Good, DEFS);
    let textdir = host.path().join("textfile");
    std::fs::create_dir(&textdir).expect("mkdir");
    let (code, doc, stderr) = mirror_run(
        &host,
        &base,
        &["--textfile-dir", textdir.to_str().expect("utf8 path")],
    );
    // The first run has no n-1 copy yet: a warning, not a failure.
    assert!(code <= 1, "{doc:#}{stderr}");
    let run = std::fs::read_to_string(textdir.join("mdatp_mirror_run.prom")).expect("run textfile");
    let mut names = families(&run);
    let (code, text) = check_online(&host, &fwlink(Fwlink::Good, "1.441.95.0"), "prometheus");
    assert_eq!(code, 0, "{text}");
    names.extend(families(&text));
    for expected in [
        "mdatp_mirror_status",
        "mdatp_mirror_package_age_seconds",
        "mdatp_mirror_package_ok",
        "mdatp_mirror_last_check_timestamp_seconds",
        "mdatp_mirror_behind_microsoft_seconds",
        "mdatp_mirror_run_status",
        "mdatp_mirror_run_restored",
        "mdatp_mirror_run_last_timestamp_seconds",
    ] {
        assert!(
            names.contains(expected),
            "{expected} not exported:\n{run}{text}"
        );
    }
    names
}

/// The metric names a PromQL expression reads: identifiers outside label matchers,
/// strings and grouping clauses that are neither functions, keywords nor durations.
fn promql_metrics(expr: &str) -> Vec<String> {
    const WORDS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
        "sum",
        "count",
        "max",
        "min",
        "avg",
        "group",
        "topk",
        "bottomk",
        "quantile",
        "stddev",
        "stdvar",
        "count_values",
    ];
    let mut names = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut after_grouping = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' || c == '"' || c == '\'' || (c == '(' && after_grouping) || c == '[' {
            let close = match c {
                '{' => '}',
                '(' => ')',
                '[' => ']',
                q => q,
            };
            i += 1;
            while i < chars.len() && chars[i] != close {
                i += 1;
            }
            i += 1;
            after_grouping = false;
            continue;
        }
        if c == '$' {
            // A Grafana variable such as $__interval.
            i += 1;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let is_call = j < chars.len() && chars[j] == '(';
            let lower = word.to_ascii_lowercase();
            after_grouping = [
                "by",
                "without",
                "on",
                "ignoring",
                "group_left",
                "group_right",
            ]
            .contains(&lower.as_str());
            if !is_call && !WORDS.contains(&lower.as_str()) {
                names.push(word);
            }
            continue;
        }
        if c.is_ascii_digit() || c == '.' {
            // A number or a duration (5m, 1h30m).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    names
}

#[test]
fn promql_metric_extraction_sees_names_and_skips_the_rest() {
    assert_eq!(
        promql_metrics(
            r#"count by (id, severity) (mdatp_doctor_finding{severity="critical"} == 1) or vector(0)"#
        ),
        ["mdatp_doctor_finding"]
    );
    assert_eq!(
        promql_metrics("time() - foo_seconds > 72 * 3600 and on (instance) bar[5m]"),
        ["foo_seconds", "bar"]
    );
}

/// The `expr:` lines of the rule files with the recording rules they define.
fn recording_rules() -> (BTreeSet<String>, Vec<String>) {
    let mut records = BTreeSet::new();
    let mut exprs = Vec::new();
    for f in rule_files() {
        let text = std::fs::read_to_string(f).expect("rules");
        records.extend(yaml_values(&text, "record"));
        exprs.extend(yaml_values(&text, "expr"));
    }
    (records, exprs)
}

#[test]
fn the_rules_and_the_grafana_dashboard_read_only_series_the_textfile_exports() {
    let exported = exported_metric_names();
    let (records, rule_exprs) = recording_rules();
    assert!(records.len() >= 4, "{records:?}");
    for expr in &rule_exprs {
        let names = promql_metrics(expr);
        assert!(!names.is_empty(), "{expr} reads no series");
        // A rule may read a recording rule, whose own expression is checked here too.
        for name in names {
            assert!(
                exported.contains(&name) || records.contains(&name),
                "rule expression {expr} reads {name}, which neither check, mirror check, \
                 mirror run nor a recording rule exports: {exported:?}"
            );
        }
    }

    let path = contrib("grafana/mdatp-doctor.json");
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("dashboard")).expect("JSON");
    assert!(dashboard["title"].is_string() && dashboard["uid"].is_string());
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 6);
    let mut ids = BTreeSet::new();
    let mut used = BTreeSet::new();
    for panel in panels {
        let title = panel["title"].as_str().expect("every panel has a title");
        assert!(
            ids.insert(panel["id"].as_u64().expect("id")),
            "duplicate id"
        );
        for key in ["x", "y", "w", "h"] {
            assert!(panel["gridPos"][key].is_u64(), "{title}: gridPos.{key}");
        }
        assert!(
            panel["gridPos"]["x"].as_u64().unwrap() + panel["gridPos"]["w"].as_u64().unwrap() <= 24
        );
        assert_eq!(panel["datasource"]["type"], "prometheus", "{title}");
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title} has no query");
        for target in targets {
            let expr = target["expr"].as_str().expect("expr");
            let names = promql_metrics(expr);
            assert!(!names.is_empty(), "{title}: {expr} reads no series");
            for name in names {
                assert!(
                    exported.contains(&name) || records.contains(&name),
                    "{title}: {expr} reads {name}, which neither check nor a recording rule \
                     exports"
                );
                used.insert(name);
            }
        }
    }
    // The views the issue asks for: fleet, stale hosts, findings by id, the mirror.
    for name in [
        "fleet:mdatp_doctor_hosts:count",
        "fleet:mdatp_doctor_hosts_stale:count",
        "fleet:mdatp_doctor_hosts_by_finding:count",
        "mdatp_doctor_definitions_age_seconds",
        "mdatp_doctor_mirror_up",
        "mirror:mdatp_mirror_package_age_seconds:now",
        "mdatp_mirror_run_status",
    ] {
        assert!(used.contains(name), "the dashboard shows no {name}");
    }
}

// ---------------------------------------------------------------- Nagios, Icinga 2

#[test]
#[ignore = "needs nagios4 (.ci/run installs it)"]
fn nagios4_accepts_the_contrib_config() {
    let nagios = need("nagios4");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::create_dir(d.join("checkresults")).expect("mkdir");
    std::fs::write(d.join("resource.cfg"), "$USER1$=/usr/lib/nagios/plugins\n").expect("write");
    // What a site defines around the contrib file: the generic-service template it uses, a
    // host in the mdatp-endpoints hostgroup, a contact and a time period.
    std::fs::write(
        d.join("site.cfg"),
        "define timeperiod {\n  timeperiod_name 24x7\n  alias Always\n\
         sunday 00:00-24:00\n  monday 00:00-24:00\n  tuesday 00:00-24:00\n\
         wednesday 00:00-24:00\n  thursday 00:00-24:00\n  friday 00:00-24:00\n\
         saturday 00:00-24:00\n}\n\
         define command {\n  command_name notify-none\n  command_line /bin/true\n}\n\
         define command {\n  command_name check-host-alive\n  command_line /bin/true\n}\n\
         define contact {\n  contact_name admin\n  host_notification_period 24x7\n\
         service_notification_period 24x7\n  host_notification_options n\n\
         service_notification_options n\n  host_notification_commands notify-none\n\
         service_notification_commands notify-none\n}\n\
         define contactgroup {\n  contactgroup_name admins\n  members admin\n}\n\
         define service {\n  name generic-service\n  register 0\n  max_check_attempts 3\n\
         check_period 24x7\n  notification_period 24x7\n  notification_interval 0\n\
         contact_groups admins\n}\n\
         define hostgroup {\n  hostgroup_name mdatp-endpoints\n  alias MDATP endpoints\n}\n\
         define host {\n  host_name endpoint1\n  address 127.0.0.1\n  max_check_attempts 3\n\
         check_period 24x7\n  check_command check-host-alive\n  notification_period 24x7\n\
         contact_groups admins\n  hostgroups mdatp-endpoints\n}\n",
    )
    .expect("write");
    let main = |contrib_file: &Path| {
        let mut cfg = format!(
            "cfg_file={}\ncfg_file={}\nresource_file={}\n",
            d.join("site.cfg").display(),
            contrib_file.display(),
            d.join("resource.cfg").display()
        );
        for (key, name) in [
            ("log_file", "nagios.log"),
            ("status_file", "status.dat"),
            ("temp_path", ""),
            ("check_result_path", "checkresults"),
            ("lock_file", "nagios.lock"),
            ("command_file", "nagios.cmd"),
            ("state_retention_file", "retention.dat"),
            ("object_cache_file", "objects.cache"),
            ("precached_object_file", "objects.precache"),
        ] {
            cfg.push_str(&format!("{key}={}\n", d.join(name).display()));
        }
        cfg.push_str("nagios_user=root\nnagios_group=root\n");
        let path = d.join("nagios.cfg");
        std::fs::write(&path, cfg).expect("write");
        path
    };

    for entry in std::fs::read_dir(contrib("nagios")).expect("contrib/nagios") {
        let file = entry.expect("entry").path();
        if file.extension().is_none_or(|e| e != "cfg") {
            continue;
        }
        let ran = run(Command::new(&nagios).arg("-v").arg(main(&file)));
        assert!(
            ran.status.success(),
            "{}: {}{}",
            file.display(),
            ran.stdout,
            ran.stderr
        );
        assert!(ran.stdout.contains("Total Errors:   0"), "{}", ran.stdout);
        // The service was applied to the hostgroup's host.
        assert!(ran.stdout.contains("Checked 1 services."), "{}", ran.stdout);
    }

    // The control: nagios4 refuses a service whose command does not exist.
    let bad = d.join("bad.cfg");
    let text = std::fs::read_to_string(contrib("nagios/mdatp-doctor.cfg")).expect("cfg");
    std::fs::write(
        &bad,
        text.replace(
            "check_command           check_mdatp_offline_updates",
            "check_command           no_such_command",
        ),
    )
    .expect("write");
    let ran = run(Command::new(&nagios).arg("-v").arg(main(&bad)));
    assert!(!ran.status.success(), "{}", ran.stdout);
}

#[test]
#[ignore = "needs icinga2 (.ci/run installs it)"]
fn icinga2_validates_the_contrib_config_and_applies_the_service() {
    let icinga2 = need("icinga2");
    let dir = tempfile::tempdir().expect("tempdir");
    // A master with one agent endpoint (the contrib service runs there through
    // command_endpoint) and one Linux host without mdatp, which must get no service.
    let main = |contrib_file: &Path| {
        let cfg = format!(
            "include <itl>\n\
             const NodeName = \"master\"\n\
             object Endpoint \"master\" {{ }}\n\
             object Zone \"master\" {{ endpoints = [ \"master\" ] }}\n\
             object Endpoint \"endpoint1\" {{ }}\n\
             object Zone \"endpoint1\" {{ endpoints = [ \"endpoint1\" ]; parent = \"master\" }}\n\
             object Host \"endpoint1\" {{\n  zone = \"master\"\n  check_command = \"dummy\"\n\
             address = \"127.0.0.1\"\n  vars.os = \"Linux\"\n  vars.mdatp = true\n}}\n\
             object Host \"other\" {{\n  zone = \"master\"\n  check_command = \"dummy\"\n\
             vars.os = \"Linux\"\n}}\n\
             include \"{}\"\n",
            contrib_file.display()
        );
        let path = dir.path().join("icinga2.conf");
        std::fs::write(&path, cfg).expect("write");
        path
    };
    for entry in std::fs::read_dir(contrib("icinga2")).expect("contrib/icinga2") {
        let file = entry.expect("entry").path();
        if file.extension().is_none_or(|e| e != "conf") {
            continue;
        }
        let ran = run(Command::new(&icinga2)
            .args(["daemon", "-C", "-c"])
            .arg(main(&file)));
        let log = format!("{}{}", ran.stdout, ran.stderr);
        assert!(ran.status.success(), "{}: {log}", file.display());
        assert!(
            log.contains("Finished validating the configuration file(s)."),
            "{log}"
        );
        assert!(log.contains("Instantiated 1 Service."), "{log}");
    }

    // The control: icinga2 refuses a service whose check command does not exist.
    let text = std::fs::read_to_string(contrib("icinga2/mdatp-doctor.conf")).expect("conf");
    let bad = dir.path().join("bad.conf");
    std::fs::write(
        &bad,
        text.replace(
            "check_command = \"mdatp_offline_updates\"",
            "check_command = \"no_such_command\"",
        ),
    )
    .expect("write");
    let ran = run(Command::new(&icinga2)
        .args(["daemon", "-C", "-c"])
        .arg(main(&bad)));
    assert!(!ran.status.success(), "{}", ran.stdout);
}

/// One Monitoring Plugins performance datum: `'label'=value[UOM];[warn];[crit];[min];[max]`.
fn perfdata_ok(datum: &str) -> bool {
    let re = regex::Regex::new(
        r"^('[^'=]+'|[^'= ]+)=(-?[0-9]+(\.[0-9]+)?)(s|ms|us|%|B|KB|MB|TB|c)?(;([~@]?-?[0-9.~:]*)){0,2}(;(-?[0-9.]*)){0,2}$",
    )
    .expect("regex");
    re.is_match(datum)
}

#[test]
fn the_nagios_output_follows_the_monitoring_plugins_conventions() {
    let env = TestEnv::new();
    let help = env.cmd().args(["check", "--help"]).output().expect("runs");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("Usage: mdatp-doctor check"), "{text}");
    let version = env.cmd().args(["check", "-V"]).output().expect("runs");
    assert!(version.status.success());
    // The plugin name and its version, as Monitoring Plugins print them.
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        concat!("mdatp-doctor-check ", env!("CARGO_PKG_VERSION"), "\n")
    );

    let status_line =
        regex::Regex::new(r"^MDATP OFFLINE-UPDATES (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+ \| (.+)$")
            .expect("regex");
    let mut stale = Defs::healthy(OFFLINE_URL);
    stale.hours_ago = 3;
    for (env, args, code, perf) in [
        (
            failing_endpoint(),
            vec![],
            2,
            "definitions_age=3600s;86400;259200;0",
        ),
        // Thresholds in range syntax and as durations, shown in seconds like the value.
        (
            endpoint(&stale),
            vec!["--warn-age", "2h", "--crit-age", "@0:60"],
            1,
            "definitions_age=10800s;7200;@60;0",
        ),
    ] {
        let out = env
            .cmd()
            .args(["check", "--skip-network"])
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(code));
        let stdout = String::from_utf8(out.stdout).expect("utf8");
        let first = stdout.lines().next().expect("a status line");
        let caps = status_line
            .captures(first)
            .unwrap_or_else(|| panic!("{first}"));
        let data: Vec<&str> = caps[2].split(' ').collect();
        for datum in &data {
            assert!(perfdata_ok(datum), "{datum} in {first}");
        }
        let age = data
            .iter()
            .find(|d| d.starts_with("definitions_age="))
            .expect("age datum");
        // The age is measured, so compare all but the value.
        let strip = |d: &str| d.split_once("s;").expect("UOM s").1.to_string();
        assert_eq!(strip(age), strip(perf), "{first}");
    }
    assert!(!perfdata_ok("age=1h;2;3"), "h is no plugin UOM");
    assert!(!perfdata_ok("age 1"));
}

/// One Checkmk local-check line, parsed per the documented format (written from the
/// Checkmk manual, "Local checks": `<state> <service name> <metrics> <details>`; there is
/// no Checkmk package to run here). Returns (state, service, metrics, details).
fn parse_local_check(line: &str) -> Result<(u8, String, Vec<String>, String), String> {
    let (state, rest) = line.split_once(' ').ok_or("no state")?;
    let state = match state {
        "0" | "1" | "2" | "3" => state.parse().expect("digit"),
        other => return Err(format!("state {other} is not 0-3")),
    };
    let (service, rest) = if let Some(quoted) = rest.strip_prefix('"') {
        let (name, rest) = quoted.split_once("\" ").ok_or("unclosed service name")?;
        (name.to_string(), rest)
    } else {
        let (name, rest) = rest.split_once(' ').ok_or("no service name")?;
        (name.to_string(), rest)
    };
    if service.is_empty() {
        return Err("empty service name".into());
    }
    let (metrics, details) = rest.split_once(' ').ok_or("no metrics field")?;
    let metrics = if metrics == "-" {
        Vec::new()
    } else {
        let number = regex::Regex::new(r"^-?[0-9]+(\.[0-9]+)?$").expect("regex");
        let mut out = Vec::new();
        for metric in metrics.split('|') {
            let (name, values) = metric.split_once('=').ok_or(format!("{metric}: no ="))?;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("metric name {name:?}"));
            }
            let fields: Vec<&str> = values.split(';').collect();
            if fields.len() > 5 || !number.is_match(fields[0]) {
                return Err(format!("{metric}: value;warn;crit;min;max"));
            }
            for f in &fields[1..] {
                if !f.is_empty() && !number.is_match(f) {
                    return Err(format!("{metric}: {f} is not a number"));
                }
            }
            out.push(name.to_string());
        }
        out
    };
    if details.is_empty() {
        return Err("no details".into());
    }
    Ok((state, service, metrics, details.to_string()))
}

#[test]
fn the_checkmk_local_check_line_parses_per_the_documented_format() {
    assert!(parse_local_check("4 x - text").is_err());
    assert!(parse_local_check("0 \"x y - text").is_err());
    assert!(parse_local_check("0 x a=1h text").is_err());
    assert!(parse_local_check("0 x a=1;2;3 text").is_ok());

    let mut stale = Defs::healthy(OFFLINE_URL);
    stale.hours_ago = 30;
    let missing = TestEnv::new();
    for (env, extra, state) in [
        (endpoint(&Defs::healthy(OFFLINE_URL)), vec![], 0),
        (endpoint(&stale), vec![], 1),
        (failing_endpoint(), vec![], 2),
        (missing, vec!["--mdatp", "/nonexistent/mdatp"], 3),
    ] {
        let out = env
            .cmd()
            .args(["check", "--skip-network", "--format", "checkmk"])
            .args(extra)
            .output()
            .expect("runs");
        assert!(out.status.success(), "the local check itself succeeds");
        let text = String::from_utf8(out.stdout).expect("utf8");
        assert_eq!(text.lines().count(), 1, "one service, one line: {text}");
        let (s, service, metrics, details) = parse_local_check(text.trim_end_matches('\n'))
            .unwrap_or_else(|e| panic!("{e}: {text}"));
        assert_eq!(s, state, "{text}");
        assert_eq!(service, "MDATP offline updates");
        if state < 3 {
            assert!(metrics.contains(&"definitions_age".to_string()), "{text}");
        }
        let word = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][usize::from(state)];
        assert!(details.starts_with(&format!("{word} - ")), "{text}");
    }
    // The contrib script's own fallback line, for a host without mdatp-doctor.
    let script = std::fs::read_to_string(contrib("checkmk/mdatp_doctor")).expect("script");
    let fallback = script
        .lines()
        .find_map(|l| l.trim().strip_prefix("echo '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("the fallback echo");
    let (s, _, metrics, _) = parse_local_check(fallback).expect("fallback parses");
    assert_eq!((s, metrics.len()), (3, 0));
}

// ---------------------------------------------------------------- Zabbix

/// `$.a.b`, `$.a[0].b` and Zabbix's `$.a[?(@.k=='v')].b.first()`, on serde_json values.
fn jsonpath<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut rest = path.strip_prefix('$').expect("JSONPath starts with $");
    let mut first = false;
    if let Some(r) = rest.strip_suffix(".first()") {
        rest = r;
        first = true;
    }
    let mut nodes = vec![doc];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("[?(@.") {
            let (cond, r) = r.split_once(")]").expect("filter closes");
            let (key, value) = cond.split_once("==").expect("== filter");
            let value = value.trim_matches('\'');
            nodes = nodes
                .iter()
                .flat_map(|n| n.as_array().into_iter().flatten())
                .filter(|n| n[key].as_str() == Some(value))
                .collect();
            rest = r;
        } else if let Some(r) = rest.strip_prefix('[') {
            let (index, r) = r.split_once(']').expect("index closes");
            let index: usize = index.parse().expect("index");
            nodes = nodes.iter().filter_map(|n| n.get(index)).collect();
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            nodes = nodes.iter().filter_map(|n| n.get(key)).collect();
            rest = &r[end..];
        } else {
            panic!("unsupported JSONPath {path}");
        }
    }
    if first {
        nodes.truncate(1);
    }
    nodes
}

/// The JSONPaths of the template: preprocessing parameters and LLD macro paths.
fn template_jsonpaths(template: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in template.lines() {
        let t = line.trim();
        let value = t
            .strip_prefix("- '$")
            .map(|v| format!("${}", v.trim_end_matches('\'').replace("''", "'")))
            .or_else(|| {
                t.strip_prefix("path: ")
                    .map(|v| v.trim_matches('\'').to_string())
            });
        paths.extend(value);
    }
    paths
}

#[test]
fn jsonpath_subset_evaluates_like_zabbix() {
    let doc = serde_json::json!({"a": {"b": [ {"id": "x", "v": 1}, {"id": "y", "v": 2} ]}});
    assert_eq!(jsonpath(&doc, "$.a.b[1].v"), [&Value::from(2)]);
    assert_eq!(
        jsonpath(&doc, "$.a.b[?(@.id=='y')].v.first()"),
        [&Value::from(2)]
    );
    assert!(jsonpath(&doc, "$.a.c").is_empty());
}

/// The UserParameter of contrib/zabbix/mdatp-doctor.conf: (key, command).
fn user_parameter() -> (String, String) {
    let conf = std::fs::read_to_string(contrib("zabbix/mdatp-doctor.conf")).expect("conf");
    let line = conf
        .lines()
        .find_map(|l| l.strip_prefix("UserParameter="))
        .expect("a UserParameter line");
    let (key, command) = line.split_once(',').expect("key,command");
    (key.to_string(), command.to_string())
}

#[test]
#[ignore = "needs zabbix_agent2 (.ci/run installs the zabbix-agent2 package)"]
fn zabbix_agent2_runs_the_user_parameter_and_the_template_reads_its_json() {
    let agent = need("zabbix_agent2");
    let (key, command) = user_parameter();
    // The shipped command runs the packaged binary through sudo; here the built binary
    // takes its place with the same arguments (the agent passes its environment on, which
    // points the binary at the fake mdatp).
    let args = command
        .strip_prefix("/usr/bin/sudo -n /usr/bin/mdatp-doctor ")
        .expect("the command runs mdatp-doctor through sudo -n");
    assert!(args.starts_with("check --format json"), "{args}");
    let env = failing_endpoint();
    let conf = env.path().join("zabbix_agent2.conf");
    std::fs::write(
        &conf,
        format!(
            "Hostname=test\nLogType=console\nTimeout=30\nUserParameter={key},{} {args} --skip-network\n",
            env!("CARGO_BIN_EXE_mdatp-doctor")
        ),
    )
    .expect("write");
    let cmd = env.std_cmd();
    let mut agent_cmd = Command::new(&agent);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => agent_cmd.env(k, v),
            None => agent_cmd.env_remove(k),
        };
    }
    let ran = run(agent_cmd.arg("-c").arg(&conf).arg("-t").arg(&key));
    assert!(ran.status.success(), "{}{}", ran.stdout, ran.stderr);
    // `<key>   [s|<value>]` (s: a string, t: text); a failure would be [m|ZBX_NOTSUPPORTED].
    let value = ran
        .stdout
        .strip_prefix(key.as_str())
        .map(str::trim_start)
        .and_then(|v| v.strip_prefix("[s|").or_else(|| v.strip_prefix("[t|")))
        .and_then(|v| v.trim_end().strip_suffix(']'))
        .unwrap_or_else(|| panic!("not a value: {}", ran.stdout));
    let doc: Value = serde_json::from_str(value).expect("the item value is the JSON report");
    assert_eq!(doc["verdict"], "critical");

    let template =
        std::fs::read_to_string(contrib("zabbix/mdatp-doctor.template.yaml")).expect("template");
    assert!(
        template.contains(&format!("key: {key}\n")),
        "the master item is {key}"
    );
    check_template_paths(&template, &doc);
}

/// Every JSONPath of the template finds a value in a real report.
fn check_template_paths(template: &str, doc: &Value) {
    let paths = template_jsonpaths(template);
    assert!(paths.len() >= 8, "{paths:?}");
    let finding_id = doc["findings"][0]["id"].as_str().expect("a finding");
    for path in &paths {
        if path == "$.id" || path == "$.severity" {
            // LLD macro paths, relative to each element of $.findings.
            for f in doc["findings"].as_array().expect("findings") {
                assert!(jsonpath(f, path)[0].is_string(), "{path} in {f}");
            }
            continue;
        }
        let concrete = path.replace("{#ID}", finding_id);
        let found = jsonpath(doc, &concrete);
        assert_eq!(found.len(), 1, "{path} finds nothing in the report");
        assert!(!found[0].is_null(), "{path} is null in the report");
    }
    let get = |p: &str| jsonpath(doc, p)[0].clone();
    assert_eq!(get("$.verdict"), "critical");
    assert_eq!(
        get("$.snapshot.definitions.definitions_updated_minutes_ago.value"),
        60
    );
    assert_eq!(
        get("$.snapshot.definitions.definitions_version.value"),
        "1.407.417.0"
    );
    assert_eq!(
        get("$.findings[?(@.id=='definitions-update-failed')].severity.first()"),
        "critical"
    );
}

#[test]
fn the_zabbix_template_reads_fields_the_json_report_has() {
    let env = failing_endpoint();
    let out = env
        .cmd()
        .args(["check", "--skip-network", "--format", "json"])
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let template =
        std::fs::read_to_string(contrib("zabbix/mdatp-doctor.template.yaml")).expect("template");
    assert!(template.contains("version: '6.0'"));
    check_template_paths(&template, &doc);
    // Every trigger names this template and an item key it defines.
    let keys: BTreeSet<String> = yaml_values(&template, "key").into_iter().collect();
    let name = yaml_values(&template, "template")[0].clone();
    for expr in yaml_values(&template, "expression") {
        let mut rest = expr.as_str();
        let mut refs = 0;
        while let Some(at) = rest.find(&format!("/{name}/")) {
            let after = &rest[at + name.len() + 2..];
            let end = after.find([',', ')']).expect("item reference closes");
            assert!(
                keys.contains(&after[..end]),
                "{expr}: no item {}",
                &after[..end]
            );
            refs += 1;
            rest = &after[end..];
        }
        assert!(refs >= 1, "{expr} names no item of {name}");
    }
}

/// Starts the real node_exporter on loopback with only the textfile collector over `dir`,
/// scrapes it once it answers, and checks it read the directory without error. The
/// exporter runs (on the returned port) as long as the returned guard lives.
fn scrape_textfiles(exporter: &std::path::Path, dir: &std::path::Path) -> (Killed, u16, String) {
    let port = free_port();
    let logs = tempfile::NamedTempFile::new().expect("log file");
    let guard = Killed(
        Command::new(exporter)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--collector.disable-defaults")
            .arg("--collector.textfile")
            .arg(format!("--collector.textfile.directory={}", dir.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(logs.reopen().expect("log"))
            .spawn()
            .expect("node_exporter starts"),
    );
    let start = Instant::now();
    let scrape = loop {
        if let Some(body) = http_get(port, "/metrics") {
            break body;
        }
        assert!(
            start.elapsed() < crate::testenv::HANG_GUARD,
            "node_exporter does not answer on 127.0.0.1:{port}:\n{}",
            std::fs::read_to_string(logs.path()).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        sample(&scrape, "node_textfile_scrape_error"),
        Some(0.0),
        "{scrape}"
    );
    (guard, port, scrape)
}

/// A daemon started in its own process group, the whole group killed on drop (icinga2
/// forks a worker that outlives its umbrella process).
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

#[test]
#[ignore = "needs icinga2, openssl and curl (.ci/run installs them)"]
fn icinga2_accepts_the_icinga_body_as_a_passive_check_result() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let icinga2 = need("icinga2");
    let (openssl, curl) = (need("openssl"), need("curl"));
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for d in ["data/certs", "log", "cache", "spool", "run/icinga2"] {
        std::fs::create_dir_all(root.join(d)).expect("mkdir");
    }
    // One self-signed certificate is the node's and its CA.
    let certs = root.join("data/certs");
    let made = run(Command::new(&openssl)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=master", "-keyout"])
        .arg(certs.join("master.key"))
        .arg("-out")
        .arg(certs.join("master.crt")));
    assert!(made.status.success(), "{}", made.stderr);
    std::fs::copy(certs.join("master.crt"), certs.join("ca.crt")).expect("ca");
    let port = free_port();
    let conf = root.join("icinga2.conf");
    std::fs::write(
        &conf,
        format!(
            "include <itl>\n\
             const NodeName = \"master\"\n\
             object Endpoint \"master\" {{ }}\n\
             object Zone \"master\" {{ endpoints = [ \"master\" ] }}\n\
             object ApiListener \"api\" {{ bind_host = \"127.0.0.1\"; bind_port = {port} }}\n\
             object ApiUser \"doctor\" {{ password = \"secret\"; permissions = [ \"*\" ] }}\n\
             object Host \"web01\" {{ check_command = \"dummy\"; enable_active_checks = false }}\n\
             object Service \"mdatp\" {{\n  host_name = \"web01\"\n  check_command = \"dummy\"\n\
             enable_active_checks = false\n}}\n"
        ),
    )
    .expect("conf");
    // icinga2 drops root for its own user: let it write its directories.
    for entry in walkdir(root) {
        let mode = if entry.is_dir() { 0o777 } else { 0o666 };
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let defines = [
        "DataDir",
        "LogDir",
        "CacheDir",
        "SpoolDir",
        "InitRunDir",
        "PkgDataDir",
    ]
    .map(|d| {
        let sub = match d {
            "DataDir" | "PkgDataDir" => "data",
            "LogDir" => "log",
            "CacheDir" => "cache",
            "SpoolDir" => "spool",
            _ => "run",
        };
        format!("-D{d}={}", root.join(sub).display())
    });
    let log = File::create(root.join("daemon.log")).expect("log");
    let _daemon = Group(
        Command::new(&icinga2)
            .args(["daemon", "-c"])
            .arg(&conf)
            .args(defines)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start icinga2"),
    );
    let api = format!("https://127.0.0.1:{port}/v1");
    let call = |args: &[&str]| {
        run(Command::new(&curl)
            .args([
                "-sk",
                "-u",
                "doctor:secret",
                "-H",
                "Accept: application/json",
            ])
            .args(args))
    };
    let start = Instant::now();
    while !call(&[&format!("{api}/status/IcingaApplication")])
        .stdout
        .contains("icingaapplication")
    {
        assert!(
            start.elapsed() < crate::testenv::HANG_GUARD,
            "the API never answered: {}",
            std::fs::read_to_string(root.join("daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // A critical check: the update failed.
    let mut failed = Defs::healthy("http://127.0.0.1:9/linux/production/");
    failed.fail_reason = "Download failed";
    let env = endpoint(&failed);
    let out = env
        .cmd()
        .args(["check", "--skip-network", "--format", "icinga"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let mut body: Value = serde_json::from_slice(&out.stdout).expect("json");
    // What docs/monitoring.md tells the caller to add.
    body["type"] = "Service".into();
    body["filter"] = "host.name==\"web01\" && service.name==\"mdatp\"".into();
    let posted = call(&[
        "-X",
        "POST",
        &format!("{api}/actions/process-check-result"),
        "-d",
        &body.to_string(),
    ]);
    assert!(
        posted
            .stdout
            .contains("Successfully processed check result for object 'web01!mdatp'"),
        "{}",
        posted.stdout
    );
    let read = call(&[&format!(
        "{api}/objects/services/web01!mdatp?attrs=state&attrs=last_check_result"
    )]);
    let doc: Value = serde_json::from_str(&read.stdout).expect(&read.stdout);
    let attrs = &doc["results"][0]["attrs"];
    assert_eq!(attrs["state"], 2.0, "{doc:#}");
    let result = &attrs["last_check_result"];
    assert!(
        result["output"]
            .as_str()
            .unwrap()
            .starts_with("MDATP OFFLINE-UPDATES CRITICAL - definitions-update-failed: "),
        "{doc:#}"
    );
    assert_eq!(
        result["performance_data"], body["performance_data"],
        "{doc:#}"
    );
}

/// Every path under `root`, itself included.
fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut all = vec![root.to_path_buf()];
    let mut i = 0;
    while i < all.len() {
        if all[i].is_dir() {
            for e in std::fs::read_dir(&all[i]).expect("read_dir") {
                all.push(e.expect("entry").path());
            }
        }
        i += 1;
    }
    all
}
