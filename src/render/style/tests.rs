//! Unit tests of the parent module (kept apart so the module reads as the code it is).

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
    assert!(Style::resolve(ColorWhen::Auto, true, env(&[])).color);
    assert!(!Style::resolve(ColorWhen::Auto, false, env(&[])).color);
    assert!(!Style::resolve(ColorWhen::Auto, true, env(&[("NO_COLOR", "1")])).color);
    assert!(Style::resolve(ColorWhen::Auto, true, env(&[("NO_COLOR", "")])).color);
    assert!(!Style::resolve(ColorWhen::Auto, true, env(&[("TERM", "dumb")])).color);
}

#[test]
fn explicit_choice_wins() {
    assert!(Style::resolve(ColorWhen::Always, false, env(&[("NO_COLOR", "1")])).color);
    assert!(!Style::resolve(ColorWhen::Never, true, env(&[])).color);
}

#[test]
fn plain_style_adds_no_escapes() {
    let s = Style::plain();
    assert_eq!(s.bold("x") + &s.dim("y") + &s.yellow("z"), "xyz");
    assert!(Style::colored().bold("x").contains('\u{1b}'));
}

#[test]
fn width_prefers_columns_then_the_terminal_then_80() {
    assert_eq!(width(Some("100"), Some(120)), 100);
    assert_eq!(width(None, Some(120)), 120);
    assert_eq!(width(None, None), DEFAULT_WIDTH);
    // Unknown, zero or garbage all mean "not known".
    assert_eq!(width(Some("0"), Some(0)), DEFAULT_WIDTH);
    assert_eq!(width(Some("wide"), None), DEFAULT_WIDTH);
    assert_eq!(width(Some(""), Some(132)), 132);
    assert_eq!(width(Some("-5"), None), DEFAULT_WIDTH);
}

#[test]
fn a_pipe_without_columns_gets_the_default_width() {
    assert_eq!(
        Style::resolve(ColorWhen::Never, false, env(&[])).width,
        DEFAULT_WIDTH
    );
    assert_eq!(
        Style::resolve(ColorWhen::Never, false, env(&[("COLUMNS", "132")])).width,
        132
    );
}
