//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn runner(program: &str, timeout_ms: u64, max_output: usize) -> Runner {
    Runner {
        program: PathBuf::from(program),
        limits: Limits {
            timeout: Duration::from_millis(timeout_ms),
            max_output,
        },
        trace: false,
    }
}

#[test]
fn captures_both_streams_and_exit_code() {
    let out = runner("/bin/sh", 5000, 1024)
        .run(&["-c", "printf out; printf err >&2; exit 7"])
        .expect("sh runs");
    assert_eq!(out.stdout, b"out");
    assert_eq!(out.stderr, b"err");
    assert_eq!(out.exit_code, 7);
    assert!(!out.success());
}

#[test]
fn arguments_are_not_interpreted_by_a_shell() {
    let out = runner("/bin/echo", 5000, 1024)
        .run(&["$HOME;", "`id`", "*"])
        .expect("echo runs");
    assert_eq!(out.stdout, b"$HOME; `id` *\n");
}

#[test]
fn timeout_kills_the_whole_group() {
    // The grandchild holds stdout open; without the group kill we would wait forever.
    let err = runner("/bin/sh", 300, 1024)
        .run(&["-c", "printf partial; sleep 30 & sleep 30"])
        .expect_err("must time out");
    match err {
        ProcessError::TimedOut { partial_stdout, .. } => assert_eq!(partial_stdout, b"partial"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn leftover_grandchild_does_not_hold_the_call() {
    let started = Instant::now();
    let out = runner("/bin/sh", 20_000, 1024)
        .run(&["-c", "sleep 30 & printf done"])
        .expect("exits");
    assert_eq!(out.stdout, b"done");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn output_over_the_cap_is_an_error() {
    let err = runner("/bin/sh", 10_000, 1000)
        .run(&["-c", "yes garbage"])
        .expect_err("too large");
    assert!(
        matches!(
            err,
            ProcessError::OutputTooLarge {
                limit: 1000,
                stream: Stream::Stdout,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn death_by_signal_is_reported() {
    let err = runner("/bin/sh", 5000, 1024)
        .run(&["-c", "kill -SEGV $$"])
        .expect_err("signal");
    assert!(
        matches!(err, ProcessError::KilledBySignal { signal, .. } if signal == libc::SIGSEGV),
        "{err:?}"
    );
}

#[test]
fn missing_and_non_executable_programs_are_typed() {
    let err = runner("/nonexistent/mdatp", 1000, 10)
        .run(&[])
        .expect_err("missing");
    assert!(matches!(err, ProcessError::NotFound { .. }), "{err:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mdatp");
    std::fs::write(&file, "#!/bin/sh\n").expect("write");
    let err = runner(file.to_str().expect("utf8"), 1000, 10)
        .run(&[])
        .expect_err("not executable");
    assert!(matches!(err, ProcessError::NotExecutable { .. }), "{err:?}");
}
