//! End-to-end tests: the real binary, real child processes (the fake mdatp), real files.

mod aggregate;
mod ansible;
mod bundle;
mod check;
mod cli;
mod connectivity;
mod diagnose;
mod fake_mdatp;
mod faults;
mod fixtures;
mod generated;
mod golden;
mod health;
mod hostile_bundle;
mod layers;
mod packaging;
mod server;
mod testenv;
mod update;
