//! What leaves the machine, attacked (issue 26): the event log on a full disk (a file
//! size limit set in the child, and a real full tmpfs when we may mount one). Real
//! files, real processes, the real binary.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health};

const MIRROR: &str = "http://127.0.0.1:9/linux/production/";

/// An endpoint whose definitions are `hours_ago` old, with `fail_reason` as mdatp's.
fn endpoint(hours_ago: i64, fail_reason: &'static str) -> TestEnv {
    let mut env = TestEnv::new();
    let mut defs = Defs::healthy(MIRROR);
    defs.hours_ago = hours_ago;
    defs.fail_reason = fail_reason;
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(MIRROR, false));
    env
}

/// Every line of an event log, each parsed as one JSON object; a torn or glued line
/// fails the test.
fn parsed_lines(text: &str) -> Vec<Value> {
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "a torn last line: {:?}",
        &text[text.len().saturating_sub(200)..]
    );
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert!(v.is_object(), "{l}");
            v
        })
        .collect()
}

/// Whole JSON lines of exactly `total` bytes (a shipper's earlier lines).
fn earlier_lines(total: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    while out.len() < total {
        let left = total - out.len();
        // `{"n":N,"pad":""}\n` is at most 30 bytes without the padding; a short tail line
        // takes what is left.
        let head = format!("{{\"n\":{n},\"pad\":\"");
        let room = if left >= 130 {
            100
        } else {
            left - head.len() - 3
        };
        out.push_str(&head);
        out.push_str(&"x".repeat(room));
        out.push_str("\"}\n");
        n += 1;
    }
    assert_eq!(out.len(), total);
    out
}

/// Runs `cmd` with the file size limit (RLIMIT_FSIZE) at `limit` bytes in the child
/// only, and SIGXFSZ ignored there so a write past it returns EFBIG instead of killing
/// the process: what a full disk does to a write, on any machine, without root.
fn with_file_size_limit(mut cmd: Command, limit: u64) -> Output {
    // SAFETY: between fork and exec the closure only makes two async-signal-safe system
    // calls and touches no memory of the parent's.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0
                || libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.stdin(Stdio::null()).output().expect("runs")
}

#[test]
fn a_write_cut_short_by_the_file_size_limit_leaves_no_torn_line() {
    let env = endpoint(1, "");
    let log = env.path().join("events.json");
    let before = earlier_lines(64 * 1024);
    std::fs::write(&log, &before).expect("write");
    // Room for 100 more bytes: the run's line (several hundred) is cut in the middle by
    // the kernel, as on a disk that fills up during the write.
    let mut cmd = env.std_cmd();
    cmd.args(["diagnose", "--skip-network", "--log-json"])
        .arg(&log);
    let out = with_file_size_limit(cmd, before.len() as u64 + 100);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let after = std::fs::read_to_string(&log).expect("log");
    parsed_lines(&after);
    assert_eq!(after, before, "the partial line was cut back");
    assert_eq!(
        out.status.code(),
        Some(3),
        "an ok run whose log failed: {stderr}"
    );
    assert!(
        stderr.contains("cannot write the event log") && stderr.contains("bytes fit"),
        "{stderr}"
    );
    // The log stays usable: the next run appends whole lines after the earlier ones.
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--log-json"])
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let all = parsed_lines(&std::fs::read_to_string(&log).expect("log"));
    assert_eq!(
        all.last().expect("a line")["event"]["dataset"],
        "mdatp_doctor.run"
    );
}

/// A tmpfs of `size` mounted on `dir` for the life of the value.
struct Mounted(PathBuf);

impl Mounted {
    fn tmpfs(dir: &Path, size: &str) -> Mounted {
        std::fs::create_dir_all(dir).expect("mkdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "mounting a tmpfs needs root: `bash .ci/run` runs it as root"
        );
        Mounted(dir.to_path_buf())
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
#[ignore = "needs root to mount a tmpfs (.ci/run runs it)"]
fn a_disk_that_fills_during_the_write_leaves_no_torn_line() {
    let env = endpoint(100, "");
    let disk = Mounted::tmpfs(&env.path().join("small"), "64k");
    let log = disk.0.join("events.json");
    // Three pages, the last with 96 bytes free; then the rest of the file system is
    // taken, so the run's lines get those 96 bytes and then ENOSPC.
    let before = earlier_lines(3 * 4096 - 96);
    std::fs::write(&log, &before).expect("write");
    let mut filler = std::fs::File::create(disk.0.join("filler")).expect("filler");
    let page = [0u8; 4096];
    while filler.write(&page).is_ok_and(|n| n > 0) {}
    drop(filler);
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--log-json"])
        .arg(&log)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let after = std::fs::read_to_string(&log).expect("log");
    parsed_lines(&after);
    assert_eq!(after, before, "the partial line was cut back");
    // A critical run stays critical; the failure is said.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write the event log") && stderr.contains("bytes fit"),
        "{stderr}"
    );
}
