//! The process exit codes: one type, one mapping, shared by every subcommand.
//!
//! Monitoring systems read these numbers, so they are an interface: 0 ok, 1 warning,
//! 2 critical, 3 unknown (could not determine), 64 usage error (BSD `EX_USAGE`).

/// How a run ended, in the vocabulary of monitoring plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    Ok,
    Warning,
    Critical,
    /// The tool could not determine the state (mdatp missing, timed out, unparseable output).
    Unknown,
    /// The command line was wrong.
    Usage,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Warning => 1,
            ExitCode::Critical => 2,
            ExitCode::Unknown => 3,
            ExitCode::Usage => 64,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

/// The exit-code table as printed in `--help` and the man pages.
pub const EXIT_CODES_HELP: &str = "\
Exit codes (where a command differs, its own help and man page say how):
  0   ok
  1   warning
  2   critical
  3   unknown: the state could not be determined (mdatp missing, timed out, unparseable output)
  64  usage error (bad option or argument)";

#[cfg(test)]
mod tests;
