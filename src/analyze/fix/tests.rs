//! Unit tests of the parent module.

use super::*;
use crate::analyze::rules::{ConfigFacts, Judged, file_findings};
use crate::managed::config;

/// Microsoft's sample with the misspelt fallback key, the verification switch disabled,
/// a boolean as a string and a switch in the wrong section.
const BROKEN: &str = r#"{
    "antivirusEngine": {
        "enforcementLevel": "real_time",
        "offlineDefinitionUpdateUrl": "http://mirror:8000/linux/production/arch_x86_64/",
        "offlineDefintionUpdateFallbackToCloud": false,
        "offlineDefinitionUpdate": "enabled",
        "passiveMode": "false",
        "mysteryKey": 1
    },
    "features": {
        "offlineDefinitionUpdateVerifySig": "disabled"
    },
    "automaticDefinitionUpdateEnabled": true
}
"#;

fn findings_of(text: &str) -> Vec<Finding> {
    let path = std::path::Path::new("m.json");
    let loaded = config::parse(path, text.as_bytes());
    let keys = crate::managed::scan::keys(text);
    file_findings(&ConfigFacts {
        path: "m.json",
        loaded: &loaded,
        keys: &keys,
        judged: Judged::default(),
    })
}

#[test]
fn every_unambiguous_finding_becomes_an_edit_and_the_rest_are_listed() {
    let found = findings_of(BROKEN);
    let p = plan(BROKEN, &found, &[]).expect("plan");
    let ids: Vec<_> = p.edits.iter().filter_map(|e| e.finding).collect();
    for id in [
        "config-unknown-key",
        "config-wrong-section",
        "config-invalid-value",
        "config-verify-sig-off",
        "url-includes-arch",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let v: Value = serde_json::from_str(&p.text).expect("json");
    let av = &v["antivirusEngine"];
    assert_eq!(av["offlineDefinitionUpdateFallbackToCloud"], false);
    assert!(av.get("offlineDefintionUpdateFallbackToCloud").is_none());
    assert_eq!(av["passiveMode"], false);
    assert_eq!(
        av["offlineDefinitionUpdateUrl"],
        "http://mirror:8000/linux/production/"
    );
    assert_eq!(v["features"]["offlineDefinitionUpdateVerifySig"], "enabled");
    assert_eq!(v["cloudService"]["automaticDefinitionUpdateEnabled"], true);
    assert!(v.get("automaticDefinitionUpdateEnabled").is_none());
    // mysteryKey has no suggestion: left for a person, with the reason.
    assert!(
        p.left.iter().any(|l| l.title.contains("mysteryKey")),
        "{:?}",
        p.left
    );
    // Nothing else moved: the untouched lines are byte for byte the same.
    assert!(
        p.text
            .contains("        \"enforcementLevel\": \"real_time\",\n")
    );
    assert!(p.text.ends_with("}\n"));
    // After the fix, only what was left alone is still found.
    let after = findings_of(&p.text);
    assert!(after.iter().all(|f| f.edit.is_none()), "{after:#?}");
}

#[test]
fn a_clean_file_needs_no_edit() {
    let text = "{\n  \"antivirusEngine\": {\"offlineDefinitionUpdate\": \"enabled\", \"offlineDefinitionUpdateUrl\": \"http://m/linux/production/\"},\n  \"features\": {\"offlineDefinitionUpdateVerifySig\": \"enabled\"}\n}\n";
    let p = plan(text, &findings_of(text), &[]).expect("plan");
    assert!(p.edits.is_empty(), "{:?}", p.edits);
    assert_eq!(p.text, text);
}

#[test]
fn sets_are_typed_by_the_catalogue() {
    assert_eq!(
        parse_set("antivirusEngine.offlineDefinitionUpdate=enabled"),
        Ok(Edit::Set {
            section: "antivirusEngine".into(),
            key: "offlineDefinitionUpdate".into(),
            value: Value::String("enabled".into())
        })
    );
    assert!(matches!(
        parse_set("antivirusEngine.offlineDefinitionUpdateFallbackToCloud=false"),
        Ok(Edit::Set {
            value: Value::Bool(false),
            ..
        })
    ));
    let e = parse_set("antivirusEngine.offlineDefintionUpdateUrl=http://x/").expect_err("typo");
    assert!(
        e.contains("did you mean `antivirusEngine.offlineDefinitionUpdateUrl`"),
        "{e}"
    );
    assert!(parse_set("antivirusEngine.offlineDefinitionUpdate=yes").is_err());
    assert!(parse_set("offlineDefinitionUpdate=enabled").is_err());
    assert!(parse_set("nothing").is_err());
}

/// A small deterministic fuzz in the test suite (the cargo-fuzz target `config_fix`
/// goes further): the sample files, cut short at many places and given assorted --set
/// edits, never panic, and every plan made keeps what it does not touch.
#[test]
fn mangled_files_and_assorted_sets_never_break_the_invariants() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/managed");
    let mut texts: Vec<String> = vec![BROKEN.to_string()];
    for entry in std::fs::read_dir(&dir)
        .expect("fixtures")
        .chain(std::fs::read_dir(dir.join("synthetic")).expect("synthetic"))
    {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            texts.push(std::fs::read_to_string(&path).expect("read"));
        }
    }
    let sets: Vec<Edit> = [
        "antivirusEngine.offlineDefinitionUpdateUrl=http://m:8000/linux/production/",
        "antivirusEngine.offlineDefinitionUpdate=disabled",
        "features.offlineDefinitionUpdateVerifySig=enabled",
        "cloudService.definitionUpdatesInterval=3600",
    ]
    .iter()
    .map(|s| parse_set(s).expect("set"))
    .collect();
    let mut plans = 0;
    for text in &texts {
        let cuts: Vec<usize> = (0..text.len())
            .step_by(7)
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for (n, cut) in cuts.iter().enumerate() {
            let mangled = format!("{}{}", &text[..*cut], &text[(*cut + 1).min(text.len())..]);
            let chosen = &sets[..n % (sets.len() + 1)];
            let found = findings_of(&mangled);
            if let Ok(p) = plan(&mangled, &found, chosen) {
                plans += 1;
                preserved(&mangled, &p).unwrap_or_else(|e| {
                    panic!("{e}\n--- in ---\n{mangled}\n--- out ---\n{}", p.text)
                });
            }
        }
        let p = plan(text, &findings_of(text), &sets).expect("a whole sample plans");
        preserved(text, &p).expect("preserved");
    }
    assert!(plans > 20, "only {plans} mangled inputs were plannable");
}

#[test]
fn preserved_sees_a_changed_added_or_lost_key_and_not_a_respaced_one() {
    let text = BROKEN.replace(
        "\"mysteryKey\": 1",
        "\"mysteryKey\": 1,\n        \"exclusions\": [{\"path\": \"/a\"}, {\"path\": \"/b\"}]",
    );
    let p = plan(&text, &findings_of(&text), &[]).expect("plan");
    preserved(&text, &p).expect("the plan itself");
    let tampered = |from: &str, to: &str| {
        assert!(p.text.contains(from), "{from}");
        Plan {
            edits: p.edits.clone(),
            left: Vec::new(),
            text: p.text.replacen(from, to, 1),
        }
    };
    let e = preserved(&text, &tampered("\"/b\"", "\"/c\"")).expect_err("changed");
    assert_eq!(
        e,
        "/antivirusEngine/exclusions changed although no edit names it"
    );
    let e = preserved(&text, &tampered("\"mysteryKey\"", "\"riddleKey\"")).expect_err("renamed");
    assert_eq!(
        e,
        "/antivirusEngine/mysteryKey changed although no edit names it"
    );
    let e = preserved(
        &text,
        &tampered("\"features\": {", "\"features\": {\"new\": 1,"),
    )
    .expect_err("added");
    assert_eq!(e, "/features/new appeared although no edit adds it");
    let e = preserved(&text, &tampered("\"mysteryKey\": 1", "\"mysteryKey\": 1.0"))
        .expect_err("1.0 is not 1");
    assert_eq!(
        e,
        "/antivirusEngine/mysteryKey changed although no edit names it"
    );
    // Written otherwise, the same values.
    preserved(
        &text,
        &tampered("{\"path\": \"/a\"}, ", "{ \"path\" : \"\\/a\" },\n"),
    )
    .expect("respaced");
    let e = preserved(&text, &tampered("{", "[")).expect_err("not JSON");
    assert_eq!(e, "the new text is not JSON");
}
