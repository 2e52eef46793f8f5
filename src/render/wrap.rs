//! Text for people that wraps without breaking what they copy: a word (a URL, a path, a
//! host name, an id) is never split. One longer than the room left gets a line of its
//! own and overflows it, so it can still be selected, pasted and searched for whole.

/// Characters a terminal shows of `text`: our colour codes (`ESC [ … m`) take none.
pub fn visible(text: &str) -> usize {
    let (mut n, mut in_code) = (0, false);
    for c in text.chars() {
        match (in_code, c) {
            (false, '\u{1b}') => in_code = true,
            (true, 'm') => in_code = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// `prefix` then `value`, ending in a newline: as it is when it fits in `width`, else
/// word-wrapped with its continuation lines indented to column `lead` (where the value
/// starts when `prefix` is that wide).
pub fn hanging(out: &mut String, prefix: &str, lead: usize, value: &str, width: usize) {
    let width = width.max(lead + 20);
    let mut used = visible(prefix);
    if used + visible(value) <= width {
        out.push_str(format!("{prefix}{value}").trim_end());
        out.push('\n');
        return;
    }
    let mut line = prefix.to_string();
    let mut fresh = true;
    let mut words = value.split_whitespace().peekable();
    while let Some(word) = words.next() {
        // A cut value's mark (`…(N chars)`) stays with the value it ends.
        let joined;
        let word = match words.peek() {
            Some(&"chars)") if word.contains("…(") => {
                joined = format!("{word} {}", words.next().unwrap_or_default());
                joined.as_str()
            }
            _ => word,
        };
        let n = visible(word);
        if !fresh && used + 1 + n > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = " ".repeat(lead);
            used = lead;
            fresh = true;
        }
        if !fresh {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += n;
        fresh = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_wrap_under_the_value_and_a_long_one_stays_whole() {
        let mut out = String::new();
        let url = format!("http://{}/linux/production/", "m".repeat(60));
        hanging(&mut out, "  url:  ", 8, &format!("see {url} now"), 40);
        assert_eq!(out, format!("  url:  see\n        {url}\n        now\n"));
        let mut out = String::new();
        hanging(&mut out, "a: ", 3, "fits  as  given", 40);
        assert_eq!(
            out, "a: fits  as  given\n",
            "double spaces kept when it fits"
        );
        let mut out = String::new();
        hanging(
            &mut out,
            "a: ",
            3,
            &format!("{}…(300 chars)", "x".repeat(30)),
            30,
        );
        assert_eq!(out, format!("a: {}…(300 chars)\n", "x".repeat(30)));
        assert_eq!(visible("\u{1b}[1mbold\u{1b}[0m"), 4);
    }
}
