//! Whether and how to color human output: `--color`, `NO_COLOR` and whether stdout is a
//! terminal decide once; renderers then ask this type instead of the environment.

use owo_colors::OwoColorize;

use crate::cli::ColorChoice;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// `always` wins over `NO_COLOR` (an explicit flag beats an ambient variable, as the
    /// no-color.org convention asks); `auto` needs a terminal, no `NO_COLOR`, and a TERM
    /// other than `dumb`.
    pub fn resolve(
        choice: ColorChoice,
        stdout_is_tty: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
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
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn auto_needs_a_terminal_and_no_no_color() {
        assert!(Style::resolve(ColorChoice::Auto, true, env(&[])).color);
        assert!(!Style::resolve(ColorChoice::Auto, false, env(&[])).color);
        assert!(!Style::resolve(ColorChoice::Auto, true, env(&[("NO_COLOR", "1")])).color);
        assert!(Style::resolve(ColorChoice::Auto, true, env(&[("NO_COLOR", "")])).color);
        assert!(!Style::resolve(ColorChoice::Auto, true, env(&[("TERM", "dumb")])).color);
    }

    #[test]
    fn explicit_choice_wins() {
        assert!(Style::resolve(ColorChoice::Always, false, env(&[("NO_COLOR", "1")])).color);
        assert!(!Style::resolve(ColorChoice::Never, true, env(&[])).color);
    }

    #[test]
    fn plain_style_adds_no_escapes() {
        let s = Style::plain();
        assert_eq!(s.bold("x") + &s.dim("y") + &s.yellow("z"), "xyz");
        assert!(Style { color: true }.bold("x").contains('\u{1b}'));
    }
}
