//! mdatp-doctor: diagnose Microsoft Defender for Endpoint offline security intelligence
//! updates on Linux.
//!
//! One direction: `units` ← adapters (`process`, `mdatp`, `mirror`, `managed`, `state`,
//! `bundle`) ← `analyze` (pure rules on a snapshot) ← `gather` (asks the world) ←
//! `report` (output documents) ← `render` (one `emit`) ← `commands` ← `main`. Only
//! `commands` and `main` see `cli`.

pub mod analyze;
pub mod bundle;
pub mod cli;
pub mod commands;
pub mod exit_codes;
pub mod failure;
pub mod gather;
pub mod interrupt;
pub mod managed;
pub mod mdatp;
pub mod mirror;
pub mod mirror_host;
pub mod process;
pub mod render;
pub mod report;
pub mod safe_write;
pub mod seams;
pub mod state;
pub mod system;
pub mod units;
