//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn the_diagnostic_line_is_parsed() {
    let capture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mdatp/diagnostic-create/macos.txt"
    ))
    .expect("fixture");
    assert_eq!(
        diagnostic_path(&capture),
        Some(PathBuf::from(
            "/Library/Application Support/Microsoft/Defender/wdavdiag/932e68a8-8f2e-4ad0-a7f2-65eb97c0de01.zip"
        ))
    );
    assert_eq!(diagnostic_path("nothing here"), None);
}

#[test]
fn a_log_that_would_pass_the_total_cap_is_left_out_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("big.log");
    let line = "2026-11-28 10:00:00 [INFO] request 0f8fad5b-d9cb-469f-a165-70867728950e\n";
    std::fs::write(&log, line.repeat(20_000)).expect("log");
    let size = std::fs::metadata(&log).expect("size").len();
    let writer = archive::Writer::create(&dir.path().join("b.tar.gz")).expect("writer");
    // Nothing in it to redact: redacted, it is as long as it is.
    let mut b = Bundle::new(writer, Redactor::new(false), false);

    // Room for all but the last byte: the whole file goes, not the part that fits.
    b.writer.written = TOTAL_CAP - size + 1;
    let before = b.writer.written;
    let open = || File::open(&log).expect("open");
    b.log_tail(open(), "big.log", "logs/big.log", 16 * 1024 * 1024);
    assert_eq!(b.writer.written, before, "nothing of it was added");
    assert_eq!(b.failures.len(), 1, "{:?}", b.failures.len());
    assert!(
        b.failures[0]
            .error
            .contains("big.log left out: the bundle would pass its 200 MiB cap"),
        "{}",
        b.failures[0].error
    );

    // With room for it, it is added whole.
    b.writer.written = TOTAL_CAP - size;
    b.log_tail(open(), "big.log", "logs/big.log", 16 * 1024 * 1024);
    assert_eq!(b.failures.len(), 1, "no second failure");
    assert!(b.writer.written >= TOTAL_CAP, "{}", b.writer.written);
}

#[test]
fn redacting_a_log_stops_once_it_has_passed_the_room_left() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("ids.log");
    // 20,000 lines, each with a GUID of its own.
    let text: String = (0..20_000u32)
        .map(|i| format!("request {i:08x}-0000-4000-8000-000000000000 done\n"))
        .collect();
    std::fs::write(&log, &text).expect("log");
    let writer = archive::Writer::create(&dir.path().join("b.tar.gz")).expect("writer");
    let mut b = Bundle::new(writer, Redactor::new(true), false);
    // Room for about ten redacted lines.
    b.writer.written = TOTAL_CAP - 300;
    let file = File::open(&log).expect("open");
    b.log_tail(file, "ids.log", "logs/ids.log", 16 * 1024 * 1024);
    assert_eq!(b.failures.len(), 1, "left out");
    // The next new GUID's number says how many were redacted before it: a handful,
    // not the 20,000 of the whole file.
    let next = b
        .redactor
        .placeholder("ffffffff-0000-4000-8000-000000000000", "guid");
    let n: u32 = next
        .strip_prefix("guid-")
        .and_then(|n| n.parse().ok())
        .expect("a guid placeholder");
    assert!(n < 20, "{next}");
}

#[test]
fn a_tail_is_added_the_same_whether_held_in_memory_or_spooled() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().expect("tempdir");
    let writer = archive::Writer::create(&dir.path().join("b.tar.gz")).expect("writer");
    let mut b = Bundle::new(writer, Redactor::new(false), false);
    let line = "2026-11-28 10:00:00 [INFO] wdavdaemon: request done in 12 ms\n";
    // Below the memory limit, just past it, and well past it.
    for (i, lines) in [1000, SPOOL_IN_MEMORY / line.len() + 1, 300_000]
        .into_iter()
        .enumerate()
    {
        let log = dir.path().join(format!("{i}.log"));
        let text = line.repeat(lines);
        std::fs::write(&log, &text).expect("log");
        b.log_tail(
            File::open(&log).expect("open"),
            "log",
            &format!("logs/{i}.log"),
            64 * 1024 * 1024,
        );
        let entry = b.writer.entries.last().expect("added");
        assert_eq!(entry.path, format!("logs/{i}.log"));
        assert_eq!(entry.size, text.len() as u64, "{lines} lines");
        assert_eq!(entry.sha256, archive::hex(Sha256::digest(text.as_bytes())));
    }
    assert!(b.failures.is_empty(), "{:?}", b.failures.len());
}
