//! A failed run as the user sees it: one line saying what went wrong, one saying what to
//! do, a machine-readable kind, and the exit code it maps to.

use serde::Serialize;

use crate::exit_codes::ExitCode;
use crate::mdatp::{HealthError, MdatpError};
use crate::process::ProcessError;

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// Stable, for scripts: `mdatp_not_found`, `mdatp_timed_out`, ...
    pub kind: &'static str,
    pub message: String,
    pub hint: String,
    #[serde(skip)]
    pub exit: ExitCode,
}

impl Failure {
    pub fn unknown(
        kind: &'static str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Failure {
        Failure {
            kind,
            message: message.into(),
            hint: hint.into(),
            exit: ExitCode::Unknown,
        }
    }

    /// The stderr text: `mdatp-doctor: <message>` then an indented hint. Messages quote
    /// mdatp's output and file names: control characters are shown escaped, never sent
    /// raw to the terminal.
    pub fn to_stderr(&self) -> String {
        format!(
            "mdatp-doctor: {}\n  hint: {}\n",
            crate::units::escape_controls(&self.message, true),
            crate::units::escape_controls(&self.hint, true)
        )
    }
}

fn mdatp_kind(e: &MdatpError) -> &'static str {
    match e {
        MdatpError::NotFound { .. } => "mdatp_not_found",
        MdatpError::Run(ProcessError::NotFound { .. }) => "mdatp_not_found",
        MdatpError::Run(ProcessError::NotExecutable { .. }) => "mdatp_not_executable",
        MdatpError::Run(ProcessError::Spawn { .. }) => "mdatp_spawn_failed",
        MdatpError::Run(ProcessError::TimedOut { .. }) => "mdatp_timed_out",
        MdatpError::Run(ProcessError::OutputTooLarge { .. }) => "mdatp_output_too_large",
        MdatpError::Run(ProcessError::KilledBySignal { .. }) => "mdatp_killed_by_signal",
    }
}

impl From<MdatpError> for Failure {
    fn from(e: MdatpError) -> Failure {
        Failure::unknown(mdatp_kind(&e), e.to_string(), e.hint())
    }
}

impl From<HealthError> for Failure {
    fn from(e: HealthError) -> Failure {
        let kind = match &e {
            HealthError::Run(inner) => mdatp_kind(inner),
            _ if e.is_daemon_down() => "mdatp_daemon_down",
            HealthError::Failed { .. } => "mdatp_failed",
            HealthError::Parse {
                error: crate::mdatp::health::ParseError::UsageText { .. },
                ..
            } => "mdatp_command_unsupported",
            HealthError::Parse { .. } => "mdatp_output_unparseable",
            HealthError::File { .. } | HealthError::FileParse { .. } => "input_unreadable",
            HealthError::DaemonDown { .. } => "mdatp_daemon_down",
        };
        Failure::unknown(kind, e.to_string(), e.hint())
    }
}
