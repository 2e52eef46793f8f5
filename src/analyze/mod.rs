//! Analysis: pure functions from gathered facts to findings. Nothing here touches the
//! world, so every rule is tested with hand-built facts.

pub mod facts;
pub mod finding;
pub mod fix;
pub mod metrics;
pub mod rules;
pub mod snapshot;
pub mod update;
