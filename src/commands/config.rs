//! `mdatp-doctor config check [PATH]`: the managed-configuration rules alone, on this
//! endpoint's file or on one copied from elsewhere (a configuration repository's CI).
//! Runs no mdatp. A PATH named on the command line must be a readable regular file: one
//! that is missing or unreadable is an error (exit 3), while at the default path a
//! missing file only means the settings may come from Intune.

use std::path::Path;

use crate::analyze::finding;
use crate::analyze::rules::{ConfigFacts, Judged, file_findings};
use crate::cli::ConfigCheckArgs;
use crate::commands::{Context, Finished};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::managed::config::{self, ConfigError};
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
    if args.path.is_some()
        && let Err(e) = &loaded
        && let Some(failure) = named_file_failure(e)
    {
        return Err(failure);
    }
    let name = path.display().to_string();
    let mut found = file_findings(&ConfigFacts {
        path: &name,
        loaded: &loaded,
        keys: &keys,
        judged: Judged::default(),
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

/// The file named on the command line could not be read at all: nothing was checked,
/// which is not a verdict on the file (exit 3, the path in the message).
fn named_file_failure(e: &ConfigError) -> Option<Failure> {
    let (kind, hint) = match e {
        ConfigError::NotFound { .. } => (
            "config_not_found",
            "check the path; without PATH, `config check` reads --managed-config",
        ),
        ConfigError::Unreadable { .. } => (
            "config_unreadable",
            "check the file's permissions (`ls -lL PATH`)",
        ),
        ConfigError::NotAFile { .. } => (
            "config_not_a_file",
            "name a regular file (a FIFO, device or directory is never read)",
        ),
        // Read, and found wanting: the findings say what is wrong with it.
        ConfigError::TooLarge { .. }
        | ConfigError::InvalidJson { .. }
        | ConfigError::NotAnObject { .. } => return None,
    };
    Some(Failure {
        kind,
        message: e.to_string(),
        hint: hint.into(),
        exit: ExitCode::Unknown,
    })
}
