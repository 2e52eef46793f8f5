//! `config fix` under attack (issue 26 §3, §4, §9): `--undo` restores only a backup of the
//! file it undoes, written by us and unchanged; `--no-verify` does not skip the policy
//! guard; an edit saved during the fix is never lost; directories others control above
//! the file, and locations mdatp cannot fetch from, are refused. Each failed before.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::testenv::{DEFINITIONS, Reply, TestEnv, stdout_json};

const URL: &str = "http://127.0.0.1:9/linux/production/";
const NOBODY: u32 = 65534;

/// A file config fix changes (the arch folder cut from the URL), as root would own it.
fn fixable(url_tail: &str) -> String {
    format!(
        "{{\"antivirusEngine\": {{\"offlineDefinitionUpdate\": \"enabled\", \"offlineDefinitionUpdateUrl\": \"{URL}{url_tail}\"}},\n \"features\": {{\"offlineDefinitionUpdateVerifySig\": \"enabled\"}}}}\n"
    )
}

fn env_with(text: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(&format!(
            "offline_definition_update : \"enabled\" [managed]\noffline_definition_url_configured : \"{URL}\" [managed]\n"
        )),
    );
    env.write_managed_config(text);
    env
}

fn fix(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.cmd()
        .args(["config", "fix", "--format", "json"])
        .args(args)
        .output()
        .expect("runs")
}

/// `config fix` on FILE (not the managed file), with JSON output.
fn fix_file(env: &TestEnv, file: &Path, args: &[&str]) -> std::process::Output {
    env.cmd()
        .args(["config", "fix", "--format", "json"])
        .args(args)
        .arg(file)
        .output()
        .expect("runs")
}

fn error_kind(out: &std::process::Output) -> String {
    stdout_json(out)["error"]["kind"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read")
}

fn backups(env: &TestEnv) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(env.state_dir().join("backups"))
        .map(|d| {
            d.map(|e| e.expect("entry").path())
                .filter(|p| !p.to_string_lossy().ends_with(".source"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Applies the fix to the managed file, without reading health (hence --force).
fn apply(env: &TestEnv) {
    let out = fix(env, &["--apply", "--no-verify", "--force"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
}

#[test]
fn undo_with_a_file_argument_undoes_that_file_never_the_live_one() {
    // The attack: `config fix --undo FILE` took FILE as the backup and wrote it over the
    // managed file. Now FILE is what is undone, and it has no backup.
    let env = env_with(&fixable("arch_x86_64/"));
    let live = env.managed_config_path();
    apply(&env);
    let fixed = read(&live);
    let other = env.path().join("other.json");
    std::fs::write(&other, "{\"antivirusEngine\": {}}\n").expect("write");
    let out = fix_file(&env, &other, &["--undo"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(error_kind(&out), "no_backup");
    assert_eq!(read(&live), fixed, "the live file was not touched");
    assert_eq!(read(&other), "{\"antivirusEngine\": {}}\n");
}

#[test]
fn undo_restores_this_files_backup_not_the_newest_of_another() {
    let env = env_with(&fixable("arch_x86_64/"));
    let live = env.managed_config_path();
    let before_live = read(&live);
    apply(&env);
    // A second managed-looking file, fixed later: its backup is the newest one.
    let other_dir = env.path().join("other");
    std::fs::create_dir(&other_dir).expect("mkdir");
    std::fs::set_permissions(&other_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let other = other_dir.join("mdatp_managed.json");
    std::fs::write(&other, fixable("arch_arm64/")).expect("write");
    let out = fix_file(&env, &other, &["--apply", "--no-verify", "--force"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert_eq!(backups(&env).len(), 2);

    let out = fix(&env, &["--undo", "--no-verify"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert_eq!(read(&live), before_live, "its own backup came back");
    assert_ne!(
        read(&other),
        fixable("arch_arm64/"),
        "the other stays fixed"
    );

    // Naming the other file's backup for this one is refused.
    let theirs = backups(&env)
        .into_iter()
        .find(|b| {
            read(Path::new(&format!("{}.source", b.display()))).contains("other/mdatp_managed")
        })
        .expect("the other file's backup");
    let now = read(&live);
    let out = fix(
        &env,
        &[&format!("--undo={}", theirs.display()), "--no-verify"],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(error_kind(&out), "backup_refused");
    assert!(
        stdout_json(&out)["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("a backup of"),
        "{out:?}"
    );
    assert_eq!(read(&live), now);
    // --undo-from is the same refusal.
    let theirs_arg = theirs.display().to_string();
    let out = fix(&env, &["--no-verify", "--undo-from", &theirs_arg]);
    assert_eq!(error_kind(&out), "backup_refused");
}

#[test]
fn an_altered_non_json_or_open_backup_is_refused() {
    let env = env_with(&fixable("arch_x86_64/"));
    let live = env.managed_config_path();
    apply(&env);
    let fixed = read(&live);
    let backup = backups(&env).pop().expect("a backup");
    let record = PathBuf::from(format!("{}.source", backup.display()));

    // Changed after it was written: the recorded hash no longer matches.
    let original = std::fs::read(&backup).expect("read");
    std::fs::write(
        &backup,
        b"{\"antivirusEngine\": {\"offlineDefinitionUpdate\": \"disabled\"}}",
    )
    .expect("tamper");
    let out = fix(&env, &["--undo", "--no-verify"]);
    assert_eq!(error_kind(&out), "backup_refused", "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no longer match"));
    assert_eq!(read(&live), fixed);

    // `--undo=FROM` is refused saying `says`, and the live file is untouched.
    let refused = |from: &Path, force: bool, says: &str| {
        let undo = format!("--undo={}", from.display());
        let mut args = vec![undo.as_str(), "--no-verify"];
        if force {
            args.push("--force");
        }
        let out = fix(&env, &args);
        assert_eq!(error_kind(&out), "backup_refused", "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(says),
            "{out:?}"
        );
        assert_eq!(read(&live), fixed);
    };
    // Not JSON (with --force past a missing record): mdatp would ignore all of it.
    std::fs::write(&backup, b"this is not json").expect("write");
    std::fs::remove_file(&record).expect("rm record");
    refused(&backup, false, "no record");
    refused(&backup, true, "not a JSON object");

    // Writable by others (0666): anyone could have put anything in it.
    std::fs::write(&backup, &original).expect("restore bytes");
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    refused(&backup, true, "writable by group or others");

    // Back to 0600 and a symlink in its place: not followed.
    std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let link = env.path().join("link-backup");
    std::os::unix::fs::symlink(&backup, &link).expect("symlink");
    refused(&link, true, "symbolic link");
}

#[test]
#[ignore = "needs root to chown (.ci/run runs it)"]
fn a_backup_owned_by_another_user_is_refused() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "run as root: bash .ci/run does"
    );
    let env = env_with(&fixable("arch_x86_64/"));
    let live = env.managed_config_path();
    apply(&env);
    let fixed = read(&live);
    let backup = backups(&env).pop().expect("a backup");
    std::os::unix::fs::lchown(&backup, Some(NOBODY), None).expect("chown");
    let out = fix(&env, &["--undo", "--no-verify"]);
    assert_eq!(error_kind(&out), "backup_refused", "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("owned by uid 65534"));
    assert_eq!(read(&live), fixed);
}

#[test]
fn no_verify_does_not_skip_the_policy_guard() {
    // The guard reads health for settings a policy manages; --no-verify used to skip the
    // read and with it the guard. Unread, it must ask for --force.
    let env = env_with(&fixable("arch_x86_64/"));
    let before = read(&env.managed_config_path());
    let out = fix(&env, &["--apply", "--no-verify"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(error_kind(&out), "config_policy_unknown");
    assert!(String::from_utf8_lossy(&out.stdout).contains("health was not read"));
    assert_eq!(read(&env.managed_config_path()), before, "nothing written");
    let out = fix(&env, &["--apply", "--no-verify", "--force"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert_ne!(read(&env.managed_config_path()), before);
}

#[test]
fn an_edit_saved_during_the_fix_is_never_lost() {
    let env = env_with(&fixable("arch_x86_64/"));
    let live = env.managed_config_path();
    let signal = env.path().join("in-the-window");
    let child = env
        .std_cmd()
        .args([
            "config",
            "fix",
            "--apply",
            "--no-verify",
            "--force",
            "--format",
            "json",
        ])
        .env("MDATP_DOCTOR_TEST_HOLD_BEFORE_RENAME", &signal)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Bounded: the fix waits 1.5 s in the window; HANG_GUARD means it never got there.
    let mut waited = Duration::ZERO;
    while !signal.exists() {
        assert!(
            waited < crate::testenv::HANG_GUARD,
            "the fix never reached its rename"
        );
        std::thread::sleep(Duration::from_millis(20));
        waited += Duration::from_millis(20);
    }
    // The admin saves, as an editor that rewrites in place would.
    let admins = fixable("arch_x86_64/").replace("\"enabled\"}}", "\"disabled\"}}");
    std::fs::write(&live, &admins).expect("the admin's save");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(error_kind(&out), "config_changed");
    assert_eq!(read(&live), admins, "the admin's edit is what is there");
    // Nothing of ours is left beside it.
    let leftovers: Vec<String> = std::fs::read_dir(env.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_directory_others_can_write_above_the_file_is_refused() {
    let env = TestEnv::new();
    let open = env.path().join("shared");
    let dir = open.join("managed");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // World-writable without the sticky bit: anyone may rename `managed` away.
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let file = dir.join("mdatp_managed.json");
    std::fs::write(&file, fixable("arch_x86_64/")).expect("write");
    let out = fix_file(&env, &file, &["--apply", "--no-verify", "--force"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(error_kind(&out), "config_dir_untrusted");
    assert_eq!(read(&file), fixable("arch_x86_64/"));
    // The sticky bit (as on /tmp) keeps others from renaming what they do not own.
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    let out = fix_file(&env, &file, &["--apply", "--no-verify", "--force"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
}

#[test]
fn set_takes_only_locations_mdatp_can_fetch_from() {
    let env = env_with(&fixable(""));
    for bad in [
        "javascript:alert(1)",
        "file:///etc/shadow",
        "ftp://mirror/linux/production/",
        "http://",
        "relative/linux/production/",
        "http://mirror/linux/\u{1b}[31mproduction/",
    ] {
        let out = fix(
            &env,
            &[
                "--set",
                &format!("antivirusEngine.offlineDefinitionUpdateUrl={bad}"),
            ],
        );
        assert_eq!(out.status.code(), Some(64), "{bad}: {out:?}");
    }
    for good in [
        "https://mirror.example/linux/production/",
        "/srv/wdav-update/linux/production/",
    ] {
        let out = fix(
            &env,
            &[
                "--set",
                &format!("antivirusEngine.offlineDefinitionUpdateUrl={good}"),
            ],
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{good}: {out:?}");
        let report: Value = stdout_json(&out);
        assert!(report.to_string().contains(good), "{report:#}");
    }
    let out = fix(&env, &["--set", "cloudService.proxy=javascript:x"]);
    assert_eq!(out.status.code(), Some(64));
}
