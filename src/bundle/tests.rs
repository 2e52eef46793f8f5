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
