//! Fuzzes the report reader of `aggregate`: a `diagnose --format json` document as
//! collected from a fleet (any JSON, any sizes), read as `aggregate` reads it, folded
//! into the fleet and rendered as the human table and as JSON. Never a panic; the
//! output stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdatp_doctor::render::{self, Format};
use mdatp_doctor::report::fleet::{Fleet, InputDoc};
use mdatp_doctor::report::misc::FleetReport;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<InputDoc>(data) else {
        return;
    };
    let mut fleet = Fleet::default();
    fleet.add(&doc, "host");
    fleet.add(&doc, "other");
    fleet.add_mirror(&doc, "mirror");
    fleet.finish();
    let report = FleetReport::new(&fleet);
    let style = render::style::Style {
        color: false,
        width: 80,
    };
    let _ = render::emit(&report, Format::Human, style);
    let _ = render::emit(&report, Format::Json, style);
});
