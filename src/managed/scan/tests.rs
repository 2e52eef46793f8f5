//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn view(ks: &Keys) -> Vec<(String, &str, usize, bool, bool)> {
    ks.iter()
        .map(|k| {
            (
                ks.parent(k).join("."),
                k.key.as_str(),
                k.line,
                k.duplicate,
                k.ignored,
            )
        })
        .collect()
}

#[test]
fn paths_lines_and_duplicates() {
    let text = "{\n  \"antivirusEngine\": {\n    \"a\": \"x\\\"y\",\n    \"a\": [ {\"b\": 1} ]\n  },\n  \"c\": {}\n}";
    let ks = keys(text);
    assert_eq!(
        view(&ks),
        [
            ("".into(), "antivirusEngine", 2, false, false),
            ("antivirusEngine".into(), "a", 3, false, true),
            ("antivirusEngine".into(), "a", 4, true, false),
            ("antivirusEngine.a.[]".into(), "b", 4, false, false),
            ("".into(), "c", 6, false, false),
        ]
    );
    assert_eq!(ks.max_depth, 4);
    assert_eq!(ks.level(&ks.list[3]), 3);
    assert_eq!(ks.dotted(&ks.list[3]), "antivirusEngine.a.[].b");
}

#[test]
fn a_repeated_section_hides_everything_in_the_earlier_one() {
    let text = r#"{"antivirusEngine": {"offlineDefinitionUpdate": "enabled", "x": {"y": 1}},
                  "cloudService": {},
                  "antivirusEngine": {"offlineDefinitionUpdateUrl": "http://m/linux/production/"}}"#;
    let ks = keys(text);
    let ignored: Vec<String> = ks
        .iter()
        .filter(|k| k.ignored)
        .map(|k| ks.dotted(k))
        .collect();
    assert_eq!(
        ignored,
        [
            "antivirusEngine",
            "antivirusEngine.offlineDefinitionUpdate",
            "antivirusEngine.x",
            "antivirusEngine.x.y"
        ]
    );
    let first = &ks.list[0];
    let inside: Vec<&str> = ks
        .children(first.value.expect("an object"))
        .map(|k| k.key.as_str())
        .collect();
    assert_eq!(inside, ["offlineDefinitionUpdate", "x"]);
    let last = ks
        .iter()
        .rfind(|k| k.key == "antivirusEngine")
        .expect("last");
    assert!(last.duplicate && !last.ignored);
}

#[test]
fn garbage_does_not_panic() {
    for text in [
        "",
        "\"",
        "{\"a",
        "}}]]",
        "{\"a\":\"\\",
        "\u{feff}{\"k\":1}",
        "[{\"a\":1}]]]{{\"b\"",
    ] {
        let _ = keys(text);
    }
    assert_eq!(keys("\u{feff}{\"k\":1}").list[0].key, "k");
}

#[test]
fn nesting_is_cut_at_the_limit_and_said() {
    // The fuzz input that made the old scanner need memory in the square of the depth.
    let deep = format!("{{\"a\":{}", "[".repeat(400_000));
    let ks = keys(&deep);
    assert!(ks.too_deep());
    assert_eq!(ks.max_depth, 400_001);
    assert_eq!(ks.nodes.len(), MAX_DEPTH, "no node past the limit");
    // Keys past the limit are not read; the scan picks up again when it comes back up.
    let text = format!(
        "{{\"top\": {}{{\"hidden\": 1}}{}, \"after\": 2}}",
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    let ks = keys(&text);
    let names: Vec<&str> = ks.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(names, ["top", "after"]);
    assert!(ks.too_deep());
}

#[test]
fn keys_past_the_limit_are_counted_not_listed() {
    let body: Vec<String> = (0..MAX_KEYS + 7).map(|i| format!("\"k{i}\": 0")).collect();
    let ks = keys(&format!("{{{}}}", body.join(",")));
    assert_eq!((ks.len(), ks.unlisted), (MAX_KEYS, 7));
}
