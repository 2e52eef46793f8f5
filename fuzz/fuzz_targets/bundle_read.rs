//! Fuzzes the support-bundle reader (`diagnose --from-bundle`, `bundle --list-contents`):
//! any bytes as a `.tar.gz` must give contents or an error, never a panic, a hang or
//! unbounded memory. The input goes through a real file, as a customer's bundle does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(data).expect("write");
    if let Ok(contents) = mdatp_doctor::bundle::read::read(file.path(), |_| true) {
        let _ = contents;
    }
});
