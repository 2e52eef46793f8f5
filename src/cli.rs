//! The command line, as one clap definition. Completions and man pages are generated from
//! it (see `generate.rs`), so help texts written here end up in both.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit_codes::EXIT_CODES_HELP;
use crate::render::{Format, Takes};

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
    after_long_help = help_end(EXIT_CODES_HELP, &[]),
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand shares; listed after each command's own, under their own heading.
#[derive(Debug, Args)]
#[command(next_help_heading = GLOBAL_HEADING)]
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

    /// --managed-config was typed on the command line (not the default, not the
    /// environment): a file the user names must exist (set by [`parse`]).
    #[arg(skip)]
    pub managed_config_typed: bool,

    /// Output format [default: human; nagios for `check`]. Each command's help lists the
    /// formats it takes: Nagios, Prometheus, Checkmk and Icinga output are for `check` and
    /// `mirror check` only, HTML for `aggregate` only
    #[arg(long, global = true, value_name = "FORMAT", value_parser = FormatParser(None))]
    pub format: Option<Format>,

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
        value_parser = crate::units::parse_timeout
    )]
    pub timeout: Duration,

    /// Show each external command, its exit status and duration on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Where the run history is kept [default: /var/lib/mdatp-doctor for root, else the
    /// XDG state directory]
    #[arg(
        long,
        global = true,
        env = "MDATP_DOCTOR_STATE_DIR",
        value_name = "DIR"
    )]
    pub state_dir: Option<PathBuf>,
}

/// The heading the shared options are listed under in every command's help.
pub const GLOBAL_HEADING: &str = "Global options";

/// The refusal of a format a command does not print, e.g. `--format nagios` for `health`,
/// in clap's words for a bad value (the value lowercase, the format's name in prose).
pub fn format_not_accepted(f: Format) -> String {
    let whose = match f.takes() {
        Takes::Fleet => "`aggregate`",
        Takes::Monitoring => "`check` and `mirror check`",
        Takes::Plain => "every command",
    };
    format!(
        "invalid value '{}' for '--format <FORMAT>': {} output is only for {whose}\n  \
         [possible values: human, json]\n\nFor more information, try '--help'.\n",
        f.value(),
        f.display_name()
    )
}

impl Command {
    /// Which formats the command takes (what its `--format` lists; `main` refuses the
    /// others when given before the command's name).
    pub fn takes(&self) -> Takes {
        match self {
            Command::Check(_) | Command::Mirror(MirrorCommand::Check(_)) => Takes::Monitoring,
            Command::Aggregate(_) => Takes::Fleet,
            Command::Health(_)
            | Command::Diagnose(_)
            | Command::Connectivity(_)
            | Command::Update(_)
            | Command::Bundle(_)
            | Command::Config(_)
            | Command::Mirror(
                MirrorCommand::Run(_) | MirrorCommand::Promote(_) | MirrorCommand::Rollback(_),
            ) => Takes::Plain,
        }
    }
}

/// `--format` as one command declares it: the shared option (same id, same type, so the
/// value still lands in [`GlobalArgs::format`]) with only the values the command accepts,
/// so its help, completions and errors list those alone.
fn format_arg(accepted: Takes, default: &'static str) -> clap::Arg {
    clap::Arg::new("format")
        .long("format")
        .value_name("FORMAT")
        .help(format!("Output format [default: {default}]"))
        .help_heading(GLOBAL_HEADING)
        // Where the shared --format sits: after --mdatp and --managed-config.
        .display_order(2)
        .value_parser(FormatParser(Some(accepted)))
}

/// Parses a `--format` value into [`Format`]: the formats a command of kind `self.0`
/// takes, every format when `None` (the shared option before a command's name).
#[derive(Clone)]
struct FormatParser(Option<Takes>);

impl FormatParser {
    fn accepts(&self, f: Format) -> bool {
        self.0.is_none_or(|t| f.accepted_by(t))
    }
    fn possible(&self) -> Vec<clap::builder::PossibleValue> {
        Format::ALL
            .iter()
            .filter(|f| self.accepts(**f))
            .map(|f| clap::builder::PossibleValue::new(f.value()).help(f.help()))
            .collect()
    }
}

impl clap::builder::TypedValueParser for FormatParser {
    type Value = Format;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Format, clap::Error> {
        let known = value
            .to_str()
            .and_then(|v| Format::ALL.iter().copied().find(|f| f.value() == v));
        match known {
            Some(f) if self.accepts(f) => Ok(f),
            // A real format this command does not print: say whose it is.
            Some(f) => Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format_not_accepted(f),
            )
            .with_cmd(cmd)),
            // Anything else: clap's own message, with the accepted values and a suggestion.
            None => clap::builder::PossibleValuesParser::new(self.possible())
                .parse_ref(cmd, arg, value)
                .and_then(|v| {
                    Format::ALL
                        .iter()
                        .copied()
                        .find(|f| f.value() == v)
                        .ok_or_else(|| {
                            clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd)
                        })
                }),
        }
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(self.possible().into_iter()))
    }
}

/// `--explain ID`: any text (an unknown id is refused by `diagnose` itself, with the
/// nearest id), offering the catalogue's ids to shell completion.
#[derive(Clone)]
struct FindingId;

impl clap::builder::TypedValueParser for FindingId {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::analyze::rules::catalogue().map(|r| clap::builder::PossibleValue::new(r.id)),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl From<ColorChoice> for crate::render::ColorWhen {
    fn from(c: ColorChoice) -> Self {
        match c {
            ColorChoice::Auto => Self::Auto,
            ColorChoice::Always => Self::Always,
            ColorChoice::Never => Self::Never,
        }
    }
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
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["health"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Health(HealthArgs),

    /// Probe the offline update mirror the way the endpoint uses it
    #[command(
        long_about = "Probe the offline update mirror step by step, the way the endpoint uses it: \
                      DNS, TCP, TLS, then manifest.json and updates.zip in the arch_<arch>/ \
                      folder (or the same files in a mounted directory), and say what is wrong \
                      with a fix.\n\n\
                      The URL comes from --url, else from `mdatp health --details definitions`, \
                      else from the managed configuration. The proxy is the one mdatp uses \
                      (cloudService.proxy), not the shell's *_proxy variables.\n\n\
                      Exits with the worst finding: 0 ok, 1 warning, 2 critical; 3 when nothing \
                      could be determined.",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["connectivity"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Connectivity(ConnectivityArgs),

    /// Find every known reason offline updates fail, with evidence and a fix
    #[command(
        long_about = "Gather mdatp health (definitions and full), the managed configuration, a \
                      probe of the mirror and the run history, all at once, then name every \
                      known problem with its evidence and a concrete fix.\n\n\
                      Exits with the worst finding: 0 ok, 1 warning, 2 critical, 3 unknown \
                      (mdatp could not be read).",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["diagnose"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Diagnose(DiagnoseArgs),

    /// Monitoring: the diagnose verdict for Nagios/Icinga, Prometheus, Checkmk or scripts
    #[command(
        long_about = "Run the diagnose checks (the mirror probe: manifest.json and the first \
                      512 bytes of updates.zip, in one round of requests) and print them for a monitoring system: --format \
                      nagios (default; status line, perfdata, one line per finding), prometheus \
                      (text exposition; --textfile-dir writes mdatp_doctor.prom atomically for \
                      node_exporter), checkmk (a local check line), icinga (the body of an \
                      Icinga 2 API process-check-result request) or json.\n\n\
                      Never hangs a scheduler: after --deadline it prints UNKNOWN with what it \
                      knows. In nagios mode every internal error or bad argument is UNKNOWN (3).",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["check"])
    )]
    #[command(arg = format_arg(Takes::Monitoring, "nagios"))]
    Check(CheckArgs),

    /// Trigger `mdatp definitions update`, wait for the real outcome, and explain it
    #[command(
        long_about = "Read health, take the update lock, run `mdatp definitions update`, then \
                      re-read health until the update settles (new definitions, already \
                      current, failed) or --wait-timeout runs out; report before and after, \
                      where the update came from (mirror or cloud), and what to do next.\n\n\
                      Exits 0 updated from the mirror or already current, 1 updated from the \
                      cloud through fallback (the mirror is broken), 2 failed, 3 could not tell \
                      (timeout, mdatp failed, lock held, interrupted).",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["update"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Update(UpdateArgs),

    /// Write a redacted support bundle (.tar.gz) with everything support needs
    #[command(
        long_about = "Collect the diagnose report, raw mdatp outputs, the mirror probe, the \
                      managed configuration, log tails, system facts and the run history into \
                      one .tar.gz with a MANIFEST.json (size, SHA-256 and collector of every \
                      entry, and every collector that failed). Secrets in URLs and query tokens \
                      are always redacted; --redact-ids also replaces ids, host names and IP \
                      addresses with consistent placeholders, and --redact-domain DOMAIN \
                      every host name under DOMAIN, wherever it appears.\n\n\
                      Exits 0 when every collector worked, 1 when some failed (the bundle is \
                      still written), 2 when no bundle could be written.",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["bundle"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Bundle(BundleArgs),

    /// Summarise many `diagnose --format json` reports into one fleet picture
    #[command(
        long_about = "Read diagnose JSON reports, mirror check JSON reports and mirrors' \
                      status files (files, or directories walked for *.json) one at a time and \
                      summarise the fleet: endpoints per verdict, endpoints per finding (with \
                      examples), definitions versions per mirror joined to what each mirror \
                      serves and its last sync, endpoints behind their mirror, mirrors behind \
                      the cloud. Unreadable reports are named, never fatal. Memory grows with \
                      distinct values, not reports.\n\n\
                      Exits with the worst verdict of the fleet's endpoints and mirror check \
                      reports: critical (2) beats unknown or an \
                      unreadable or skipped report (3), which beats warning (1) and ok (0); \
                      3 when no report could be read; --exit-zero: 0 otherwise.",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["aggregate"])
    )]
    #[command(arg = format_arg(Takes::Fleet, "human"))]
    Aggregate(AggregateArgs),

    /// Managed configuration tools
    #[command(subcommand, after_long_help = help_end("", &["config"]))]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Config(ConfigCommand),

    /// On the mirror host: doctor Microsoft's offline downloader and the tree it leaves
    #[command(subcommand, after_long_help = help_end("", &["mirror"]))]
    // `mirror check` takes the monitoring formats, the other mirror commands the plain ones.
    #[command(arg = format_arg(Takes::Monitoring, "human"))]
    Mirror(MirrorCommand),
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
    #[arg(long, value_name = "FILE", conflicts_with_all = ["mdatp_json", "details", "all"])]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArchChoice {
    #[value(name = "x86_64")]
    X86_64,
    #[value(name = "arm64")]
    Arm64,
    /// Both architectures
    All,
}

/// How the mirror is found and probed; shared by `connectivity` and `diagnose`.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Mirror ring folder to probe (http://, https://, file:// or an absolute directory)
    /// [default: mdatp's configured URL]
    #[arg(long, value_name = "URL|PATH", value_parser = MirrorUrl)]
    pub url: Option<String>,

    /// Architecture folder to probe [default: this machine's]
    #[arg(long, value_enum)]
    pub arch: Option<ArchChoice>,

    /// Time limit for each TCP connection attempt, per address
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::units::parse_timeout)]
    pub connect_timeout: Duration,

    /// Time limit for the whole probe of one architecture
    #[arg(long, value_name = "SECS", default_value = "15", value_parser = crate::units::parse_timeout)]
    pub probe_timeout: Duration,

    /// Also trust the CA certificates in this PEM file (repeatable)
    #[arg(long = "ca-cert", value_name = "PEM")]
    pub ca_cert: Vec<PathBuf>,

    /// Use this proxy [default: mdatp's cloudService.proxy, if any]
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,

    /// Use no proxy, whatever mdatp is configured with
    #[arg(long)]
    pub no_proxy: bool,

    /// A package on the mirror older than this is stale (e.g. 7d, 36h)
    #[arg(long, value_name = "AGE", default_value = "7d", value_parser = crate::units::parse_age)]
    pub stale_after: Duration,
}

#[derive(Debug, Args)]
pub struct ConnectivityArgs {
    #[command(flatten)]
    pub probe: ProbeArgs,

    /// Download the whole package and check it is a readable zip (prints its SHA-256)
    #[arg(long)]
    pub verify_package: bool,

    /// Largest package --verify-package downloads (e.g. 2GiB, 500MB)
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = crate::units::parse_size)]
    pub max_package_size: u64,

    /// Time limit for --verify-package's download of the whole package, on top of
    /// --probe-timeout (300 s fits a 200 MB package at about 0.7 MB/s). A download this cuts
    /// is reported as mirror-timeout with how much arrived and how fast, not as an invalid
    /// package
    #[arg(long, value_name = "SECS", default_value = "300", value_parser = crate::units::parse_timeout)]
    pub package_timeout: Duration,

    /// Also run `mdatp connectivity test` (Microsoft's endpoints and, from 101.26052.0012, the
    /// offline update paths) and show its result; a mirror line it prints is used as evidence
    #[arg(long)]
    pub with_mdatp_test: bool,
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// Print the catalogue of findings and exit
    #[arg(long, conflicts_with = "explain", conflicts_with_all = ["skip_network", "url", "arch", "connect_timeout", "probe_timeout", "ca_cert", "proxy", "no_proxy", "stale_after", "warn_age", "crit_age"])]
    pub list: bool,

    /// Print what one finding means and how to fix it
    #[arg(long, value_name = "ID", value_parser = FindingId, hide_possible_values = true, conflicts_with_all = ["skip_network", "url", "arch", "connect_timeout", "probe_timeout", "ca_cert", "proxy", "no_proxy", "stale_after", "warn_age", "crit_age"])]
    pub explain: Option<String>,

    /// Do not probe the mirror (local checks only)
    #[arg(long)]
    pub skip_network: bool,

    /// When the managed file names another mirror than the one mdatp uses, probe both to
    /// the end (at once) instead of dropping the file's as soon as health answers
    #[arg(long, conflicts_with = "skip_network")]
    pub probe_all: bool,

    /// Diagnose a support bundle written by `mdatp-doctor bundle` (read, never unpacked)
    /// instead of this endpoint: today's rules on what it captured, judged at its creation
    /// time. Needs no mdatp, network or state directory; writes nothing
    #[arg(long, value_name = "FILE", conflicts_with_all = FROM_CONFLICTS)]
    pub from_bundle: Option<PathBuf>,

    /// Like --from-bundle, for a folder of saved outputs named as in a bundle
    /// (mdatp/health-definitions.txt, mdatp/health.txt, config/mdatp_managed.json, ...)
    #[arg(long, value_name = "DIR", conflicts_with_all = FROM_CONFLICTS, conflicts_with = "from_bundle")]
    pub from_dir: Option<PathBuf>,

    #[command(flatten)]
    pub probe: ProbeArgs,

    #[command(flatten)]
    pub thresholds: AgeThresholds,

    #[command(flatten)]
    pub events: EventArgs,
}

/// What a re-diagnosis of a capture cannot use: it probes nothing.
const FROM_CONFLICTS: [&str; 11] = [
    "list",
    "explain",
    "skip_network",
    "probe_all",
    "url",
    "arch",
    "connect_timeout",
    "probe_timeout",
    "ca_cert",
    "proxy",
    "no_proxy",
];

/// Definitions-age thresholds: a duration (`24h`: alert above it) or a Monitoring Plugins
/// range in seconds (`10:`, `~:86400`, `@10:20`).
#[derive(Debug, Clone, Args)]
pub struct AgeThresholds {
    /// Warn when the definitions' age is in this range [default: above 24h or twice the
    /// update interval, whichever is larger]
    #[arg(long, value_name = "RANGE", value_parser = crate::units::range::parse)]
    pub warn_age: Option<crate::units::range::Range>,

    /// Critical when the definitions' age is in this range
    #[arg(long, value_name = "RANGE", default_value = "72h", value_parser = crate::units::range::parse)]
    pub crit_age: crate::units::range::Range,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Do not probe the mirror (local checks only)
    #[arg(long)]
    pub skip_network: bool,

    #[command(flatten)]
    pub probe: ProbeArgs,

    #[command(flatten)]
    pub thresholds: AgeThresholds,

    /// Whatever happens, answer within this time (UNKNOWN with what is known)
    #[arg(long, value_name = "SECS", default_value = "50", value_parser = crate::units::parse_timeout)]
    pub deadline: Duration,

    /// Also write the Prometheus metrics to DIR/mdatp_doctor.prom, atomically (with
    /// --format prometheus, instead of stdout)
    #[arg(long, value_name = "DIR")]
    pub textfile_dir: Option<PathBuf>,

    #[command(flatten)]
    pub events: EventArgs,
}

/// The SIEM event log of the commands a SIEM follows (`diagnose`, `check`, `update`,
/// `mirror run`); docs/siem.md documents every field.
#[derive(Debug, Clone, Args)]
pub struct EventArgs {
    /// Append one JSON line for the run and one per finding (ECS field names, secrets
    /// redacted) to FILE, for a SIEM shipper to tail; `-` prints them on stdout instead of
    /// the usual output
    #[arg(long, value_name = "FILE")]
    pub log_json: Option<PathBuf>,

    /// Rotate the --log-json file to FILE.1 when it would grow past this size
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = crate::units::parse_size, requires = "log_json")]
    pub log_json_max: u64,

    /// Also send the events to the systemd journal, with structured MDATP_DOCTOR_* fields
    /// (a warning on stderr when no journal runs)
    #[arg(long)]
    pub journal: bool,
}

#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The bundle to write [default: ./mdatp-doctor-<hostname>-<UTC time>.tar.gz]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also replace org and machine ids, host names and IP addresses with placeholders
    #[arg(long, conflicts_with = "no_redact")]
    pub redact_ids: bool,

    /// Also replace every host name under DOMAIN (DOMAIN itself and any subdomain, in any
    /// case, in every file and the manifest, free text included) with a placeholder;
    /// repeatable
    #[arg(long, value_name = "DOMAIN", conflicts_with = "no_redact", value_parser = crate::bundle::redact::parse_domain)]
    pub redact_domain: Vec<String>,

    /// Redact nothing (for a bundle that stays inside your organisation)
    #[arg(long)]
    pub no_redact: bool,

    /// Keep at most this much of the end of each log file
    #[arg(long, value_name = "SIZE", default_value = "20MiB", value_parser = crate::units::parse_size)]
    pub max_log_bytes: u64,

    /// Also add the archive of `mdatp diagnostic create`
    #[arg(long)]
    pub include_mdatp_diagnostic: bool,

    /// Where mdatp writes its logs
    #[arg(long, value_name = "DIR", default_value = "/var/log/microsoft/mdatp")]
    pub log_dir: PathBuf,

    /// mdatp's local configuration file
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/etc/opt/microsoft/mdatp/wdavcfg"
    )]
    pub wdavcfg: PathBuf,

    /// Print a bundle's manifest and check every entry's hash, instead of writing one
    #[arg(long, value_name = "FILE")]
    pub list_contents: Option<PathBuf>,

    /// Do not probe the mirror
    #[arg(long)]
    pub skip_network: bool,

    #[command(flatten)]
    pub probe: ProbeArgs,
}

#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// Report files or directories of them; `-` reads stdin: one report, or one report
    /// per line (NDJSON, e.g. from `ansible ... | mdatp-doctor aggregate -`)
    #[arg(value_name = "FILES|DIRS|-", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Exit 0 whatever the fleet's worst verdict (report only)
    #[arg(long)]
    pub exit_zero: bool,

    /// Write the output to FILE instead of stdout: replaced atomically (a reader sees the
    /// old page or the new one, never half of one), mode 0644
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// How long to wait for the update, the trigger command included
    #[arg(long, value_name = "SECS", default_value = "600", value_parser = crate::units::parse_timeout)]
    pub wait_timeout: Duration,

    /// How often to re-read health while waiting
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = crate::units::parse_timeout)]
    pub poll_interval: Duration,

    /// Trigger the update and return without waiting for its outcome
    #[arg(long)]
    pub no_wait: bool,

    /// When another update runs, wait for it (up to --wait-timeout) instead of exiting 3
    #[arg(long)]
    pub wait_lock: bool,

    #[command(flatten)]
    pub events: EventArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a managed configuration file against the documented keys and types
    #[command(
        long_about = "Check a managed configuration file (this endpoint's, --managed-config, or \
                      one copied from elsewhere) against every documented key of every section: \
                      invalid JSON (with line and column), unknown keys with a did-you-mean \
                      suggestion, keys in the wrong section, values of the wrong type or outside \
                      their allowed values, duplicate keys. Runs no mdatp; `diagnose` also \
                      compares the file with what health shows.\n\n\
                      Exits with the worst finding: 0 ok, 1 warning, 2 critical; 3 when a file \
                      named on the command line (PATH, or --managed-config) is missing or \
                      unreadable.",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["config", "check"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Check(ConfigCheckArgs),
    /// Show, make or undo the changes that fix the managed configuration file
    #[command(
        long_about = "Computes the changes that resolve the config findings which need no \
                      guess (a misspelt key with one clear suggestion, a key in the wrong \
                      section, a value of the wrong type, an arch_* folder in the URL, \
                      signature verification off) plus any --set, and shows them as a diff; \
                      everything else in the file stays byte for byte. --apply makes them: \
                      the file must be a root-owned regular file not writable by others; a \
                      0600 backup is written first, then the new file replaces the old one \
                      atomically with its owner, mode and SELinux label; then health is read \
                      until it shows the new values. --undo restores the newest backup (or \
                      the one named) the same way.",
        after_help = CONFIG_FIX_EXIT,
        after_long_help = help_end(CONFIG_FIX_EXIT, &["config", "fix"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Fix(ConfigFixArgs),
}

/// `config fix`'s exit codes, where it differs from the other commands.
const CONFIG_FIX_EXIT: &str = "Exit status: 0 nothing to change (dry run) or every change taken by mdatp; \
                               1 changes proposed, findings left for a person, or a change mdatp did not \
                               pick up; 2 or 3 when the fix cannot be computed or written; 64 usage.";

#[derive(Debug, Args)]
pub struct ConfigFixArgs {
    /// The file to fix [default: --managed-config]
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// Make the changes (without it: a dry run that only shows them)
    #[arg(long)]
    pub apply: bool,

    /// Also set SECTION.KEY to VALUE, typed by the documented keys (repeatable), e.g.
    /// antivirusEngine.offlineDefinitionUpdateUrl=http://mirror:8000/linux/production/
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
    pub set: Vec<String>,

    /// Where backups go [default: <state dir>/backups]
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,

    /// Do not read health afterwards to check that mdatp took the change
    #[arg(long)]
    pub no_verify: bool,

    /// How long to wait for health to show the new values
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = crate::units::parse_timeout)]
    pub verify_timeout: Duration,

    /// Restore the newest backup taken of PATH (or --undo=BACKUP: that one, which must be
    /// a backup of PATH)
    #[arg(long, value_name = "BACKUP", num_args = 0..=1, require_equals = true, conflicts_with_all = ["apply", "set"])]
    pub undo: Option<Option<PathBuf>>,

    /// Restore this backup of PATH (the same as --undo=BACKUP)
    #[arg(long, value_name = "BACKUP", conflicts_with_all = ["apply", "set", "undo"])]
    pub undo_from: Option<PathBuf>,

    /// Write a file not owned by root, or one a policy (Intune, the portal) also manages
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ConfigCheckArgs {
    /// The file to check [default: --managed-config]
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Check the downloader's settings.json, its log and every arch folder it fills
    #[command(
        long_about = "Runs on the mirror host (no mdatp needed): reads the settings.json of \
                      Microsoft's xplat_offline_updates_download.sh, then checks the download \
                      tree (every package a complete zip whose entries pass their CRC, \
                      manifests with versions, leftovers of killed runs, ages, backups, \
                      modes) and the downloader's log (last run finished, errors). Each \
                      finding is explained by `diagnose --explain ID`.\n\n\
                      Exits with the worst finding: 0 ok, 1 warning, 2 critical, 3 unknown \
                      (what should be checked could not be read).",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["mirror", "check"])
    )]
    #[command(arg = format_arg(Takes::Monitoring, "human"))]
    Check(MirrorCheckArgs),

    /// Run the downloader (a drop-in for its cron line), check what it left, restore the
    /// last good package when it left a bad one
    #[command(
        long_about = "Runs Microsoft's xplat_offline_updates_download.sh unchanged (exec, no \
                      shell, its directory as working directory) under --run-timeout and a lock \
                      so two runs never overlap, streaming its output to stderr. Before, it \
                      keeps a private copy of every good arch folder (package and manifest); \
                      after, it reads the script's `Error (N):` lines and runs `mirror check` \
                      on the tree its settings.json describes. When the new tree is bad (an \
                      HTML page saved as the package, a truncated zip, empty versions) it \
                      restores the previous package and manifest atomically and says so \
                      (--no-restore to opt out).\n\n\
                      Exits 2 when the run was bad (the script failed, timed out or could not \
                      be started, or the tree is bad) even though the script exited 0; 3 when \
                      another run holds the lock.",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["mirror", "run"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Run(MirrorRunArgs),

    /// Move a verified package one stage on: incoming to canary, or canary to production
    /// through the canary gate
    #[command(
        long_about = "The staged mirror (docs/mirror-staging.md): one served root holds the \
                      downloader's incoming/ tree, canary/<platform>/<ring>/ for canary \
                      endpoints, <platform>/<ring>/ for the fleet and <platform>/<ring>_back/ \
                      for the previous production.\n\n\
                      --to canary copies each verified incoming package (a complete zip whose \
                      entries pass their CRC, a manifest with versions, not older than what \
                      the canary serves) to the canary ring. --to production reads diagnose \
                      reports of canary endpoints and promotes only when at least \
                      --min-canaries hosts run the canary's version or newer, got it from the \
                      canary ring, have definitions up_to_date, the engine loaded and no \
                      critical finding, and the canary has served it for --soak; the previous \
                      production becomes <ring>_back.\n\n\
                      Each arch folder is built aside, checked, and swapped in whole \
                      (renameat2 RENAME_EXCHANGE): a web server serving the tree never hands \
                      out a half-written or mismatched pair. A run killed midway is finished \
                      (after the swap) or undone (before it) by the next one, which says so. \
                      Shares mirror run's lock.\n\n\
                      Exits 0 promoted (or nothing new to promote), 1 swapped in but a retired \
                      folder could not be removed (its path is printed), 2 refused (a bad \
                      package, an older one, or the gate not met: each reason and what to do \
                      next is printed) or a step failed, 3 another mirror run or promote holds \
                      the lock.",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["mirror", "promote"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Promote(MirrorPromoteArgs),

    /// Put back the previous production package (<ring>_back), byte for byte
    #[command(
        long_about = "Replaces each arch folder of <platform>/<ring>/ under --root with the one \
                      in <platform>/<ring>_back/ (hard links: the same bytes), swapped in whole \
                      as mirror promote does. The rejected package is removed; the back folder \
                      stays as it is.\n\n\
                      Exits 0 rolled back (or production already serves the back folder's \
                      package), 1 rolled back but the rejected folder could not be removed, 2 \
                      nothing to roll back to or the back folder is not fit to serve, 3 another \
                      mirror run or promote holds the lock.",
        after_help = EXIT_CODES_HELP,
        after_long_help = help_end(EXIT_CODES_HELP, &["mirror", "rollback"])
    )]
    #[command(arg = format_arg(Takes::Plain, "human"))]
    Rollback(MirrorRollbackArgs),
}

/// Where a promote goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PromoteTarget {
    /// incoming/ to canary/
    Canary,
    /// canary/ to the fleet's ring folders, through the canary gate
    Production,
}

#[derive(Debug, Args)]
pub struct MirrorPromoteArgs {
    /// The served document root holding incoming/, canary/ and the ring folders
    #[arg(long, value_name = "DIR")]
    pub root: PathBuf,

    /// The stage to promote to
    #[arg(long, value_name = "STAGE")]
    pub to: PromoteTarget,

    /// Diagnose reports of canary endpoints (`diagnose --format json` output): files,
    /// directories walked for *.json, or - for stdin
    #[arg(long, value_name = "PATH", num_args = 1.., required_if_eq("to", "production"))]
    pub canary_reports: Vec<PathBuf>,

    /// How many distinct canary hosts must run the canary's version, healthy
    #[arg(long, value_name = "N", default_value = "1", value_parser = clap::value_parser!(u32).range(1..))]
    pub min_canaries: u32,

    /// How long the canary must have served its version (e.g. 4h, 1d, 0)
    #[arg(long, value_name = "DURATION", default_value = "4h", value_parser = parse_soak)]
    pub soak: Duration,

    #[command(flatten)]
    pub events: EventArgs,
}

#[derive(Debug, Args)]
pub struct MirrorRollbackArgs {
    /// The served document root holding the ring folders
    #[arg(long, value_name = "DIR")]
    pub root: PathBuf,

    /// The ring to roll back
    #[arg(long, value_name = "RING", default_value = "production", value_parser = ["production", "preview"])]
    pub ring: String,

    #[command(flatten)]
    pub events: EventArgs,
}

#[derive(Debug, Args)]
pub struct MirrorRunArgs {
    /// The downloader script; settings.json is read from its directory
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/opt/wdav-update/xplat_offline_updates_download.sh"
    )]
    pub script: PathBuf,

    /// Kill the script (and what it started) after this long
    #[arg(long, value_name = "SECS", default_value = "30m", value_parser = crate::units::parse_timeout)]
    pub run_timeout: Duration,

    /// Never restore the previous package, only report
    #[arg(long)]
    pub no_restore: bool,

    /// After a good run, stage the new package to the canary ring (as `mirror promote --to
    /// canary`); the downloader's downloadFolder must be <root>/incoming
    #[arg(long)]
    pub promote_canary: bool,

    /// Write DIR/mdatp_mirror_run.prom (the run's result for node_exporter) atomically
    #[arg(long, value_name = "DIR")]
    pub textfile_dir: Option<PathBuf>,

    #[command(flatten)]
    pub events: EventArgs,

    /// The endpoints' definitionUpdatesInterval (e.g. 8h, 28800)
    #[arg(long, value_name = "SECS", default_value = "8h", value_parser = crate::units::parse_age)]
    pub interval: Duration,

    /// Read the machine's files under this directory (tests)
    #[arg(long, value_name = "DIR", hide = true, default_value = "/")]
    pub root: PathBuf,

    /// Arguments passed to the script (Microsoft's takes none)
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MirrorCheckArgs {
    /// The downloader's settings.json [default: looked for in common places]
    #[arg(long, value_name = "PATH", conflicts_with = "folder")]
    pub settings: Option<PathBuf>,

    /// Check this download folder (every arch folder found) instead of what settings.json
    /// describes
    #[arg(long, value_name = "DIR")]
    pub folder: Option<PathBuf>,

    /// The downloader script [default: xplat_offline_updates_download.sh next to
    /// settings.json]
    #[arg(long, value_name = "PATH")]
    pub script: Option<PathBuf>,

    /// The ring folder URL endpoints use (e.g. http://mirror:8000/linux/production/):
    /// fetch manifest.json and updates.zip through it and compare them with the disk
    #[arg(long, value_name = "URL", value_parser = MirrorUrl)]
    pub url: Option<String>,

    /// Time limit for fetching one architecture's files through --url
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = crate::units::parse_timeout)]
    pub probe_timeout: Duration,

    /// Also ask Microsoft's fwlink (`&action=info`, through the proxy in https_proxy or
    /// all_proxy, as curl would) what it publishes, and report how far the mirror lags
    /// behind; the only check that leaves the host, never downloads a package
    #[arg(long)]
    pub online: bool,

    /// The fwlink base URL --online asks (tests)
    #[arg(long, value_name = "URL", hide = true)]
    pub fwlink_url: Option<String>,

    /// The endpoints' definitionUpdatesInterval (e.g. 8h, 28800)
    #[arg(long, value_name = "SECS", default_value = "8h", value_parser = crate::units::parse_age)]
    pub interval: Duration,

    /// Also write the Prometheus metrics to DIR/mdatp_mirror.prom, atomically (whatever
    /// --format says; with --format prometheus, instead of stdout)
    #[arg(long, value_name = "DIR")]
    pub textfile_dir: Option<PathBuf>,

    /// Read the machine's files under this directory (tests)
    #[arg(long, value_name = "DIR", hide = true, default_value = "/")]
    pub root: PathBuf,
}

/// `mdatp-doctor generate`, a developer's command: regenerate completions/, man/ and the
/// findings table of docs/findings.md from this definition. Parsed apart from [`Cli`] so it appears
/// in no completion script and no man page.
#[derive(Debug, Parser)]
#[command(name = "mdatp-doctor generate")]
pub struct GenerateArgs {
    /// Directory that receives completions/ and man/ (and holds the docs/findings.md to update)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
}

/// A mirror location given with --url: one this tool can probe, else a usage error with
/// the corrected form (a typo is the command line's, never the managed file's problem).
/// The refusal quotes the value escaped, as every value this tool prints is: a path may
/// hold terminal escapes.
#[derive(Clone)]
struct MirrorUrl;

impl clap::builder::TypedValueParser for MirrorUrl {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        crate::mirror::url::command_line(&text, std::env::current_dir().ok().as_deref()).map_err(
            |why| {
                let name = arg.map_or_else(|| "--url".to_string(), ToString::to_string);
                clap::Error::raw(
                    clap::error::ErrorKind::InvalidValue,
                    format!(
                        "invalid value '{}' for '{name}': {}\n\nFor more information, try '--help'.\n",
                        crate::units::escape_controls(&text, false),
                        crate::units::escape_controls(&why, false)
                    ),
                )
                .with_cmd(cmd)
            },
        )
    }
}

/// A soak time: an age, or 0 for none.
fn parse_soak(s: &str) -> Result<Duration, String> {
    match s.trim() {
        "0" | "0s" | "0m" | "0h" | "0d" => Ok(Duration::ZERO),
        other => crate::units::parse_age(other),
    }
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

/// Each command's examples, `(command line, what it does)`: real invocations (a test
/// parses each). The one source of both the man page's EXAMPLES and the end of `--help`.
pub fn examples(path: &[&str]) -> &'static [(&'static str, &'static str)] {
    match path {
        [] => &[
            (
                "mdatp-doctor diagnose",
                "What is wrong with offline updates on this endpoint, with evidence and a fix.",
            ),
            (
                "mdatp-doctor connectivity --url http://mirror.example:8000/linux/production/ --arch all",
                "Probe a mirror step by step for both architectures.",
            ),
            (
                "mdatp-doctor update",
                "Trigger an update and report where it came from, or why it failed.",
            ),
            (
                "mdatp-doctor bundle --redact-ids",
                "Write a support bundle with ids, host names and addresses replaced.",
            ),
        ],
        ["health"] => &[
            ("mdatp-doctor health", "The definitions fields, typed."),
            (
                "mdatp-doctor health --all --format json",
                "Every field of plain `mdatp health`, as JSON.",
            ),
            (
                "mdatp-doctor health --details edr",
                "Another section of mdatp health.",
            ),
            (
                "mdatp-doctor health --from-file saved-health.txt",
                "Read an output a customer pasted instead of running mdatp.",
            ),
        ],
        ["connectivity"] => &[
            (
                "mdatp-doctor connectivity",
                "Probe the mirror mdatp is configured with, for this machine's architecture.",
            ),
            (
                "mdatp-doctor connectivity --url http://mirror.example:8000/linux/production/ --arch all",
                "Probe another mirror, for both architectures.",
            ),
            (
                "mdatp-doctor connectivity --verify-package --ca-cert /etc/pki/mirror-ca.pem",
                "Download the whole package and check it, trusting a private CA.",
            ),
            (
                "mdatp-doctor connectivity --no-proxy --with-mdatp-test",
                "Bypass mdatp's proxy and also run `mdatp connectivity test`.",
            ),
        ],
        ["diagnose"] => &[
            (
                "mdatp-doctor diagnose",
                "Every known problem of this endpoint, each with its evidence and fix.",
            ),
            (
                "mdatp-doctor diagnose --skip-network --format json",
                "Local checks only, as one JSON document (what aggregate reads).",
            ),
            ("mdatp-doctor diagnose --list", "The catalogue of findings."),
            (
                "mdatp-doctor diagnose --explain url-mismatch",
                "What one finding means and how to fix it.",
            ),
        ],
        ["check"] => &[
            (
                "mdatp-doctor check",
                "A Nagios/Icinga plugin: status line, perfdata, one line per finding.",
            ),
            (
                "mdatp-doctor check --warn-age 12h --crit-age 2d",
                "Tighter thresholds on the definitions' age.",
            ),
            (
                "mdatp-doctor check --format prometheus --textfile-dir /var/lib/prometheus/node-exporter",
                "Write the metrics for node_exporter's textfile collector.",
            ),
            (
                "mdatp-doctor check --format checkmk --deadline 30s",
                "A Checkmk local check line, within 30 seconds whatever happens.",
            ),
        ],
        ["update"] => &[
            (
                "mdatp-doctor update",
                "Trigger an update, wait for its outcome and explain it.",
            ),
            (
                "mdatp-doctor update --wait-timeout 15m --wait-lock",
                "Wait longer, and queue behind an update already running.",
            ),
            (
                "mdatp-doctor update --no-wait --format json",
                "Trigger and return at once, as JSON.",
            ),
        ],
        ["bundle"] => &[
            (
                "mdatp-doctor bundle",
                "Write ./mdatp-doctor-<hostname>-<UTC time>.tar.gz, secrets redacted.",
            ),
            (
                "mdatp-doctor bundle --redact-ids -o /tmp/case-12345.tar.gz",
                "Also replace ids, host names and IP addresses, into a named file.",
            ),
            (
                "mdatp-doctor bundle --include-mdatp-diagnostic --max-log-bytes 50MiB",
                "Add mdatp's own diagnostic archive and longer log tails.",
            ),
            (
                "mdatp-doctor bundle --list-contents mdatp-doctor-host1-20261128T101500Z.tar.gz",
                "Check a bundle's entries against its manifest.",
            ),
        ],
        ["aggregate"] => &[
            (
                "mdatp-doctor aggregate reports/",
                "Summarise every *.json diagnose report under reports/.",
            ),
            (
                "mdatp-doctor aggregate --format json --exit-zero reports/",
                "The fleet summary as JSON, exiting 0 whatever it holds.",
            ),
            (
                "mdatp-doctor aggregate -",
                "Read reports from stdin, one per line (e.g. piped from ansible).",
            ),
        ],
        ["config"] => &[
            (
                "mdatp-doctor config check",
                "Check the managed configuration file.",
            ),
            (
                "mdatp-doctor config fix",
                "Show the changes that fix it, as a diff.",
            ),
        ],
        ["config", "check"] => &[
            (
                "mdatp-doctor config check",
                "Check this endpoint's managed configuration file.",
            ),
            (
                "mdatp-doctor config check ./mdatp_managed.json",
                "Check a file copied from elsewhere before deploying it.",
            ),
            (
                "mdatp-doctor config check --format json /tmp/candidate.json",
                "The findings as JSON.",
            ),
        ],
        ["config", "fix"] => &[
            (
                "mdatp-doctor config fix",
                "Show the changes as a diff (a dry run).",
            ),
            (
                "mdatp-doctor config fix --apply",
                "Make them, after a backup, and check that health shows them.",
            ),
            (
                "mdatp-doctor config fix --apply --set antivirusEngine.offlineDefinitionUpdateUrl=http://mirror.example:8000/linux/production/",
                "Also point the endpoint at a mirror.",
            ),
            (
                "mdatp-doctor config fix --undo",
                "Restore the newest backup.",
            ),
        ],
        ["mirror"] => &[
            (
                "mdatp-doctor mirror check",
                "Check the downloader, its settings, log and tree.",
            ),
            (
                "mdatp-doctor mirror run",
                "Run the downloader, check what it left, restore a bad package.",
            ),
        ],
        ["mirror", "check"] => &[
            (
                "mdatp-doctor mirror check --settings /opt/wdav-update/settings.json",
                "Check the settings, the tree they describe, the log and the schedule.",
            ),
            (
                "mdatp-doctor mirror check --folder /srv/wdav-update",
                "Check a download tree only.",
            ),
            (
                "mdatp-doctor mirror check --url http://mirror.example:8000/linux/production/ --online",
                "Compare what the web server hands out with the disk, and the mirror with Microsoft.",
            ),
            (
                "mdatp-doctor mirror check --format prometheus --textfile-dir /var/lib/node_exporter/textfile",
                "Write the mirror's metrics for node_exporter.",
            ),
        ],
        ["mirror", "run"] => &[
            (
                "mdatp-doctor mirror run --script /opt/wdav-update/xplat_offline_updates_download.sh",
                "Run the downloader, check its tree, restore the last good package if it broke it.",
            ),
            (
                "mdatp-doctor mirror run --textfile-dir /var/lib/node_exporter/textfile_collector --run-timeout 1h",
                "As a cron job, with the run's result for node_exporter.",
            ),
            (
                "mdatp-doctor mirror run --no-restore",
                "Report a bad run without restoring anything.",
            ),
        ],
        ["mirror", "promote"] => &[
            (
                "mdatp-doctor mirror promote --root /srv/wdav --to canary",
                "Stage the verified incoming package to the canary ring.",
            ),
            (
                "mdatp-doctor mirror promote --root /srv/wdav --to production --canary-reports /var/lib/canary-reports --min-canaries 2 --soak 8h",
                "Promote the canary's package to the fleet once two canaries run it, healthy, after 8 hours.",
            ),
            (
                "mdatp-doctor mirror promote --root /srv/wdav --to canary --format json --log-json /var/log/mdatp-doctor/events.ndjson",
                "As a job, with the result as JSON and an event for the SIEM.",
            ),
        ],
        ["mirror", "rollback"] => &[
            (
                "mdatp-doctor mirror rollback --root /srv/wdav",
                "Serve the previous production package again.",
            ),
            (
                "mdatp-doctor mirror rollback --root /srv/wdav --ring preview",
                "The same for the preview ring.",
            ),
        ],
        _ => &[],
    }
}

/// What `--help` ends with: `after` (the exit codes), then the command's [`examples`].
fn help_end(after: &str, path: &[&str]) -> String {
    let mut s = after.to_string();
    if !s.is_empty() {
        s.push_str("\n\n");
    }
    s.push_str("Examples:");
    for (line, what) in examples(path) {
        s.push_str(&format!("\n  {line}\n      {what}"));
    }
    s
}

/// Parses `args` (the program name first) as [`Cli`], noting what clap's derive forgets:
/// which values were typed rather than defaulted or taken from the environment.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.global.managed_config_typed = typed(&matches, "managed_config");
    Ok(cli)
}

/// `id` was given on the command line, before or after a subcommand's name.
fn typed(m: &clap::ArgMatches, id: &str) -> bool {
    let here = m.ids().any(|i| i.as_str() == id)
        && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    here || m.subcommand().is_some_and(|(_, sub)| typed(sub, id))
}

/// clap suggests a long option only when the typed one is close by its measure (Jaro,
/// 0.7), which misses short transpositions: `--ulr` got no tip. An unknown `--option`
/// without a suggestion gets the command's nearest long option, at most one edit away
/// (two for longer names; a swap of neighbours is one), when just one is that near.
pub fn with_suggestion(mut e: clap::Error, raw: &[String]) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument || e.get(ContextKind::SuggestedArg).is_some() {
        return e;
    }
    let Some(ContextValue::String(typed)) = e.get(ContextKind::InvalidArg) else {
        return e;
    };
    let Some(name) = typed.strip_prefix("--") else {
        return e;
    };
    let name = name.split_once('=').map_or(name, |(n, _)| n).to_string();
    // The (sub)command the option was typed for: follow the subcommand words.
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    let mut at = &cmd;
    for word in raw.iter().take_while(|w| *w != typed) {
        if let Some(sub) = at.find_subcommand(word) {
            at = sub;
        }
    }
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    let mut near: Vec<(usize, &str)> = at
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long())
        .map(|l| (edit_distance(&name, l), l))
        .filter(|(d, _)| *d <= limit)
        .collect();
    near.sort();
    match near.as_slice() {
        [(d, best), rest @ ..] if rest.first().is_none_or(|(d2, _)| d2 > d) => {
            e.insert(
                ContextKind::SuggestedArg,
                ContextValue::String(format!("--{best}")),
            );
            e
        }
        _ => e,
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours, each one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests;
