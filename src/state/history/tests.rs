//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};

fn entry(secs: i64, enabled: bool) -> Entry {
    Entry {
        time: jiff::Timestamp::from_second(secs).expect("ts"),
        command: "diagnose".into(),
        offline_enabled: Some(enabled),
        url: None,
        source_uri: None,
        definitions_version: None,
        status: None,
        fail_reason: None,
    }
}

#[test]
fn appends_bounded_private_and_tolerant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    assert_eq!(read(&state).expect("empty"), History::default());
    append(&state, &entry(1_700_000_000, true)).expect("first append creates the dir");
    // A full history written at once (appending 1000 times would fsync 1000 times).
    let lines: String = (1..(MAX_ENTRIES as i64 + 4))
        .map(|i| serde_json::to_string(&entry(1_700_000_000 + i, i % 2 == 0)).expect("json") + "\n")
        .collect();
    std::fs::write(state.join(FILE_NAME), lines).expect("write");
    append(&state, &entry(1_700_000_000 + MAX_ENTRIES as i64 + 4, true)).expect("append");
    let all = read(&state).expect("read").entries;
    assert_eq!(all.len(), MAX_ENTRIES);
    assert_eq!(
        all[0].time.as_second(),
        1_700_000_005,
        "oldest dropped first"
    );
    let meta = std::fs::metadata(state.join(FILE_NAME)).expect("meta");
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(&state).expect("dir").mode() & 0o777,
        0o700
    );

    std::fs::write(
        state.join(FILE_NAME),
        "garbage\n{\"time\":\"2026-01-01T00:00:00Z\",\"command\":\"x\"}\n",
    )
    .expect("write");
    let h = read(&state).expect("read");
    assert_eq!((h.entries.len(), h.skipped), (1, 1));
}

#[test]
fn an_unwritable_state_dir_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").expect("write");
    assert!(append(&file, &entry(1, true)).is_err());
}

#[test]
fn concurrent_appends_keep_every_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let state = state.clone();
            std::thread::spawn(move || {
                for j in 0..5 {
                    append(&state, &entry(1_700_000_000 + i * 100 + j, true)).expect("append");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    assert_eq!(read(&state).expect("read").entries.len(), 40);
}

fn private_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&state)
        .expect("mkdir");
    (dir, state)
}

fn lines(entries: impl IntoIterator<Item = Entry>) -> Vec<u8> {
    entries
        .into_iter()
        .flat_map(|e| (serde_json::to_string(&e).expect("json") + "\n").into_bytes())
        .collect()
}

#[test]
fn one_invalid_byte_skips_one_line_not_the_history() {
    let (_t, state) = private_dir();
    let mut bytes = lines([entry(1_700_000_001, true)]);
    bytes.extend_from_slice(b"{\"time\":\"2026-01-01T00:00:00Z\",\"command\":\"x\xff\"}\n");
    bytes.extend(lines([entry(1_700_000_003, false)]));
    std::fs::write(state.join(FILE_NAME), &bytes).expect("write");
    let h = read(&state).expect("one bad byte does not turn history off");
    assert_eq!(h.entries.len(), 2);
    assert_eq!(h.skipped, 1);
    assert!(
        h.skipped_note()
            .expect("note")
            .contains("1 unreadable line")
    );
    // The next write keeps the good lines and drops the bad one.
    append(&state, &entry(1_700_000_004, true)).expect("append");
    let h = read(&state).expect("read");
    assert_eq!((h.entries.len(), h.skipped), (3, 0));
}

#[test]
fn a_write_cut_inside_a_character_loses_only_that_line() {
    let (_t, state) = private_dir();
    let mut e = entry(1_700_000_002, true);
    e.fail_reason = Some("échec".into());
    let mut bytes = lines([entry(1_700_000_001, true)]);
    let last = serde_json::to_string(&e).expect("json");
    let cut = last.find('é').expect("é") + 1; // inside the two-byte é
    bytes.extend_from_slice(&last.as_bytes()[..cut]);
    std::fs::write(state.join(FILE_NAME), &bytes).expect("write");
    let h = read(&state).expect("a cut write does not turn history off");
    assert_eq!((h.entries.len(), h.skipped), (1, 1));
}

#[test]
fn the_newest_entries_are_read_when_the_file_is_large() {
    let (_t, state) = private_dir();
    // 6 MiB of large old entries, then the recent ones: the newest must win.
    let mut big = entry(0, true);
    big.fail_reason = Some("x".repeat(3000));
    let mut bytes = Vec::new();
    let mut t = 1_600_000_000;
    while bytes.len() < 6 * 1024 * 1024 {
        big.time = jiff::Timestamp::from_second(t).expect("ts");
        bytes.extend(lines([big.clone()]));
        t += 1;
    }
    bytes.extend(lines([
        entry(1_800_000_000, false),
        entry(1_800_000_001, true),
    ]));
    std::fs::write(state.join(FILE_NAME), &bytes).expect("write");
    let h = read(&state).expect("read");
    let newest = h.entries.last().expect("entries");
    assert_eq!(newest.time.as_second(), 1_800_000_001, "newest entry lost");
    assert_eq!(h.entries.len(), MAX_ENTRIES);
    assert_eq!(h.skipped, 0, "the cut first line is not counted as bad");
}

#[test]
fn an_entry_is_capped_when_written() {
    let (_t, state) = private_dir();
    let mut e = entry(1_700_000_000, true);
    e.fail_reason = Some("é\u{1}".repeat(100_000));
    e.url = Some("http://m/".repeat(10_000));
    append(&state, &e).expect("append");
    let text = std::fs::read(state.join(FILE_NAME)).expect("read");
    assert!(text.len() <= MAX_LINE_BYTES + 1, "{} bytes", text.len());
    let h = read(&state).expect("read");
    assert_eq!((h.entries.len(), h.skipped), (1, 0));
    let reason = h.entries[0].fail_reason.as_deref().expect("reason");
    assert!(
        reason.starts_with("é\u{1}") && reason.ends_with('…'),
        "{reason}"
    );
}

#[test]
fn the_default_state_dir_is_never_a_shared_tmp_folder() {
    use std::ffi::OsString;
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    };
    assert_eq!(
        default_dir_for(0, env(&[("HOME", "/root")]), None),
        PathBuf::from("/var/lib/mdatp-doctor")
    );
    assert_eq!(
        default_dir_for(1000, env(&[("XDG_STATE_HOME", "/s"), ("HOME", "/h")]), None),
        PathBuf::from("/s/mdatp-doctor")
    );
    assert_eq!(
        default_dir_for(1000, env(&[("HOME", "/h")]), None),
        PathBuf::from("/h/.local/state/mdatp-doctor")
    );
    // No HOME nor XDG_STATE_HOME (a cron job, `env -i`): the password database's home.
    assert_eq!(
        default_dir_for(1000, env(&[]), Some(PathBuf::from("/home/u"))),
        PathBuf::from("/home/u/.local/state/mdatp-doctor")
    );
    assert_eq!(
        default_dir_for(1000, env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]), None),
        PathBuf::from("/run/user/1000/mdatp-doctor")
    );
    // Nothing at all: a per-user folder, never the shared /tmp/mdatp-doctor.
    let last = default_dir_for(1000, env(&[("HOME", "relative")]), None);
    assert_eq!(last, PathBuf::from("/tmp/mdatp-doctor-1000"));
    assert_ne!(last, PathBuf::from("/tmp/mdatp-doctor"));
}

/// A history of `n` entries, one a second from `from`, as the tool writes them.
fn full(state: &Path, from: i64, n: usize) {
    let bytes = lines((0..n as i64).map(|i| entry(from + i, i % 2 == 0)));
    std::fs::write(state.join(FILE_NAME), bytes).expect("write");
}

/// (inode, size, lines) of the history file.
fn file_state(state: &Path) -> (u64, u64, usize) {
    let path = state.join(FILE_NAME);
    let meta = std::fs::metadata(&path).expect("meta");
    let text = std::fs::read(&path).expect("read");
    let lines = text.iter().filter(|&&b| b == b'\n').count();
    (meta.ino(), meta.len(), lines)
}

#[test]
fn an_append_at_the_cap_adds_one_line_to_the_same_file() {
    let (_t, state) = private_dir();
    full(&state, 1_700_000_000, MAX_ENTRIES);
    let (ino, len, n) = file_state(&state);
    let e = entry(1_800_000_000, true);
    append(&state, &e).expect("append");
    let (ino_after, len_after, n_after) = file_state(&state);
    assert_eq!(ino_after, ino, "appended in place, not rewritten");
    assert_eq!(len_after, len + e.line().len() as u64 + 1);
    assert_eq!(n_after, n + 1);
    let h = read(&state).expect("read");
    assert_eq!(
        h.entries.len(),
        MAX_ENTRIES,
        "still only the newest are read"
    );
    assert_eq!(h.entries.last(), Some(&e));
    assert_eq!(h.entries[0].time.as_second(), 1_700_000_001);
}

#[test]
fn runs_at_the_cap_rewrite_the_file_rarely_and_keep_it_bounded() {
    let (_t, state) = private_dir();
    // Past the cap, 50 runs short of a compaction.
    full(&state, 1_700_000_000, MAX_ENTRIES + COMPACT_SLACK - 50);
    let runs = 100;
    let (mut ino, mut len, _) = file_state(&state);
    let mut rewrites = 0;
    for i in 0..runs as i64 {
        let e = entry(1_800_000_000 + i, i % 3 == 0);
        append(&state, &e).expect("append");
        let (now_ino, now_len, now_lines) = file_state(&state);
        if now_ino == ino {
            assert_eq!(
                now_len,
                len + e.line().len() as u64 + 1,
                "run {i}: one line"
            );
        } else {
            rewrites += 1;
            assert_eq!(now_lines, MAX_ENTRIES, "run {i}: compacted to the newest");
        }
        assert!(
            now_lines <= MAX_ENTRIES + COMPACT_SLACK + 1,
            "run {i}: {now_lines} lines"
        );
        (ino, len) = (now_ino, now_len);
    }
    // At most one rewrite per 10 runs (here one per COMPACT_SLACK runs), but one.
    assert!(rewrites * 10 <= runs, "{rewrites} rewrites in {runs} runs");
    assert_eq!(rewrites, 1, "the file was compacted once");
    let h = read(&state).expect("read");
    assert_eq!((h.entries.len(), h.skipped), (MAX_ENTRIES, 0));
    assert_eq!(
        h.entries.last().map(|e| e.time.as_second()),
        Some(1_800_000_000 + runs as i64 - 1)
    );
    let meta = std::fs::metadata(state.join(FILE_NAME)).expect("meta");
    assert_eq!(
        meta.mode() & 0o777,
        0o600,
        "the compacted file is private too"
    );
}

#[test]
fn a_torn_last_line_is_skipped_and_not_glued_to_the_next() {
    let (_t, state) = private_dir();
    let mut bytes = lines((0..5).map(|i| entry(1_700_000_000 + i, true)));
    // A crash in the middle of a write: half a line, no newline.
    let torn = serde_json::to_string(&entry(1_700_000_005, false)).expect("json");
    bytes.extend_from_slice(&torn.as_bytes()[..torn.len() / 2]);
    std::fs::write(state.join(FILE_NAME), &bytes).expect("write");
    let h = read(&state).expect("read");
    assert_eq!((h.entries.len(), h.skipped), (5, 1));

    let next = entry(1_700_000_006, false);
    append(&state, &next).expect("append");
    let h = read(&state).expect("read");
    assert_eq!((h.entries.len(), h.skipped), (6, 0), "{h:?}");
    assert_eq!(h.entries.last(), Some(&next), "the new line stands whole");
    let text = std::fs::read_to_string(state.join(FILE_NAME)).expect("text");
    assert!(text.ends_with('\n'));
    // And the append after that is a plain one-line append again.
    let (ino, len, _) = file_state(&state);
    let after = entry(1_700_000_007, true);
    append(&state, &after).expect("append");
    let (ino_after, len_after, _) = file_state(&state);
    assert_eq!(
        (ino_after, len_after),
        (ino, len + after.line().len() as u64 + 1)
    );
}

#[test]
fn a_symlink_or_fifo_history_is_never_appended_to() {
    let (t, state) = private_dir();
    let secret = t.path().join("secret");
    std::fs::write(&secret, "root:x:0:0\n").expect("write");
    std::os::unix::fs::symlink(&secret, state.join(FILE_NAME)).expect("symlink");
    let e = append(&state, &entry(1, true)).expect_err("symlink");
    assert!(e.contains("symbolic link"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&secret).expect("read"),
        "root:x:0:0\n"
    );

    std::fs::remove_file(state.join(FILE_NAME)).expect("rm");
    let c =
        std::ffi::CString::new(state.join(FILE_NAME).as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // Neither end blocks: the open is non-blocking and a FIFO is refused.
    let e = append(&state, &entry(1, true)).expect_err("fifo");
    assert!(e.contains("a FIFO"), "{e}");
}

/// Bytes this thread has read through read(2)/pread(2) so far (the kernel's count).
fn bytes_read_by_this_thread() -> u64 {
    let io = std::fs::read_to_string("/proc/thread-self/io").expect("/proc/thread-self/io");
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("rchar")
}

#[test]
fn a_huge_history_is_read_only_at_its_end() {
    let (_t, state) = private_dir();
    let path = state.join(FILE_NAME);
    // 1 GiB: a sparse hole (NUL bytes, no newline) and then twice the entries kept.
    let hole = 1u64 << 30;
    let tail = lines((0..2 * MAX_ENTRIES as i64).map(|i| entry(1_700_000_000 + i, true)));
    {
        let f = File::create(&path).expect("create");
        f.write_all_at(&tail, hole).expect("write");
    }
    let size = std::fs::metadata(&path).expect("meta").len();
    assert!(size > hole);

    let before = bytes_read_by_this_thread();
    let h = read(&state).expect("read");
    let used = bytes_read_by_this_thread() - before;
    assert_eq!((h.entries.len(), h.skipped), (MAX_ENTRIES, 0));
    assert_eq!(
        h.entries.last().map(|e| e.time.as_second()),
        Some(1_700_000_000 + 2 * MAX_ENTRIES as i64 - 1)
    );
    // The newest MAX_ENTRIES lines (half the tail), not the gigabyte before them.
    assert!(
        used <= tail.len() as u64 / 2 + 2 * CHUNK_BYTES,
        "read {used} bytes of a {size}-byte file for {} bytes of lines",
        tail.len() / 2
    );

    // Only NUL bytes at the end (a hole, no line at all): bounded, and nothing believed.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    f.set_len(size + hole).expect("grow");
    drop(f);
    let before = bytes_read_by_this_thread();
    let h = read(&state).expect("read");
    let used = bytes_read_by_this_thread() - before;
    assert!(h.entries.is_empty(), "{h:?}");
    assert!(used <= MAX_FILE_BYTES + CHUNK_BYTES, "read {used} bytes");

    // The next append compacts it back to its entries, reading a bounded amount.
    let before = bytes_read_by_this_thread();
    append(&state, &entry(1_900_000_000, true)).expect("append");
    let used = bytes_read_by_this_thread() - before;
    assert!(
        used <= COMPACT_SCAN_BYTES + CHUNK_BYTES,
        "read {used} bytes"
    );
    let (_, len, n) = file_state(&state);
    assert_eq!(n, 1, "only the new entry survives");
    assert!(len < 4096);
}
