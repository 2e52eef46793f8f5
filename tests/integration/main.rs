//! End-to-end tests: the real binary, real child processes (the fake mdatp), real files.

mod aggregate;
mod ansible;
mod bundle;
mod check;
mod cli;
mod completions;
mod connectivity;
mod diagnose;
mod endpoint_states;
mod fake_mdatp;
mod faults;
mod fixtures;
mod generated;
mod golden;
mod health;
mod layers;
mod monitoring;
mod options;
mod packaging;
mod server;
mod testenv;
mod update;
