//! Terminal escape injection (issue 14, #7): a clear-screen, an OSC 52 clipboard write, a
//! bell, a blink SGR, a C1 CSI and a bidi override planted in everything the tool shows —
//! mdatp's values and stderr, a mirror's manifest, log file and bundle entry names, a fleet
//! report — never reach stdout or stderr raw; they are shown escaped. With `--color never`
//! there is no ESC byte at all; with `--color always` the only escape sequences are the
//! colours our styles use. And #13's Nagios part: one huge value gives a bounded output.

use std::io::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::server::{MirrorServer, MirrorTree};
use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health, stdout_json};

const URL: &str = "http://127.0.0.1:9/linux/production/";

/// What an attacker plants: ED (clear screen), OSC 52 (set the clipboard) ended by BEL, a
/// blink SGR (an escape our colours never use), a C1 CSI starting a red SGR, RLO.
const HOSTILE: &str = "\x1b[2J\x1b]52;c;ZXZpbA==\x07\x1b[5m\u{9b}31m\u{202e}";
/// The same as it must be shown.
const VISIBLE: &str = "\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\x1b[5m\\u{9b}31m\\u{202e}";

/// The SGR parameters our styles emit (bold, dim, red, green, yellow, cyan and resets).
const OUR_SGR: &[&str] = &["0", "1", "2", "22", "31", "32", "33", "36", "39"];

/// Whether a terminal acts on `c` or reorders text around it: C0 (but newline), DEL, C1,
/// bidi marks, embeddings, overrides and isolates, line and paragraph separators.
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\n')
        || ('\x7f'..='\u{9f}').contains(&c)
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}')
        || ('\u{2028}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Fails unless `bytes` is UTF-8 in which nothing a terminal acts on appears but
/// newlines and, with `colour`, our own SGR colour sequences. Returns the text.
fn assert_inert(bytes: &[u8], colour: bool, what: &str) -> String {
    // Valid UTF-8: a 0x9b byte can then only be a continuation byte of a printable
    // character; U+009B itself is C2 9B and is caught below as a character.
    let text =
        std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8 ({e}): {bytes:?}"));
    assert!(!bytes.contains(&0x07), "{what}: a raw BEL:\n{text:?}");
    if !colour {
        assert!(!bytes.contains(&0x1b), "{what}: an ESC byte:\n{text:?}");
    }
    let mut rest = text;
    while let Some(i) = rest.find(is_control) {
        rest = &rest[i..];
        let at = || rest.chars().take(24).collect::<String>();
        let params = rest
            .strip_prefix("\x1b[")
            .and_then(|p| p.split_once('m'))
            .map(|(p, _)| p)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit() || b == b';'));
        match params {
            Some(p) if colour && p.split(';').all(|x| OUR_SGR.contains(&x)) => {
                rest = &rest[2 + p.len() + 1..];
            }
            _ => panic!("{what}: raw control at {:?} in\n{text:?}", at()),
        }
    }
    text.to_string()
}

/// Runs `args`, checks stdout and stderr are inert, returns both as text.
fn run(env: &TestEnv, args: &[&str]) -> (Option<i32>, String, String) {
    let colour = args.windows(2).any(|w| w == ["--color", "always"]);
    let out = env.cmd().args(args).output().expect("runs");
    let what = args.join(" ");
    let stdout = assert_inert(&out.stdout, colour, &format!("{what}: stdout"));
    let stderr = assert_inert(&out.stderr, false, &format!("{what}: stderr"));
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), stdout, stderr)
}

fn with_colours<'a>(args: &[&'a str]) -> [Vec<&'a str>; 2] {
    [
        [args, &["--color", "never"]].concat(),
        [args, &["--color", "always"]].concat(),
    ]
}

/// An endpoint whose last update failed with a hostile reason and whose mdatp version is
/// hostile too.
fn hostile_endpoint(url: &str) -> TestEnv {
    let mut defs = Defs::healthy(url);
    defs.fail_reason = HOSTILE;
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health(HOSTILE)));
    // Written by serde: the URL may hold characters a JSON string must escape.
    let config = json!({
        "cloudService": {"automaticDefinitionUpdateEnabled": true},
        "antivirusEngine": {
            "enforcementLevel": "real_time",
            "offlineDefinitionUpdate": "enabled",
            "offlineDefinitionUpdateUrl": url,
            "offlineDefinitionUpdateFallbackToCloud": false
        }
    });
    env.write_managed_config(&config.to_string());
    env
}

#[test]
fn the_checker_itself_fails_on_every_kind_of_raw_control() {
    for bad in ["\x1b[2J", "\x07", "\u{9b}", "\u{202e}", "\r", "\x1b[5m"] {
        let text = format!("ok {bad} ok\n");
        let caught =
            std::panic::catch_unwind(|| assert_inert(text.as_bytes(), true, "probe")).is_err();
        assert!(caught, "{bad:?} passed the check");
    }
    assert_inert(b"\x1b[1mbold\x1b[0m \x1b[33m!\x1b[39m\n", true, "ours");
    let caught = std::panic::catch_unwind(|| assert_inert(b"\x1b[1mbold\x1b[0m\n", false, "never"));
    assert!(
        caught.is_err(),
        "colour with --color never passed the check"
    );
}

#[test]
fn mdatp_values_are_shown_escaped_in_every_human_and_monitoring_output() {
    let env = hostile_endpoint(URL);
    let mut cases: Vec<Vec<&str>> = Vec::new();
    cases.extend(with_colours(&["health"]));
    cases.extend(with_colours(&["health", "--details", "definitions"]));
    cases.extend(with_colours(&["diagnose", "--skip-network"]));
    for format in ["nagios", "checkmk"] {
        cases.push(vec!["check", "--skip-network", "--format", format]);
    }
    for args in &cases {
        let (_, stdout, _) = run(&env, args);
        assert!(stdout.contains(VISIBLE), "{args:?}:\n{stdout}");
    }
    // The mdatp row of diagnose shows the hostile app_version escaped as well.
    let (_, stdout, _) = run(&env, &["diagnose", "--skip-network", "--color", "never"]);
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("mdatp") && l.contains(VISIBLE)),
        "{stdout}"
    );
    // Prometheus carries no finding text: only check that nothing raw gets through.
    run(&env, &["check", "--skip-network", "--format", "prometheus"]);
    // JSON escapes by its own rules and keeps the value exactly.
    let (_, stdout, _) = run(&env, &["diagnose", "--skip-network", "--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        doc["snapshot"]["definitions"]["definitions_update_fail_reason"]["value"], HOSTILE,
        "{stdout}"
    );
}

#[test]
fn update_shows_mdatp_output_and_fail_reasons_escaped() {
    let mut before = Defs::healthy(URL);
    before.fail_reason = HOSTILE;
    for args in with_colours(&["update", "--poll-interval", "100ms", "--wait-timeout", "2"]) {
        // The fake switches state on the update: a fresh endpoint per run.
        let mut env = TestEnv::new();
        env.on(DEFINITIONS, Reply::stdout(&before.text()))
            .on(
                "definitions update",
                Reply::stdout(&format!("Updating {HOSTILE}\n")).then("after"),
            )
            .on_in("after", DEFINITIONS, Reply::stdout(&before.text()));
        env.write_managed_config(&config_for(URL, false));
        let (_, stdout, _) = run(&env, &args);
        assert!(stdout.contains(&format!("Updating {VISIBLE}")), "{stdout}");
        assert!(
            stdout.contains(&format!("fail reason \"{VISIBLE}\"")),
            "{stdout}"
        );
    }
}

#[test]
fn mdatp_stderr_in_an_error_is_shown_escaped() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::empty().stderr(&format!("{HOSTILE}\n")).exit(1),
    );
    let (code, stdout, stderr) = run(&env, &["health"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with("mdatp-doctor: ") && stderr.contains(VISIBLE),
        "{stderr}"
    );
    // The JSON error document keeps the message exactly, escaped the JSON way.
    let (_, stdout, stderr) = run(&env, &["health", "--format", "json"]);
    assert!(stderr.contains(VISIBLE), "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("JSON");
    let message = doc["error"]["message"].as_str().expect("message");
    assert!(message.contains(HOSTILE), "{message:?}");
}

/// A mirror whose manifest names hostile versions.
fn hostile_mirror() -> (MirrorTree, MirrorServer) {
    let tree = MirrorTree::healthy();
    let manifest = json!({"EngineVersion": format!("1.1{HOSTILE}"), "DefinitionVersion": HOSTILE});
    tree.write("x86_64", "manifest.json", manifest.to_string().as_bytes());
    let server = MirrorServer::http(tree.root.path());
    (tree, server)
}

#[test]
fn a_mirror_manifest_is_shown_escaped() {
    let (_tree, server) = hostile_mirror();
    let mut env = TestEnv::new();
    env.health_with_url(&server.ring_url())
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(&server.ring_url(), false));
    for args in with_colours(&["connectivity", "--arch", "x86_64"]) {
        let (_, stdout, _) = run(&env, &args);
        assert!(
            stdout.contains(&format!(
                "Versions: mirror definitions {VISIBLE} (engine 1.1{VISIBLE})"
            )),
            "{stdout}"
        );
        // The manifest step's table cell, too.
        assert!(
            stdout.lines().any(|l| l.starts_with("│ manifest")
                && l.contains(&format!(
                    "HTTP 200, definitions {VISIBLE}, engine 1.1{VISIBLE}"
                ))),
            "{stdout}"
        );
    }
    for args in with_colours(&["diagnose", "--arch", "x86_64"]) {
        run(&env, &args);
    }
    run(&env, &["check", "--arch", "x86_64"]);
    run(&env, &["check", "--arch", "x86_64", "--format", "checkmk"]);
    // Prometheus: the version label, escaped by the exposition format's rules on top.
    let (_, stdout, _) = run(
        &env,
        &["check", "--arch", "x86_64", "--format", "prometheus"],
    );
    let label = VISIBLE.replace('\\', "\\\\");
    assert!(
        stdout.contains(&format!(
            "mdatp_doctor_mirror_definitions_info{{version=\"{label}\"}} 1\n"
        )),
        "{stdout}"
    );
}

#[test]
fn probe_step_messages_naming_a_hostile_mirror_path_are_escaped() {
    // A directory mirror whose path is hostile: every step, evidence and fix names it.
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join(format!("m{HOSTILE}"));
    let ring = root.join("linux/production");
    std::fs::create_dir_all(ring.join("arch_x86_64")).expect("mkdir");
    std::fs::write(ring.join("arch_x86_64/manifest.json"), "not json").expect("manifest");
    let url = format!("{}/", ring.display());
    let mut env = hostile_endpoint(&url);
    env.on("health", Reply::stdout(&full_health("101.25012.0000")));
    for args in with_colours(&["connectivity", "--arch", "x86_64", "--url", &url]) {
        let (_, stdout, _) = run(&env, &args);
        let shown = format!("m{VISIBLE}/linux/production");
        for prefix in [
            "Mirror:",
            "x86_64",
            "│ package",
            "package.error = ",
            "    fix:",
        ] {
            assert!(
                stdout
                    .lines()
                    .any(|l| l.contains(prefix) && l.contains(&shown)),
                "no {prefix} line naming {shown} in\n{stdout}"
            );
        }
    }
    for args in with_colours(&["diagnose", "--arch", "x86_64"]) {
        let (_, stdout, _) = run(&env, &args);
        assert!(
            stdout.contains(&format!("m{VISIBLE}/linux/production")),
            "{stdout}"
        );
    }
    run(&env, &["check", "--arch", "x86_64"]);
}

#[test]
fn managed_config_keys_and_values_are_shown_escaped() {
    let env = TestEnv::new();
    let config = json!({
        "antivirusEngine": {
            format!("key{HOSTILE}"): true,
            "offlineDefinitionUpdate": format!("on{HOSTILE}")
        }
    });
    env.write_managed_config(&config.to_string());
    for args in with_colours(&["config", "check"]) {
        let (_, stdout, _) = run(&env, &args);
        for shown in [format!("key{VISIBLE}"), format!("on{VISIBLE}")] {
            assert!(stdout.contains(&shown), "{shown} not in\n{stdout}");
        }
    }
}

#[test]
fn a_hostile_fleet_report_is_shown_escaped() {
    // A real report, then every string aggregate shows replaced by a hostile one.
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&Defs::healthy(URL).text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(URL, false));
    let out = env
        .cmd()
        .args(["diagnose", "--format", "json", "--skip-network"])
        .output()
        .expect("runs");
    let mut report = stdout_json(&out);
    let host = format!("host{HOSTILE}");
    report["snapshot"]["hostname"] = json!(host);
    report["verdict"] = json!(format!("critical{HOSTILE}"));
    report["snapshot"]["mirror"]["url"] = json!(format!("http://m/{HOSTILE}"));
    report["snapshot"]["definitions"]["definitions_version"]["value"] = json!(HOSTILE);
    report["snapshot"]["mirror"]["arch"] =
        json!([{"arch": "x86_64", "manifest": {"definition_version": format!("9{HOSTILE}")}}]);
    report["findings"] = json!([{
        "id": format!("id{HOSTILE}"),
        "severity": format!("critical{HOSTILE}"),
        "title": HOSTILE,
        "evidence": [],
        "fix": HOSTILE
    }]);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("evil.json"),
        serde_json::to_vec(&report).expect("json"),
    )
    .expect("write");
    // An unreadable report whose name is hostile.
    std::fs::write(dir.path().join(format!("bad{HOSTILE}.json")), "{").expect("write");
    let dir_arg = dir.path().to_str().expect("utf-8 path");
    for args in with_colours(&["aggregate", dir_arg]) {
        let (_, stdout, _) = run(&env, &args);
        for shown in [
            format!("host{VISIBLE}"),
            format!("critical{VISIBLE}"),
            format!("id{VISIBLE}"),
            format!("http://m/{VISIBLE}"),
            format!("9{VISIBLE}"),
            format!("bad{VISIBLE}.json"),
        ] {
            // Tables may wrap a long cell: compare with the borders and spaces taken out.
            let flat: String = stdout
                .lines()
                .flat_map(|l| l.split(['│', '┆']).map(str::trim))
                .collect();
            assert!(flat.contains(&shown), "{shown} not in\n{stdout}");
        }
    }
    run(&env, &["aggregate", "--format", "json", dir_arg]);
}

/// A bundle as someone else wrote it: a manifest and an entry name full of escapes.
fn hostile_bundle(path: &Path) {
    let name = format!("logs/x{HOSTILE}.log");
    let manifest = json!({
        "tool": {"version": HOSTILE},
        "created": HOSTILE,
        "hostname": HOSTILE,
        "redaction": HOSTILE,
        "entries": [{"path": name, "size": 1, "sha256": "00", "collector": HOSTILE}],
        "failed": [{"collector": HOSTILE, "error": HOSTILE}]
    });
    let file = std::fs::File::create(path).expect("create");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::default(),
    ));
    for (entry, bytes) in [
        (
            "MANIFEST.json".to_string(),
            manifest.to_string().into_bytes(),
        ),
        (name.clone(), b"x".to_vec()),
        (format!("extra{HOSTILE}"), b"y".to_vec()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, &entry, bytes.as_slice())
            .expect("append");
    }
    tar.into_inner()
        .expect("tar")
        .finish()
        .expect("gz")
        .flush()
        .expect("flush");
}

#[test]
fn bundle_entries_and_log_names_are_shown_escaped() {
    let env = hostile_endpoint(URL);
    // A log whose file name is hostile goes into the bundle under that name.
    let logs = env.path().join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(logs.join(format!("core{HOSTILE}.log")), "line\n").expect("log");
    let out_path = env.path().join("out.tar.gz");
    let (code, stdout, stderr) = run(
        &env,
        &[
            "bundle",
            "--skip-network",
            "-o",
            out_path.to_str().expect("utf-8"),
            "--log-dir",
            logs.to_str().expect("utf-8"),
            "--wdavcfg",
            env.path().join("wdavcfg").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    for args in with_colours(&[
        "bundle",
        "--list-contents",
        out_path.to_str().expect("utf-8"),
    ]) {
        let (_, stdout, _) = run(&env, &args);
        assert!(
            stdout.contains(&format!("logs/core{VISIBLE}.log")),
            "{stdout}"
        );
    }

    let forged = env.path().join("forged.tar.gz");
    hostile_bundle(&forged);
    for args in with_colours(&["bundle", "--list-contents", forged.to_str().expect("utf-8")]) {
        let (code, stdout, _) = run(&env, &args);
        assert_eq!(code, Some(2), "a hash mismatch: {stdout}");
        for shown in [
            format!("mdatp-doctor {VISIBLE}, created {VISIBLE}, host {VISIBLE}"),
            format!("logs/x{VISIBLE}.log"),
            format!("extra{VISIBLE}"),
            format!("failed collector: {VISIBLE} ({VISIBLE})"),
        ] {
            assert!(stdout.contains(&shown), "{shown} not in\n{stdout}");
        }
    }
    run(
        &env,
        &[
            "bundle",
            "--list-contents",
            "--format",
            "json",
            forged.to_str().expect("utf-8"),
        ],
    );
}

#[test]
fn one_huge_value_gives_a_bounded_nagios_output() {
    let reason: &'static str = Box::leak("r".repeat(900 * 1024).into_boxed_str());
    let mut defs = Defs::healthy(URL);
    defs.fail_reason = reason;
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(URL, false));
    let (code, stdout, _) = run(&env, &["check", "--skip-network"]);
    assert_eq!(code, Some(2), "{}", &stdout[..stdout.len().min(2000)]);
    let (first, long) = stdout.split_once('\n').expect("long output");
    assert!(first.len() <= 1000, "first line: {} bytes", first.len());
    assert!(long.len() <= 4096, "long output: {} bytes", long.len());
    let cut = long
        .lines()
        .find(|l| l.starts_with("[CRITICAL] definitions-update-failed: "))
        .expect("the finding is listed");
    assert!(
        cut.len() <= 1000 && cut.ends_with(" bytes)") && cut.contains("rrr... (+"),
        "{cut}"
    );
    let (_, checkmk, _) = run(&env, &["check", "--skip-network", "--format", "checkmk"]);
    assert!(checkmk.len() <= 1001, "checkmk: {} bytes", checkmk.len());
    assert_eq!(checkmk.lines().count(), 1);
}
