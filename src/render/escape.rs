//! Text from outside (mdatp's values and stderr, the mirror's manifest, probe messages, file
//! and bundle entry names, fleet reports) shown without letting it drive the terminal:
//! control characters and bidirectional overrides become visible text (`\x1b`,
//! `\u{202e}`). Renderers escape every such string where they put it into output, before
//! styling it, so our own colour codes are the only escape sequences that reach the
//! screen. [`output`] then checks the whole text once more, as a net for a string a
//! renderer forgot.

use std::borrow::Cow;

use crate::bundle::redact::secrets;
use crate::units::{escape_controls, is_terminal_control};

/// Text shown on one line (a value, a title, a table cell): newlines are escaped too, so a
/// value cannot forge a line of our output. Secrets are masked with the bundle's rules
/// (URL credentials, `Bearer` tokens, `password=…`; see
/// [`secrets`](crate::bundle::redact::secrets)), as in the JSON reports: what is on a
/// screen ends up pasted into tickets, and the Nagios, Checkmk and Prometheus outputs
/// (which put every value through here) leave the machine.
pub fn line(s: &str) -> Cow<'_, str> {
    masked(s, false)
}

/// Text shown as several lines: newlines are kept, every other control is escaped,
/// secrets masked.
pub fn lines(s: &str) -> Cow<'_, str> {
    masked(s, true)
}

fn masked(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    match secrets(s) {
        Cow::Borrowed(s) => escape_controls(s, keep_newlines),
        Cow::Owned(clean) => Cow::Owned(escape_controls(&clean, keep_newlines).into_owned()),
    }
}

/// The net over a whole rendered text: every control character but `\n` escaped; with
/// `keep_colour`, the SGR sequences (`ESC [ 0-9; m`, colour and weight only) our
/// [`Style`](crate::render::Style) adds are kept.
pub fn output(text: &str, keep_colour: bool) -> Cow<'_, str> {
    let is_bad = |c: char| c != '\n' && is_terminal_control(c);
    if !text.contains(is_bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(i) = rest.find(is_bad) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let sgr = if keep_colour { sgr_len(rest) } else { 0 };
        if sgr > 0 {
            out.push_str(&rest[..sgr]);
            rest = &rest[sgr..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push_str(&line(&rest[..c.len_utf8()]));
            rest = &rest[c.len_utf8()..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The length of the SGR sequence `s` starts with, or 0.
fn sgr_len(s: &str) -> usize {
    let Some(params) = s.strip_prefix("\x1b[") else {
        return 0;
    };
    let n = params
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    if params.as_bytes().get(n) == Some(&b'm') {
        2 + n + 1
    } else {
        0
    }
}

/// JSON text with the characters serde_json leaves raw (DEL, C1 controls, bidirectional
/// overrides; it escapes C0 itself) written as `\uXXXX` escapes: the same document to a
/// parser, nothing a terminal acts on. They can only stand inside JSON strings, where a
/// `\u` escape means the same character.
pub fn json(text: String) -> String {
    if !text.contains(is_terminal_control_above_c0) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_terminal_control_above_c0(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn is_terminal_control_above_c0(c: char) -> bool {
    c >= '\x7f' && is_terminal_control(c)
}

#[cfg(test)]
mod tests;
