//! Fuzzes the reader of a mirror's mdatp-doctor-status.json (what every endpoint probe
//! fetches from the mirror): any input must give a status or an error, never a panic or a
//! hang, and no string of a status read back may hold a control character.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = mdatp_doctor::mirror::status::parse(data) {
        let mut texts = vec![&s.written_at, &s.written_by];
        for a in s.arch.values() {
            texts.extend([&a.definition_version, &a.engine_version, &a.package_sha256]);
        }
        if let Some(a) = &s.last_attempt {
            texts.push(&a.at);
            texts.extend(a.error.as_ref());
        }
        texts.extend(s.last_success.as_ref());
        if let Some(p) = &s.published {
            texts.extend([&p.definition_version, &p.asked_at]);
        }
        for t in texts {
            assert!(!t.chars().any(char::is_control), "{t:?}");
        }
    }
});
