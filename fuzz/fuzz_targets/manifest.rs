//! Fuzzes the mirror manifest parser and package sniffer: any input must give a value or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdatp_doctor::mirror::package::parse_manifest(data);
    let _ = mdatp_doctor::mirror::package::sniff(data);
});
