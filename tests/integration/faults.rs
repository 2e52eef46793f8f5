//! Every way mdatp can let us down must end in a clear one-line cause, a hint, exit 3,
//! and never a panic or a hang.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::testenv::{DEFINITIONS, Reply, TestEnv, stdout_json, wait_dead};

/// The stderr of a failed run: no panic, a cause, a hint.
fn assert_clear_error(stderr: &[u8], cause: &str) {
    let text = String::from_utf8_lossy(stderr);
    assert!(!text.contains("panicked"), "{text}");
    assert!(text.starts_with("mdatp-doctor: "), "{text}");
    assert!(text.contains(cause), "expected `{cause}` in:\n{text}");
    assert!(text.contains("\n  hint: "), "no hint in:\n{text}");
}

fn run_failing(env: &TestEnv, extra: &[&str], cause: &str) -> std::process::Output {
    let out = env.cmd().arg("health").args(extra).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_clear_error(&out.stderr, cause);
    out
}

#[test]
fn mdatp_missing() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["health", "--mdatp", "/nonexistent/mdatp"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert_clear_error(&out.stderr, "mdatp not found (/nonexistent/mdatp)");

    // The default lookup: not on PATH, and not at the installed location either.
    let empty = tempfile::tempdir().expect("tempdir");
    let out = env
        .cmd()
        .env_remove("MDATP_DOCTOR_MDATP")
        .env("PATH", empty.path())
        .arg("health")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert_clear_error(&out.stderr, "/opt/microsoft/mdatp/sbin/wdavdaemonclient");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mdatp"));
}

#[test]
fn mdatp_not_executable() {
    let env = TestEnv::new();
    let file = env.path().join("mdatp");
    std::fs::write(&file, "#!/bin/sh\necho hi\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = env
        .cmd()
        .arg("health")
        .arg("--mdatp")
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert_clear_error(
        &out.stderr,
        "is not executable: it has no execute permission",
    );
}

#[test]
fn mdatp_exits_non_zero() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout("").stderr("Daemon is not running\n").exit(2),
    );
    run_failing(&env, &[], "exited with status 2: Daemon is not running");
}

#[test]
fn mdatp_hangs_and_is_killed_at_the_timeout() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout("healthy : true\n").hang());
    // What ended the run is the 1 s limit (its message), not the harness's hang guard.
    run_failing(
        &env,
        &["--timeout", "1"],
        "did not finish within 1 s and was killed",
    );
    let pid = env.last_pid().expect("fake ran");
    assert!(wait_dead(pid), "fake mdatp {pid} still running");
}

#[test]
fn hanging_grandchild_is_killed_with_the_group() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::empty().spawn_grandchild().hang());
    run_failing(&env, &["--timeout", "500ms"], "was killed");
    let pid = env.grandchild_pid().expect("grandchild started");
    assert!(wait_dead(pid), "grandchild {pid} survived the timeout");
}

#[test]
fn grandchild_holding_the_pipe_does_not_stall_a_finished_call() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::fixture("mdatp/definitions/docs-2025.txt").spawn_grandchild(),
    );
    env.cmd()
        .args(["health", "--timeout", "30"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1.407.417.0"));
    let pid = env.grandchild_pid().expect("grandchild started");
    assert!(wait_dead(pid), "grandchild {pid} left running");
}

#[test]
fn huge_output_is_capped() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::empty().flood(100 * 1024 * 1024, false));
    run_failing(&env, &[], "printed more than 16 MiB on stdout");
}

#[test]
fn binary_garbage_is_unparseable() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::empty().flood(64 * 1024, true));
    let out = run_failing(
        &env,
        &["--format", "json"],
        "could not read the output of `mdatp health --details definitions`",
    );
    let doc = stdout_json(&out);
    assert_eq!(doc["error"]["kind"], "mdatp_output_unparseable");
}

#[test]
fn empty_output() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::empty());
    run_failing(&env, &[], "mdatp printed nothing");
}

#[test]
fn attention_line_alone_is_not_health() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::fixture("mdatp/definitions-update/up-to-date-unlicensed.txt"),
    );
    run_failing(&env, &[], "no `key : value` line");
}

#[test]
fn old_mdatp_prints_its_usage_list() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::fixture("mdatp/usage/expected-one-of.txt").exit(1),
    );
    let out = run_failing(&env, &["--format", "json"], "does not know the command");
    assert!(String::from_utf8_lossy(&out.stderr).contains("101.24022.0001"));
    let doc = stdout_json(&out);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["error"]["kind"], "mdatp_command_unsupported");
    assert!(
        doc["error"]["hint"]
            .as_str()
            .expect("hint")
            .contains("too old")
    );
}

#[test]
fn mdatp_crashes() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout("healthy : tr")
            .stderr("fatal: core dumped\n")
            .signal(libc::SIGSEGV),
    );
    let out = run_failing(&env, &[], "was killed by SIGSEGV");
    assert!(String::from_utf8_lossy(&out.stderr).contains("fatal: core dumped"));
}

#[test]
fn ctrl_c_kills_the_running_mdatp() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::empty().hang());
    let mut child = env
        .std_cmd()
        .arg("health")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut fake = None;
    let until = Instant::now() + crate::testenv::HANG_GUARD;
    while Instant::now() < until {
        fake = env.last_pid();
        if fake.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let fake = fake.expect("fake mdatp started");
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(3));
    assert!(wait_dead(fake), "fake mdatp {fake} outlived the interrupt");
}
