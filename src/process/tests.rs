//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

/// The limit for a run that must finish: only a hang reaches it, never a loaded machine
/// (the integration tests' hang guard).
const FINISHES_MS: u64 = 600_000;

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
    let out = runner("/bin/sh", FINISHES_MS, 1024)
        .run(&["-c", "printf out; printf err >&2; exit 7"])
        .expect("sh runs");
    assert_eq!(out.stdout, b"out");
    assert_eq!(out.stderr, b"err");
    assert_eq!(out.exit_code, 7);
    assert!(!out.success());
}

#[test]
fn arguments_are_not_interpreted_by_a_shell() {
    let out = runner("/bin/echo", FINISHES_MS, 1024)
        .run(&["$HOME;", "`id`", "*"])
        .expect("echo runs");
    assert_eq!(out.stdout, b"$HOME; `id` *\n");
}

#[test]
fn timeout_kills_the_whole_group() {
    // The grandchild holds stdout open; without the group kill we would wait forever.
    // 5 s: the shell must print before the timeout, even on a loaded machine.
    let err = runner("/bin/sh", 5000, 1024)
        .run(&["-c", "printf partial; sleep 30 & sleep 30"])
        .expect_err("must time out");
    match err {
        ProcessError::TimedOut { partial_stdout, .. } => assert_eq!(partial_stdout, b"partial"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn leftover_grandchild_does_not_hold_the_call() {
    // Held by the grandchild's pipe, the call would end at its timeout (before the
    // grandchild does), an error: it ends when the shell does, with its output. How fast
    // is not this test's business.
    let out = runner("/bin/sh", 300_000, 1024)
        .run(&["-c", "sleep 600 & printf done"])
        .expect("exits, not timed out");
    assert_eq!(out.stdout, b"done");
}

#[test]
fn output_over_the_cap_is_an_error() {
    let err = runner("/bin/sh", FINISHES_MS, 1000)
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
    let err = runner("/bin/sh", FINISHES_MS, 1024)
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

#[test]
fn stat_lines_are_read_after_the_command_name() {
    let e = parse_stat(42, "42 (a) b) Z 7 42 42 0 -1").expect("parsed");
    assert_eq!(
        e,
        ProcEntry {
            pid: 42,
            ppid: 7,
            zombie: true
        }
    );
    let e = parse_stat(9, "9 (sleep) S 1 9 9 0").expect("parsed");
    assert_eq!((e.ppid, e.zombie), (1, false));
    assert_eq!(parse_stat(1, "garbage"), None);
}

#[test]
fn descendants_are_found_through_any_depth_with_their_top() {
    let p = |pid, ppid| ProcEntry {
        pid,
        ppid,
        zombie: false,
    };
    // 100 is us; 200 our child, 300 its child, 400 a grandchild; 500 an orphan left to
    // us; 600 someone else's; 700/701 a parent loop that never reaches us.
    let table = [
        p(1, 0),
        p(100, 1),
        p(200, 100),
        p(300, 200),
        p(400, 300),
        p(500, 100),
        p(600, 1),
        p(700, 701),
        p(701, 700),
    ];
    let mut found: Vec<(i32, i32)> = descendants(&table, 100)
        .into_iter()
        .map(|(e, top)| (e.pid, top))
        .collect();
    found.sort();
    assert_eq!(found, [(200, 200), (300, 200), (400, 200), (500, 500)]);
}

#[test]
fn this_process_is_a_subreaper_after_the_first_run() {
    runner("/bin/sh", FINISHES_MS, 1024)
        .run(&["-c", "exit 0"])
        .expect("runs");
    let mut flag: libc::c_int = 0;
    // SAFETY: PR_GET_CHILD_SUBREAPER writes one int through the pointer we pass.
    let rc = unsafe { libc::prctl(libc::PR_GET_CHILD_SUBREAPER, &mut flag as *mut libc::c_int) };
    assert_eq!((rc, flag), (0, 1));
}

#[test]
fn a_timeout_spares_a_concurrent_invocation() {
    let other = std::thread::spawn(|| {
        runner("/bin/sh", FINISHES_MS, 1024).run(&["-c", "sleep 2; printf alive"])
    });
    std::thread::sleep(Duration::from_millis(300));
    let err = runner("/bin/sh", 300, 1024)
        .run(&["-c", "sleep 30"])
        .expect_err("times out");
    assert!(matches!(err, ProcessError::TimedOut { .. }), "{err:?}");
    let out = other
        .join()
        .expect("thread")
        .expect("the other run was left alone");
    assert_eq!(out.stdout, b"alive");
}
