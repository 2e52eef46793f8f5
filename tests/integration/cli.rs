//! The command line as an interface: exit codes for usage errors, help and version.

use predicates::prelude::*;

use crate::testenv::TestEnv;

#[test]
fn usage_errors_exit_64() {
    let env = TestEnv::new();
    for args in [
        vec!["health", "--bogus"],
        vec!["no-such-command"],
        vec!["health", "--timeout", "0"],
        vec!["health", "--timeout", "soon"],
        vec!["health", "--format", "yaml"],
        vec!["health", "--details", "--help"],
        vec!["health", "--all", "--details", "edr"],
        vec![],
    ] {
        env.cmd().args(&args).assert().code(64);
    }
    assert!(
        env.invocations().is_empty(),
        "usage errors must not run mdatp"
    );
}

#[test]
fn help_and_version_exit_0_and_document_exit_codes() {
    let env = TestEnv::new();
    env.cmd().arg("--help").assert().code(0).stdout(
        predicate::str::contains("64  usage error").and(predicate::str::contains("3   unknown")),
    );
    env.cmd()
        .args(["health", "--help"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("--timeout <SECS>")
                .and(predicate::str::contains("Exit codes")),
        );
    env.cmd()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(concat!(
            "mdatp-doctor ",
            env!("CARGO_PKG_VERSION")
        )));
}

#[test]
fn closed_stdout_is_not_a_crash() {
    let mut env = TestEnv::new();
    env.on(
        crate::testenv::DEFINITIONS,
        crate::testenv::Reply::fixture("mdatp/definitions/docs-2025.txt"),
    );
    // `| head -c0`: the reader is gone before we write.
    let mut child = env
        .std_cmd()
        .arg("health")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn a_mistyped_long_option_gets_the_nearest_one() {
    let env = TestEnv::new();
    for (args, tip) in [
        // Two letters swapped: clap's own measure finds nothing this short.
        (
            vec!["connectivity", "--ulr", "http://m/linux/production/"],
            "'--url'",
        ),
        (
            vec!["check", "--format", "json", "--ulr=http://m/"],
            "'--url'",
        ),
        (vec!["diagnose", "--exlpain", "url-mismatch"], "'--explain'"),
        (vec!["mirror", "check", "--flder", "/srv"], "'--folder'"),
        // clap's own tips stay as they were.
        (vec!["diagnose", "--skip-netwrk"], "'--skip-network'"),
    ] {
        env.cmd()
            .args(&args)
            .assert()
            .code(64)
            .stderr(predicate::str::contains(format!(
                "tip: a similar argument exists: {tip}"
            )));
    }
    // Nothing near: no tip.
    env.cmd()
        .args(["connectivity", "--zzz"])
        .assert()
        .code(64)
        .stderr(predicate::str::contains("tip:").not());
}
