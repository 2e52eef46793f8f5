//! One thin module per subcommand: command-line arguments → a plan → gather → analyze →
//! a report → [`render::emit`]. Each returns what to print and the exit code
//! ([`Finished`]) or a [`Failure`]; [`run`] dispatches, `main` only prints and exits.
//! Only this layer and `main` see `cli` types.

pub mod aggregate;
pub mod bundle;
pub mod check;
pub mod config;
pub mod connectivity;
pub mod diagnose;
pub mod events;
pub mod generate;
pub mod health;
pub mod mirror;
pub mod stage;
pub mod update;

use std::path::PathBuf;

use crate::analyze::snapshot::Thresholds;
use crate::cli::{
    AgeThresholds, ArchChoice, Cli, Command, ConfigCommand, GlobalArgs, MirrorCommand, ProbeArgs,
};
use crate::exit_codes::ExitCode;
use crate::failure::Failure;
use crate::gather::{Arches, EndpointPlan, GatherPlan, ProbePlan, ProxyChoice};
use crate::process::{Limits, Runner};
use crate::render::{Format, Style};

/// What a successful subcommand prints on stdout and how the process exits.
#[derive(Debug)]
pub struct Finished {
    pub stdout: String,
    pub exit: ExitCode,
}

/// Settings resolved once from the global options.
#[derive(Debug, Clone)]
pub struct Context {
    /// The format asked for, human when none was (`check` decides its own default).
    pub format: Format,
    pub style: Style,
    pub limits: Limits,
    pub verbose: bool,
    pub mdatp: Option<std::path::PathBuf>,
    pub state_dir: PathBuf,
    /// The managed configuration file mdatp reads.
    pub managed_config: PathBuf,
    /// It was named with --managed-config: it must exist (`config check`).
    pub managed_config_named: bool,
    /// Where endpoint facts outside health are read.
    pub endpoint: EndpointPlan,
}

impl Context {
    pub fn new(global: &GlobalArgs, stdout_is_tty: bool) -> Context {
        Context {
            format: global.format.unwrap_or(Format::Human),
            style: Style::resolve(global.color.into(), stdout_is_tty, |k| {
                std::env::var(k).ok()
            }),
            limits: Limits {
                timeout: global.timeout,
                ..Limits::default()
            },
            verbose: global.verbose,
            mdatp: global.mdatp.clone(),
            state_dir: global
                .state_dir
                .clone()
                .unwrap_or_else(crate::state::history::default_dir),
            managed_config: global.managed_config.clone(),
            managed_config_named: global.managed_config_typed,
            endpoint: endpoint_plan(|k| std::env::var_os(k)),
        }
    }

    /// A runner for the mdatp client named by `--mdatp` (or found by default).
    pub fn mdatp_runner(&self) -> Result<Runner, crate::mdatp::MdatpError> {
        let program = crate::mdatp::locate(self.mdatp.as_deref())?;
        Ok(Runner {
            program,
            limits: self.limits,
            trace: self.verbose,
        })
    }
}

/// The endpoint's files, each movable by a variable so tests never read the machine's:
/// `MDATP_DOCTOR_OFFBOARD_FILE`, `MDATP_DOCTOR_DEFINITIONS_DIR`, `MDATP_DOCTOR_OS_RELEASE`,
/// `MDATP_DOCTOR_SYSTEMCTL`.
fn endpoint_plan(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> EndpointPlan {
    let d = EndpointPlan::default();
    EndpointPlan {
        offboard_file: env("MDATP_DOCTOR_OFFBOARD_FILE").map_or(d.offboard_file, PathBuf::from),
        definitions_dir: env("MDATP_DOCTOR_DEFINITIONS_DIR")
            .map_or(d.definitions_dir, PathBuf::from),
        os_release: env("MDATP_DOCTOR_OS_RELEASE").map_or(d.os_release, PathBuf::from),
        systemctl: env("MDATP_DOCTOR_SYSTEMCTL").map(PathBuf::from),
    }
}

/// Runs the subcommand.
pub fn run(cli: &Cli, ctx: &Context) -> Result<Finished, Failure> {
    let managed = ctx.managed_config.as_path();
    match &cli.command {
        Command::Health(args) => health::run(ctx, args),
        Command::Diagnose(args) => {
            events::on_failure(&args.events, "diagnose", diagnose::run(ctx, args))
        }
        Command::Config(ConfigCommand::Check(args)) => config::check(ctx, args, managed),
        Command::Config(ConfigCommand::Fix(args)) => config::fix(ctx, args, managed),
        Command::Connectivity(args) => connectivity::run(ctx, args, managed),
        Command::Check(args) => {
            // A monitoring check speaks nagios unless told otherwise.
            let format = cli.global.format.unwrap_or(Format::Nagios);
            Ok(check::run(ctx, args, format))
        }
        Command::Aggregate(args) => aggregate::run(ctx, args),
        Command::Bundle(args) => bundle::run(ctx, args, managed),
        Command::Update(args) => {
            events::on_failure(&args.events, "update", update::run(ctx, args, managed))
        }
        Command::Mirror(cmd @ MirrorCommand::Run(args)) => {
            events::on_failure(&args.events, "mirror-run", mirror::run(ctx, cmd))
        }
        Command::Mirror(cmd @ MirrorCommand::Promote(args)) => {
            events::on_failure(&args.events, "mirror-promote", mirror::run(ctx, cmd))
        }
        Command::Mirror(cmd @ MirrorCommand::Rollback(args)) => {
            events::on_failure(&args.events, "mirror-rollback", mirror::run(ctx, cmd))
        }
        Command::Mirror(cmd) => mirror::run(ctx, cmd),
    }
}

/// The probe options of the command line as a plan for `gather`.
pub fn probe_plan(p: &ProbeArgs) -> ProbePlan {
    ProbePlan {
        url: p.url.clone(),
        arches: match p.arch {
            None => Arches::Native,
            Some(ArchChoice::X86_64) => Arches::X86_64,
            Some(ArchChoice::Arm64) => Arches::Arm64,
            Some(ArchChoice::All) => Arches::All,
        },
        connect_timeout: p.connect_timeout,
        probe_timeout: p.probe_timeout,
        ca_certs: p.ca_cert.clone(),
        proxy: match (&p.proxy, p.no_proxy) {
            (_, true) => ProxyChoice::Disabled,
            (Some(u), false) => ProxyChoice::Given(u.clone()),
            (None, false) => ProxyChoice::AsMdatp,
        },
        stale_after: p.stale_after,
        ..ProbePlan::defaults()
    }
}

/// The gather plan of a command that probes and judges ages (`diagnose`, `check`).
pub fn gather_plan(
    ctx: &Context,
    probe: &ProbeArgs,
    ages: &AgeThresholds,
    skip_network: bool,
    command: &'static str,
) -> GatherPlan {
    GatherPlan {
        probe: probe_plan(probe),
        skip_network,
        thresholds: thresholds(ages, probe),
        managed_config: ctx.managed_config.clone(),
        state_dir: ctx.state_dir.clone(),
        command,
        endpoint: ctx.endpoint.clone(),
    }
}

/// The age thresholds of the command line, with the probe's staleness limit.
pub fn thresholds(t: &AgeThresholds, p: &ProbeArgs) -> Thresholds {
    Thresholds {
        warn_age: t.warn_age,
        crit_age: t.crit_age,
        stale_after: p.stale_after,
    }
}

/// A lock in the state directory could not be taken. Held by another run: `held` says
/// so in the command's words (what holds it, what to do). Anything else is the state
/// directory itself (a permission, a file in the way, a read-only file system): named as
/// such, with its fix, never as a run that is not there.
pub fn lock_failure(
    e: crate::state::lock::LockError,
    command: &str,
    held: impl FnOnce(&str) -> Failure,
) -> Failure {
    use crate::state::lock::LockError;
    const GENERAL: &str = "the state directory (--state-dir, MDATP_DOCTOR_STATE_DIR) must be a directory this user owns and alone can write; fix what the message names, or point --state-dir at another";
    match e {
        LockError::Held { holder } => held(&holder),
        LockError::Dir(d) => Failure::unknown(
            "state_dir_unusable",
            format!("{command}: {}", d.message),
            d.fix.unwrap_or_else(|| GENERAL.into()),
        ),
        LockError::Io(m) => Failure::unknown(
            "state_dir_unusable",
            format!("{command}: cannot take its lock in the state directory: {m}"),
            GENERAL,
        ),
    }
}
