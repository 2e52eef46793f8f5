//! A stand-in for Microsoft's `mdatp` client, for tests only (built by `cargo test` as
//! the example `fake-mdatp`; never installed).
//!
//! It is driven by a scenario directory named in `FAKE_MDATP_SCENARIO`:
//! - `scenario.json`: `{"state": "<initial>", "states": {"<state>": {"<args joined by
//!   one space>" | "*": Reply}}}` where a Reply is
//!   `{"stdout" | "stdout_file", "stderr" | "stderr_file", "exit", "sleep_ms", "hang",
//!   "signal", "flood": {"bytes", "pattern" | "binary"}, "spawn_grandchild",
//!   "grandchild_setsid", "next_state"}`.
//!   Files are replayed byte for byte; relative paths are relative to the scenario dir.
//! - `state`: the current state, written when a reply has `next_state` (so a later
//!   invocation sees what e.g. `definitions update` changed).
//! - `invocations.jsonl`: one JSON array of arguments per invocation, written before
//!   anything else happens, so hung and crashed calls are recorded too.
//! - `timeline.jsonl`: one `{"args", "start_us", "end_us"}` object per invocation that
//!   ended on its own (exit, not hang or signal), the times in microseconds since the Unix
//!   epoch, taken on entry and just before exit; tests read it to see which calls ran
//!   side by side.
//! - `last.pid`: the pid of the latest invocation.
//! - `grandchild.pid`: the pid of the process `spawn_grandchild` left behind. It holds the
//!   fake's stdout and stderr and never exits; with `grandchild_setsid` it first calls
//!   `setsid()`, leaving the fake's process group and session (as a daemonising helper
//!   would), and writes `grandchild.pid` itself once it has.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

fn main() {
    if std::env::var_os("FAKE_MDATP_GRANDCHILD").is_some() {
        if let Some(dir) = std::env::var_os("FAKE_MDATP_GRANDCHILD_SETSID") {
            // SAFETY: setsid has no memory-safety preconditions.
            if unsafe { libc::setsid() } == -1 {
                std::process::exit(126);
            }
            // Only now: a test that reads the pid knows the escape has happened.
            let dir = PathBuf::from(dir);
            let tmp = dir.join(format!(".grandchild.pid.{}", std::process::id()));
            let _ = std::fs::write(&tmp, std::process::id().to_string())
                .and_then(|()| std::fs::rename(&tmp, dir.join("grandchild.pid")));
        }
        hang_forever();
    }
    let code = match run() {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("fake-mdatp: {msg}");
            127
        }
    };
    std::process::exit(code);
}

fn run() -> Result<i32, String> {
    let dir = PathBuf::from(
        std::env::var_os("FAKE_MDATP_SCENARIO").ok_or("FAKE_MDATP_SCENARIO is not set")?,
    );
    let started = now_us();
    let args: Vec<String> = std::env::args().skip(1).collect();
    append(
        &dir.join("invocations.jsonl"),
        &format!("{}\n", Value::from(args.clone())),
    )?;
    // Written aside and renamed: a test polling for it never reads a half-written file.
    let pid_tmp = dir.join(format!(".last.pid.{}", std::process::id()));
    std::fs::write(&pid_tmp, std::process::id().to_string())
        .and_then(|()| std::fs::rename(&pid_tmp, dir.join("last.pid")))
        .map_err(|e| e.to_string())?;

    let scenario: Value = serde_json::from_slice(&read(&dir.join("scenario.json"))?)
        .map_err(|e| format!("scenario.json: {e}"))?;
    let state = match std::fs::read_to_string(dir.join("state")) {
        Ok(s) => s.trim().to_string(),
        Err(_) => scenario["state"].as_str().unwrap_or("initial").to_string(),
    };
    let key = args.join(" ");
    let replies = &scenario["states"][&state];
    let reply = replies
        .get(&key)
        .or_else(|| replies.get("*"))
        .ok_or_else(|| format!("no reply for `{key}` in state `{state}`"))?;

    if let Some(next) = reply["next_state"].as_str() {
        std::fs::write(dir.join("state"), next).map_err(|e| format!("state: {e}"))?;
    }
    if let Some(ms) = reply["sleep_ms"].as_u64() {
        std::thread::sleep(Duration::from_millis(ms));
    }
    if reply["spawn_grandchild"].as_bool() == Some(true) {
        let me = std::env::current_exe().map_err(|e| e.to_string())?;
        let setsid = reply["grandchild_setsid"].as_bool() == Some(true);
        let mut cmd = std::process::Command::new(me);
        cmd.env("FAKE_MDATP_GRANDCHILD", "1");
        if setsid {
            cmd.env("FAKE_MDATP_GRANDCHILD_SETSID", &dir);
        }
        let child = cmd.spawn().map_err(|e| format!("grandchild: {e}"))?;
        if setsid {
            // Wait (bounded by the tests' 600 s hang guard, never by a guess at how
            // fast a loaded machine starts a process) until it has left our session,
            // so the escape is real before this process goes on (and may be killed).
            let until = std::time::Instant::now() + Duration::from_secs(600);
            while std::time::Instant::now() < until {
                if dir.join("grandchild.pid").exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        } else {
            std::fs::write(dir.join("grandchild.pid"), child.id().to_string())
                .map_err(|e| e.to_string())?;
        }
    }

    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    // Write errors (a reader that went away) end the output, as they would for mdatp.
    if let Some(bytes) = content(&dir, reply, "stdout")? {
        let _ = out.write_all(&bytes);
    }
    if let Some(bytes) = content(&dir, reply, "stderr")? {
        let _ = err.write_all(&bytes);
    }
    if let Some(flood) = reply.get("flood") {
        let _ = flood_out(&mut out, flood);
    }
    let _ = out.flush();
    let _ = err.flush();

    if let Some(signal) = reply["signal"].as_i64() {
        // The Rust runtime handles SIGSEGV/SIGBUS itself (stack-overflow detection) and
        // would let a raised one return; restore the default action so it really kills.
        // SAFETY: resetting a disposition and raising a signal on ourselves.
        unsafe {
            libc::signal(signal as libc::c_int, libc::SIG_DFL);
            libc::raise(signal as libc::c_int);
        }
    }
    if reply["hang"].as_bool() == Some(true) {
        hang_forever();
    }
    let interval = serde_json::json!({"args": args, "start_us": started, "end_us": now_us()});
    append(&dir.join("timeline.jsonl"), &format!("{interval}\n"))?;
    Ok(reply["exit"].as_i64().unwrap_or(0) as i32)
}

fn content(dir: &Path, reply: &Value, stream: &str) -> Result<Option<Vec<u8>>, String> {
    if let Some(text) = reply[stream].as_str() {
        return Ok(Some(text.as_bytes().to_vec()));
    }
    match reply[format!("{stream}_file")].as_str() {
        Some(file) => read(&dir.join(file)).map(Some),
        None => Ok(None),
    }
}

/// Huge output: `bytes` bytes of a repeated text pattern, or of binary noise with NULs.
fn flood_out(out: &mut impl Write, flood: &Value) -> std::io::Result<()> {
    let total = flood["bytes"].as_u64().unwrap_or(0);
    let chunk: Vec<u8> = if flood["binary"].as_bool() == Some(true) {
        (0..65536u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect()
    } else {
        flood["pattern"]
            .as_str()
            .unwrap_or("x")
            .as_bytes()
            .iter()
            .copied()
            .cycle()
            .take(65536)
            .collect()
    };
    let mut left = total;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    Ok(())
}

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn hang_forever() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn append(path: &Path, line: &str) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}
