//! Whether and how to color human output: `--color`, `NO_COLOR` and whether stdout is a
//! terminal decide once; renderers then ask this type instead of the environment.

use owo_colors::OwoColorize;

/// When to colour: `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
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
        Style { color }
    }

    pub fn plain() -> Style {
        Style { color: false }
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

#[cfg(test)]
mod tests;
