//! Hidden `generate` subcommand: writes shell completions and man pages from the clap
//! definition, so they can never drift from it (a test regenerates and compares).

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, GenerateArgs};
use crate::commands::Report;
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::safe_write;

pub const BIN: &str = "mdatp-doctor";

/// Every generated file as (relative path, contents).
pub fn artifacts() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), BIN, &mut buf);
        let name = match shell {
            Shell::Bash => format!("{BIN}.bash"),
            Shell::Zsh => format!("_{BIN}"),
            Shell::Fish => format!("{BIN}.fish"),
            Shell::PowerShell => format!("_{BIN}.ps1"),
            _ => format!("{BIN}.elv"),
        };
        out.push((format!("completions/{name}"), buf));
    }

    let mut cmd = Cli::command();
    // Building propagates global options into subcommands, so each page lists them.
    cmd.build();
    out.push((format!("man/{BIN}.1"), man_page(cmd.clone())));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("{BIN}-{}", sub.get_name());
        let page = man_page(sub.clone().name(name.clone()).bin_name(name.clone()));
        out.push((format!("man/{name}.1"), page));
    }
    out
}

fn man_page(cmd: clap::Command) -> Vec<u8> {
    let mut buf = Vec::new();
    // Rendering into memory cannot fail; an error would only leave the page short, which
    // the staleness test would then catch.
    let _ = clap_mangen::Man::new(cmd).render(&mut buf);
    buf
}

pub fn run(args: &GenerateArgs) -> Result<Report, Failure> {
    let mut written = String::new();
    for (rel, bytes) in artifacts() {
        let path = args.out_dir.join(&rel);
        write(&path, &bytes).map_err(|e| {
            Failure::unknown(
                "write_failed",
                format!("could not write {}: {e}", path.display()),
                "check the directory exists and is writable",
            )
        })?;
        written.push_str(&format!("wrote {}\n", path.display()));
    }
    Ok(Report {
        stdout: written,
        exit: ExitCode::Ok,
    })
}

fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Checked-in, installable files: world-readable like any man page.
    safe_write::replace(path, bytes, 0o644)
}
