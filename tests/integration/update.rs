//! `update` end to end: the fake mdatp switches state after `definitions update`, as the
//! real one does, and every run must trigger exactly one update.

use std::process::Stdio;
use std::time::Duration;

use predicates::prelude::*;
use serde_json::Value;

use crate::testenv::{CLOUD, DEFINITIONS, Defs, Reply, TestEnv, ids, stdout_json, wait_dead};

const MIRROR: &str = "http://127.0.0.1:9/linux/production/";
const TRIGGER: &str = "definitions update";

/// An endpoint whose health is `before` until `definitions update`, then `after`.
fn endpoint(before: &Defs, trigger: Reply, after: Reply) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&before.text()))
        .on(TRIGGER, trigger.then("after"))
        .on_in("after", DEFINITIONS, after);
    env.write_managed_config(&crate::testenv::config_for(MIRROR, before.fallback));
    env
}

fn up_to_date() -> Reply {
    Reply::stdout("Security intelligence is up to date\n")
}

fn update(env: &TestEnv, args: &[&str]) -> (i32, Value) {
    let mut cmd = env.cmd();
    cmd.args(["update", "--format", "json", "--poll-interval", "100ms"]);
    if !args.contains(&"--wait-timeout") {
        cmd.args(["--wait-timeout", "20"]);
    }
    let out = cmd.args(args).output().expect("runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    (out.status.code().expect("code"), stdout_json(&out))
}

fn triggers(env: &TestEnv) -> usize {
    env.invocations()
        .iter()
        .filter(|a| a.join(" ") == TRIGGER)
        .count()
}

fn newer(mut d: Defs) -> Defs {
    d.version = "1.407.500.0";
    d.hours_ago = 0;
    d
}

#[test]
fn new_definitions_from_the_mirror() {
    let before = Defs::healthy(MIRROR);
    let after = newer(Defs::healthy(MIRROR));
    let env = endpoint(&before, up_to_date(), Reply::stdout(&after.text()));
    let (code, report) = update(&env, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["outcome"], "updated");
    assert_eq!(report["source"], "mirror");
    assert_eq!(report["before"]["definitions_version"], "1.407.417.0");
    assert_eq!(report["after"]["definitions_version"], "1.407.500.0");
    assert_eq!(report["trigger"]["exit_status"], 0);
    assert_eq!(
        report["trigger"]["output"],
        "Security intelligence is up to date"
    );
    assert!(report["duration_ms"].is_u64());
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(triggers(&env), 1);
    let history = std::fs::read_to_string(env.state_dir().join("history.jsonl")).expect("history");
    assert!(history.contains("\"command\":\"update\""), "{history}");
}

#[test]
fn already_current() {
    let before = Defs::healthy(MIRROR);
    let env = endpoint(&before, up_to_date(), Reply::stdout(&before.text()));
    let out = env
        .cmd()
        .args(["update", "--poll-interval", "100ms"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Outcome  already current"), "{text}");
    assert!(!text.contains("Next:"), "{text}");
    assert_eq!(triggers(&env), 1);
}

#[test]
fn new_definitions_from_the_cloud_through_fallback() {
    let mut before = Defs::healthy(MIRROR);
    before.fallback = true;
    let mut after = newer(Defs::healthy(MIRROR));
    after.fallback = true;
    after.source = CLOUD.into();
    let env = endpoint(&before, up_to_date(), Reply::stdout(&after.text()));
    let (code, report) = update(&env, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["outcome"], "fallback");
    assert_eq!(report["source"], "cloud");
    assert_eq!(ids(&report), ["url-mismatch"]);
}

#[test]
fn a_fail_reason_or_update_failed_ends_with_a_next_step() {
    let before = Defs::healthy(MIRROR);
    let mut failed = Defs::healthy(MIRROR);
    failed.fail_reason = "Failed to download the package";
    let env = endpoint(
        &before,
        Reply::stdout("Failed\n").exit(1),
        Reply::stdout(&failed.text()),
    );
    let (code, report) = update(&env, &[]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["trigger"]["exit_status"], 1);
    assert!(ids(&report).contains(&"definitions-update-failed"));

    let mut status = Defs::healthy(MIRROR);
    status.status = "update_failed";
    let env = endpoint(&before, up_to_date(), Reply::stdout(&status.text()));
    env.cmd()
        .args(["update", "--poll-interval", "100ms"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("Outcome  the update failed").and(
            predicate::str::contains("\nNext: fix what the findings above say"),
        ));
}

#[test]
fn mdatp_hanging_on_the_update_is_killed_at_the_wait_timeout() {
    let before = Defs::healthy(MIRROR);
    let env = endpoint(
        &before,
        Reply::empty().hang(),
        Reply::stdout(&before.text()),
    );
    let (code, report) = update(&env, &["--wait-timeout", "1"]);
    assert_eq!(code, 3);
    assert_eq!(report["outcome"], "timeout");
    assert!(
        report["note"]
            .as_str()
            .expect("note")
            .contains("was killed")
    );
    let pid = env.last_pid().expect("fake ran");
    assert!(wait_dead(pid), "the hung mdatp {pid} was left running");
    assert_eq!(triggers(&env), 1);
}

#[test]
fn health_that_stops_answering_during_the_wait() {
    let before = Defs::healthy(MIRROR);
    let env = endpoint(&before, up_to_date(), Reply::empty().hang());
    let (code, report) = update(&env, &["--wait-timeout", "2", "--timeout", "300ms"]);
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(report["outcome"], "unknown");
    assert!(
        report["note"]
            .as_str()
            .expect("note")
            .contains("health stopped answering"),
        "{report:#}"
    );
    assert_eq!(triggers(&env), 1);
}

#[test]
fn no_wait_triggers_and_returns() {
    let before = Defs::healthy(MIRROR);
    let env = endpoint(&before, up_to_date(), Reply::stdout(&before.text()));
    let (code, report) = update(&env, &["--no-wait"]);
    assert_eq!(code, 0);
    assert_eq!(report["outcome"], "triggered");
    assert_eq!(report["after"], Value::Null);
    let calls: Vec<String> = env.invocations().iter().map(|a| a.join(" ")).collect();
    assert_eq!(calls, [DEFINITIONS, TRIGGER], "no polling after --no-wait");
}

fn spawn_update(env: &TestEnv, extra: &[&str]) -> std::process::Child {
    env.std_cmd()
        .args(["update", "--format", "json", "--poll-interval", "100ms"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

/// Waits until mdatp has been called `n` times (up to the hang guard).
fn wait_for_calls(env: &TestEnv, n: usize) {
    let until = std::time::Instant::now() + crate::testenv::HANG_GUARD;
    while std::time::Instant::now() < until {
        if env.invocations().len() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!(
        "mdatp was called {} times, expected {n}",
        env.invocations().len()
    );
}

#[test]
fn a_second_run_is_refused_while_one_holds_the_lock() {
    let before = Defs::healthy(MIRROR);
    let env = endpoint(
        &before,
        up_to_date().sleep_ms(1500),
        Reply::stdout(&before.text()),
    );
    let first = spawn_update(&env, &[]);
    wait_for_calls(&env, 2); // health, then the trigger: the lock is held
    let out = env.cmd().args(["update"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another update is running (pid "),
        "{stderr}"
    );
    assert!(stderr.contains("--wait-lock"), "{stderr}");
    let first = first.wait_with_output().expect("first ends");
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(triggers(&env), 1, "the refused run triggered nothing");
}

#[test]
fn ctrl_c_during_the_wait_reports_what_is_known_and_leaves_no_child() {
    let before = Defs::healthy(MIRROR);
    let mut updating = Defs::healthy(MIRROR);
    updating.status = "updating";
    let env = endpoint(&before, up_to_date(), Reply::stdout(&updating.text()));
    let child = spawn_update(&env, &[]);
    wait_for_calls(&env, 4); // health, trigger, two polls: the first one has completed
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(3));
    let report: Value = serde_json::from_slice(&out.stdout).expect("a report, not just a death");
    assert_eq!(report["outcome"], "unknown");
    assert!(
        report["note"]
            .as_str()
            .expect("note")
            .contains("interrupted")
    );
    assert_eq!(report["after"]["status"], "updating");
    let pid = env.last_pid().expect("fake ran");
    assert!(wait_dead(pid));
    assert_eq!(triggers(&env), 1);
}

#[test]
fn a_failing_trigger_with_nothing_changed_is_a_failure_not_current() {
    let before = Defs::healthy(MIRROR);
    let env = endpoint(
        &before,
        Reply::stdout("Failed to update\n").exit(4),
        Reply::stdout(&before.text()),
    );
    let (code, report) = update(&env, &[]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["outcome"], "failed");
    assert_eq!(
        report["note"],
        "mdatp definitions update exited with status 4 and nothing changed"
    );
}
