//! `mdatp-doctor config check [PATH]`: the managed-configuration rules alone, on this
//! endpoint's file or on one copied from elsewhere. Runs no mdatp.

use std::path::Path;

use crate::analyze::finding;
use crate::analyze::rules::{ConfigFacts, file_findings};
use crate::cli::ConfigCheckArgs;
use crate::commands::{Context, Output, Report};
use crate::failure::Failure;
use crate::managed::config;
use crate::render;

pub fn check(
    ctx: &Context,
    args: &ConfigCheckArgs,
    default_path: &Path,
) -> Result<Report, Failure> {
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
    let stdout = match ctx.format {
        Output::Json => format!(
            "{:#}\n",
            serde_json::json!({"schema_version": 1, "path": name, "findings": found, "verdict": verdict.as_str()})
        ),
        Output::Human => format!("{name}\n{}", render::findings::list(&found, ctx.style)),
    };
    Ok(Report {
        stdout,
        exit: verdict.exit_code(),
    })
}
