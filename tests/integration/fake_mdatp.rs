//! The fake mdatp itself: it must replay captures byte for byte and change state like
//! the real client, or every other test proves nothing.

use crate::testenv::{Reply, TestEnv, fixture_path};

#[test]
fn replays_every_fixture_byte_for_byte() {
    let root = fixture_path("mdatp");
    let mut count = 0;
    for dir in std::fs::read_dir(&root).expect("fixtures") {
        for file in std::fs::read_dir(dir.expect("entry").path()).expect("dir") {
            let path = file.expect("entry").path();
            let rel = path.strip_prefix(fixture_path("")).expect("under fixtures");
            let mut env = TestEnv::new();
            env.on("health", Reply::fixture(rel.to_str().expect("utf8")));
            let out = env.fake().arg("health").output().expect("runs");
            assert_eq!(
                out.stdout,
                std::fs::read(&path).expect("read"),
                "{}",
                path.display()
            );
            assert!(out.status.success());
            count += 1;
        }
    }
    assert!(count >= 10, "only {count} fixtures found");
}

#[test]
fn switches_state_after_a_command_and_logs_every_call() {
    let mut env = TestEnv::new();
    env.on("health", Reply::stdout("definitions_version : \"1.0\"\n"))
        .on(
            "definitions update",
            Reply::stdout("Security intelligence is up to date\n").then("updated"),
        )
        .on_in(
            "updated",
            "health",
            Reply::stdout("definitions_version : \"2.0\"\n"),
        );

    env.fake()
        .arg("health")
        .assert()
        .stdout("definitions_version : \"1.0\"\n");
    env.fake()
        .args(["definitions", "update"])
        .assert()
        .success();
    env.fake()
        .arg("health")
        .assert()
        .stdout("definitions_version : \"2.0\"\n");
    assert_eq!(env.state().as_deref(), Some("updated"));
    assert_eq!(
        env.invocations(),
        [
            vec!["health"],
            vec!["definitions", "update"],
            vec!["health"]
        ]
    );
}

#[test]
fn an_unscripted_command_fails_loudly() {
    let mut env = TestEnv::new();
    env.on("health", Reply::empty());
    env.fake()
        .args(["scan", "full"])
        .assert()
        .code(127)
        .stderr(predicates::str::contains("no reply for `scan full`"));
}

#[test]
fn exit_codes_stderr_and_signals_are_scripted() {
    let mut env = TestEnv::new();
    env.on("a", Reply::stdout("x").stderr("boom\n").exit(5))
        .on("b", Reply::empty().signal(libc::SIGABRT));
    env.fake()
        .arg("a")
        .assert()
        .code(5)
        .stdout("x")
        .stderr("boom\n");
    let out = env.fake().arg("b").output().expect("runs");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGABRT));
}
