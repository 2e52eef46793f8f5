//! `mdatp-doctor health` on every captured output: concrete values, the JSON shape, the
//! table, and that only read-only mdatp commands are run.

use predicates::prelude::*;
use serde_json::{Value, json};

use crate::testenv::{DEFINITIONS, Reply, TestEnv, stdout_json};

fn health_json(fixture: &str) -> (TestEnv, Value) {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::fixture(fixture));
    let out = env
        .cmd()
        .args(["health", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = stdout_json(&out);
    (env, doc)
}

#[test]
fn docs_2024_first_sample() {
    let (env, doc) = health_json("mdatp/definitions/docs-2024-03-first.txt");
    let f = &doc["fields"];
    assert_eq!(
        f["definitions_version"],
        json!({"value": "1.407.417.0", "managed": false})
    );
    assert_eq!(
        f["definitions_updated"],
        json!({"value": "2024-03-14T12:13:17", "raw": "Mar 14, 2024 at 12:13:17 PM", "managed": false})
    );
    assert_eq!(f["definitions_updated_minutes_ago"]["value"], 2);
    assert_eq!(
        f["definitions_status"],
        json!({"value": "up_to_date", "managed": false})
    );
    assert_eq!(f["definitions_update_fail_reason"]["value"], "");
    assert_eq!(
        f["offline_definition_url_configured"],
        json!({"value": "http://172.22.199.67:8000/linux/production/", "managed": true})
    );
    assert_eq!(
        f["offline_definition_update_verify_sig"]["value"],
        "disabled"
    );
    assert_eq!(
        f["offline_definition_update_fallback_to_cloud"],
        json!({"value": false, "managed": false})
    );
    assert_eq!(
        f["automatic_definition_update_enabled"],
        json!({"value": true, "managed": true})
    );
    assert_eq!(f.as_object().expect("object").len(), 11);
    assert_eq!(doc["attention"], Value::Null);
    assert_eq!(doc["warnings"], json!([]));
    assert_eq!(doc["schema_version"], 1);
    let source = &doc["source"];
    assert_eq!(
        source["args"],
        json!(["health", "--details", "definitions"])
    );
    assert_eq!(source["exit_status"], 0);
    assert!(source["duration_ms"].is_u64());
    assert!(
        source["mdatp"]
            .as_str()
            .expect("path")
            .ends_with("fake-mdatp")
    );
    // Read-only: exactly one mdatp call, the health query.
    assert_eq!(
        env.invocations(),
        [vec!["health", "--details", "definitions"]]
    );
}

#[test]
fn docs_2025_sample_managed_without_a_space() {
    let (_, doc) = health_json("mdatp/definitions/docs-2025.txt");
    let f = &doc["fields"];
    assert_eq!(
        f["offline_definition_update_fallback_to_cloud"],
        json!({"value": false, "managed": true})
    );
    assert_eq!(
        f["offline_definition_update_verify_sig"]["value"],
        "enabled"
    );
    assert_eq!(
        f["offline_definition_update"],
        json!({"value": "enabled", "managed": true})
    );
    assert_eq!(
        f["definitions_update_source_uri"]["value"],
        "https://go.microsoft.com/fwlink/?linkid=2144709"
    );
}

#[test]
fn docs_2026_sample_with_deprecated_verification() {
    let (_, doc) = health_json("mdatp/definitions/docs-2026-verify-deprecated.txt");
    let f = &doc["fields"];
    assert_eq!(
        f["offline_definition_update_verify_sig"]["value"],
        "DEPRECATED"
    );
    assert_eq!(
        f["engine_signature_verification"],
        json!({"value": "enabled", "managed": false})
    );
    let names: Vec<&String> = f.as_object().expect("object").keys().collect();
    assert_eq!(names.len(), 12);
    assert_eq!(
        names[10], "engine_signature_verification",
        "mdatp's order is kept"
    );
}

#[test]
fn full_health_of_a_2023_build() {
    let mut env = TestEnv::new();
    env.on(
        "health",
        Reply::fixture("mdatp/health/linux-101.23062.0010.txt"),
    );
    let out = env
        .cmd()
        .args(["health", "--all", "--format", "json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let f = &stdout_json(&out)["fields"];
    assert_eq!(f["app_version"]["value"], "101.23062.0010");
    assert_eq!(f["engine_version"]["value"], "1.1.23070.1002");
    assert_eq!(f["healthy"]["value"], true);
    assert_eq!(f["health_issues"]["value"], json!([]));
    assert_eq!(f["definitions_version"]["value"], "1.395.227.0");
    assert_eq!(f["definitions_updated_minutes_ago"]["value"], 159);
    assert_eq!(f["definitions_updated"]["value"], "2023-08-12T03:26:24");
    assert_eq!(f["product_expiration"]["value"], "2024-04-10T13:34:28");
    assert_eq!(f["real_time_protection_subsystem"]["value"], "fanotify");
    assert_eq!(f["edr_group_ids"]["value"], "");
    assert_eq!(f.as_object().expect("object").len(), 34);
    assert_eq!(env.invocations(), [vec!["health"]]);
}

#[test]
fn unlicensed_device_keeps_the_attention_line() {
    let mut env = TestEnv::new();
    env.on(
        "health",
        Reply::fixture("mdatp/health/linux-101.85.27-unlicensed.txt"),
    );
    let out = env
        .cmd()
        .args(["health", "--all", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let doc = stdout_json(&out);
    assert_eq!(
        doc["attention"],
        "No license found. Contact your administrator for help."
    );
    let f = &doc["fields"];
    assert_eq!(
        f["org_id"],
        json!({"value": null, "raw": "unavailable", "managed": false})
    );
    assert_eq!(f["health_issues"]["value"], json!(["missing license"]));
    assert_eq!(f["licensed"]["value"], false);
    assert_eq!(f["app_version"]["value"], "101.85.27");
    assert_eq!(doc["warnings"], json!([]));

    env.cmd()
        .args(["health", "--all"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "ATTENTION: No license found. Contact your administrator for help.\n",
        ));
}

#[test]
fn json_output_of_mdatp_maps_onto_text_names() {
    let mut env = TestEnv::new();
    env.on(
        "health --output json",
        Reply::fixture("mdatp/health/linux-101.23062.0010.json"),
    );
    let out = env
        .cmd()
        .args(["health", "--all", "--mdatp-json", "--format", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = &stdout_json(&out)["fields"];
    assert_eq!(
        f["definitions_status"],
        json!({"value": "up_to_date", "raw": "upToDate", "managed": false})
    );
    assert_eq!(
        f["definitions_updated"],
        json!({"value": "2023-08-09T13:19:13.787Z", "raw": "1691587153787", "managed": false})
    );
    assert_eq!(f["definitions_version"]["value"], "1.395.30.0");
    assert_eq!(f["definitions_updated_minutes_ago"]["value"], 20);
    assert_eq!(
        f["passive_mode_enabled"],
        json!({"value": true, "managed": false})
    );
    assert_eq!(f["behavior_monitoring"]["value"], "disabled");
    assert_eq!(f["release_ring"]["value"], "InsiderFast");
    assert!(f.get("$type").is_none());
}

#[test]
fn human_table_orders_fields_and_has_no_escapes_off_a_terminal() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::fixture("mdatp/definitions/docs-2025.txt"),
    );
    let out = env.cmd().arg("health").output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        !text.contains('\u{1b}'),
        "no colors when stdout is not a terminal"
    );
    let pos = |s: &str| {
        text.find(s)
            .unwrap_or_else(|| panic!("{s} missing:\n{text}"))
    };
    assert!(pos("automatic_definition_update_enabled") < pos("definitions_version"));
    assert!(pos("definitions_status") < pos("offline_definition_url_configured"));
    assert!(text.contains("http://172.XX.XXX.XX:8000/linux/production/"));
    // This 2025 build predates `engine_signature_verification`: shown as not reported.
    let line = text
        .lines()
        .find(|l| l.contains("engine_signature_verification"))
        .expect("missing field listed");
    assert!(line.contains("not reported"), "{line}");

    let colored = env
        .cmd()
        .args(["health", "--color", "always"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&colored.stdout).contains('\u{1b}'));
    env.cmd()
        .args(["health", "--color", "always"])
        .env("NO_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains('\u{1b}'));
}

#[test]
fn other_sections_and_verbose_trace() {
    let mut env = TestEnv::new();
    env.on(
        "health --details edr",
        Reply::stdout("edr_machine_id : \"abc\"\n"),
    );
    env.cmd()
        .args(["health", "--details", "edr", "-v"])
        .assert()
        .success()
        .stdout(predicate::str::contains("abc"))
        .stderr(
            predicate::str::is_match(r"ran \S*fake-mdatp health --details edr -> exit 0 in \d+ ms")
                .expect("regex"),
        );
    assert_eq!(env.invocations(), [vec!["health", "--details", "edr"]]);
}

#[test]
fn saved_output_is_read_from_a_file_or_stdin_without_running_mdatp() {
    let env = TestEnv::new();
    let fixture = crate::testenv::fixture_path("mdatp/definitions/docs-2025.txt");
    let out = env
        .cmd()
        .args(["health", "--format", "json", "--from-file", "-"])
        .pipe_stdin(&fixture)
        .expect("stdin")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let doc = stdout_json(&out);
    assert_eq!(doc["source"], json!({"file": "-"}));
    assert_eq!(doc["fields"]["definitions_version"]["value"], "1.407.417.0");
    assert!(env.invocations().is_empty(), "mdatp must not run");

    env.cmd()
        .args(["health", "--from-file"])
        .arg(env.path())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not a regular file"));
}

#[test]
fn odd_but_readable_output_parses_with_warnings() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(
            "\r\ndefinitions_status:\"update_failed\"\r\nsome garbage line\r\n  \
             definitions_update_fail_reason   :   \"Download failed\"   [managed]\r\n\
             brand_new_field : [{\"path\":\"/x\"}]\r\nhealthy : 1\r\n",
        ),
    );
    let out = env
        .cmd()
        .args(["health", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let doc = stdout_json(&out);
    let f = &doc["fields"];
    assert_eq!(f["definitions_status"]["value"], "update_failed");
    assert_eq!(
        f["definitions_update_fail_reason"],
        json!({"value": "Download failed", "managed": true})
    );
    assert_eq!(f["brand_new_field"]["value"], json!([{"path": "/x"}]));
    assert_eq!(
        f["healthy"],
        json!({"value": true, "raw": "1", "managed": false})
    );
    assert_eq!(
        doc["warnings"],
        json!(["line 3: not a `key : value` line: \"some garbage line\""])
    );
}

#[test]
fn a_slow_mdatp_within_the_timeout_is_waited_for() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::fixture("mdatp/definitions/docs-2025.txt").sleep_ms(300),
    );
    let out = env
        .cmd()
        .args(["health", "--format", "json", "--timeout", "20"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let doc = stdout_json(&out);
    assert!(doc["source"]["duration_ms"].as_u64().expect("ms") >= 300);
}

#[test]
fn documented_example_is_the_real_output() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/commands.md"))
        .expect("docs/commands.md");
    let example = guide
        .split_once("$ mdatp-doctor health\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .expect("docs/commands.md has the health example");
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::fixture("mdatp/definitions/docs-2024-03-first.txt"),
    );
    env.cmd()
        .arg("health")
        .assert()
        .success()
        .stdout(example.to_string());
}
