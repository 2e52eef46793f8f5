//! mdatp-doctor: diagnose Microsoft Defender for Endpoint offline security intelligence
//! updates on Linux.
//!
//! The flow runs one way: gather (`mdatp`: run the client, parse what it prints) →
//! analyze (pure rules, to come) → render (`render`: tables, JSON). `commands` wires one
//! subcommand each; `main.rs` only parses, dispatches and exits.

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
pub mod process;
pub mod render;
pub mod report;
pub mod safe_write;
pub mod state;
pub mod system;
pub mod units;
