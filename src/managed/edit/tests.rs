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
