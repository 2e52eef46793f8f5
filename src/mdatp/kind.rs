//! The machine-readable kind of each mdatp failure (`mdatp_not_found`, ...), and the
//! [`Failure`] a command reports for it.

use super::{HealthError, MdatpError};
use crate::failure::Failure;
use crate::process::ProcessError;

impl MdatpError {
    /// Stable, for scripts: `mdatp_not_found`, `mdatp_timed_out`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            MdatpError::NotFound { .. } => "mdatp_not_found",
            MdatpError::Run(ProcessError::NotFound { .. }) => "mdatp_not_found",
            MdatpError::Run(ProcessError::NotExecutable { .. }) => "mdatp_not_executable",
            MdatpError::Run(ProcessError::Spawn { .. }) => "mdatp_spawn_failed",
            MdatpError::Run(ProcessError::TimedOut { .. }) => "mdatp_timed_out",
            MdatpError::Run(ProcessError::OutputTooLarge { .. }) => "mdatp_output_too_large",
            MdatpError::Run(ProcessError::KilledBySignal { .. }) => "mdatp_killed_by_signal",
        }
    }
}

impl From<MdatpError> for Failure {
    fn from(e: MdatpError) -> Failure {
        Failure::unknown(e.kind(), e.to_string(), e.hint())
    }
}

impl HealthError {
    /// Stable, for scripts: `mdatp_daemon_down`, `mdatp_output_unparseable`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            HealthError::Run(inner) => inner.kind(),
            _ if self.is_daemon_down() => "mdatp_daemon_down",
            HealthError::Failed { .. } => "mdatp_failed",
            HealthError::Parse {
                error: super::health::ParseError::UsageText { .. },
                ..
            } => "mdatp_command_unsupported",
            HealthError::Parse { .. } => "mdatp_output_unparseable",
            HealthError::File { .. } | HealthError::FileParse { .. } => "input_unreadable",
            HealthError::DaemonDown { .. } => "mdatp_daemon_down",
        }
    }
}

impl From<HealthError> for Failure {
    fn from(e: HealthError) -> Failure {
        Failure::unknown(e.kind(), e.to_string(), e.hint())
    }
}
