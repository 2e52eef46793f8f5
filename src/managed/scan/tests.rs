//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn paths_lines_and_duplicates() {
    let text = "{\n  \"antivirusEngine\": {\n    \"a\": \"x\\\"y\",\n    \"a\": [ {\"b\": 1} ]\n  },\n  \"c\": {}\n}";
    let ks = keys(text);
    let view: Vec<(String, &str, usize, bool)> = ks
        .iter()
        .map(|k| (k.parent.join("."), k.key.as_str(), k.line, k.duplicate))
        .collect();
    assert_eq!(
        view,
        [
            ("".into(), "antivirusEngine", 2, false),
            ("antivirusEngine".into(), "a", 3, false),
            ("antivirusEngine".into(), "a", 4, true),
            ("antivirusEngine.a.[]".into(), "b", 4, false),
            ("".into(), "c", 6, false),
        ]
    );
}

#[test]
fn garbage_does_not_panic() {
    for text in ["", "\"", "{\"a", "}}]]", "{\"a\":\"\\", "\u{feff}{\"k\":1}"] {
        let _ = keys(text);
    }
    assert_eq!(keys("\u{feff}{\"k\":1}")[0].key, "k");
}
