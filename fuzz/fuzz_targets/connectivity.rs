//! Fuzzes the `mdatp connectivity test` parser: any input must give a value or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdatp_doctor::mdatp::connectivity::parse(data);
});
