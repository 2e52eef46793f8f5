//! A failed run as the user sees it: one line saying what went wrong, one saying what to
//! do, a machine-readable kind, and the exit code it maps to. A base type: each adapter
//! names the kinds of its own errors (e.g. `mdatp/kind.rs`).

use serde::Serialize;

use crate::exit_codes::ExitCode;

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
