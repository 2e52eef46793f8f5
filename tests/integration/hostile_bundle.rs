//! `bundle` against a hostile endpoint (issue 14): symlinks and FIFOs planted in the log
//! directory and mdatp's diagnostic directory, a lying `mdatp diagnostic create`, secrets
//! in every common form, ids in every form, an interrupt mid-run, a one-line log. Real
//! files, symlinks, FIFOs and processes; every run bounded in time.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bundle::{ORG, all_text, endpoint, read_bundle};
use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, stdout_json};

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: a valid C string; mkfifo only creates the node.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o600) },
        0,
        "mkfifo {path:?}"
    );
}

/// Runs `cmd` to its end, or kills it after `limit` and fails the test: a hang is a bug.
fn run_bounded(mut cmd: Command, limit: Duration, dir: &Path) -> Output {
    let (out, err) = (dir.join("run.stdout"), dir.join("run.stderr"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("spawn");
    let until = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "still running after {limit:?}: hung\n{}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: std::fs::read(&out).expect("stdout"),
        stderr: std::fs::read(&err).expect("stderr"),
    }
}

fn bundle_cmd(env: &TestEnv, logs: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = env.std_cmd();
    cmd.args(["bundle", "--skip-network", "--format", "json", "-o"])
        .arg(out)
        .arg("--log-dir")
        .arg(logs)
        .arg("--wdavcfg")
        .arg(env.path().join("wdavcfg"))
        .args(extra);
    cmd
}

fn bounded_bundle(env: &TestEnv, logs: &Path, out: &Path, extra: &[&str]) -> Output {
    let out = run_bounded(
        bundle_cmd(env, logs, out, extra),
        crate::testenv::HANG_GUARD,
        env.path(),
    );
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn manifest(files: &std::collections::BTreeMap<String, Vec<u8>>) -> Value {
    serde_json::from_slice(&files["MANIFEST.json"]).expect("manifest")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| match s {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// A directory outside the log tree holding a file nobody may ship.
fn secret_dir(env: &TestEnv) -> PathBuf {
    let outside = env.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(
        outside.join("shadow"),
        "root:PLANTED-SHADOW-HASH:19000::::::\n",
    )
    .expect("secret");
    outside
}

#[test]
fn a_symlinked_rotated_directory_and_a_fifo_in_the_log_dir_are_skipped_and_recorded() {
    let (env, logs) = endpoint();
    let outside = secret_dir(&env);
    // `ln -s /etc <logdir>/rotated`, and more of the same kind.
    std::fs::remove_dir_all(logs.join("rotated")).expect("rm");
    symlink(&outside, logs.join("rotated")).expect("symlink");
    symlink(outside.join("shadow"), logs.join("linked.log")).expect("symlink");
    symlink(&outside, logs.join("dirlink.log")).expect("symlink");
    symlink(env.path().join("nowhere"), logs.join("dangling.log")).expect("symlink");
    mkfifo(&logs.join("pipe.log"));

    let out_path = env.path().join("b.tar.gz");
    bounded_bundle(&env, &logs, &out_path, &[]);
    let files = read_bundle(&out_path);
    let text = all_text(&files);
    assert!(
        !text.contains("PLANTED-SHADOW-HASH"),
        "a file outside the log tree was bundled"
    );
    let names: Vec<&String> = files.keys().collect();
    assert!(
        files.contains_key("logs/microsoft_defender_core.log"),
        "the real log is still there: {names:?}"
    );
    for gone in ["logs/rotated/shadow", "logs/linked.log", "logs/pipe.log"] {
        assert!(!files.contains_key(gone), "{gone} in {names:?}");
    }
    let skipped = strings(&manifest(&files)["skipped"]);
    let shown = |name: &str| format!("logs: {}: ", logs.join(name).display());
    for (name, why) in [
        ("rotated", "a symbolic link, not followed"),
        ("linked.log", "a symbolic link, not followed"),
        ("dirlink.log", "a symbolic link, not followed"),
        ("dangling.log", "a symbolic link, not followed"),
        ("pipe.log", "a FIFO, not read"),
    ] {
        let line = format!("{}{why}", shown(name));
        assert!(skipped.contains(&line), "{line} not in {skipped:#?}");
    }
}

#[test]
fn inside_a_real_rotated_directory_symlinks_and_fifos_are_skipped_too() {
    let (env, logs) = endpoint();
    let outside = secret_dir(&env);
    let rotated = logs.join("rotated");
    symlink(
        outside.join("shadow"),
        rotated.join("microsoft_defender_core.log.2"),
    )
    .expect("symlink");
    symlink(&outside, rotated.join("etc")).expect("symlink");
    mkfifo(&rotated.join("microsoft_defender_core.log.3"));
    std::fs::create_dir(rotated.join("nested")).expect("mkdir");
    std::fs::write(rotated.join("nested/inner.log"), "PLANTED-NESTED\n").expect("write");

    let out_path = env.path().join("b.tar.gz");
    bounded_bundle(&env, &logs, &out_path, &[]);
    let files = read_bundle(&out_path);
    let text = all_text(&files);
    assert!(!text.contains("PLANTED-SHADOW-HASH") && !text.contains("PLANTED-NESTED"));
    assert!(files.contains_key("logs/rotated/microsoft_defender_core.log.1"));
    let skipped = strings(&manifest(&files)["skipped"]);
    for (name, why) in [
        (
            "microsoft_defender_core.log.2",
            "a symbolic link, not followed",
        ),
        ("etc", "a symbolic link, not followed"),
        ("microsoft_defender_core.log.3", "a FIFO, not read"),
        ("nested", "a directory, not walked"),
    ] {
        let line = format!("logs: {}: {why}", rotated.join(name).display());
        assert!(skipped.contains(&line), "{line} not in {skipped:#?}");
    }
}

#[test]
fn a_log_dir_that_is_itself_a_symlink_is_refused_with_the_reason() {
    let (env, logs) = endpoint();
    let link = env.path().join("logs-link");
    symlink(&logs, &link).expect("symlink");
    let out_path = env.path().join("b.tar.gz");
    let out = run_bounded(
        bundle_cmd(&env, &link, &out_path, &[]),
        crate::testenv::HANG_GUARD,
        env.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed collector is a warning"
    );
    let files = read_bundle(&out_path);
    let failed = &manifest(&files)["failed"];
    let logs_failure = failed
        .as_array()
        .expect("failed")
        .iter()
        .find(|f| f["collector"] == "logs")
        .unwrap_or_else(|| panic!("no logs failure in {failed}"));
    assert!(
        logs_failure["error"]
            .as_str()
            .expect("error")
            .contains("a symbolic link (not followed)"),
        "{logs_failure}"
    );
    assert!(!files.keys().any(|k| k.starts_with("logs/")));
}

/// Secrets planted in every common form: (text as planted, the part that must go).
const FORMS: &[(&str, &str)] = &[
    ("proxy http://alice:s3cretA1@proxy.corp:3128/", "s3cretA1"),
    ("proxy http://alice:p@ssW0rdB2@proxy.corp:3128/", "ssW0rdB2"),
    ("mirror https://bob:pa/ssC3@mirror.corp/linux/", "pa/ssC3"),
    ("mirror https://bob:x%40yD4@mirror.corp:8443/", "yD4"),
    ("proxy alice:s3cretE5@proxy.corp:3128 refused", "s3cretE5"),
    ("upstream carol:p@sF6@10.0.0.8:8080 refused", "sF6"),
    (
        "request Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJHNyJ9.c2lnRzc",
        "eyJzdWIiOiJHNyJ9",
    ),
    (
        "Proxy-Authorization: Basic YWxpY2U6czNjcmV0SDg=",
        "YWxpY2U6czNjcmV0SDg",
    ),
    ("retrying with Bearer abcdef0123456789TOKENI9", "TOKENI9"),
    ("{\"password\": \"hunter2J10\"}", "hunter2J10"),
    ("{\"apiKey\":\"AKIAK11EXAMPLE\"}", "AKIAK11EXAMPLE"),
    ("{\"secret\": \"shhL12\"}", "shhL12"),
    ("{\"token\": \"tokM13\", \"other\": 1}", "tokM13"),
    ("{\"client_secret\": \"csN14\"}", "csN14"),
    ("{\"accessToken\": \"atO15\"}", "atO15"),
    ("{\"proxyPassword\": 98765416}", "98765416"),
    ("password: hunter P17 with spaces", "hunter P17"),
    ("api_key: akQ18", "akQ18"),
    ("password=pwR19", "pwR19"),
    ("PASSWORD = pw S20 spaced", "pw S20"),
    ("error: proxy said token=tkT21; retrying", "tkT21"),
    (
        "AccountName=acct;AccountKey=akU22==;EndpointSuffix=core.windows.net",
        "akU22",
    ),
    (
        "https://acct.blob.core.windows.net/c/updates.zip?sv=2020&sig=sgV23%2B&se=1",
        "sgV23",
    ),
    ("mdatp said {\\\"password\\\": \\\"escW24\\\"}", "escW24"),
    ("X-Api-Key: xkX25", "xkX25"),
];

/// Ordinary text that must come through untouched.
const ORDINARY: &[&str] = &[
    "101.25012.0000",
    "1.407.417.0",
    "1.1.24020.4",
    "/var/opt/microsoft/mdatp/definitions/updates.zip",
    "https://go.microsoft.com/fwlink/?linkid=2144709",
    "offline_definition_update_verify_sig",
];

#[test]
fn secrets_in_every_form_never_leave_in_any_file_or_the_manifest() {
    let (mut env, logs) = endpoint();
    let mut log = String::from(
        "info: using /var/opt/microsoft/mdatp/definitions/updates.zip from \
         https://go.microsoft.com/fwlink/?linkid=2144709 engine 1.1.24020.4\n",
    );
    for (line, _) in FORMS {
        log.push_str(line);
        log.push('\n');
    }
    std::fs::write(logs.join("microsoft_defender_core.log"), &log).expect("log");
    // wdavcfg-like: YAML-ish, k=v and JSON.
    std::fs::write(
        env.path().join("wdavcfg"),
        "password: wdavP26\napi_key = wdav K27\n{\"cloudService\": {\"token\": \"wdavT28\"}}\n",
    )
    .expect("wdavcfg");
    env.write_managed_config(
        r#"{"cloudService": {"proxy": "http://alice:p@ssW0rdY29@proxy.corp:3128/", "apiKey": "mcZ30"},
            "antivirusEngine": {"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "http://127.0.0.1:9/linux/production/"}}"#,
    );
    // mdatp's stderr lands in MANIFEST.json; a fail reason lands in every health copy.
    let full = "healthy : true\nlicensed : true\napp_version : \"101.25012.0000\"\n";
    let mut defs = Defs::healthy("http://127.0.0.1:9/linux/production/");
    defs.fail_reason = "HTTP 401 Authorization: Bearer eyJfailA31.x9";
    env.on(
        "health",
        Reply::stdout(full).stderr("warning: proxy user=alice password: stderrB32\n"),
    )
    .on(DEFINITIONS, Reply::stdout(&defs.text()))
    .on(
        "version",
        Reply::stdout("Product version: 101.25012.0000\n").stderr("token=stderrC33\n"),
    );

    let out_path = env.path().join("b.tar.gz");
    bounded_bundle(&env, &logs, &out_path, &[]);
    let files = read_bundle(&out_path);
    let mut planted: Vec<&str> = FORMS.iter().map(|(_, s)| *s).collect();
    planted.extend([
        "wdavP26",
        "wdav K27",
        "wdavT28",
        "ssW0rdY29",
        "mcZ30",
        "eyJfailA31",
        "stderrB32",
        "stderrC33",
    ]);
    for secret in &planted {
        let leaks: Vec<&String> = files
            .iter()
            .filter(|(_, b)| String::from_utf8_lossy(b).contains(secret))
            .map(|(n, _)| n)
            .collect();
        assert!(leaks.is_empty(), "{secret} leaked in {leaks:?}");
    }
    let text = all_text(&files);
    for kept in ORDINARY {
        assert!(text.contains(kept), "{kept} was mangled");
    }
    let bundled_log =
        String::from_utf8_lossy(&files["logs/microsoft_defender_core.log"]).into_owned();
    assert!(
        bundled_log.contains("http://REDACTED@proxy.corp:3128/"),
        "{bundled_log}"
    );
    assert!(
        bundled_log.contains("REDACTED@proxy.corp:3128 refused"),
        "{bundled_log}"
    );
    let report: Value = serde_json::from_slice(&files["report.json"]).unwrap_or_else(|e| {
        panic!(
            "report.json is no longer JSON ({e}):\n{}",
            String::from_utf8_lossy(&files["report.json"])
        )
    });
    assert_eq!(
        report["snapshot"]["managed_config"]["content"]["cloudService"]["proxy"],
        "http://REDACTED@proxy.corp:3128/"
    );
    let health = manifest(&files)["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["path"] == "mdatp/health.txt")
        .expect("health entry")
        .clone();
    assert_eq!(
        health["source"]["stderr"],
        "warning: proxy user=alice password: REDACTED\n"
    );
}

#[test]
fn diagnose_json_carries_no_proxy_or_mirror_credentials() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(&Defs::healthy("http://127.0.0.1:9/linux/production/").text()),
    )
    .on("health", Reply::stdout("healthy : true\nlicensed : true\n"));
    env.write_managed_config(
        r#"{"cloudService": {"proxy": "http://alice:p@ss/W0rd@proxy.corp:3128/", "apiKey": "apiW0rd"},
            "antivirusEngine": {"offlineDefinitionUpdate": "enabled",
              "offlineDefinitionUpdateUrl": "http://127.0.0.1:9/linux/production/",
              "offlineDefinitionUpdateFallbackToCloud": false}}"#,
    );
    let out = env
        .cmd()
        .args(["diagnose", "--format", "json", "--skip-network"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("alice") && !text.contains("W0rd"), "{text}");
    let doc = stdout_json(&out);
    let snap = &doc["snapshot"];
    assert_eq!(
        snap["managed_config"]["content"]["cloudService"]["proxy"],
        "http://REDACTED@proxy.corp:3128/"
    );
    assert_eq!(
        snap["mirror"]["proxy"]["url"],
        "http://REDACTED@proxy.corp:3128/"
    );
    // Everything else as it was.
    assert_eq!(
        snap["managed_config"]["content"]["antivirusEngine"]["offlineDefinitionUpdateUrl"],
        "http://127.0.0.1:9/linux/production/"
    );
    assert_eq!(snap["mirror"]["proxy"]["source"], "managed-config");
    // A secret-named key's value goes too, in the content and as a finding's evidence.
    assert_eq!(
        snap["managed_config"]["content"]["cloudService"]["apiKey"],
        "REDACTED"
    );
    assert!(!text.contains("apiW0rd"), "{text}");
}

#[test]
fn redact_ids_replaces_every_guid_address_and_host_name_but_not_versions() {
    let mut env = TestEnv::new();
    let mirror = "http://mirror.corp.example:8000/linux/production/";
    let mut defs = Defs::healthy(mirror);
    // A version shaped like an address stays a version.
    defs.version = "4.18.2.0";
    let upper = ORG.to_ascii_uppercase();
    let full = format!(
        "healthy : true\nlicensed : true\napp_version : \"101.25012.0000\"\norg_id : \"{upper}\"\n"
    );
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full))
        .on("*", Reply::stdout(""));
    env.write_managed_config(&format!(
        r#"{{"cloudService": {{"proxy": "http://proxy.corp.example:3128/"}},
            "antivirusEngine": {{"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "{mirror}"}}}}"#
    ));
    let machine = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .to_string();
    let short = machine.split('.').next().unwrap_or("").to_string();
    let tenant = "0F8FAD5B-D9CB-469F-A165-70867728950E";
    let logs = env.path().join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(
        logs.join("microsoft_defender_core.log"),
        format!(
            "org {ORG} tenant {tenant} and {}\n\
             peers 2001:db8::dead:beef and fe80::1%eth0 and 4.18.2.1\n\
             fetching from mirror.corp.example:8000 via proxy.corp.example:3128\n\
             on {short} ({machine})\n\
             definitions_version : \"4.18.2.0\" engine 1.1.24020.4\n",
            tenant.to_ascii_lowercase()
        ),
    )
    .expect("log");

    let out_path = env.path().join("ids.tar.gz");
    bounded_bundle(&env, &logs, &out_path, &["--redact-ids"]);
    let files = read_bundle(&out_path);
    let mut ids = vec![
        ORG.to_string(),
        upper.clone(),
        tenant.to_string(),
        tenant.to_ascii_lowercase(),
        "2001:db8::dead:beef".into(),
        "fe80::1".into(),
        "4.18.2.1".into(),
        "mirror.corp.example".into(),
        "proxy.corp.example".into(),
    ];
    if machine.len() >= 2 {
        ids.push(machine.clone());
    }
    for id in &ids {
        let leaks: Vec<&String> = files
            .iter()
            .filter(|(n, b)| {
                n.to_ascii_lowercase().contains(&id.to_ascii_lowercase())
                    || String::from_utf8_lossy(b)
                        .to_ascii_lowercase()
                        .contains(&id.to_ascii_lowercase())
            })
            .map(|(n, _)| n)
            .collect();
        assert!(leaks.is_empty(), "{id} leaked in {leaks:?}");
    }
    // The short name as a word of its own (it may be part of other words).
    if short.len() >= 2 {
        for (name, bytes) in &files {
            let text = String::from_utf8_lossy(bytes);
            let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            assert!(
                !words.clone().any(|w| w.eq_ignore_ascii_case(&short)),
                "the host name {short} left in {name}"
            );
        }
    }
    let log = String::from_utf8_lossy(&files["logs/microsoft_defender_core.log"]).into_owned();
    assert!(
        log.contains("definitions_version : \"4.18.2.0\" engine 1.1.24020.4"),
        "versions stay: {log}"
    );
    assert!(
        log.starts_with("org org-1 tenant guid-1 and guid-1\n"),
        "{log}"
    );
    let health = String::from_utf8_lossy(&files["mdatp/health.txt"]).into_owned();
    assert!(health.contains("org_id : \"org-1\""), "{health}");
    let defs = String::from_utf8_lossy(&files["mdatp/health-definitions.txt"]).into_owned();
    assert!(defs.contains("\"4.18.2.0\""), "{defs}");
}

#[test]
fn sigterm_mid_bundle_removes_the_temporary_file() {
    let (mut env, logs) = endpoint();
    // `connectivity test` (started alongside the gather) is still running once the bundle
    // file is being written; make it slow.
    env.on(
        "connectivity test",
        Reply::fixture("mdatp/connectivity/linux-ok.txt").sleep_ms(30_000),
    );
    let outdir = env.path().join("out");
    std::fs::create_dir(&outdir).expect("mkdir");
    let out_path = outdir.join("b.tar.gz");
    let mut child = bundle_cmd(&env, &logs, &out_path, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let temporaries = || -> Vec<String> {
        std::fs::read_dir(&outdir)
            .expect("ls")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let until = Instant::now() + crate::testenv::HANG_GUARD;
    loop {
        let called = env
            .invocations()
            .iter()
            .any(|a| a.join(" ") == "connectivity test");
        if called && !temporaries().is_empty() {
            break;
        }
        assert!(
            Instant::now() < until,
            "the bundle never got to `connectivity test`"
        );
        assert!(child.try_wait().expect("wait").is_none(), "ended early");
        std::thread::sleep(Duration::from_millis(25));
    }
    let tmp = temporaries();
    assert_eq!(tmp.len(), 1, "{tmp:?}");
    assert!(
        tmp[0].starts_with(".mdatp-doctor-bundle-") && tmp[0].ends_with(".tmp"),
        "{tmp:?}"
    );
    assert!(
        !tmp[0].contains(&child.id().to_string()),
        "the temporary name is not predictable from the pid: {tmp:?}"
    );
    // Give the tool a moment to register the fake as a running child (a signal that
    // comes before that waits for the fake's 30 s, still inside the hang guard below).
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: sending a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let until = Instant::now() + crate::testenv::HANG_GUARD;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!(
                "still running {:?} after SIGTERM",
                crate::testenv::HANG_GUARD
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(temporaries(), Vec::<String>::new(), "left behind");
}

/// A scenario whose `mdatp diagnostic create` names `path`, with mdatp's diagnostic
/// directory at `diag` for this run.
fn diagnostic_run(env: &mut TestEnv, logs: &Path, diag: &Path, path: &Path, out: &str) -> Value {
    env.on(
        "diagnostic create",
        Reply::stdout(&format!(
            "Diagnostic file created: \"{}\"\n",
            path.display()
        )),
    );
    let out_path = env.path().join(out);
    let mut cmd = bundle_cmd(env, logs, &out_path, &["--include-mdatp-diagnostic"]);
    cmd.env("MDATP_DOCTOR_DIAG_DIR", diag);
    let run = run_bounded(cmd, crate::testenv::HANG_GUARD, env.path());
    assert!(run.status.code().is_some_and(|c| c <= 1), "{run:?}");
    let files = read_bundle(&out_path);
    let m = manifest(&files);
    let added = files.get("mdatp/diagnostic.zip").cloned();
    serde_json::json!({
        "added": added.map(|b| String::from_utf8_lossy(&b).into_owned()),
        "failed": m["failed"],
    })
}

fn diagnostic_error(result: &Value) -> String {
    result["failed"]
        .as_array()
        .expect("failed")
        .iter()
        .find(|f| f["collector"] == "mdatp diagnostic")
        .and_then(|f| f["error"].as_str())
        .unwrap_or_else(|| panic!("no diagnostic failure in {result}"))
        .to_string()
}

#[test]
fn the_diagnostic_path_mdatp_prints_is_not_trusted() {
    let (mut env, logs) = endpoint();
    let outside = secret_dir(&env);
    let diag = env.path().join("wdavdiag");
    std::fs::create_dir(&diag).expect("mkdir");

    // A path outside mdatp's diagnostic directory, plainly or through `..`.
    for (n, path) in [outside.join("shadow"), diag.join("../outside/shadow")]
        .iter()
        .enumerate()
    {
        let r = diagnostic_run(&mut env, &logs, &diag, path, &format!("out{n}.tar.gz"));
        assert_eq!(r["added"], Value::Null, "{path:?}: {r}");
        assert!(
            diagnostic_error(&r).contains("not inside mdatp's diagnostic directory"),
            "{r}"
        );
    }
    // A symlink inside it to the secret, and a symlinked subdirectory.
    symlink(outside.join("shadow"), diag.join("linked.zip")).expect("symlink");
    symlink(&outside, diag.join("sub")).expect("symlink");
    for (n, name) in ["linked.zip", "sub/shadow"].iter().enumerate() {
        let r = diagnostic_run(
            &mut env,
            &logs,
            &diag,
            &diag.join(name),
            &format!("l{n}.tar.gz"),
        );
        assert_eq!(r["added"], Value::Null, "{name}: {r}");
        assert!(
            diagnostic_error(&r).contains("a symbolic link, not followed"),
            "{r}"
        );
    }
    // A FIFO in its place must not hang the run.
    mkfifo(&diag.join("fifo.zip"));
    let r = diagnostic_run(
        &mut env,
        &logs,
        &diag,
        &diag.join("fifo.zip"),
        "fifo.tar.gz",
    );
    assert_eq!(r["added"], Value::Null, "{r}");
    assert!(diagnostic_error(&r).contains("a FIFO"), "{r}");
    // The real thing is taken.
    std::fs::write(diag.join("real.zip"), "PK-the-real-archive").expect("zip");
    let r = diagnostic_run(
        &mut env,
        &logs,
        &diag,
        &diag.join("real.zip"),
        "real.tar.gz",
    );
    assert_eq!(r["added"], "PK-the-real-archive", "{r}");
}

#[test]
fn a_single_line_log_longer_than_the_line_cap_is_left_out_whole() {
    let (env, logs) = endpoint();
    // 3 MiB without a newline before its last bytes: a secret cut in two could leak.
    let mut line = "x".repeat(3 * 1024 * 1024);
    line.push_str(" password=ENDOFHUGE\n");
    std::fs::write(
        logs.join("one-line.log"),
        format!("first line\n{line}last line\n"),
    )
    .expect("log");
    let out_path = env.path().join("b.tar.gz");
    bounded_bundle(&env, &logs, &out_path, &[]);
    let files = read_bundle(&out_path);
    let bundled = String::from_utf8_lossy(&files["logs/one-line.log"]).into_owned();
    assert!(bundled.len() < 4096, "{} bytes", bundled.len());
    assert_eq!(
        bundled,
        format!(
            "first line\n[mdatp-doctor: a line of {} bytes left out: longer than 1048576]\nlast line\n",
            line.len()
        )
    );
}

#[test]
fn log_file_names_are_redacted_like_their_contents() {
    let (env, logs) = endpoint();
    std::fs::write(logs.join("10.9.8.7.log"), "named after an address\n").expect("log");
    let out_path = env.path().join("ids.tar.gz");
    bounded_bundle(&env, &logs, &out_path, &["--redact-ids"]);
    let files = read_bundle(&out_path);
    let names: Vec<&String> = files.keys().collect();
    assert!(!names.iter().any(|n| n.contains("10.9.8.7")), "{names:?}");
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("logs/ip-") && n.ends_with(".log")),
        "{names:?}"
    );
    assert!(
        !all_text(&files).contains("10.9.8.7"),
        "not in the manifest either"
    );
    // The manifest names the entry as the archive does.
    let listed = env
        .cmd()
        .args(["bundle", "--list-contents"])
        .arg(&out_path)
        .output()
        .expect("runs");
    assert_eq!(
        listed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
}

#[test]
fn a_hung_bundle_call_is_cut_at_its_timeout_and_recorded_not_waited_for() {
    let (mut env, logs) = endpoint();
    env.on("version", Reply::stdout("Product version: 1\n").hang())
        .on(
            "connectivity test",
            Reply::fixture("mdatp/connectivity/linux-ok.txt").sleep_ms(30_000),
        );
    let out_path = env.path().join("b.tar.gz");
    let out = bounded_bundle(&env, &logs, &out_path, &["--timeout", "2"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = read_bundle(&out_path);
    let failed = manifest(&files)["failed"].clone();
    for (collector, shown) in [
        ("mdatp version", "version"),
        ("mdatp connectivity test", "connectivity test"),
    ] {
        let error = failed
            .as_array()
            .expect("failed")
            .iter()
            .find(|f| f["collector"] == collector)
            .and_then(|f| f["error"].as_str())
            .unwrap_or_else(|| panic!("no {collector} failure in {failed}"));
        assert!(
            error.contains(shown) && error.contains("did not finish within 2 s"),
            "{error}"
        );
    }
    // The calls that answered are in the bundle all the same.
    for name in [
        "mdatp/health.txt",
        "mdatp/health-definitions.txt",
        "mdatp/health.json",
        "report.json",
    ] {
        assert!(files.contains_key(name), "{name} missing");
    }
    assert!(!files.contains_key("mdatp/version.txt"));
    assert!(
        stdout_json(&out)["failed"]
            .as_array()
            .is_some_and(|f| f.len() == 2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A .tar.gz holding `members` as regular files, in order.
fn forged(path: &Path, members: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).expect("create");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    for (name, bytes) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        tar.append_data(&mut h, name, *bytes).expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gz");
}

#[test]
fn a_forged_manifest_is_read_only_within_its_caps() {
    let env = TestEnv::new();
    let entry = |i: usize| {
        serde_json::json!({"path": format!("logs/f{i}.log"), "size": 1,
                           "sha256": "0".repeat(64), "collector": "logs"})
    };
    let listing = |n: usize| {
        serde_json::json!({"created": "2025-06-02T09:00:00Z", "hostname": "h",
                           "entries": (0..n).map(entry).collect::<Vec<_>>()})
        .to_string()
    };
    let list = |file: &Path, format: &str| {
        crate::from_bundle::engineer(&env)
            .args(["bundle", "--format", format, "--list-contents"])
            .arg(file)
            .output()
            .expect("runs")
    };

    // 10,000 entries, as many as a bundle may hold members: each checked, each missing.
    let at_cap = env.path().join("at-cap.tar.gz");
    forged(&at_cap, &[("MANIFEST.json", listing(10_000).as_bytes())]);
    let out = list(&at_cap, "json");
    assert_eq!(out.status.code(), Some(2), "not intact");
    let checked = stdout_json(&out)["checked"].clone();
    let checked = checked.as_array().expect("checked");
    assert_eq!(checked.len(), 10_000);
    assert!(checked.iter().all(|c| c["status"] == "missing"));
    let out = list(&at_cap, "human");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("missing")).count(),
        10_000
    );

    // One more entry than any bundle holds members: refused, with the reason, and no
    // listing at all (before: 10,001 lines).
    let over = env.path().join("over.tar.gz");
    forged(&over, &[("MANIFEST.json", listing(10_001).as_bytes())]);
    let out = list(&over, "human");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("MANIFEST.json lists 10001 entries, more than the 10000 members"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{} bytes", out.stdout.len());

    // 300,000 values in 600 KB of JSON: each costs tens of bytes parsed whatever it
    // takes in the file (a forged 13.6 MB one of them took 1 GB to list). Refused at
    // the 200,000th, by both readers.
    let values = env.path().join("values.tar.gz");
    let junk = format!(
        "{{\"entries\": [], \"junk\": [{}0]}}",
        "0,".repeat(300_000 - 1)
    );
    forged(&values, &[("MANIFEST.json", junk.as_bytes())]);
    let out = list(&values, "json");
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.len() < 4096, "{} bytes", out.stdout.len());
    let error = stdout_json(&out)["error"]["message"].clone();
    assert!(
        error
            .as_str()
            .expect("message")
            .contains("more than 200000 values, more than any bundle writes"),
        "{error}"
    );
    let out = crate::from_bundle::engineer(&env)
        .args(["diagnose", "--from-bundle"])
        .arg(&values)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("more than 200000 values"), "{err}");
}

/// `tar` run as a person runs it; the test fails if it does not succeed.
fn tar(args: &[&std::ffi::OsStr], dir: &Path) -> String {
    let out = Command::new("tar")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("tar runs");
    assert!(
        out.status.success(),
        "tar {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_bundle_unpacked_and_repacked_with_tar_is_intact_and_an_edit_still_shows() {
    let (env, logs) = endpoint();
    let original = env.path().join("b.tar.gz");
    let out = crate::bundle::bundle(&env, &logs, &original, &[]);
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let unpacked = env.path().join("unpacked");
    std::fs::create_dir(&unpacked).expect("mkdir");
    let os = |s: &str| std::ffi::OsString::from(s);
    tar(
        &[
            &os("xzf"),
            original.as_os_str(),
            &os("-C"),
            unpacked.as_os_str(),
        ],
        env.path(),
    );
    // The common way: `tar czf x.tar.gz .` in the folder (GNU tar, and POSIX pax as
    // other tars write): every name `./…`, a directory entry for `./` and each folder.
    let repack = |name: &str, format: &str| {
        let file = env.path().join(name);
        tar(
            &[
                &os(&format!("--format={format}")),
                &os("-czf"),
                file.as_os_str(),
                &os("."),
            ],
            &unpacked,
        );
        file
    };
    let list = |file: &Path| {
        let out = crate::from_bundle::engineer(&env)
            .args(["bundle", "--format", "json", "--list-contents"])
            .arg(file)
            .output()
            .expect("runs");
        (out.status.code(), stdout_json(&out))
    };
    let diagnose = |file: &Path| {
        let out = crate::from_bundle::engineer(&env)
            .args(["diagnose", "--format", "json", "--from-bundle"])
            .arg(file)
            .output()
            .expect("runs");
        stdout_json(&out)
    };
    let (_, as_written) = list(&original);
    let members = as_written["checked"].as_array().expect("checked").len();
    assert!(members > 5, "{as_written:#}");
    for format in ["gnu", "pax"] {
        let file = repack(&format!("repacked-{format}.tar.gz"), format);
        let names = tar(&[&os("tzf"), file.as_os_str()], env.path());
        assert!(
            names.lines().any(|n| n == "./MANIFEST.json") && names.lines().any(|n| n == "./"),
            "{names}"
        );
        let (code, listed) = list(&file);
        assert_eq!(code, Some(0), "{format}: {listed:#}");
        assert_eq!(listed["intact"], true, "{format}: {listed:#}");
        assert_eq!(listed["checked"], as_written["checked"], "{format}");
        let report = diagnose(&file);
        assert!(
            !crate::testenv::ids(&report).contains(&"bundle-altered"),
            "{format}: {:?}",
            crate::testenv::ids(&report)
        );
    }

    // An edited member is still named, and only it.
    let health = unpacked.join("mdatp/health.txt");
    let text = std::fs::read_to_string(&health).expect("read");
    std::fs::write(&health, text.replace("licensed : true", "licensed : false")).expect("edit");
    let edited = repack("edited.tar.gz", "gnu");
    let (code, listed) = list(&edited);
    assert_eq!(code, Some(2), "{listed:#}");
    let not_ok: Vec<(&str, &str)> = listed["checked"]
        .as_array()
        .expect("checked")
        .iter()
        .map(|c| {
            (
                c["path"].as_str().expect("path"),
                c["status"].as_str().expect("status"),
            )
        })
        .filter(|(_, s)| *s != "ok")
        .collect();
    assert_eq!(not_ok, [("mdatp/health.txt", "hash mismatch")]);
    let report = diagnose(&edited);
    let evidence = crate::testenv::finding(&report, "bundle-altered")["evidence"].clone();
    assert_eq!(
        evidence,
        serde_json::json!([{"source": "bundle", "key": "mdatp/health.txt", "value": "hash mismatch"}]),
        "{evidence:#}"
    );
}
