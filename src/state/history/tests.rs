//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use std::os::unix::fs::MetadataExt;

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
    assert_eq!(read(&state).expect("empty"), []);
    append(&state, &entry(1_700_000_000, true)).expect("first append creates the dir");
    // A full history written at once (appending 1000 times would fsync 1000 times).
    let lines: String = (1..(MAX_ENTRIES as i64 + 4))
        .map(|i| serde_json::to_string(&entry(1_700_000_000 + i, i % 2 == 0)).expect("json") + "\n")
        .collect();
    std::fs::write(state.join(FILE_NAME), lines).expect("write");
    append(&state, &entry(1_700_000_000 + MAX_ENTRIES as i64 + 4, true)).expect("append");
    let all = read(&state).expect("read");
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
    assert_eq!(read(&state).expect("read").len(), 1);
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
    assert_eq!(read(&state).expect("read").len(), 40);
}
