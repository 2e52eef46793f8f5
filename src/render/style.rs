//! Whether and how to color human output, and how wide it may be: `--color`, `NO_COLOR`,
//! `COLUMNS` and the terminal decide once; renderers then ask this type instead of the
//! environment.

use owo_colors::OwoColorize;

/// When to colour: `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// The width tables wrap to when none is known: output piped to a file, a pager or a mail
/// is still read by a person, in a viewer about this wide (as `man` and `git` assume).
/// Programs read `--format json`, which never wraps.
pub const DEFAULT_WIDTH: u16 = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// Columns a line of a table may take.
    pub width: u16,
}

impl Style {
    /// `always` wins over `NO_COLOR` (an explicit flag beats an ambient variable, as the
    /// no-color.org convention asks); `auto` needs a terminal, no `NO_COLOR`, and a TERM
    /// other than `dumb`.
    pub fn resolve(
        choice: ColorWhen,
        stdout_is_tty: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Style {
        let color = match choice {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                stdout_is_tty
                    && env("NO_COLOR").is_none_or(|v| v.is_empty())
                    && env("TERM").is_none_or(|t| t != "dumb")
            }
        };
        let terminal = if stdout_is_tty {
            terminal_columns()
        } else {
            None
        };
        Style {
            color,
            width: width(env("COLUMNS").as_deref(), terminal),
        }
    }

    pub fn plain() -> Style {
        Style {
            color: false,
            width: DEFAULT_WIDTH,
        }
    }

    pub fn colored() -> Style {
        Style {
            color: true,
            ..Style::plain()
        }
    }

    pub fn bold(&self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn yellow(&self, s: &str) -> String {
        if self.color {
            s.yellow().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn red(&self, s: &str) -> String {
        if self.color {
            s.red().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn green(&self, s: &str) -> String {
        if self.color {
            s.green().to_string()
        } else {
            s.to_string()
        }
    }

    pub fn cyan(&self, s: &str) -> String {
        if self.color {
            s.cyan().to_string()
        } else {
            s.to_string()
        }
    }
}

/// `COLUMNS` first, as clap does for `--help`: a person who sets it means it, and it is the
/// only width a pipe has. Then the terminal's own size; then [`DEFAULT_WIDTH`]. A width of 0
/// (a pty nobody sized, a serial console) counts as unknown: wrapping to it would shred
/// every table into one-character columns.
pub fn width(columns_env: Option<&str>, terminal: Option<u16>) -> u16 {
    columns_env
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c > 0)
        .or(terminal.filter(|&c| c > 0))
        .unwrap_or(DEFAULT_WIDTH)
}

/// The width of the terminal on stdout, if it says.
fn terminal_columns() -> Option<u16> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` through the pointer, which is valid for it.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (rc == 0).then_some(size.ws_col)
}

#[cfg(test)]
mod tests;
