//! The tool's own state on the endpoint (under `--state-dir`).

pub mod history;
pub mod lock;
