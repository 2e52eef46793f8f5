//! The output documents: what each command reports, as `Serialize` types. `render` turns
//! them into text for people, JSON for programs and the monitoring formats; the JSON
//! schema is these types, declared once, with its version in one place.

pub mod check;
pub mod connectivity;
pub mod diagnose;
pub mod fix;
pub mod fleet;
pub mod gate;
pub mod lenient;
pub mod mirror_host;
pub mod misc;
pub mod siem;
pub mod stage;
pub mod update;

/// The one scrub of what leaves the machine (see [`diagnose::scrub`]).
pub use diagnose::scrub;

use serde::{Deserialize, Serialize};

/// The version of every JSON document; bump it on an incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The `schema_version` field of a document: always [`SCHEMA_VERSION`] when written,
/// accepted whatever it is when read back (`aggregate` reads older reports too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchemaVersion;

impl Serialize for SchemaVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(SCHEMA_VERSION)
    }
}

impl<'de> Deserialize<'de> for SchemaVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| SchemaVersion)
    }
}
