//! Broken endpoint states that current (2025–2026) mdatp builds print, end to end: the
//! fake mdatp answers as such a build does, and `diagnose` must never call it healthy.

use serde_json::Value;

use crate::server::{MirrorServer, MirrorTree};
use crate::testenv::{
    DEFINITIONS, Defs, Reply, TestEnv, config_for, finding, full_health, ids, stdout_json,
};

/// A loopback URL nothing listens on, for runs that must not probe anything real.
const OFFLINE_URL: &str = "http://127.0.0.1:9/linux/production/";

fn endpoint(defs: &str, health: &str) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(defs))
        .on("health", Reply::stdout(health));
    env.write_managed_config(&config_for(OFFLINE_URL, false));
    env
}

fn diagnose(env: &TestEnv, args: &[&str]) -> (i32, Value) {
    let out = env
        .cmd()
        .args(["diagnose", "--format", "json", "--arch", "x86_64"])
        .args(args)
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    (out.status.code().expect("exit code"), stdout_json(&out))
}

fn defs_with(replacements: &[(&str, &str)]) -> String {
    let mut text = Defs::healthy(OFFLINE_URL).text();
    for (from, to) in replacements {
        assert!(text.contains(from), "{from} not in the definitions text");
        text = text.replace(from, to);
    }
    text
}

#[test]
fn no_definitions_and_no_engine_is_critical_not_info() {
    // The issue's example: before, Verdict INFO and exit 0.
    let defs = defs_with(&[
        ("\"up_to_date\"", "\"unavailable\""),
        ("\"1.407.417.0\"", "\"0.0.0.0\""),
    ]);
    let health = format!(
        "{}engine_load_status : \"Engine not loaded\"\n",
        full_health("101.26062.0007")
    );
    let env = endpoint(&defs, &health);
    let (code, report) = diagnose(&env, &["--skip-network"]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["verdict"], "critical");
    let found = ids(&report);
    for id in [
        "definitions-unavailable",
        "definitions-missing",
        "engine-not-loaded",
    ] {
        assert!(found.contains(&id), "{id} missing in {found:?}");
    }
    assert_eq!(
        finding(&report, "definitions-unavailable")["severity"],
        "critical"
    );
    let engine = finding(&report, "engine-not-loaded");
    assert!(
        engine["fix"]
            .as_str()
            .unwrap()
            .contains("signature verification")
    );
}

#[test]
fn unavailable_is_a_warning_when_offline_updates_are_off() {
    let defs = defs_with(&[
        ("\"up_to_date\"", "\"unavailable\""),
        ("\"enabled\" [managed]", "\"disabled\" [managed]"),
    ]);
    let env = endpoint(&defs, &full_health("101.25012.0000"));
    let (_, report) = diagnose(&env, &["--skip-network"]);
    assert_eq!(
        finding(&report, "definitions-unavailable")["severity"],
        "warning"
    );
}

#[test]
fn the_new_enforcement_field_is_read_first_and_audit_is_not_real_time() {
    for (level, expect) in [
        ("passive", true),
        ("audit", true),
        ("on_demand", true),
        ("real_time", false),
    ] {
        let health = format!(
            "{}antivirus_enforcement_level : \"{level}\"\n",
            full_health("101.26062.0007")
        );
        let env = endpoint(&Defs::healthy(OFFLINE_URL).text(), &health);
        let (_, report) = diagnose(&env, &["--skip-network"]);
        assert_eq!(
            ids(&report).contains(&"enforcement-not-realtime"),
            expect,
            "{level}: {:?}",
            ids(&report)
        );
        if expect {
            let f = finding(&report, "enforcement-not-realtime");
            assert_eq!(f["evidence"][0]["key"], "antivirus_enforcement_level");
            assert!(f["title"].as_str().unwrap().contains(level));
        }
    }
    // Real-time protection on, on a build that has audit and prints no level: the boolean
    // cannot tell real_time from audit, so the managed file's level decides.
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(&Defs::healthy(OFFLINE_URL).text()),
    )
    .on("health", Reply::stdout(&full_health("101.26062.0007")));
    env.write_managed_config(&config_for(OFFLINE_URL, false).replace("\"real_time\"", "\"audit\""));
    let (_, report) = diagnose(&env, &["--skip-network"]);
    let f = finding(&report, "enforcement-not-realtime");
    assert_eq!(f["evidence"][0]["key"], "antivirusEngine.enforcementLevel");
}

#[test]
fn unhealthy_lists_each_health_issue() {
    let health = full_health("101.25012.0000").replace(
        "healthy : true\nhealth_issues : []",
        "healthy : false\nhealth_issues : [\"no active event provider\", \"supplementary events subsystem unavailable\"]",
    );
    let env = endpoint(&Defs::healthy(OFFLINE_URL).text(), &health);
    let (code, report) = diagnose(&env, &["--skip-network"]);
    assert_eq!(code, 1, "{report:#}");
    let f = finding(&report, "mdatp-unhealthy");
    let evidence: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(&"no active event provider"),
        "{evidence:?}"
    );
    assert!(evidence.contains(&"supplementary events subsystem unavailable"));
}

#[test]
fn updating_is_info_once_and_a_warning_when_it_stays_for_an_hour() {
    let defs = defs_with(&[("\"up_to_date\"", "\"updating\"")]);
    let env = endpoint(&defs, &full_health("101.25012.0000"));
    let (code, report) = diagnose(&env, &["--skip-network"]);
    assert_eq!(finding(&report, "definitions-updating")["severity"], "info");
    assert_eq!(code, 0);

    // The history says `updating` since two hours ago, without a break.
    let dir = env.state_dir();
    let now = jiff::Timestamp::now();
    let lines: String = [7200, 3600]
        .iter()
        .map(|ago| {
            let time = now - jiff::SignedDuration::from_secs(*ago);
            format!(
                "{{\"time\":\"{time}\",\"command\":\"check\",\"offline_enabled\":true,\"status\":\"updating\"}}\n"
            )
        })
        .collect();
    std::fs::write(dir.join("history.jsonl"), lines).expect("write history");
    let (code, report) = diagnose(&env, &["--skip-network"]);
    let f = finding(&report, "definitions-updating");
    assert_eq!(f["severity"], "warning", "{report:#}");
    assert!(f["title"].as_str().unwrap().contains("stuck"));
    assert_eq!(code, 1);
}

#[test]
fn an_expired_build_says_upgrade_not_onboard() {
    let health = format!(
        "ATTENTION: No license found. Contact your administrator for help.\n{}licensed : false\nproduct_expiration : Jan 05, 2026 at 01:34:28 PM\n",
        full_health("101.25012.0000").replace("licensed : true\n", "")
    );
    let env = endpoint(&Defs::healthy(OFFLINE_URL).text(), &health);
    let (code, report) = diagnose(&env, &["--skip-network"]);
    assert_eq!(code, 2);
    let found = ids(&report);
    assert!(found.contains(&"mdatp-expired"), "{found:?}");
    assert!(!found.contains(&"mdatp-unlicensed"), "{found:?}");
    assert!(
        finding(&report, "mdatp-expired")["fix"]
            .as_str()
            .unwrap()
            .contains("Upgrade")
    );
}

#[test]
fn an_offboarded_device_names_the_file_that_blocks_onboarding() {
    let health = format!(
        "ATTENTION: No license found. Contact your administrator for help.\n{}",
        full_health("101.25012.0000").replace("licensed : true", "licensed : false")
    );
    let env = endpoint(&Defs::healthy(OFFLINE_URL).text(), &health);
    // Without the offboarding file: not onboarded.
    let (_, report) = diagnose(&env, &["--skip-network"]);
    assert!(ids(&report).contains(&"mdatp-unlicensed"));
    assert!(!ids(&report).contains(&"mdatp-offboarded"));
    // With it: offboarded, and the fix says to remove it.
    let file = env.path().join("mdatp_offboard.json");
    std::fs::write(&file, "{}").expect("write");
    let (code, report) = diagnose(&env, &["--skip-network"]);
    assert_eq!(code, 2);
    assert!(
        !ids(&report).contains(&"mdatp-unlicensed"),
        "{:?}",
        ids(&report)
    );
    let f = finding(&report, "mdatp-offboarded");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains(&file.display().to_string())
    );
}

#[test]
fn engine_drift_between_endpoint_and_mirror() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let mut defs = Defs::healthy(&server.ring_url());
    defs.hours_ago = 10; // longer than the 8 h interval: it had a chance to pull
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(&server.ring_url(), false));

    tree.write(
        "x86_64",
        "manifest.json",
        br#"{"EngineVersion":"1.1.25000.1","DefinitionVersion":"1.407.417.0"}"#,
    );
    let (_, report) = diagnose(&env, &[]);
    let f = finding(&report, "engine-behind-mirror");
    assert_eq!(f["severity"], "warning");
    assert!(f["title"].as_str().unwrap().contains("1.1.25000.1"));

    tree.write(
        "x86_64",
        "manifest.json",
        br#"{"EngineVersion":"1.1.23000.1","DefinitionVersion":"1.407.417.0"}"#,
    );
    let (_, report) = diagnose(&env, &[]);
    let f = finding(&report, "mirror-engine-behind-endpoint");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("definitionupdates.microsoft.com")
    );
    assert!(!ids(&report).contains(&"engine-behind-mirror"));
}

#[test]
fn microsofts_up_to_date_sample_is_not_the_reenable_issue() {
    // The documented sample: the update came from the cloud with fallback off, no fail
    // reason, and no history. That is url-mismatch, not a suspected toggle bug.
    let sample = std::fs::read_to_string(crate::testenv::fixture_path(
        "mdatp/definitions/docs-2025.txt",
    ))
    .expect("fixture");
    let env = endpoint(&sample, &full_health("101.25012.0000"));
    let (_, report) = diagnose(&env, &["--skip-network"]);
    let found = ids(&report);
    assert!(!found.contains(&"reenable-bug-suspected"), "{found:?}");
    assert!(found.contains(&"url-mismatch"), "{found:?}");
}

#[test]
#[ignore = "needs root to mount a 1 MiB tmpfs (.ci/run runs it)"]
fn little_free_space_for_definitions_is_a_warning() {
    let env = endpoint(
        &Defs::healthy(OFFLINE_URL).text(),
        &full_health("101.25012.0000"),
    );
    let dir = env.path().join("mdatp-var");
    std::fs::create_dir(&dir).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&dir)
        .status()
        .expect("mount runs");
    assert!(mounted.success(), "mounting a tmpfs needs root");
    let (code, report) = diagnose(&env, &["--skip-network"]);
    let _ = std::process::Command::new("umount").arg(&dir).status();
    let f = finding(&report, "disk-space-low");
    assert!(f["title"].as_str().unwrap().contains("MiB free"), "{f:#}");
    assert_eq!(code, 1);
}

#[test]
fn a_mirror_line_in_mdatps_own_test_is_evidence() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let url = server.ring_url();
    let mut env = TestEnv::new();
    env.health_with_url(&url);
    env.on(
        "connectivity test",
        Reply::stdout(&format!(
            "Testing connection with https://x.cp.wd.microsoft.com/api/report ... [OK]\n\
             Testing connection with {url}arch_x86_64/manifest.json ... [Error]\n\
             Expected a 200 Response from Proxy, received: 407\n"
        )),
    );
    let out = env
        .cmd()
        .args([
            "connectivity",
            "--with-mdatp-test",
            "--arch",
            "x86_64",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let report = stdout_json(&out);
    let f = finding(&report, "mdatp-test-mirror-failed");
    assert_eq!(f["severity"], "warning");
    let values: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    assert!(values.contains(&"[Error]"), "{values:?}");
    assert!(values.iter().any(|v| v.contains("407")), "{values:?}");
    // Our own probe passed: the difference is the point.
    assert_eq!(out.status.code(), Some(1), "{report:#}");

    // Only Microsoft's endpoints in the test: nothing about the mirror.
    env.on(
        "connectivity test",
        Reply::fixture("mdatp/connectivity/linux-ok.txt"),
    );
    let out = env
        .cmd()
        .args([
            "connectivity",
            "--with-mdatp-test",
            "--arch",
            "x86_64",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert!(!ids(&stdout_json(&out)).contains(&"mdatp-test-mirror-failed"));
}

#[test]
fn a_daemon_that_is_down_is_critical_with_the_service_fix() {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout("Failed to connect\n").exit(1))
        .on("health", Reply::stdout("Failed to connect\n").exit(1));
    env.write_managed_config(&config_for(OFFLINE_URL, false));
    let (code, report) = diagnose(&env, &["--skip-network"]);
    assert_eq!(code, 2, "{report:#}");
    let f = finding(&report, "mdatp-daemon-down");
    assert!(f["fix"].as_str().unwrap().contains("journalctl -u mdatp"));
    assert!(!ids(&report).contains(&"mdatp-failed"));
    // A monitoring check says CRITICAL, not UNKNOWN and never OK.
    let out = env
        .cmd()
        .args(["check", "--skip-network"])
        .output()
        .expect("runs");
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(
        line.starts_with("MDATP OFFLINE-UPDATES CRITICAL - mdatp-daemon-down"),
        "{line}"
    );
    assert_eq!(out.status.code(), Some(2));
}

fn connectivity(env: &TestEnv, args: &[&str]) -> (i32, Value) {
    let out = env
        .cmd()
        .args(["connectivity", "--format", "json", "--arch", "x86_64"])
        .args(args)
        .output()
        .expect("runs");
    (out.status.code().expect("exit code"), stdout_json(&out))
}

#[test]
fn a_404_names_the_downloader_switch_and_a_403_the_modes_and_selinux_label() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let env = TestEnv::new();
    // The preview ring was never downloaded.
    let preview = server.ring_url().replace("/production/", "/preview/");
    let (_, report) = connectivity(&env, &["--url", &preview]);
    let fix = finding(&report, "mirror-manifest-missing")["fix"].to_string();
    assert!(fix.contains("downloadPreviewUpdates"), "{fix}");
    // The backup of n-1 is opt-in and empty until a second version arrives.
    let back = server
        .ring_url()
        .replace("/production/", "/production_back/");
    let (_, report) = connectivity(&env, &["--url", &back]);
    let fix = finding(&report, "mirror-manifest-missing")["fix"].to_string();
    assert!(fix.contains("backupPreviousUpdates"), "{fix}");

    server.set(
        "/linux/production/arch_x86_64/manifest.json",
        crate::server::Override::Status(403),
    );
    let (code, report) = connectivity(&env, &["--url", &server.ring_url()]);
    assert_eq!(code, 2);
    let fix = finding(&report, "mirror-http-error")["fix"].to_string();
    assert!(
        fix.contains("httpd_sys_content_t") && fix.contains("restorecon"),
        "{fix}"
    );
    assert!(fix.contains("a+rX"), "{fix}");
}

#[test]
fn the_trust_store_fix_names_this_distributions_path() {
    let tree = MirrorTree::healthy();
    let pki = crate::server::Pki::new("Contoso Mirror CA");
    let server = MirrorServer::https(tree.root.path(), pki.issue(&["127.0.0.1"], (2020, 2099)));
    for (os_release, path, command) in [
        (
            "ID=\"rhel\"\nID_LIKE=\"fedora\"\n",
            "/etc/pki/ca-trust/source/anchors/",
            "update-ca-trust",
        ),
        (
            "ID=\"sles\"\nID_LIKE=\"suse\"\n",
            "/etc/pki/trust/anchors/",
            "update-ca-certificates",
        ),
        (
            "ID=ubuntu\nID_LIKE=debian\n",
            "/usr/local/share/ca-certificates/",
            "update-ca-certificates",
        ),
    ] {
        let env = TestEnv::new();
        std::fs::write(env.path().join("os-release"), os_release).expect("os-release");
        let (_, report) = connectivity(&env, &["--url", &server.ring_url()]);
        let fix = finding(&report, "mirror-tls-error")["fix"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            fix.contains(path) && fix.contains(command),
            "{os_release}: {fix}"
        );
        let others = [
            "/etc/pki/ca-trust/",
            "/etc/pki/trust/",
            "/usr/local/share/ca-certificates/",
        ];
        for other in others.iter().filter(|o| !path.starts_with(**o)) {
            assert!(!fix.contains(other), "{os_release}: {fix}");
        }
    }
}

#[test]
fn the_proxy_set_with_mdatp_config_is_the_one_probed_through() {
    let tree = MirrorTree::healthy();
    let proxy = MirrorServer::http(tree.root.path());
    // The origin refuses connections: only the proxy (our server answering absolute-form
    // requests) can serve, so a healthy probe proves the proxy was used.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let origin = format!("http://127.0.0.1:{port}/linux/production/");
    let mut env = TestEnv::new();
    env.health_with_url(&origin);
    env.on(
        "health",
        Reply::stdout(&format!(
            "{}proxy : \"{}/\"\n",
            full_health("101.25012.0000"),
            proxy.base()
        )),
    );
    env.write_managed_config(&config_for(&origin, false));
    let (code, report) = diagnose(&env, &[]);
    assert_eq!(
        report["snapshot"]["mirror"]["proxy"]["source"], "health",
        "{report:#}"
    );
    assert!(
        proxy
            .hits()
            .iter()
            .any(|h| h.starts_with("GET http://127.0.0.1:")),
        "{:?}",
        proxy.hits()
    );
    // The probe through the proxy found a healthy mirror: no mirror-* finding at all.
    assert!(
        !ids(&report).iter().any(|id| id.starts_with("mirror-")),
        "{:?}",
        ids(&report)
    );
    assert!(code <= 2, "{report:#}");

    // The URL in health alone: its probe starts when the definitions call answers,
    // before the full health (which holds the proxy) does, and is made again through the
    // proxy once that shows it.
    let mut alone = TestEnv::new();
    alone.health_with_url(&origin);
    alone.on(
        "health",
        Reply::stdout(&format!(
            "{}proxy : \"{}/\"\n",
            full_health("101.25012.0000"),
            proxy.base()
        )),
    );
    let before = proxy.hits().len();
    let (code, report) = diagnose(&alone, &[]);
    assert_eq!(report["snapshot"]["mirror"]["url_source"], "health");
    assert_eq!(
        report["snapshot"]["mirror"]["proxy"]["source"], "health",
        "{report:#}"
    );
    assert!(proxy.hits().len() > before, "through the proxy");
    assert!(
        !ids(&report).iter().any(|id| id.starts_with("mirror-")),
        "{:?}",
        ids(&report)
    );
    assert!(code <= 2, "{report:#}");

    // connectivity takes the same proxy, with the URL from health or from --url.
    for args in [&[][..], &["--url", origin.as_str()][..]] {
        let before = proxy.hits().len();
        let out = env
            .cmd()
            .args(["connectivity", "--format", "json", "--arch", "x86_64"])
            .args(args)
            .output()
            .expect("runs");
        let report = stdout_json(&out);
        assert_eq!(report["proxy"]["source"], "health", "{args:?}: {report:#}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {report:#}");
        assert!(proxy.hits().len() > before, "{args:?}: through the proxy");
        let human = env
            .cmd()
            .args(["connectivity", "--arch", "x86_64"])
            .args(args)
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&human.stdout);
        assert!(
            text.contains("from mdatp health (mdatp config proxy set)"),
            "{text}"
        );
    }
}
