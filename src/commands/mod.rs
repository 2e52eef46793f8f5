//! One module per subcommand: each gathers what it needs, renders it, and returns a
//! [`Report`] or a [`crate::failure::Failure`]. `main` only prints and exits.

pub mod aggregate;
pub mod bundle;
pub mod check;
pub mod config;
pub mod connectivity;
pub mod diagnose;
pub mod generate;
pub mod health;
pub mod update;

use crate::analyze::snapshot::Thresholds;
use crate::cli::{AgeThresholds, ArchChoice, Format, GlobalArgs, ProbeArgs};
use crate::exit_codes::ExitCode;
use crate::gather::{Arches, ProbePlan, ProxyChoice};
use crate::process::{Limits, Runner};
use crate::render::style::Style;

/// The output forms every subcommand offers (`check` adds its monitoring formats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

/// What a successful subcommand prints on stdout and how the process exits.
#[derive(Debug)]
pub struct Report {
    pub stdout: String,
    pub exit: ExitCode,
}

/// Settings resolved once from the global options.
#[derive(Debug, Clone)]
pub struct Context {
    pub format: Output,
    pub style: Style,
    pub limits: Limits,
    pub verbose: bool,
    pub mdatp: Option<std::path::PathBuf>,
    pub state_dir: std::path::PathBuf,
}

impl Context {
    pub fn new(global: &GlobalArgs, stdout_is_tty: bool) -> Context {
        Context {
            // nagios/prometheus/checkmk are refused for other commands before this.
            format: match global.format {
                Some(Format::Json) => Output::Json,
                _ => Output::Human,
            },
            style: Style::resolve(global.color, stdout_is_tty, |k| std::env::var(k).ok()),
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

/// The age thresholds of the command line, with the probe's staleness limit.
pub fn thresholds(t: &AgeThresholds, p: &ProbeArgs) -> Thresholds {
    Thresholds {
        warn_age: t.warn_age,
        crit_age: t.crit_age,
        stale_after: p.stale_after,
    }
}
