//! Fuzzes `config fix`'s planning and editing: any file and any `--set` lines (after a NUL
//! byte, one per line) must give a plan or an error, never a panic; a plan's text always
//! parses as JSON and keeps every key it does not touch (`analyze::fix::preserved`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdatp_doctor::analyze::fix;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (file, sets) = text.split_once('\0').unwrap_or((&text, ""));
    let sets: Vec<_> = sets.lines().filter_map(|l| fix::parse_set(l).ok()).collect();
    let path = std::path::Path::new("mdatp_managed.json");
    let loaded = mdatp_doctor::managed::config::parse(path, file.as_bytes());
    let keys = mdatp_doctor::managed::scan::keys(file);
    let found = mdatp_doctor::analyze::rules::file_findings(&mdatp_doctor::analyze::rules::ConfigFacts {
        path: "mdatp_managed.json",
        loaded: &loaded,
        keys: &keys,
        judged: Default::default(),
    });
    if let Ok(plan) = fix::plan(file, &found, &sets) {
        serde_json::from_str::<serde_json::Value>(plan.text.trim_start_matches('\u{feff}'))
            .expect("a plan's text parses");
        fix::preserved(file, &plan).expect("untouched keys unchanged");
    }
});
