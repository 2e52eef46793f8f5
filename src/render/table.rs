//! Tables for people: rounded borders, no wider than [`Style::width`], wrapping the text
//! columns and never an id. Cells may carry our colour: comfy-table's `custom_styling`
//! measures them by what shows, not by their escape codes.

use comfy_table::{Cell, ColumnConstraint, ContentArrangement, Table, Width, presets};

use crate::render::style::Style;

/// The most characters of one string from outside a table shows (a host name, an id, a
/// URL, a path); longer ones end in `…(N chars)` with the length of the whole
/// (`--format json` keeps what the report keeps). comfy-table breaks a word wider than
/// its column in time quadratic in the word's length (each line copies the rest): a
/// 100 KB host name took over a minute. Cut, each cell costs a bounded time, and a table
/// costs time linear in its cells.
pub const MAX_CELL_CHARS: usize = 256;

/// `text` from outside as a table cell shows it: secrets masked (before the cut,
/// which could split them), cut to [`MAX_CELL_CHARS`], control characters escaped.
pub fn cell(text: &str) -> String {
    let masked = crate::bundle::redact::secrets(text);
    let short = crate::report::fleet::cut(&masked, MAX_CELL_CHARS);
    crate::render::escape::line(&short).into_owned()
}

/// An empty table with `header`, wrapping to `style.width`.
pub fn new<T: Into<Cell>>(style: Style, header: Vec<T>) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Dynamic)
        // The width is ours (see `Style::resolve`), not comfy-table's guess: it cannot see
        // `COLUMNS`, and off a terminal it would not wrap at all.
        .set_width(style.width)
        // Colour is ours too: comfy-table adds none of its own.
        .force_no_tty()
        .set_header(header);
    table
}

/// Keeps the cells of `columns` (ids, marks, counts) on one line; the other columns wrap.
pub fn unbroken(table: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(column) = table.column_mut(i) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// Keeps column `column` at least `chars` visible characters wide, so the first `chars` of
/// each of its cells (a name) never wrap while what follows (a note) may.
pub fn at_least(table: &mut Table, column: usize, chars: usize) {
    // The boundary counts the one-space padding on either side.
    let width = u16::try_from(chars.saturating_add(2)).unwrap_or(u16::MAX);
    if let Some(c) = table.column_mut(column) {
        c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
    }
}

/// Keeps column `column` at most `chars` visible characters wide, leaving the room to the
/// column that explains.
pub fn at_most(table: &mut Table, column: usize, chars: usize) {
    let width = u16::try_from(chars.saturating_add(2)).unwrap_or(u16::MAX);
    if let Some(c) = table.column_mut(column) {
        c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(width)));
    }
}

#[cfg(test)]
mod tests;
