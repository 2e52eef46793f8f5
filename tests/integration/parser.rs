//! The health parser end to end, through the real binary: text that is not a health
//! report is never a report (issue 14 #1), a daemon that does not answer is its own error,
//! values that do not fit their field warn, and the other spellings mdatp and people
//! produce (typographic quotes, `--field` output, the camelCase text of 2020 builds).

use predicates::prelude::*;
use serde_json::{Value, json};

use crate::testenv::{
    DEFINITIONS, Reply, TestEnv, finding, fixture_path, full_health, stdout_json,
};

/// `health --from-file FILE --format json` on these bytes: exit code, stdout, stderr.
fn from_file(env: &TestEnv, name: &str, bytes: &[u8]) -> (i32, String, String) {
    let path = env.path().join(name);
    std::fs::write(&path, bytes).expect("write input");
    let out = env
        .cmd()
        .args(["health", "--format", "json", "--from-file"])
        .arg(&path)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A world whose mdatp answers both health calls with `reply`.
fn mdatp_says(reply: Reply) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, reply.clone()).on("health", reply);
    env
}

/// The error document of a failed `--format json` run.
fn error_of(stdout: &str) -> Value {
    let doc: Value = serde_json::from_str(stdout).expect("stdout is JSON");
    doc["error"].clone()
}

/// A small deterministic generator (SplitMix64): the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
    /// Lines shaped like the attack: `Xy : …` with random keys and junk values.
    fn key_value_junk(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..=self.below(6) {
            let key_len = 1 + self.below(12) as usize;
            let key: String = (0..key_len)
                .map(|i| {
                    let alphabet: &[u8] = if i == 0 {
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    } else {
                        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
                    };
                    alphabet[self.below(alphabet.len() as u64) as usize] as char
                })
                .collect();
            // Never a field name we know: a digit-bearing prefix no mdatp field has.
            out.extend_from_slice(format!("x9{key} : ").as_bytes());
            let value_len = self.below(40) as usize;
            out.extend(self.bytes(value_len).into_iter().filter(|b| *b != b'\n'));
            out.push(b'\n');
        }
        out
    }
}

// ---- issue 14 #1: not a health report ---------------------------------------------------

#[test]
fn random_bytes_are_never_a_health_report() {
    let env = TestEnv::new();
    let mut rng = Rng(0x6d64_6174_7031_3401);
    let mut accepted = Vec::new();
    let mut codes = std::collections::BTreeMap::new();
    for case in 0..300 {
        let input = match case % 3 {
            0 => {
                let len = rng.below(64) as usize;
                rng.bytes(len)
            }
            1 => {
                let len = rng.below(4096) as usize;
                rng.bytes(len)
            }
            _ => rng.key_value_junk(),
        };
        let (code, stdout, stderr) = from_file(&env, "random.bin", &input);
        assert!(!stderr.contains("panicked"), "case {case}: {stderr}");
        *codes.entry(code).or_insert(0) += 1;
        if code != 3 {
            accepted.push((case, code, stdout, input));
        }
        // Whatever the bytes, the message shows them escaped: no raw control character
        // other than the newlines of the message itself reaches the terminal.
        assert!(
            !stderr.chars().any(|c| c.is_control() && c != '\n'),
            "case {case}: raw control character in {stderr:?}"
        );
    }
    assert!(
        accepted.is_empty(),
        "{} of 300 random inputs were taken for a health report (exit codes {codes:?}); first: {:?}",
        accepted.len(),
        accepted.first()
    );
}

#[test]
fn check_and_diagnose_never_say_ok_when_mdatp_prints_an_error_with_status_0() {
    // The attack: an mdatp that exits 0 and prints one `Key: text` line.
    let env = mdatp_says(Reply::stdout("Error: could not connect to the daemon\n"));
    let out = env
        .cmd()
        .args(["check", "--skip-network"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // It says the daemon cannot be reached: that is its own critical finding.
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.starts_with("MDATP OFFLINE-UPDATES CRITICAL - mdatp-daemon-down: "),
        "{text}"
    );
    assert!(text.contains("journalctl -u mdatp"), "{text}");

    let prom = env
        .cmd()
        .args(["check", "--skip-network", "--format", "prometheus"])
        .output()
        .expect("runs");
    let prom = String::from_utf8_lossy(&prom.stdout);
    // `check_success` says the check ran to the end; the verdict is the finding.
    assert!(
        prom.contains("mdatp_doctor_finding{id=\"mdatp-daemon-down\",severity=\"critical\"} 1"),
        "{prom}"
    );

    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let report = stdout_json(&out);
    assert_eq!(report["verdict"], "critical", "{report}");
}

#[test]
fn text_that_is_not_health_is_unknown_with_its_first_lines_quoted_and_escaped() {
    let env = mdatp_says(Reply::stdout(
        "Segmentation \u{1b}[31mfault\u{7}\nXy : something\nplease reinstall\nline four\nline five\n",
    ));
    let out = env
        .cmd()
        .args(["health", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let error = error_of(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(error["kind"], "mdatp_output_unparseable");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains(
            "not an mdatp health report (only 1 of its 5 non-empty lines are `key : value`); \
             it begins: `Segmentation \\u{1b}[31mfault\\u{7}` / `Xy : something` / `please reinstall` / …"
        ),
        "{message}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );

    // `check` on the same endpoint: UNKNOWN, never OK.
    let check = env
        .cmd()
        .args(["check", "--skip-network"])
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(3));
}

#[test]
fn key_value_text_without_a_known_field_is_not_a_report() {
    // Well-formed, but not one field mdatp health prints: not the definitions view.
    let env = mdatp_says(Reply::stdout("colour : \"blue\"\nsize : 3\n"));
    env.cmd()
        .args(["health"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "none of its 2 `key : value` line(s) is a field mdatp health prints",
        ));
}

#[test]
fn a_saved_details_view_of_unknown_fields_is_read_with_a_warning() {
    // A file is not tied to the command that printed it: a well-formed
    // `mdatp health --details system_extensions` is read and said to be unknown, while
    // bytes that are not `key : value` stay refused.
    let env = TestEnv::new();
    let view =
        b"system_extensions_loaded : true\nendpoint_security_extension_version : \"101.25.1\"\n";
    let (code, stdout, stderr) = from_file(&env, "view.txt", view);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("system_extensions_loaded"), "{stdout}");
    assert!(
        format!("{stdout}{stderr}").contains("none of its 2 field(s) is one mdatp-doctor knows"),
        "{stdout}{stderr}"
    );
    let noise: Vec<u8> = (0..400u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    let (code, _, stderr) = from_file(&env, "noise.bin", &noise);
    assert_eq!(code, 3, "{stderr}");
}

#[test]
fn other_sections_with_fields_we_do_not_list_are_still_shown() {
    let mut env = TestEnv::new();
    env.on(
        "health --details features",
        Reply::stdout("some_new_feature : \"enabled\"\nanother_feature : false\n"),
    );
    let out = env
        .cmd()
        .args(["health", "--details", "features", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = stdout_json(&out);
    assert_eq!(doc["fields"]["some_new_feature"]["value"], "enabled");
    assert_eq!(doc["warnings"], json!([]));
}

#[test]
fn every_real_capture_still_parses_without_warnings() {
    let env = TestEnv::new();
    for capture in [
        "mdatp/definitions/docs-2024-03-first.txt",
        "mdatp/definitions/docs-2025.txt",
        "mdatp/definitions/docs-2026-verify-deprecated.txt",
        "mdatp/health/linux-101.23062.0010.txt",
        "mdatp/health/linux-101.23062.0010.json",
        "mdatp/health/linux-101.85.27-unlicensed.txt",
    ] {
        let out = env
            .cmd()
            .args(["health", "--format", "json", "--from-file"])
            .arg(fixture_path(capture))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{capture}");
        assert_eq!(stdout_json(&out)["warnings"], json!([]), "{capture}");
    }
}

// ---- issue 13 §1: the daemon is down ----------------------------------------------------

#[test]
fn failed_to_connect_is_a_daemon_down_error_with_the_service_fix() {
    for reply in [
        // As seen in public reports: on stdout, status 0.
        Reply::fixture("mdatp/synthetic/daemon-down.txt"),
        // On stderr with a failure status.
        Reply::empty().stderr("Failed to connect\n").exit(1),
        Reply::stdout("Unable to connect to wdavdaemon: Connection refused\n"),
    ] {
        let env = mdatp_says(reply);
        let out = env
            .cmd()
            .args(["health", "--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(3));
        let error = error_of(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(error["kind"], "mdatp_daemon_down", "{error}");
        let message = error["message"].as_str().expect("message");
        assert!(
            message.contains("the client could not reach the Defender daemon (wdavdaemon)"),
            "{message}"
        );
        let hint = error["hint"].as_str().expect("hint");
        assert!(
            hint.contains("systemctl status mdatp") && hint.contains("journalctl -u mdatp"),
            "{hint}"
        );

        // `diagnose` names it as its own critical finding, with the evidence and the fix.
        let out = env
            .cmd()
            .args(["diagnose", "--skip-network", "--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2));
        let report = stdout_json(&out);
        let failed = finding(&report, "mdatp-daemon-down");
        assert!(
            failed.to_string().contains("journalctl -u mdatp"),
            "{failed}"
        );
        assert!(
            failed
                .to_string()
                .contains("could not reach the Defender daemon"),
            "{failed}"
        );
    }
}

#[test]
fn a_fail_reason_mentioning_a_refused_connection_is_not_a_down_daemon() {
    let text = std::fs::read_to_string(fixture_path("mdatp/definitions/docs-2025.txt"))
        .expect("fixture")
        .replace(
            "definitions_update_fail_reason              : \"\"",
            "definitions_update_fail_reason              : \"Connection refused\"",
        );
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&text));
    let out = env
        .cmd()
        .args(["health", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout_json(&out)["fields"]["definitions_update_fail_reason"]["value"],
        "Connection refused"
    );
}

#[test]
fn a_saved_daemon_down_output_says_so() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["health", "--from-file"])
        .arg(fixture_path("mdatp/synthetic/daemon-down.txt"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("could not reach the Defender daemon"),
        "{stderr}"
    );
    assert!(stderr.contains("journalctl -u mdatp"), "{stderr}");
}

// ---- issue 13 §4: values that do not fit their field ------------------------------------

#[test]
fn pasted_values_that_do_not_fit_warn_and_are_read_only_where_safe() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["health", "--format", "json", "--from-file"])
        .arg(fixture_path("mdatp/synthetic/pasted-annotations.txt"))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = stdout_json(&out);
    let f = &doc["fields"];
    // Safe readings, each with the text as printed.
    assert_eq!(
        f["real_time_protection_enabled"],
        json!({"value": true, "raw": "true   <--- ENABLED", "managed": false})
    );
    assert_eq!(
        f["definitions_status"],
        json!({"value": "up_to_date", "raw": "up_to_date (v1.2.3)", "managed": false})
    );
    assert_eq!(f["definitions_updated"]["value"], "2024-03-14T12:13:17");
    assert_eq!(f["definitions_updated_minutes_ago"]["value"], 2);
    assert_eq!(
        f["offline_definition_update_fallback_to_cloud"],
        json!({"value": false, "raw": "false   <--- DISABLED", "managed": true})
    );
    assert_eq!(
        f["offline_definition_update"],
        json!({"value": "enabled", "managed": true})
    );
    // No safe reading: kept as printed, never silently.
    assert_eq!(f["licensed"]["value"], "true (Plan 2)");
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().expect("text"))
        .collect();
    for expected in [
        "line 12: real_time_protection_enabled: `true   <--- ENABLED` is not a boolean; read as true, ignoring `<--- ENABLED`",
        "line 13: licensed: `\"true (Plan 2)\"` is not a boolean (true or false); kept as printed",
        "line 5: definitions_status: `up_to_date (v1.2.3)` is not one value; read as up_to_date, ignoring `(v1.2.3)`",
        "line 9: offline_definition_update: `<--- turned on in March` after [managed] ignored",
    ] {
        assert!(
            warnings.contains(&expected),
            "{expected}\nnot in {warnings:#?}"
        );
    }

    // The human table lists them under the fields.
    let out = env
        .cmd()
        .args(["health", "--from-file"])
        .arg(fixture_path("mdatp/synthetic/pasted-annotations.txt"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: line 13: licensed: `\"true (Plan 2)\"` is not a boolean"),
        "{text}"
    );
}

#[test]
fn an_undocumented_enum_value_from_mdatp_warns_and_is_kept() {
    let text = std::fs::read_to_string(fixture_path("mdatp/definitions/docs-2025.txt"))
        .expect("fixture")
        .replace("\"up_to_date\"", "\"brand_new_state\"");
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&text))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    let out = env
        .cmd()
        .args(["health", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let doc = stdout_json(&out);
    assert_eq!(
        doc["fields"]["definitions_status"]["value"],
        "brand_new_state"
    );
    assert_eq!(
        doc["warnings"],
        json!([
            "line 5: definitions_status: `\"brand_new_state\"` is not a documented value (up_to_date, updating, unavailable, update_failed, could_be_older); kept as printed"
        ])
    );
}

// ---- issue 13 §4: typographic quotes ----------------------------------------------------

#[test]
fn typographic_quotes_are_read_as_quotes_with_a_warning() {
    let env = TestEnv::new();
    let (code, stdout, stderr) = from_file(
        &env,
        "quotes.txt",
        "definitions_version : “1.407.417.0”\ndefinitions_status : ‘up_to_date’\n\
         health_issues : [“missing license”]\nengine_version : \"it’s kept\"\n"
            .as_bytes(),
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("json");
    let f = &doc["fields"];
    assert_eq!(f["definitions_version"]["value"], "1.407.417.0");
    assert_eq!(f["definitions_status"]["value"], "up_to_date");
    assert_eq!(f["health_issues"]["value"], json!(["missing license"]));
    assert_eq!(
        f["engine_version"]["value"], "it’s kept",
        "an apostrophe stays"
    );
    assert_eq!(
        doc["warnings"],
        json!([
            "line 1: definitions_version: typographic quotes (“ ” ‘ ’) read as straight quotes",
            "line 2: definitions_status: typographic quotes (“ ” ‘ ’) read as straight quotes",
            "line 3: health_issues: typographic quotes (“ ” ‘ ’) read as straight quotes",
        ])
    );
}

// ---- issue 13 §4: `--field` output and ATTENTION with a value ----------------------------

#[test]
fn field_output_of_an_unlicensed_device_is_recognised() {
    // From mdatp: diagnose and health say what it is and what to run instead.
    let env = mdatp_says(Reply::fixture("mdatp/synthetic/field-unlicensed.txt"));
    let out = env
        .cmd()
        .args(["health", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let error = error_of(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        error["message"],
        "could not read the output of `mdatp health --details definitions`: this is a single \
         field's value (`\"up_to_date\"` after `ATTENTION: No license found. Contact your \
         administrator for help.`), not `mdatp health` output"
    );
    assert!(
        error["hint"]
            .as_str()
            .expect("hint")
            .contains("`mdatp health` or `mdatp health --details definitions`"),
        "{error}"
    );
    let out = env
        .cmd()
        .args(["diagnose", "--skip-network", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let report = stdout_json(&out);
    let failed = finding(&report, "mdatp-failed").to_string();
    assert!(failed.contains("single field"), "{failed}");
    assert!(failed.contains("--details definitions"), "{failed}");

    // From a file: the same recognition, the same hint; not "mdatp printed nothing".
    let (code, _, stderr) = from_file(&env, "field.txt", b"\"up_to_date\"\n");
    assert_eq!(code, 3);
    assert!(
        stderr.contains("this is a single field's value (`\"up_to_date\"`)"),
        "{stderr}"
    );
    assert!(stderr.contains("--details definitions"), "{stderr}");
    let (code, _, stderr) = from_file(
        &env,
        "attention.txt",
        b"ATTENTION: No license found. Contact your administrator for help.\n",
    );
    assert_eq!(code, 3);
    assert!(!stderr.contains("printed nothing"), "{stderr}");
    assert!(
        stderr.contains("mdatp printed only `ATTENTION: No license found."),
        "{stderr}"
    );
}

// ---- issue 13 §4: the camelCase text of 2020 builds -------------------------------------

#[test]
fn camel_case_text_of_2020_builds_reads_like_the_json_form() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["health", "--format", "json", "--from-file"])
        .arg(fixture_path("mdatp/synthetic/legacy-2020-macos.txt"))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = stdout_json(&out);
    let f = &doc["fields"];
    // The same names, values and raw texts as `mdatp health --output json` gives.
    assert_eq!(
        f["definitions_status"],
        json!({"value": "up_to_date", "raw": "upToDate", "managed": false})
    );
    assert_eq!(
        f["definitions_updated"],
        json!({"value": "2020-11-03T16:22:33.348Z", "raw": "1604420553348", "managed": false})
    );
    assert_eq!(f["definitions_updated_minutes_ago"]["value"], 1);
    assert_eq!(f["app_version"]["value"], "101.10.76");
    assert_eq!(f["conflicting_applications"]["value"], Value::Null);
    assert_eq!(doc["warnings"], json!([]));

    let out = env
        .cmd()
        .args(["health", "--format", "json", "--from-file"])
        .arg(fixture_path("mdatp/synthetic/legacy-2020-linux.txt"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let f = &stdout_json(&out)["fields"];
    assert_eq!(
        f["definitions_updated"],
        json!({"value": "2020-03-04T12:03:49.305Z", "raw": "1583323429305", "managed": false})
    );
    assert_eq!(f["engine_version"]["value"], "100.87.66", "versionEngine");
    assert_eq!(f["real_time_protection_enabled"]["value"], true);
    assert_eq!(f["healthy"]["value"], true);
}
