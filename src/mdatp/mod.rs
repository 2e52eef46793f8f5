//! The mdatp adapter: finding the executable, running it safely, and parsing what it prints.
//!
//! An adapter: the only door to Defender, used by `gather` (and the commands that run
//! mdatp themselves, `update` and `config fix`). It returns typed facts or a typed
//! [`MdatpError`]; deciding what a fact means for the endpoint is the analysis layer's job.

pub mod connectivity;
pub mod fields;
pub mod health;
mod kind;
pub mod value;

use std::path::{Path, PathBuf};

use crate::process::ProcessError;
use crate::units::format_bytes;

/// Where Defender installs its client; `/usr/bin/mdatp` is a symlink to it.
pub const FALLBACK_PATH: &str = "/opt/microsoft/mdatp/sbin/wdavdaemonclient";

/// Everything that can go wrong between us and a usable mdatp output.
#[derive(Debug, thiserror::Error)]
pub enum MdatpError {
    #[error("mdatp not found ({})", .searched.join(", "))]
    NotFound {
        searched: Vec<String>,
        /// The user named the client (`--mdatp` or its variable) rather than relying on
        /// the default lookup.
        explicit: bool,
    },
    /// Everything else the runner can report, with its own wording.
    #[error(transparent)]
    Run(ProcessError),
}

impl MdatpError {
    /// What the user can do about it, in one line.
    pub fn hint(&self) -> String {
        match self {
            MdatpError::NotFound { explicit: true, .. } => format!(
                "check the path given with --mdatp (or MDATP_DOCTOR_MDATP); the client is \
                 normally {FALLBACK_PATH}"
            ),
            MdatpError::NotFound { .. } => format!(
                "install Microsoft Defender for Endpoint, or pass --mdatp PATH \
                 (env MDATP_DOCTOR_MDATP); the client is normally {FALLBACK_PATH}"
            ),
            MdatpError::Run(ProcessError::NotExecutable { path, .. }) => format!(
                "check the file's permissions (ls -l {}) or point --mdatp at the real client",
                path.display()
            ),
            // NotFound is mapped to MdatpError::NotFound by From; it cannot arrive here.
            MdatpError::Run(ProcessError::Spawn { .. } | ProcessError::NotFound { .. }) => {
                "check that --mdatp names the mdatp client".into()
            }
            MdatpError::Run(ProcessError::TimedOut { .. }) => {
                "the mdatp daemon may be stuck or busy: check \
                 `systemctl status mdatp` and its log in /var/log/microsoft/mdatp/, or raise \
                 --timeout"
                    .into()
            }
            MdatpError::Run(ProcessError::OutputTooLarge { .. }) => {
                "this is not mdatp health output; check that --mdatp names the mdatp client".into()
            }
            MdatpError::Run(ProcessError::KilledBySignal { stderr, .. }) => {
                let first = first_line(stderr);
                if first.is_empty() {
                    "mdatp crashed; check `systemctl status mdatp` and `journalctl -u mdatp`".into()
                } else {
                    format!("mdatp crashed after printing: {first}")
                }
            }
        }
    }
}

impl From<ProcessError> for MdatpError {
    fn from(e: ProcessError) -> MdatpError {
        match e {
            // Found at lookup, gone at spawn: the same as not found, named by its path.
            ProcessError::NotFound { program } => MdatpError::NotFound {
                searched: vec![program.display().to_string()],
                explicit: true,
            },
            other => MdatpError::Run(other),
        }
    }
}

/// Runs mdatp with `args`; a failure carries mdatp's own hints.
pub fn call(
    runner: &crate::process::Runner,
    args: &[&str],
) -> Result<crate::process::Output, MdatpError> {
    runner.run(args).map_err(MdatpError::from)
}

/// Where a health output came from, as reported in `health --format json`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum HealthSource {
    Mdatp {
        mdatp: String,
        args: Vec<String>,
        exit_status: i32,
        duration_ms: u64,
    },
    File {
        file: String,
    },
}

/// A parsed health output with its provenance.
#[derive(Debug, Clone)]
pub struct HealthReading {
    pub source: HealthSource,
    pub health: health::Health,
    /// The call's raw output (None for a file), for whoever must keep it (`bundle`).
    pub output: Option<crate::process::Output>,
}

/// Why no health reading could be had.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error(transparent)]
    Run(#[from] MdatpError),
    #[error("`mdatp {}` exited with status {exit_code}{}", .args.join(" "), describe(.message))]
    Failed {
        args: Vec<String>,
        exit_code: i32,
        /// The first line of stderr, or of stdout when stderr is empty.
        message: String,
    },
    /// The client ran but could not reach the daemon (`Failed to connect`).
    #[error(
        "`mdatp {}` {}: the client could not reach the Defender daemon (wdavdaemon)",
        .args.join(" "),
        if *.exit_code == 0 { format!("printed `{line}`") }
        else { format!("exited with status {exit_code}: {line}") }
    )]
    DaemonDown {
        args: Vec<String>,
        exit_code: i32,
        /// The line that says so, escaped.
        line: String,
    },
    #[error("could not read the output of `mdatp {}`: {error}", .args.join(" "))]
    Parse {
        args: Vec<String>,
        error: health::ParseError,
    },
    #[error("could not read {path}: {reason}")]
    File { path: String, reason: String },
    /// A saved output that was read but is not a usable health report.
    #[error("could not read {path}: {error}")]
    FileParse {
        path: String,
        error: health::ParseError,
    },
}

fn describe(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl HealthError {
    pub fn hint(&self) -> String {
        match self {
            HealthError::Run(e) => e.hint(),
            HealthError::Failed { .. } => "run the same mdatp command by hand to see its full \
                 message, and check that the daemon runs: `systemctl status mdatp`"
                .into(),
            HealthError::DaemonDown { .. } => health::DAEMON_DOWN_HINT.into(),
            HealthError::Parse { error, .. } => error.hint().unwrap_or_else(|| {
                "check that --mdatp names the mdatp client; run it by hand to see what it \
                 prints"
                    .into()
            }),
            HealthError::File { .. } => {
                "pass a file saved from `mdatp health`, or - for stdin".into()
            }
            HealthError::FileParse { error, .. } => error.hint().unwrap_or_else(|| {
                "pass a file saved from `mdatp health` (or `mdatp health --details \
                 definitions`), or - for stdin"
                    .into()
            }),
        }
    }

    /// True when the mdatp client could not reach its daemon.
    pub fn is_daemon_down(&self) -> bool {
        matches!(
            self,
            HealthError::DaemonDown { .. }
                | HealthError::FileParse {
                    error: health::ParseError::DaemonDown { .. },
                    ..
                }
        )
    }
}

/// True when these health arguments ask for output whose fields we list: plain `health`
/// or `--details definitions` (another section may print only fields we do not know).
fn expects_known_fields(args: &[&str]) -> bool {
    !args
        .windows(2)
        .any(|w| w[0] == "--details" && w[1] != "definitions")
}

/// Runs `mdatp <args>` and parses its health output.
pub fn fetch_health(
    runner: &crate::process::Runner,
    args: &[&str],
) -> Result<HealthReading, HealthError> {
    let out = call(runner, args)?;
    health_from_output(out, args)
}

/// Judges one health call's output as [`fetch_health`] does (also for an output captured
/// earlier, as a support bundle keeps it).
pub fn health_from_output(
    out: crate::process::Output,
    args: &[&str],
) -> Result<HealthReading, HealthError> {
    let owned_args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    // Old builds print their usage list (on either stream, with a non-zero status) when
    // they do not know a subcommand: that is a fact about the build, not a failure.
    let usage = [&out.stdout, &out.stderr]
        .into_iter()
        .any(|b| health::is_usage_text(&String::from_utf8_lossy(b)));
    if usage {
        return Err(HealthError::Parse {
            args: owned_args,
            error: health::ParseError::UsageText {
                first_line: "Expected one of:".into(),
            },
        });
    }
    // The client says it could not reach the daemon, on either stream.
    let daemon_down = || {
        [&out.stderr, &out.stdout]
            .into_iter()
            .find_map(|b| health::daemon_down_line(&String::from_utf8_lossy(b)))
    };
    if !out.success() {
        if let Some(line) = daemon_down() {
            return Err(HealthError::DaemonDown {
                args: owned_args,
                exit_code: out.exit_code,
                line,
            });
        }
        return Err(HealthError::Failed {
            args: owned_args,
            exit_code: out.exit_code,
            message: Some(first_line(&out.stderr))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| first_line(&out.stdout)),
        });
    }
    let health = match health::parse_expecting(&out.stdout, expects_known_fields(args)) {
        Ok(health) => health,
        Err(health::ParseError::DaemonDown { line }) => {
            return Err(HealthError::DaemonDown {
                args: owned_args,
                exit_code: out.exit_code,
                line,
            });
        }
        Err(error) => {
            return Err(match daemon_down() {
                Some(line) => HealthError::DaemonDown {
                    args: owned_args,
                    exit_code: out.exit_code,
                    line,
                },
                None => HealthError::Parse {
                    args: owned_args,
                    error,
                },
            });
        }
    };
    Ok(HealthReading {
        source: HealthSource::Mdatp {
            mdatp: out.program.display().to_string(),
            args: owned_args,
            exit_status: out.exit_code,
            duration_ms: u64::try_from(out.duration.as_millis()).unwrap_or(u64::MAX),
        },
        health,
        output: Some(out),
    })
}

/// Largest saved health output we accept; real ones are a few KiB.
pub const MAX_HEALTH_FILE: u64 = 16 * 1024 * 1024;

/// Parses a saved health output (`-` reads stdin), for outputs pasted by a customer. A
/// well-formed text whose fields are all unknown (a `--details` view we do not list) is
/// read with a warning saying so; text that is not `key : value` stays refused.
pub fn read_health_file(path: &Path) -> Result<HealthReading, HealthError> {
    use std::io::Read;
    let name = path.display().to_string();
    let file_err = |reason: String| HealthError::File {
        path: name.clone(),
        reason,
    };
    let mut bytes = Vec::new();
    let read = if name == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_HEALTH_FILE + 1)
            .read_to_end(&mut bytes)
    } else {
        let meta = std::fs::metadata(path).map_err(|e| file_err(e.to_string()))?;
        if !meta.is_file() {
            return Err(file_err("not a regular file".into()));
        }
        std::fs::File::open(path).and_then(|f| f.take(MAX_HEALTH_FILE + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| file_err(e.to_string()))?;
    if bytes.len() as u64 > MAX_HEALTH_FILE {
        return Err(file_err(format!(
            "larger than {}",
            format_bytes(MAX_HEALTH_FILE as usize)
        )));
    }
    let mut health =
        health::parse_expecting(&bytes, false).map_err(|error| HealthError::FileParse {
            path: name.clone(),
            error,
        })?;
    if !health.has_known_field() {
        health.warnings.push(format!(
            "none of its {} field(s) is one mdatp-doctor knows (the output of a `mdatp health --details <view>` such as system_extensions?): shown as read, nothing judged",
            health.fields.len()
        ));
    }
    Ok(HealthReading {
        source: HealthSource::File { file: name },
        health,
        output: None,
    })
}

/// Finds the mdatp client: an explicit path or name first, else `mdatp` on PATH, else
/// [`FALLBACK_PATH`]. Checks up front that the result is an executable file so the error
/// names the real problem rather than a spawn failure.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, MdatpError> {
    match explicit {
        Some(p) if p.components().count() > 1 || p.is_absolute() => check_executable(p),
        Some(name) => which::which(name)
            .map_err(|_| MdatpError::NotFound {
                searched: vec![format!("`{}` on PATH", name.display())],
                explicit: true,
            })
            .and_then(|p| check_executable(&p)),
        None => {
            if let Ok(p) = which::which("mdatp") {
                return check_executable(&p);
            }
            let fallback = Path::new(FALLBACK_PATH);
            if fallback.exists() {
                return check_executable(fallback);
            }
            Err(MdatpError::NotFound {
                searched: vec!["`mdatp` on PATH".into(), FALLBACK_PATH.into()],
                explicit: false,
            })
        }
    }
}

fn check_executable(path: &Path) -> Result<PathBuf, MdatpError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => MdatpError::NotFound {
            searched: vec![path.display().to_string()],
            explicit: true,
        },
        _ => MdatpError::Run(ProcessError::NotExecutable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }),
    })?;
    let reason = if meta.is_dir() {
        "it is a directory"
    } else if meta.permissions().mode() & 0o111 == 0 {
        "it has no execute permission"
    } else {
        return Ok(path.to_path_buf());
    };
    Err(MdatpError::Run(ProcessError::NotExecutable {
        path: path.to_path_buf(),
        reason: reason.into(),
    }))
}

/// The first non-empty line of some output, lossily decoded and trimmed, for messages.
pub fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
