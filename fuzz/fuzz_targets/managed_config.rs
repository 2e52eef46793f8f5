//! Fuzzes the managed-config loader, key scanner and checker: any input must give a value or an error, never a panic or a hang, in memory linear in the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("mdatp_managed.json");
    let loaded = mdatp_doctor::managed::config::parse(path, data);
    let keys = mdatp_doctor::managed::scan::keys(&String::from_utf8_lossy(data));
    let facts = mdatp_doctor::analyze::rules::ConfigFacts {
        path: "mdatp_managed.json",
        loaded: &loaded,
        keys: &keys,
        judged: Default::default(),
    };
    let _ = mdatp_doctor::analyze::rules::file_findings(&facts);
});
