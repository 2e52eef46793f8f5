//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn visible(line: &str) -> usize {
    let mut n = 0;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("\x1b[") {
            let end = after.find('m').map_or(after.len(), |i| i + 1);
            rest = &after[end..];
            continue;
        }
        n += 1;
        rest = &rest[c.len_utf8()..];
    }
    n
}

fn widths(text: &str) -> Vec<usize> {
    text.lines().map(visible).collect()
}

#[test]
fn coloured_cells_are_measured_by_what_shows() {
    let style = Style::colored();
    let mut t = new(style, vec![style.bold("Field"), style.bold("Value")]);
    t.add_row(vec![style.red("✗"), style.dim("a dimmed value")]);
    let text = t.to_string();
    assert!(text.contains('\x1b'), "{text}");
    let w = widths(&text);
    assert!(w.iter().all(|&n| n == w[0]), "{w:?}\n{text}");
    let plain = new(Style::plain(), vec!["Field", "Value"]);
    let mut plain = plain;
    plain.add_row(vec!["✗", "a dimmed value"]);
    assert_eq!(w[0], widths(&plain.to_string())[0]);
}

#[test]
fn wraps_to_the_width_and_keeps_ids_whole() {
    let style = Style {
        width: 40,
        ..Style::plain()
    };
    let mut t = new(style, vec!["Id", "Meaning"]);
    unbroken(&mut t, &[0]);
    t.add_row(vec![
        "definitions_update_failed_badly",
        "a long explanation that cannot fit on one forty-column line",
    ]);
    let text = t.to_string();
    for line in text.lines() {
        assert_eq!(visible(line), 40, "{text}");
    }
    assert!(text.contains("definitions_update_failed_badly"), "{text}");
}

#[test]
fn a_lower_bound_keeps_the_name_and_lets_the_note_wrap() {
    let style = Style {
        width: 40,
        ..Style::plain()
    };
    let mut t = new(style, vec!["Field", "Value"]);
    at_least(&mut t, 0, "some_unknown_field".len());
    t.add_row(vec![
        "some_unknown_field  (unknown to mdatp-doctor)",
        "a value long enough to need wrapping",
    ]);
    let text = t.to_string();
    assert!(text.contains("some_unknown_field"), "{text}");
    assert!(text.lines().all(|l| visible(l) <= 40), "{text}");
}

#[test]
fn a_cell_is_masked_then_cut_then_escaped() {
    assert_eq!(cell("plain"), "plain");
    assert_eq!(cell("a\x1b[31mred"), "a\\x1b[31mred");
    let long = format!(
        "http://bob:{}@m.example/{}\x07",
        "p".repeat(250),
        "x".repeat(400)
    );
    let shown = cell(&long);
    assert!(
        shown.starts_with("http://REDACTED@m.example/xxx"),
        "{shown}"
    );
    assert!(!shown.contains("bob") && !shown.contains("pp"), "{shown}");
    // The BEL was past the cut: nothing of it, and the whole length named.
    assert!(shown.ends_with("chars)"), "{shown}");
    assert_eq!(shown.chars().count(), MAX_CELL_CHARS, "{shown}");
}

#[test]
fn a_megabyte_word_makes_a_bounded_table() {
    let style = Style {
        width: 60,
        ..Style::plain()
    };
    let mut t = new(style, vec!["Name", "Value"]);
    t.add_row(vec![cell(&"w".repeat(1 << 20)), cell("x")]);
    let text = t.to_string();
    assert!(text.contains("chars)"), "{text}");
    assert!(text.len() < 8 * 1024, "{} bytes", text.len());
    for line in text.lines() {
        assert_eq!(visible(line), 60, "{text}");
    }
}
