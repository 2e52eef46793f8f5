//! Unit tests of the parent module.

use super::*;
use serde_json::json;

const SAMPLE: &str = "{\n  \"antivirusEngine\": {\n    \"enforcementLevel\": \"real_time\",\n    \"offlineDefintionUpdateFallbackToCloud\": false,\n    \"offlineDefinitionUpdateUrl\": \"http://mirror:8000/linux/production/\"\n  },\n  \"x_unknown\": [1, 2],\n  \"offlineDefinitionUpdate\": \"enabled\"\n}\n";

fn rename(section: &str, from: &str, to: &str) -> Edit {
    Edit::Rename {
        section: Some(section.into()),
        from: from.into(),
        to: to.into(),
    }
}

#[test]
fn a_rename_changes_only_the_name() {
    let (out, skipped) = apply(
        SAMPLE,
        &[rename(
            "antivirusEngine",
            "offlineDefintionUpdateFallbackToCloud",
            "offlineDefinitionUpdateFallbackToCloud",
        )],
    )
    .expect("applies");
    assert!(skipped.is_empty());
    assert_eq!(
        out,
        SAMPLE.replace("offlineDefintionUpdate", "offlineDefinitionUpdate")
    );
}

#[test]
fn a_move_takes_the_key_out_and_puts_it_at_the_end_of_its_section() {
    let (out, _) = apply(
        SAMPLE,
        &[Edit::Move {
            from: None,
            key: "offlineDefinitionUpdate".into(),
            to: "antivirusEngine".into(),
        }],
    )
    .expect("applies");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["antivirusEngine"]["offlineDefinitionUpdate"], "enabled");
    assert!(v.get("offlineDefinitionUpdate").is_none(), "{out}");
    assert!(out.contains("  \"x_unknown\": [1, 2]\n}\n"), "{out}");
    assert!(out.ends_with("}\n"), "trailing newline kept: {out:?}");
}

#[test]
fn a_set_replaces_or_adds_and_creates_the_section() {
    let (out, _) = apply(
        SAMPLE,
        &[
            Edit::Set {
                section: "antivirusEngine".into(),
                key: "enforcementLevel".into(),
                value: json!("passive"),
            },
            Edit::Set {
                section: "features".into(),
                key: "offlineDefinitionUpdateVerifySig".into(),
                value: json!("enabled"),
            },
        ],
    )
    .expect("applies");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["antivirusEngine"]["enforcementLevel"], "passive");
    assert_eq!(v["features"]["offlineDefinitionUpdateVerifySig"], "enabled");
    assert!(
        out.contains(
            "\n  \"features\": {\n    \"offlineDefinitionUpdateVerifySig\": \"enabled\"\n  }\n}\n"
        ),
        "{out}"
    );
}

#[test]
fn tabs_and_four_spaces_are_kept() {
    for indent in ["\t", "    "] {
        let text = SAMPLE.replace("  ", indent);
        let (out, _) = apply(
            &text,
            &[Edit::Set {
                section: "antivirusEngine".into(),
                key: "passiveMode".into(),
                value: json!(false),
            }],
        )
        .expect("applies");
        assert!(
            out.contains(&format!("{indent}{indent}\"passiveMode\": false\n")),
            "{out}"
        );
    }
}

#[test]
fn ambiguous_edits_are_returned_with_a_reason_and_the_rest_apply() {
    let text = "{\"antivirusEngine\": {\"a\": 1, \"b\": 2}, \"c\": 3}";
    let (out, skipped) = apply(
        text,
        &[
            rename("antivirusEngine", "a", "b"),
            Edit::Set {
                section: "antivirusEngine".into(),
                key: "c".into(),
                value: json!(4),
            },
        ],
    )
    .expect("applies");
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].1.contains("both \"a\" and \"b\""), "{skipped:?}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v,
        json!({"antivirusEngine": {"a": 1, "b": 2, "c": 4}, "c": 3})
    );
}

#[test]
fn the_last_copy_of_a_repeated_key_is_the_one_changed() {
    let text =
        "{\"antivirusEngine\": {\"comment\": \"x\", \"comment\": \"y\", \"k\": 1, \"k\": 2}}";
    let (out, _) = apply(
        text,
        &[Edit::Set {
            section: "antivirusEngine".into(),
            key: "k".into(),
            value: json!(3),
        }],
    )
    .expect("applies");
    assert_eq!(
        out,
        "{\"antivirusEngine\": {\"comment\": \"x\", \"comment\": \"y\", \"k\": 1, \"k\": 3}}"
    );
}

#[test]
fn what_is_not_strict_json_is_refused() {
    for bad in ["{\"a\": 1,}", "{// c\n\"a\": 1}", "[1]", "nope", ""] {
        assert!(
            matches!(apply(bad, &[]), Err(EditError::NotJson(_))),
            "{bad}"
        );
    }
}

#[test]
fn a_byte_order_mark_is_kept() {
    let (out, _) = apply("\u{feff}{\"a\": {}}", &[]).expect("applies");
    assert_eq!(out, "\u{feff}{\"a\": {}}");
}

#[test]
fn pointers_are_escaped() {
    assert_eq!(pointer(Some("a/b"), "c~d"), "/a~1b/c~0d");
    assert_eq!(pointer(None, "k"), "/k");
}

#[test]
fn repeats_names_a_repeated_key_or_section_and_nothing_else() {
    let set = |section: &str, key: &str| Edit::Set {
        section: section.into(),
        key: key.into(),
        value: json!(1),
    };
    let text = "{\"a\": {\"k\": 1, \"k\": 2, \"j\": 0}, \"b\": {\"k\": 1}, \"b\": {\"x\": 1}}";
    let k = repeats(text, &set("a", "k")).expect("k is repeated");
    assert!(
        k.starts_with("\"k\" is written 2 times in \"a\": the last copy"),
        "{k}"
    );
    assert_eq!(repeats(text, &set("a", "j")), None);
    let b = repeats(text, &set("b", "x")).expect("b is repeated");
    assert!(
        b.starts_with("\"b\" is written 2 times at the top level"),
        "{b}"
    );
    assert_eq!(repeats("not json", &set("a", "k")), None);
    let into_b = Edit::Move {
        from: Some("a".into()),
        key: "j".into(),
        to: "b".into(),
    };
    let moved = repeats(text, &into_b).expect("b is repeated");
    assert!(
        moved.starts_with("\"b\" is written 2 times at the top level"),
        "{moved}"
    );
}

/// Every fixture, in several layouts, under edits of every kind.
fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/managed");
    let mut texts = vec![SAMPLE.to_string()];
    for sub in ["", "/synthetic"] {
        for entry in std::fs::read_dir(format!("{dir}{sub}")).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                texts.push(std::fs::read_to_string(path).expect("fixture"));
            }
        }
    }
    let mut out = Vec::new();
    for t in texts {
        out.push(t.replace('\n', "\r\n"));
        out.push(t.replace("  ", "\t"));
        if let Ok(v) = serde_json::from_str::<Value>(&t) {
            out.push(v.to_string());
            out.push(serde_json::to_string_pretty(&v).expect("json"));
        }
        out.push(t);
    }
    out
}

fn every_kind_of_edit() -> Vec<Vec<Edit>> {
    let set = |section: &str, key: &str, value: Value| Edit::Set {
        section: section.into(),
        key: key.into(),
        value,
    };
    vec![
        vec![rename(
            "antivirusEngine",
            "offlineDefintionUpdateFallbackToCloud",
            "offlineDefinitionUpdateFallbackToCloud",
        )],
        vec![set(
            "antivirusEngine",
            "offlineDefinitionUpdateFallbackToCloud",
            json!(false),
        )],
        vec![set(
            "antivirusEngine",
            "exclusions",
            json!([{"path": "/x"}]),
        )],
        vec![set("newSection", "k", json!({"a": [1, 2], "b": "c"}))],
        vec![Edit::Move {
            from: None,
            key: "offlineDefinitionUpdate".into(),
            to: "antivirusEngine".into(),
        }],
        vec![Edit::Move {
            from: Some("antivirusEngine".into()),
            key: "exclusions".into(),
            to: "features".into(),
        }],
        vec![Edit::Rename {
            section: None,
            from: "features".into(),
            to: "feature".into(),
        }],
        vec![
            set("cloudService", "enabled", json!(true)),
            set("antivirusEngine", "scanArchives", json!(false)),
            rename("scheduledScan", "runScanWhenIdle", "runScanWhenIdle2"),
        ],
    ]
}

#[test]
fn a_tree_built_with_placeholders_edits_like_one_of_the_whole_text() {
    let mut shrunk = 0;
    for text in corpus() {
        for edits in every_kind_of_edit() {
            let whole = edit_tree(&text, &edits);
            // Every value worth nothing to the edits replaced, however short.
            let Some(small) = Shrunk::new(&text, &edits, 1) else {
                continue;
            };
            shrunk += 1;
            let (out, skipped, repeated) = edit_tree(&small.text, &edits).expect("parses");
            let restored = small.restore(&out).expect("placeholders in place");
            assert_eq!(
                Ok((restored, skipped, repeated)),
                whole,
                "{edits:?} on {text}\nshrunk: {}",
                small.text
            );
        }
    }
    assert!(shrunk > 100, "{shrunk}");
}

#[test]
fn what_a_placeholder_would_hide_keeps_the_whole_text() {
    let set = vec![Edit::Set {
        section: "a".into(),
        key: "k".into(),
        value: json!(1),
    }];
    for text in [
        // A lone surrogate: serde_json skips it, jsonc-parser refuses the file.
        "{\"a\": {\"k\": 0}, \"b\": [\"\\ud800 and some more text to be worth replacing\"]}",
        // Not JSON's whitespace, a raw tab in a string: jsonc-parser's call.
        "{\"a\": {\"k\": 0}, \"b\": [1,\u{a0}2, \"some more text to be worth replacing\"]}",
        "{\"a\": {\"k\": 0}, \"b\": [\"\tsome more text to be worth replacing it\"]}",
        // Newlines of two kinds.
        "{\"a\": {\"k\": 0},\r\n \"b\": [\n\"some more text to be worth replacing it\"]}",
        // Newlines only inside what would be replaced.
        "{\"a\": {\"k\": 0}, \"b\": [\n\"some more text to be worth replacing it\"\n]}",
        // The placeholder's own text.
        "{\"a\": {\"k\": 0}, \"b\": [\"@mdatp-doctor-kept-0 and more text to be worth it\"]}",
    ] {
        assert!(Shrunk::new(text, &set, 1).is_none(), "{text}");
        assert_eq!(
            apply(text, &set).map(|(t, _)| t),
            edit_tree(text, &set).and_then(|(t, _, _)| {
                serde_json::from_str::<Value>(&t)
                    .map(|_| t)
                    .map_err(|e| EditError::NotJson(format!("the edited text does not parse: {e}")))
            }),
            "{text}"
        );
    }
}
