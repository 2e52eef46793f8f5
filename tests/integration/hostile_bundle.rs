//! `bundle` against a hostile endpoint (issue 14): symlinks and FIFOs planted in the log
//! directory and mdatp's diagnostic directory, a lying `mdatp diagnostic create`, secrets
//! in every common form, ids in every form, an interrupt mid-run, a one-line log. Real
//! files, symlinks, FIFOs and processes; every run bounded in time.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::bundle::endpoint;
use crate::testenv::{Reply, TestEnv};

fn bundle_cmd(env: &TestEnv, logs: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = env.std_cmd();
    cmd.args(["bundle", "--skip-network", "--format", "json", "-o"])
        .arg(out)
        .arg("--log-dir")
        .arg(logs)
        .arg("--wdavcfg")
        .arg(env.path().join("wdavcfg"))
        .args(extra);
    cmd
}

#[test]
fn sigterm_mid_bundle_removes_the_temporary_file() {
    let (mut env, logs) = endpoint();
    // `connectivity test` runs once the bundle file is being written; make it slow.
    env.on(
        "connectivity test",
        Reply::fixture("mdatp/connectivity/linux-ok.txt").sleep_ms(30_000),
    );
    let outdir = env.path().join("out");
    std::fs::create_dir(&outdir).expect("mkdir");
    let out_path = outdir.join("b.tar.gz");
    let mut child = bundle_cmd(&env, &logs, &out_path, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let temporaries = || -> Vec<String> {
        std::fs::read_dir(&outdir)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let called = env
            .invocations()
            .iter()
            .any(|a| a.join(" ") == "connectivity test");
        if called && !temporaries().is_empty() {
            break;
        }
        assert!(
            Instant::now() < until,
            "the bundle never got to `connectivity test`"
        );
        assert!(child.try_wait().expect("wait").is_none(), "ended early");
        std::thread::sleep(Duration::from_millis(25));
    }
    let tmp = temporaries();
    assert_eq!(tmp.len(), 1, "{tmp:?}");
    assert!(
        tmp[0].starts_with(".mdatp-doctor-bundle-") && tmp[0].ends_with(".tmp"),
        "{tmp:?}"
    );
    assert!(
        !tmp[0].contains(&child.id().to_string()),
        "the temporary name is not predictable from the pid: {tmp:?}"
    );
    // Give the tool a moment to register the fake as a running child (a signal that
    // comes before that waits for the fake's 30 s, still well inside the limit below).
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let until = Instant::now() + Duration::from_secs(45);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("still running 45 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(temporaries(), Vec::<String>::new(), "left behind");
}
