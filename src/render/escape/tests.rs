use super::*;

#[test]
fn controls_become_visible_text() {
    assert_eq!(line("a\x1b[2Jb"), "a\\x1b[2Jb");
    assert_eq!(line("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\x07");
    assert_eq!(line("tab\there\r\0"), "tab\\x09here\\x0d\\x00");
    assert_eq!(line("del\x7f"), "del\\x7f");
    assert_eq!(line("c1\u{9b}31m"), "c1\\u{9b}31m");
    assert_eq!(line("\u{202e}gpj.exe"), "\\u{202e}gpj.exe");
    assert_eq!(line("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    assert_eq!(
        line("\u{200f}\u{061c}\u{2028}"),
        "\\u{200f}\\u{61c}\\u{2028}"
    );
}

#[test]
fn ordinary_text_is_borrowed_unchanged() {
    for s in [
        "",
        "1.407.417.0",
        "Ünïcödé ✓ ─ …",
        "http://127.0.0.1:8000/a b|c",
        "\\x1b",
    ] {
        assert!(matches!(line(s), Cow::Borrowed(b) if b == s), "{s:?}");
    }
}

#[test]
fn newlines_are_kept_only_in_blocks() {
    assert_eq!(line("one\ntwo"), "one\\x0atwo");
    assert_eq!(lines("one\ntwo\x1b"), "one\ntwo\\x1b");
    assert_eq!(lines("one\r\ntwo"), "one\\x0d\ntwo");
}

#[test]
fn the_net_keeps_our_colour_and_nothing_else() {
    let ours = "\x1b[1mbold\x1b[0m \x1b[38;5;1mx\x1b[39m\n";
    assert_eq!(output(ours, true), ours);
    assert_eq!(
        output(ours, false),
        "\\x1b[1mbold\\x1b[0m \\x1b[38;5;1mx\\x1b[39m\n"
    );
    // Not SGR: cursor, screen, title, clipboard; an ESC at the very end.
    assert_eq!(
        output("\x1b[2J\x1b[H\x1b]0;t\x07\x1b", true),
        "\\x1b[2J\\x1b[H\\x1b]0;t\\x07\\x1b"
    );
    assert_eq!(output("a\u{9b}2Jb\u{202e}", true), "a\\u{9b}2Jb\\u{202e}");
    assert!(matches!(output("plain\ntext\n", true), Cow::Borrowed(_)));
}

#[test]
fn json_keeps_its_meaning_and_loses_raw_controls() {
    let value = serde_json::json!({"v": "a\x1b[2J\x07\u{9b}\x7f\u{202e}z"});
    let text = json(serde_json::to_string_pretty(&value).expect("json"));
    assert!(
        !text.contains(|c: char| c != '\n' && crate::units::is_terminal_control(c)),
        "{text:?}"
    );
    assert!(
        text.contains("\\u009b") && text.contains("\\u202e"),
        "{text}"
    );
    let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
    assert_eq!(back, value);
}

#[test]
fn url_credentials_are_masked_on_screen() {
    assert_eq!(
        line("Proxy: http://alice:S3cret@proxy.corp:3128/ from the managed config"),
        "Proxy: http://REDACTED@proxy.corp:3128/ from the managed config"
    );
    assert_eq!(
        lines("a\nbob:pw@mirror.corp:8000\n"),
        "a\nREDACTED@mirror.corp:8000\n"
    );
    // Both at once: masked, then escaped.
    assert_eq!(line("http://u:p@h/\x1b[2J"), "http://REDACTED@h/\\x1b[2J");
}
