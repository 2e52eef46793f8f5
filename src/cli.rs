//! The command line, as one clap definition. Completions and man pages are generated from
//! it (see `generate.rs`), so help texts written here end up in both.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit_codes::EXIT_CODES_HELP;

/// Where mdatp reads its managed configuration from.
pub const DEFAULT_MANAGED_CONFIG: &str = "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json";

/// Diagnose Microsoft Defender for Endpoint offline security intelligence updates on Linux.
#[derive(Debug, Parser)]
#[command(
    name = "mdatp-doctor",
    version,
    about,
    long_about = "Diagnose Microsoft Defender for Endpoint offline security intelligence updates \
                  on Linux: read mdatp health as typed fields, probe the update mirror, and name \
                  what is wrong with a concrete fix.",
    after_help = EXIT_CODES_HELP,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand shares.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The mdatp client to run [default: `mdatp` on PATH, then
    /// /opt/microsoft/mdatp/sbin/wdavdaemonclient]
    #[arg(long, global = true, env = "MDATP_DOCTOR_MDATP", value_name = "PATH")]
    pub mdatp: Option<PathBuf>,

    /// The managed configuration file mdatp reads
    #[arg(
        long,
        global = true,
        env = "MDATP_DOCTOR_MANAGED_CONFIG",
        value_name = "PATH",
        default_value = DEFAULT_MANAGED_CONFIG
    )]
    pub managed_config: PathBuf,

    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// When to use colors (auto: only on a terminal, and never when NO_COLOR is set)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Time limit for each mdatp call, in seconds (or with a unit: 500ms, 90s, 2m); the
    /// call is killed, with anything it started, when it runs out
    #[arg(
        long,
        global = true,
        value_name = "SECS",
        default_value = "60",
        value_parser = parse_timeout
    )]
    pub timeout: Duration,

    /// Show each external command, its exit status and duration on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables and text for people
    Human,
    /// One JSON document on stdout (`schema_version` 1)
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show `mdatp health` as typed fields (definitions first)
    #[command(
        long_about = "Run `mdatp health --details definitions` (or another section, or plain \
                      `mdatp health` with --all) and show its fields typed: a table of field, \
                      value and whether it comes from managed configuration, or JSON.\n\n\
                      Exits 0 when the output was read, 3 when mdatp could not be run or its \
                      output could not be read.",
        after_help = EXIT_CODES_HELP
    )]
    Health(HealthArgs),

    /// Regenerate completions/ and man/ from this command-line definition
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Health section to show (mdatp's `--details`): definitions, edr, features, ...
    #[arg(
        long,
        value_name = "SECTION",
        default_value = "definitions",
        value_parser = parse_section,
        conflicts_with = "all"
    )]
    pub details: String,

    /// Show every field: run plain `mdatp health`
    #[arg(long)]
    pub all: bool,

    /// Ask mdatp for its JSON output (`--output json`) instead of text
    #[arg(long)]
    pub mdatp_json: bool,

    /// Read a saved health output (text or JSON) from FILE, or stdin with `-`, instead of
    /// running mdatp
    #[arg(long, value_name = "FILE", conflicts_with = "mdatp_json")]
    pub from_file: Option<PathBuf>,
}

impl HealthArgs {
    /// The mdatp arguments this selection means.
    pub fn mdatp_args(&self) -> Vec<&str> {
        let mut args = vec!["health"];
        if !self.all {
            args.extend(["--details", self.details.as_str()]);
        }
        if self.mdatp_json {
            args.extend(["--output", "json"]);
        }
        args
    }
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory that receives completions/ and man/
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
}

/// Section names are passed to mdatp as an argument; keeping them to `[a-z_]` means a
/// value can never be read by mdatp as an option of its own.
fn parse_section(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        Ok(s.to_string())
    } else {
        Err("a section is a lowercase word such as `definitions`".into())
    }
}

/// Seconds as a number (`60`, `1.5`) or with a unit (`500ms`, `90s`, `2m`).
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (examples: 60, 1.5, 500ms, 2m)"))?;
    let secs = value * scale;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(format!("`{s}` must be more than 0 and at most a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("60"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_timeout("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        for bad in ["0", "-1", "abc", "", "NaN", "inf", "2d"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sections_cannot_smuggle_options() {
        assert!(parse_section("definitions").is_ok());
        for bad in ["--help", "a b", "", "Definitions", "x;y"] {
            assert!(parse_section(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn health_arguments_map_to_mdatp_calls() {
        let cli = Cli::try_parse_from(["mdatp-doctor", "health"]).expect("parses");
        let Command::Health(h) = cli.command else {
            panic!("health")
        };
        assert_eq!(h.mdatp_args(), ["health", "--details", "definitions"]);
        let cli = Cli::try_parse_from(["mdatp-doctor", "health", "--all", "--mdatp-json"])
            .expect("parses");
        let Command::Health(h) = cli.command else {
            panic!("health")
        };
        assert_eq!(h.mdatp_args(), ["health", "--output", "json"]);
        assert!(
            Cli::try_parse_from(["mdatp-doctor", "health", "--all", "--details", "edr"]).is_err()
        );
    }
}
