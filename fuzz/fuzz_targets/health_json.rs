//! Fuzzes the `mdatp health --output json` parser: any input must give a value or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = mdatp_doctor::mdatp::health::json::parse_json(&text);
});
