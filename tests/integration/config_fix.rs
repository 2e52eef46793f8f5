//! `config fix`: dry run, apply, verify against the fake mdatp, undo, and the refusals, on
//! real files with real modes (owners need root: those tests say so).

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use serde_json::Value;

use crate::testenv::{DEFINITIONS, Reply, TestEnv, stdout_json};

const URL: &str = "http://127.0.0.1:9/linux/production/";

/// Microsoft's sample with the misspelt fallback key, verification off and the arch
/// folder in the URL, indented with four spaces, plus a key nobody can fix for us.
fn broken() -> String {
    format!(
        "{{\n    \"cloudService\": {{\n        \"automaticDefinitionUpdateEnabled\": true\n    }},\n    \"antivirusEngine\": {{\n        \"enforcementLevel\": \"real_time\",\n        \"offlineDefinitionUpdate\": \"enabled\",\n        \"offlineDefinitionUpdateUrl\": \"{URL}arch_x86_64/\",\n        \"offlineDefintionUpdateFallbackToCloud\": true,\n        \"mysteryKey\": 1\n    }},\n    \"features\": {{\n        \"offlineDefinitionUpdateVerifySig\": \"disabled\"\n    }}\n}}\n"
    )
}

fn health(url: &str, fallback: bool, verify: &str) -> String {
    format!(
        "automatic_definition_update_enabled         : true [managed]\n\
         definitions_status                          : \"up_to_date\"\n\
         definitions_version                         : \"1.407.417.0\"\n\
         offline_definition_url_configured           : \"{url}\" [managed]\n\
         offline_definition_update                   : \"enabled\" [managed]\n\
         offline_definition_update_verify_sig        : \"{verify}\"\n\
         offline_definition_update_fallback_to_cloud : {fallback} [managed]\n"
    )
}

/// mdatp shows the old values once (the read before the write), then the new ones.
fn picks_it_up() -> TestEnv {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(&health(&format!("{URL}arch_x86_64/"), false, "disabled")).then("after"),
    )
    .on_in(
        "after",
        DEFINITIONS,
        Reply::stdout(&health(URL, true, "enabled")),
    );
    env.write_managed_config(&broken());
    env
}

fn fix(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.cmd()
        .args(["config", "fix"])
        .args(args)
        .output()
        .expect("runs")
}

fn file(env: &TestEnv) -> String {
    std::fs::read_to_string(env.managed_config_path()).expect("read")
}

#[test]
fn a_dry_run_shows_the_diff_and_changes_nothing() {
    let env = picks_it_up();
    let out = fix(&env, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("3 changes (dry run: --apply makes them)"),
        "{text}"
    );
    assert!(
        text.contains("-        \"offlineDefintionUpdateFallbackToCloud\": true,"),
        "{text}"
    );
    assert!(
        text.contains("+        \"offlineDefinitionUpdateFallbackToCloud\": true,"),
        "{text}"
    );
    assert!(
        text.contains("@@ ") && text.contains("config-unknown-key"),
        "{text}"
    );
    assert!(
        text.contains("Left alone") && text.contains("mysteryKey"),
        "{text}"
    );
    assert_eq!(file(&env), broken(), "a dry run writes nothing");
    assert!(env.invocations().is_empty(), "a dry run asks mdatp nothing");

    let json = stdout_json(&fix(&env, &["--format", "json"]));
    let edits = json["edits"].as_array().expect("edits");
    let rename = edits
        .iter()
        .find(|e| e["finding"] == "config-unknown-key")
        .expect("rename");
    assert_eq!(rename["op"], "rename");
    assert_eq!(
        rename["from_pointer"],
        "/antivirusEngine/offlineDefintionUpdateFallbackToCloud"
    );
    assert_eq!(
        rename["pointer"],
        "/antivirusEngine/offlineDefinitionUpdateFallbackToCloud"
    );
    assert_eq!(
        json["document"]["features"]["offlineDefinitionUpdateVerifySig"],
        "enabled"
    );
    assert_eq!(
        json["document"]["antivirusEngine"]["offlineDefinitionUpdateUrl"],
        URL
    );
}

#[test]
fn apply_backs_up_replaces_keeps_the_rest_and_checks_health() {
    let env = picks_it_up();
    let path = env.managed_config_path();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let before = std::fs::metadata(&path).expect("meta");
    let out = fix(&env, &["--apply", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    // The key nobody can fix is left: a warning, not a failure.
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let new = file(&env);
    assert_eq!(
        new,
        broken()
            .replace("offlineDefintionUpdate", "offlineDefinitionUpdate")
            .replace(&format!("{URL}arch_x86_64/"), URL)
            .replace("\"disabled\"", "\"enabled\""),
        "only the fixed keys changed, byte for byte"
    );
    let after = std::fs::metadata(&path).expect("meta");
    assert_eq!(after.mode() & 0o7777, 0o640, "mode kept");
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_ne!(
        after.ino(),
        before.ino(),
        "replaced by rename, not rewritten in place"
    );
    let backup = report["backup"].as_str().expect("backup");
    assert_eq!(std::fs::read_to_string(backup).expect("backup"), broken());
    assert_eq!(
        std::fs::metadata(backup).expect("meta").mode() & 0o777,
        0o600
    );
    let checked = report["verify"]["checked"].as_array().expect("checked");
    assert!(!checked.is_empty());
    assert!(
        checked.iter().all(|c| c["result"] == "applied"),
        "{report:#}"
    );
    let remaining: Vec<&str> = report["remaining"]
        .as_array()
        .expect("remaining")
        .iter()
        .map(|f| f["id"].as_str().expect("id"))
        .collect();
    assert_eq!(remaining, ["config-unknown-key"], "{report:#}");

    // --undo gives back the original bytes, and backs up what it replaces.
    let out = fix(&env, &["--undo", "--no-verify"]);
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "{out:?}"
    );
    assert_eq!(file(&env), broken());
    let names: Vec<String> = std::fs::read_dir(env.state_dir().join("backups"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    // Two backups, each with the record of the file it was taken from.
    let backups: Vec<&String> = names.iter().filter(|n| !n.ends_with(".source")).collect();
    assert_eq!(backups.len(), 2, "{names:?}");
    for b in backups {
        assert!(b.starts_with("mdatp_managed.json."), "{b}");
        assert!(names.contains(&format!("{b}.source")), "{names:?}");
    }
}

#[test]
fn a_change_mdatp_never_shows_is_reported_and_exits_1() {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(&health(&format!("{URL}arch_x86_64/"), false, "disabled")),
    );
    env.write_managed_config(&broken());
    let out = fix(
        &env,
        &["--apply", "--verify-timeout", "1", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let url = report["verify"]["checked"]
        .as_array()
        .expect("checked")
        .iter()
        .find(|c| c["setting"] == "antivirusEngine.offlineDefinitionUpdateUrl")
        .expect("url checked");
    assert_eq!(url["result"], "not_picked_up", "{report:#}");
    assert!(env.invocations().len() >= 2, "health was polled");
}

#[test]
fn what_cannot_be_replaced_safely_is_refused_and_left_alone() {
    let env = picks_it_up();
    let path = env.managed_config_path();
    // Group-writable.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).expect("chmod");
    let out = fix(&env, &["--apply", "--no-verify"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("writable by group or others"));
    assert_eq!(file(&env), broken());
    // A directory others can write: the temporary file and the rename happen there.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let dir_mode = std::fs::metadata(env.path()).expect("dir").mode() & 0o7777;
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod dir");
    let out = fix(&env, &["--apply", "--no-verify"]);
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(dir_mode))
        .expect("chmod dir");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is writable by group or others"),
        "{out:?}"
    );
    assert_eq!(file(&env), broken());
    // A symlink: its target could be any file.
    let real = env.path().join("real.json");
    std::fs::rename(&path, &real).expect("move");
    std::os::unix::fs::symlink(&real, &path).expect("symlink");
    let out = fix(&env, &["--apply", "--no-verify"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link"));
    assert_eq!(std::fs::read_to_string(&real).expect("read"), broken());
}

#[test]
fn a_crash_before_the_rename_leaves_the_original_whole() {
    let env = picks_it_up();
    let out = env
        .cmd()
        .args(["config", "fix", "--apply", "--no-verify", "--force"])
        .env("MDATP_DOCTOR_TEST_ABORT_BEFORE_RENAME", "1")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert_eq!(file(&env), broken(), "the original is intact");

    // The next --apply removes what the crash left once it is a minute old, and nothing
    // that only looks like it.
    let dir = env
        .managed_config_path()
        .parent()
        .expect("dir")
        .to_path_buf();
    let temps = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".mdatp_managed.json.tmp-"))
            .collect();
        names.sort();
        names
    };
    let left = temps(&dir);
    assert_eq!(left.len(), 1, "the crash left its temporary file: {left:?}");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(dir.join(&left[0]))
        .and_then(|f| f.set_modified(old))
        .expect("age it");
    let young = ".mdatp_managed.json.tmp-0123456789abcdef";
    let other = ".mdatp_managed.json.tmp-not-ours";
    for name in [young, other] {
        std::fs::write(dir.join(name), "x").expect("write");
    }
    let out = fix(&env, &["--apply", "--no-verify", "--force"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("removed {}", left[0])), "{stderr}");
    assert_eq!(temps(&dir), [young.to_string(), other.to_string()]);
}

#[test]
fn a_policy_managed_endpoint_needs_force() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&health(URL, false, "enabled")));
    // The file names no URL, yet health shows one [managed]: a policy sets it.
    env.write_managed_config(
        "{\"antivirusEngine\": {\"offlineDefinitionUpdate\": \"enabled\", \"passiveMode\": \"true\"}}",
    );
    let out = fix(&env, &["--apply"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("offline_definition_url_configured"),
        "{out:?}"
    );
    let out = fix(&env, &["--apply", "--force", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        report["policy_managed"][0],
        "offline_definition_url_configured"
    );
    assert!(
        file(&env).contains("\"passiveMode\": true"),
        "{}",
        file(&env)
    );
}

#[test]
fn set_is_typed_and_unknown_keys_are_refused() {
    let env = picks_it_up();
    let out = fix(
        &env,
        &[
            "--set",
            "antivirusEngine.offlineDefintionUpdateUrl=http://m/linux/production/",
        ],
    );
    assert_eq!(out.status.code(), Some(64));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("did you mean `antivirusEngine.offlineDefinitionUpdateUrl`"),
        "{out:?}"
    );
    let json = stdout_json(&fix(
        &env,
        &[
            "--set",
            "antivirusEngine.offlineDefinitionUpdateFallbackToCloud=false",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        json["document"]["antivirusEngine"]["offlineDefinitionUpdateFallbackToCloud"],
        false
    );
}

#[test]
fn diagnose_marks_what_config_fix_can_fix() {
    let mut env = TestEnv::new();
    env.health_with_url(URL);
    env.write_managed_config(&broken());
    let report = stdout_json(
        &env.cmd()
            .args(["diagnose", "--skip-network", "--format", "json"])
            .output()
            .expect("runs"),
    );
    let findings = report["findings"].as_array().expect("findings");
    let typo = findings
        .iter()
        .find(|f| {
            f["id"] == "config-unknown-key"
                && f["title"].as_str().is_some_and(|t| t.contains("Defintion"))
        })
        .expect("typo finding");
    assert_eq!(typo["fixable"], true);
    assert!(
        typo["fix"]
            .as_str()
            .expect("fix")
            .contains("mdatp-doctor config fix")
    );
    let mystery = findings
        .iter()
        .find(|f| {
            f["title"]
                .as_str()
                .is_some_and(|t| t.contains("mysteryKey"))
        })
        .expect("mystery");
    assert!(mystery.get("fixable").is_none(), "{mystery:#}");
}

fn xattr(path: &std::path::Path, name: &std::ffi::CStr) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    let mut buf = [0u8; 256];
    // SAFETY: valid C strings; the buffer's pointer and length match.
    let n = unsafe {
        libc::lgetxattr(
            p.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    usize::try_from(n).ok().map(|n| buf[..n].to_vec())
}

#[test]
#[ignore = "needs root with CAP_SYS_ADMIN to set owners and security.selinux (.ci/run runs it as root)"]
fn apply_keeps_the_group_and_the_selinux_label() {
    use std::os::unix::ffi::OsStrExt;
    let env = picks_it_up();
    let path = env.managed_config_path();
    let label = b"system_u:object_r:etc_t:s0\0";
    let p = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: valid C strings; the value's pointer and length match.
    let rc = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            c"security.selinux".as_ptr(),
            label.as_ptr().cast(),
            label.len(),
            0,
        )
    };
    assert_eq!(
        rc,
        0,
        "cannot set security.selinux ({}): run as root with CAP_SYS_ADMIN",
        std::io::Error::last_os_error()
    );
    std::os::unix::fs::chown(&path, Some(0), Some(4)).expect("chown: run as root");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let out = fix(&env, &["--apply", "--no-verify", "--force"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_ne!(file(&env), broken(), "changed");
    let meta = std::fs::metadata(&path).expect("meta");
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (0, 4, 0o640)
    );
    assert_eq!(
        xattr(&path, c"security.selinux").as_deref(),
        Some(&label[..])
    );
}

#[test]
fn microsofts_sample_profiles_go_through_dry_run_and_apply() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/managed");
    let mut samples: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .chain(std::fs::read_dir(dir.join("synthetic")).expect("synthetic"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    samples.sort();
    assert!(samples.len() >= 4, "{samples:?}");
    for sample in samples {
        let original = std::fs::read_to_string(&sample).expect("read");
        let env = TestEnv::new();
        env.write_managed_config(&original);
        let dry = stdout_json(&fix(&env, &["--format", "json"]));
        assert_eq!(
            file(&env),
            original,
            "{}: the dry run wrote",
            sample.display()
        );
        let out = fix(
            &env,
            &["--apply", "--no-verify", "--force", "--format", "json"],
        );
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1)), "{}: {out:?}", sample.display());
        let now = file(&env);
        let proposed = dry["edits"].as_array().expect("edits").len();
        if proposed == 0 {
            assert_eq!(now, original, "{}", sample.display());
            continue;
        }
        serde_json::from_str::<Value>(&now).expect("still JSON");
        // What the dry run showed is what was written.
        assert_eq!(
            serde_json::from_str::<Value>(&now).expect("json"),
            dry["document"],
            "{}",
            sample.display()
        );
        // Nothing fixable is left.
        let again = stdout_json(&fix(&env, &["--format", "json"]));
        assert_eq!(
            again["edits"],
            serde_json::json!([]),
            "{}: {again:#}",
            sample.display()
        );
    }
}

#[test]
fn a_repeated_key_is_named_and_only_its_last_copy_changed() {
    let env = picks_it_up();
    // The URL written twice: the first copy a leftover, the last the one that counts.
    let text = broken().replace(
        "        \"offlineDefinitionUpdate\": \"enabled\",\n",
        "        \"offlineDefinitionUpdate\": \"enabled\",\n        \"offlineDefinitionUpdateUrl\": \"http://old.example/linux/production/\",\n",
    );
    env.write_managed_config(&text);
    let out = fix(&env, &[]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("\"offlineDefinitionUpdateUrl\" is written 2 times in \"antivirusEngine\": the last copy was changed"),
        "{human}"
    );
    let json = stdout_json(&fix(&env, &["--format", "json"]));
    let edits = json["edits"].as_array().expect("edits");
    let url = edits
        .iter()
        .find(|e| e["pointer"] == "/antivirusEngine/offlineDefinitionUpdateUrl")
        .expect("the URL edit");
    assert!(
        url["repeated"]
            .as_str()
            .is_some_and(|r| r.contains("remove the others by hand")),
        "{url:#}"
    );
    assert!(
        edits
            .iter()
            .filter(|e| e["pointer"] != url["pointer"])
            .all(|e| e.get("repeated").is_none()),
        "only the repeated key says so: {edits:#?}"
    );

    let applied = fix(&env, &["--apply"]);
    // The key nobody can fix is left: a warning.
    assert_eq!(
        applied.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&applied.stdout)
    );
    let after = file(&env);
    assert!(
        after.contains(
            "\"offlineDefinitionUpdateUrl\": \"http://old.example/linux/production/\",\n"
        ),
        "the first copy stays as it was: {after}"
    );
    assert!(
        after.contains(&format!("\"offlineDefinitionUpdateUrl\": \"{URL}\"")),
        "{after}"
    );
}

#[test]
fn a_run_without_root_is_told_to_run_as_root_and_nothing_changes() {
    // As nobody when the tests run as root (the file is root's, as on an endpoint); as
    // this user otherwise, on a file of its own (--force) in a folder it may not write.
    let env = picks_it_up();
    let path = env.managed_config_path();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let folder_mode = if root { 0o755 } else { 0o555 };
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(folder_mode))
        .expect("chmod");
    let (mut cmd, _keep) = crate::testenv::as_non_root();
    cmd.args(["config", "fix", "--apply"])
        .arg(&path)
        .env("MDATP_DOCTOR_MDATP", crate::testenv::fake_mdatp_path())
        .env("MDATP_DOCTOR_STATE_DIR", env.state_dir());
    if !root {
        cmd.arg("--force");
    }
    let out = cmd.output().expect("runs");
    std::fs::set_permissions(env.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let uid = if root {
        crate::testenv::NOBODY
    } else {
        // SAFETY: as above.
        unsafe { libc::geteuid() }
    };
    assert!(
        stderr.contains(&format!(
            "uid {uid} (this run) cannot replace {}",
            path.display()
        )) && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    if root {
        assert!(
            stderr.contains("it belongs to uid 0, and only root may give the new file that owner"),
            "{stderr}"
        );
    }
    assert!(
        stderr.contains(&format!(
            "{} (owner uid {}, mode {folder_mode:04o}) does not let it create the new file beside it: Permission denied",
            env.path().display(),
            std::fs::metadata(env.path()).expect("meta").uid()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: config fix --apply and --undo replace the root-owned managed file: run the same command as root (sudo mdatp-doctor config fix …)"),
        "{stderr}"
    );
    assert!(!stderr.contains("wait for it"), "{stderr}");
    // Refused before anything: no backup, no mdatp, the file as it was.
    assert_eq!(file(&env), broken());
    assert!(!env.state_dir().join("backups").exists());
    assert!(env.invocations().is_empty());
}

/// The command a finding's fix names, as words (between the backticks after `after`).
fn named_command(fix: &str, after: &str) -> Vec<String> {
    let start = fix
        .find(after)
        .unwrap_or_else(|| panic!("no `{after}` in: {fix}"));
    let rest = &fix[start + 1..];
    let cmd = &rest[..rest.find('`').expect("closing backtick")];
    cmd.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_fix_of_a_checked_file_names_config_fix_on_that_file() {
    let env = TestEnv::new();
    // A candidate file elsewhere than the managed file: the commands must name it.
    let candidate = env.path().join("candidate.json");
    std::fs::write(
        &candidate,
        r#"{"antivirusEngine": {"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "mirror:8000/linux/production/"}, "features": {"offlineDefinitionUpdateVerifySig": "disabled"}}"#,
    )
    .expect("write");
    let out = env
        .cmd()
        .args(["config", "check", "--format", "json"])
        .arg(&candidate)
        .output()
        .expect("runs");
    let report = stdout_json(&out);
    let fix_of = |id: &str| {
        crate::testenv::finding(&report, id)["fix"]
            .as_str()
            .expect("fix")
            .to_string()
    };
    let shown = candidate.display().to_string();
    // Fixable: `config fix --apply FILE`; without --apply, the diff of that very file.
    let verify = named_command(&fix_of("config-verify-sig-off"), "`mdatp-doctor config fix");
    assert_eq!(
        verify,
        ["mdatp-doctor", "config", "fix", "--apply", shown.as_str()]
    );
    let dry: Vec<&str> = verify[1..]
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "--apply")
        .collect();
    let out = env.cmd().args(&dry).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(&format!("{shown}: 1 change")) && text.contains("\"enabled\""),
        "{text}"
    );
    // Not fixable without a person (the scheme): the `--set` that writes the likely URL.
    let set = named_command(&fix_of("url-malformed"), "`mdatp-doctor config fix --set");
    assert_eq!(
        set,
        [
            "mdatp-doctor",
            "config",
            "fix",
            "--set",
            "antivirusEngine.offlineDefinitionUpdateUrl=http://mirror:8000/linux/production/",
            "--apply",
            shown.as_str()
        ]
    );
    let dry: Vec<&str> = set[1..]
        .iter()
        .map(String::as_str)
        .filter(|w| *w != "--apply")
        .collect();
    let out = env.cmd().args(&dry).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("+++ ") && text.contains("http://mirror:8000/linux/production/"),
        "{text}"
    );
    // Nothing was written by the dry runs.
    assert!(
        std::fs::read_to_string(&candidate)
            .expect("read")
            .contains("\"mirror:8000/linux/production/\"")
    );
}
