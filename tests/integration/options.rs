//! Options a newcomer trips on: each is honoured or refused with a usage error (64),
//! never accepted and then ignored.

use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health, stdout_json};

const OFFLINE_URL: &str = "http://127.0.0.1:9/linux/production/";

fn endpoint() -> TestEnv {
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(&Defs::healthy(OFFLINE_URL).text()),
    )
    .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(OFFLINE_URL, false));
    env
}

#[test]
fn options_that_would_be_ignored_are_refused() {
    let env = endpoint();
    for args in [
        &[
            "health",
            "--from-file",
            "/dev/null",
            "--details",
            "antivirus",
        ][..],
        &["health", "--from-file", "/dev/null", "--all"],
        &[
            "diagnose",
            "--list",
            "--url",
            "http://mirror/linux/production/",
        ],
        &["diagnose", "--explain", "url-mismatch", "--skip-network"],
    ] {
        let out = env.cmd().args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(
        env.invocations().is_empty(),
        "a refused command runs nothing"
    );
}

#[test]
fn a_zero_time_limit_says_why() {
    let env = endpoint();
    for args in [
        &["--timeout", "0", "health"][..],
        &["check", "--deadline", "0", "--format", "json"],
    ] {
        let out = env.cmd().args(args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stderr.contains("must be more than 0") || stdout.contains("must be more than 0"),
            "{args:?}: {stderr}{stdout}"
        );
        assert!(!stderr.contains("at most a day"), "{stderr}");
    }
}

#[test]
fn check_writes_the_textfile_whatever_format_it_prints() {
    let env = endpoint();
    let dir = env.path().join("textfile");
    std::fs::create_dir(&dir).expect("mkdir");
    let out = env
        .cmd()
        .args([
            "check",
            "--skip-network",
            "--format",
            "nagios",
            "--textfile-dir",
        ])
        .arg(&dir)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("MDATP OFFLINE-UPDATES OK"), "{stdout}");
    assert_eq!(out.status.code(), Some(0));
    let prom = std::fs::read_to_string(dir.join("mdatp_doctor.prom")).expect("textfile written");
    assert!(prom.contains("mdatp_doctor_check_success 1"), "{prom}");
}

#[test]
fn check_format_human_is_the_diagnose_view() {
    let env = endpoint();
    let out = env
        .cmd()
        .args(["check", "--skip-network", "--format", "human"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Verdict: OK"), "{stdout}");
    assert!(!stdout.starts_with("MDATP OFFLINE-UPDATES"), "{stdout}");
}

#[test]
fn explain_has_the_envelope_too() {
    let env = endpoint();
    let out = env
        .cmd()
        .args(["diagnose", "--explain", "url-mismatch", "--format", "json"])
        .output()
        .expect("runs");
    let doc = stdout_json(&out);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["id"], "url-mismatch");
}

#[test]
fn bundle_output_errors_name_the_path_and_a_directory_gets_the_default_name() {
    let env = endpoint();
    let logs = env.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    let bundle = |out: &std::path::Path| {
        env.cmd()
            .args(["bundle", "--skip-network", "--log-dir"])
            .arg(&logs)
            .arg("-o")
            .arg(out)
            .output()
            .expect("runs")
    };
    let missing = env.path().join("no/such/dir/b.tar.gz");
    let out = bundle(&missing);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot create {}: the directory {} does not exist",
            missing.display(),
            missing.parent().unwrap().display()
        )),
        "{stderr}"
    );
    // A directory: the default file name inside it.
    let dir = env.path().join("bundles");
    std::fs::create_dir(&dir).expect("mkdir");
    let out = bundle(&dir);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: Vec<_> = std::fs::read_dir(&dir)
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        made.len() == 1 && made[0].starts_with("mdatp-doctor-") && made[0].ends_with(".tar.gz"),
        "{made:?}"
    );
    // A pseudo file system is not "0 bytes free": its own error is said.
    let out = bundle(std::path::Path::new("/proc/b.tar.gz"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot create /proc/b.tar.gz"), "{stderr}");
    assert!(!stderr.contains("bytes free"), "{stderr}");
}
