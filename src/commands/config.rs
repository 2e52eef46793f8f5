//! `mdatp-doctor config check [PATH]`: the managed-configuration rules alone, on this
//! endpoint's file or on one copied from elsewhere. Runs no mdatp.

use std::path::Path;

use crate::analyze::finding;
use crate::analyze::rules::{ConfigFacts, file_findings};
use crate::cli::ConfigCheckArgs;
use crate::commands::{Context, Finished};
use crate::failure::Failure;
use crate::managed::config;
use crate::render;
use crate::report::SchemaVersion;
use crate::report::misc::ConfigReport;

pub fn check(
    ctx: &Context,
    args: &ConfigCheckArgs,
    default_path: &Path,
) -> Result<Finished, Failure> {
    let path = args.path.as_deref().unwrap_or(default_path);
    let (loaded, keys) = config::load_with_keys(path);
    let name = path.display().to_string();
    let mut found = file_findings(&ConfigFacts {
        path: &name,
        loaded: &loaded,
        keys: &keys,
    });
    finding::sort(&mut found);
    let verdict = finding::worst(&found);
    let report = ConfigReport {
        schema_version: SchemaVersion,
        path: name,
        findings: found,
        verdict,
    };
    Ok(Finished {
        stdout: render::emit(&report, ctx.format, ctx.style),
        exit: verdict.exit_code(),
    })
}
