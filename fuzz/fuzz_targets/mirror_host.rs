//! Fuzzes what `mirror check` reads on the mirror host: the downloader's settings.json
//! and its log. Any bytes must give a value or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mdatp_doctor::mirror_host::settings::parse(data);
    let text = String::from_utf8_lossy(data);
    let summary = mdatp_doctor::mirror_host::log::parse(&text);
    let _ = summary;
    for line in text.lines().take(64) {
        let _ = mdatp_doctor::mirror_host::log::parse_date(line);
    }
});
