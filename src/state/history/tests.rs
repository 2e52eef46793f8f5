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
