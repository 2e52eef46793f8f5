//! `connectivity` against real loopback servers: healthy and broken mirrors over HTTP,
//! HTTPS (with a CA made per test) and a mounted directory.

use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use crate::server::{
    BlackholePort, MirrorServer, MirrorTree, Override, Pki, SilentServer, refused_port,
};
use crate::testenv::{Reply, TestEnv, finding, ids, stdout_json};

/// Runs `connectivity --format json` with extra arguments; returns exit code and report.
fn connectivity(env: &TestEnv, args: &[&str]) -> (i32, Value) {
    let mut cmd = env.cmd();
    cmd.args(["connectivity", "--format", "json"]);
    if !args.contains(&"--arch") {
        cmd.args(["--arch", "x86_64"]);
    }
    let out = cmd.args(args).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().expect("exit code"), stdout_json(&out))
}

fn step<'a>(report: &'a Value, arch: usize, name: &str) -> &'a Value {
    report["arch"][arch]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {report:#}"))
}

#[test]
fn healthy_http_mirror_found_through_mdatp_health() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let mut env = TestEnv::new();
    env.health_with_url(&server.ring_url());
    let (code, report) = connectivity(&env, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["url"], server.ring_url());
    assert_eq!(report["url_source"], "health");
    assert_eq!(report["proxy"], json!({"url": null, "source": "none"}));
    assert_eq!(report["endpoint"]["definitions_version"], "1.407.417.0");
    let x86 = &report["arch"][0];
    assert_eq!(x86["arch"], "x86_64");
    let names: Vec<&str> = x86["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["dns", "tcp", "manifest", "package", "package_signature"]
    );
    assert!(
        x86["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["ok"] == true)
    );
    assert_eq!(
        x86["manifest"],
        json!({"engine_version": "1.1.24020.4", "definition_version": "1.407.417.0"})
    );
    assert_eq!(x86["package"]["is_zip"], true);
    assert_eq!(x86["package"]["size"], crate::server::tiny_zip().len());
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["verdict"], "ok");
    // One round: the manifest, the package's first bytes and the mirror's status file
    // at once (so in any order), no HEAD.
    let mut hits = server.hits();
    hits.sort();
    assert_eq!(
        hits,
        [
            "GET /linux/production/arch_x86_64/manifest.json",
            "GET /linux/production/arch_x86_64/updates.zip",
            "GET /linux/production/mdatp-doctor-status.json",
        ]
    );
    let package = x86["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["name"] == "package")
        .expect("package step");
    assert_eq!(package["detail"]["status"], 206, "{package}");
    assert_eq!(package["detail"]["range_honoured"], true);
    // Only the read-only health queries ran: the full one for a proxy set with `mdatp
    // config proxy set` (none is configured anywhere else), alongside.
    let mut calls = env.invocations();
    calls.sort();
    assert_eq!(
        calls,
        [vec!["health"], vec!["health", "--details", "definitions"]]
    );

    let human = env
        .cmd()
        .args(["connectivity", "--arch", "x86_64"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("from mdatp health"), "{text}");
    assert!(
        text.contains("Conclusion: the mirror serves a valid package for x86_64"),
        "{text}"
    );
}

#[test]
fn missing_arm64_folder_contents() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let env = TestEnv::new();
    let (code, report) = connectivity(&env, &["--url", &server.ring_url(), "--arch", "all"]);
    assert_eq!(code, 2);
    assert_eq!(report["url_source"], "argument");
    assert_eq!(
        ids(&report),
        ["mirror-package-missing", "mirror-manifest-missing"]
    );
    let f = finding(&report, "mirror-package-missing");
    assert!(f["title"].as_str().expect("title").contains("arm64"));
    assert!(f["fix"].as_str().expect("fix").contains("November 2024"));
    assert_eq!(
        report["arch"][0]["package"]["is_zip"], true,
        "x86_64 is fine"
    );
}

#[test]
fn html_page_saved_as_the_package() {
    let tree = MirrorTree::healthy();
    tree.write(
        "x86_64",
        "updates.zip",
        b"<!DOCTYPE html><html><body>Access denied by proxy</body></html>",
    );
    let server = MirrorServer::http(tree.root.path());
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &server.ring_url()]);
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["mirror-package-invalid"]);
    assert_eq!(
        step(&report, 0, "package_signature")["error"]["message"],
        "updates.zip is an HTML page, not a zip archive"
    );
    assert_eq!(report["arch"][0]["package"]["is_zip"], false);
    assert!(
        finding(&report, "mirror-package-invalid")["fix"]
            .as_str()
            .expect("fix")
            .contains("curl without -f")
    );
}

#[test]
fn an_empty_package_answers_a_range_with_416_and_is_still_judged() {
    let tree = MirrorTree::healthy();
    tree.write("x86_64", "updates.zip", b"");
    let server = MirrorServer::http(tree.root.path());
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &server.ring_url()]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(ids(&report), ["mirror-package-invalid"]);
    // The 416 sends the probe to a HEAD for the size; the signature step still speaks.
    assert_eq!(step(&report, 0, "package")["detail"]["method"], "HEAD");
    assert_eq!(
        step(&report, 0, "package_signature")["error"]["message"],
        "updates.zip is empty"
    );
    assert!(
        server
            .hits()
            .contains(&"HEAD /linux/production/arch_x86_64/updates.zip".to_string()),
        "{:?}",
        server.hits()
    );
}

#[test]
fn empty_and_missing_manifests() {
    let tree = MirrorTree::healthy();
    tree.write(
        "x86_64",
        "manifest.json",
        br#"{ "EngineVersion": "", "DefinitionVersion": "" }"#,
    );
    let server = MirrorServer::http(tree.root.path());
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &server.ring_url()]);
    assert_eq!((code, ids(&report)), (1, vec!["mirror-manifest-invalid"]));
    assert_eq!(report["verdict"], "warning");

    tree.remove("x86_64", "manifest.json");
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &server.ring_url()]);
    assert_eq!((code, ids(&report)), (1, vec!["mirror-manifest-missing"]));
    assert_eq!(step(&report, 0, "manifest")["error"]["status"], 404);
}

#[test]
fn https_with_an_internal_ca() {
    let tree = MirrorTree::healthy();
    let pki = Pki::new("Contoso Mirror CA");
    let server = MirrorServer::https(tree.root.path(), pki.issue(&["127.0.0.1"], (2020, 2099)));
    let env = TestEnv::new();

    let (code, report) = connectivity(&env, &["--url", &server.ring_url()]);
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["mirror-tls-error"]);
    let tls = step(&report, 0, "tls");
    assert_eq!(tls["error"]["tls"], "unknown_issuer");
    assert_eq!(
        tls["detail"]["certificate"]["issuer"],
        "CN=Contoso Mirror CA"
    );
    assert!(
        finding(&report, "mirror-tls-error")["fix"]
            .as_str()
            .expect("fix")
            .contains("CN=Contoso Mirror CA")
    );
    assert!(
        server.hits().is_empty(),
        "no HTTP request after a failed handshake"
    );
    assert_eq!(
        server.accepted(),
        1,
        "one handshake tried: the package request would fail the same way"
    );

    let ca = pki.write_ca(env.path());
    let before = server.accepted();
    let (code, report) = connectivity(
        &env,
        &[
            "--url",
            &server.ring_url(),
            "--ca-cert",
            ca.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    // The certificate facts come from the requests' own connection: over HTTPS both
    // requests of the round (manifest, package) share one kept-alive connection, and the
    // probe makes no handshake of its own beside it. The mirror's status file goes with
    // the package request on a connection of its own: one more handshake, no more wait.
    assert_eq!(server.hits().len(), 3, "{:?}", server.hits());
    assert!(
        server
            .hits()
            .contains(&"GET /linux/production/mdatp-doctor-status.json".to_string())
    );
    assert_eq!(server.accepted() - before, 2, "{:?}", server.hits());
    assert_eq!(step(&report, 0, "tcp")["detail"]["connections"], 1);
    assert_eq!(report["status"]["status"], Value::Null);
    assert!(report["status"].get("error").is_none(), "{report:#}");
    let tls = step(&report, 0, "tls");
    assert_eq!(tls["ok"], true);
    assert_eq!(tls["detail"]["certificate"]["names"], json!(["127.0.0.1"]));
    assert_eq!(
        tls["detail"]["certificate"]["not_after"],
        "2099-01-01T00:00:00Z"
    );
    assert!(
        tls["detail"]["protocol"]
            .as_str()
            .expect("protocol")
            .starts_with("TLS")
    );
    assert_eq!(report["arch"][0]["package"]["is_zip"], true);
    let human = env
        .cmd()
        .args(["connectivity", "--url", &server.ring_url(), "--ca-cert"])
        .arg(&ca)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&human.stdout);
    let row = text
        .lines()
        .find(|l| l.contains(" tls "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("TLSv1_3") && row.contains("(in tcp)"), "{row}");
}

#[test]
fn expired_and_wrong_host_certificates() {
    let tree = MirrorTree::healthy();
    let pki = Pki::new("Test CA");
    let env = TestEnv::new();
    let ca = pki.write_ca(env.path());
    let ca = ca.to_str().expect("utf8");

    let expired = MirrorServer::https(tree.root.path(), pki.issue(&["127.0.0.1"], (2019, 2020)));
    let (code, report) = connectivity(&env, &["--url", &expired.ring_url(), "--ca-cert", ca]);
    assert_eq!(code, 2);
    assert_eq!(step(&report, 0, "tls")["error"]["tls"], "expired");
    assert!(
        finding(&report, "mirror-tls-error")["fix"]
            .as_str()
            .expect("fix")
            .contains("2020-01-01")
    );

    let wrong = MirrorServer::https(
        tree.root.path(),
        pki.issue(&["mirror.example"], (2020, 2099)),
    );
    let (code, report) = connectivity(&env, &["--url", &wrong.ring_url(), "--ca-cert", ca]);
    assert_eq!(code, 2);
    assert_eq!(step(&report, 0, "tls")["error"]["tls"], "name_mismatch");
    assert!(
        finding(&report, "mirror-tls-error")["fix"]
            .as_str()
            .expect("fix")
            .contains("mirror.example")
    );
}

#[test]
fn a_server_that_never_answers_ends_at_the_probe_timeout() {
    let silent = SilentServer::start();
    for scheme in ["http", "https"] {
        // The server never answers: only the 1 s probe timeout (or the harness's hang
        // guard) can end the run; the finding says which did.
        let (code, report) = connectivity(
            &TestEnv::new(),
            &["--url", &silent.ring_url(scheme), "--probe-timeout", "1"],
        );
        assert_eq!(code, 2, "{report:#}");
        assert_eq!(ids(&report), ["mirror-timeout"], "{scheme}");
    }
}

#[test]
fn a_connect_that_gets_no_answer_costs_the_connect_timeout() {
    let hole = BlackholePort::new();
    let url = format!("http://127.0.0.1:{}/linux/production/", hole.port);
    let (code, report) = connectivity(
        &TestEnv::new(),
        &[
            "--url",
            &url,
            "--connect-timeout",
            "1",
            "--probe-timeout",
            "30",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["mirror-timeout"]);
    let tcp = step(&report, 0, "tcp");
    assert_eq!(tcp["error"]["kind"], "connect_timeout");
    // Ended by the 1 s connect timeout, not the 30 s probe timeout: the bounds are the
    // two configured limits, not this machine's speed.
    let ms = tcp["duration_ms"].as_u64().expect("ms");
    assert!(
        (900..30_000).contains(&ms),
        "tcp step took {ms} ms for a 1 s connect timeout"
    );
}

#[test]
fn connection_refused() {
    let url = format!("http://127.0.0.1:{}/linux/production/", refused_port());
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &url]);
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["mirror-unreachable"]);
    assert_eq!(step(&report, 0, "tcp")["error"]["kind"], "refused");
}

#[test]
fn redirects_are_followed_reported_and_loops_caught() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let manifest = "/linux/production/arch_x86_64/manifest.json";
    server.set(manifest, Override::Redirect("/moved/manifest.json".into()));
    std::fs::create_dir_all(tree.root.path().join("moved")).expect("mkdir");
    std::fs::copy(
        tree.arch_dir("x86_64").join("manifest.json"),
        tree.root.path().join("moved/manifest.json"),
    )
    .expect("copy");
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &server.ring_url()]);
    assert_eq!(code, 0, "{report:#}");
    let hops = &step(&report, 0, "manifest")["detail"]["redirects"];
    assert_eq!(hops.as_array().expect("hops").len(), 1);
    assert_eq!(
        hops[0]["to"],
        format!("{}/moved/manifest.json", server.base())
    );

    server.set("/moved/manifest.json", Override::Redirect(manifest.into()));
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &server.ring_url()]);
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["mirror-http-error"]);
    assert_eq!(
        step(&report, 0, "manifest")["error"]["kind"],
        "redirect_loop"
    );
}

#[test]
fn verify_package_refuses_a_5_gb_download_and_checks_a_real_one() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let (code, report) = connectivity(
        &TestEnv::new(),
        &["--url", &server.ring_url(), "--verify-package"],
    );
    assert_eq!(code, 0, "{report:#}");
    let verified = &report["arch"][0]["package"]["verified"];
    assert_eq!(verified["entries"], 1);
    assert_eq!(verified["sha256"].as_str().expect("sha").len(), 64);

    server.set(
        "/linux/production/arch_x86_64/updates.zip",
        Override::HugeZip(5_000_000_000),
    );
    let (code, report) = connectivity(
        &TestEnv::new(),
        &[
            "--url",
            &server.ring_url(),
            "--verify-package",
            "--max-package-size",
            "1GiB",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["mirror-package-invalid"]);
    let verify = step(&report, 0, "package_verify");
    assert_eq!(verify["error"]["kind"], "too_large");
    assert!(
        verify["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("5000000000")
    );
    assert_eq!(report["arch"][0]["package"]["size"], 5_000_000_000u64);
}

#[test]
fn url_with_the_arch_folder_in_it() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let url = format!("{}arch_x86_64/", server.ring_url());
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &url]);
    assert_eq!(code, 2);
    let f = finding(&report, "url-includes-arch");
    assert_eq!(f["severity"], "critical");
    assert!(
        f["fix"]
            .as_str()
            .expect("fix")
            .contains(&format!("\"{}\"", server.ring_url()))
    );
    // Probed as the endpoint would use it: arch_x86_64/arch_x86_64/ does not exist.
    assert!(ids(&report).contains(&"mirror-package-missing"));
}

#[test]
fn directory_mirror_with_a_file_its_owner_cannot_read() {
    let tree = MirrorTree::healthy();
    let zip = tree.arch_dir("x86_64").join("updates.zip");
    std::fs::set_permissions(&zip, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let dir = tree.ring_dir();
    let (code, report) = connectivity(
        &TestEnv::new(),
        &["--url", dir.to_str().expect("utf8"), "--verify-package"],
    );
    let x86 = &report["arch"][0];
    assert!(x86["mount_type"].is_string(), "{x86:#}");
    let perms = x86["permissions"].as_array().expect("permissions");
    assert_eq!(perms.len(), 1, "{perms:#?}");
    assert_eq!(perms[0]["mode"], "0000");
    assert!(
        perms[0]["problem"]
            .as_str()
            .expect("problem")
            .contains("owner cannot read")
    );
    assert!(ids(&report).contains(&"mirror-permissions"));
    // As root the daemon still reads it; as anyone else the read itself fails.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(code, 1, "{report:#}");
        assert_eq!(x86["package"]["verified"]["entries"], 1);
    } else {
        assert_eq!(code, 2, "{report:#}");
    }
    std::fs::set_permissions(&zip, std::fs::Permissions::from_mode(0o644)).expect("chmod back");
}

#[test]
fn url_and_proxy_from_the_managed_config_when_mdatp_is_missing() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let env = TestEnv::new();
    // The origin refuses connections; only the proxy (our server, answering absolute-form
    // requests) can serve the files, so success proves the proxy was used.
    let origin = format!("http://127.0.0.1:{}/linux/production/", refused_port());
    env.write_managed_config(&format!(
        r#"{{"antivirusEngine": {{"offlineDefinitionUpdateUrl": "{origin}"}}, "cloudService": {{"proxy": "{}/"}}}}"#,
        server.base()
    ));
    let (code, report) = connectivity(&env, &["--mdatp", "/nonexistent/mdatp"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["url_source"], "managed-config");
    assert_eq!(
        report["proxy"],
        json!({"url": format!("{}/", server.base()), "source": "managed-config"})
    );
    assert!(
        report["warnings"][0]
            .as_str()
            .expect("warning")
            .contains("mdatp not found")
    );
    assert!(
        server.hits()[0].starts_with("GET http://127.0.0.1:"),
        "{:?}",
        server.hits()
    );

    let (code, report) = connectivity(&env, &["--mdatp", "/nonexistent/mdatp", "--no-proxy"]);
    assert_eq!(code, 2);
    assert_eq!(report["proxy"]["source"], "disabled");
    assert_eq!(ids(&report), ["mirror-unreachable"]);
}

#[test]
fn credentials_in_the_proxy_and_the_url_are_never_shown() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let env = TestEnv::new();
    let origin = format!(
        "http://bob:Hunter2pw@127.0.0.1:{}/linux/production/",
        refused_port()
    );
    let proxy = server.base().replace("http://", "http://alice:S3cretPw@");
    env.write_managed_config(&format!(
        r#"{{"antivirusEngine": {{"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "{origin}"}}, "cloudService": {{"proxy": "{proxy}/"}}}}"#
    ));
    for command in [
        &["connectivity", "--mdatp", "/nonexistent/mdatp"][..],
        &[
            "connectivity",
            "--mdatp",
            "/nonexistent/mdatp",
            "--format",
            "json",
        ],
        &["diagnose", "--mdatp", "/nonexistent/mdatp"],
        &[
            "diagnose",
            "--mdatp",
            "/nonexistent/mdatp",
            "--format",
            "json",
        ],
        &["check", "--mdatp", "/nonexistent/mdatp"],
    ] {
        let out = env.cmd().args(command).output().expect("runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("S3cretPw") && !all.contains("Hunter2pw") && !all.contains("alice"),
            "{command:?}: {all}"
        );
        // Shown masked where shown at all (check's summary names no URL).
        assert!(
            all.contains("REDACTED@") || command[0] == "check",
            "{command:?}: {all}"
        );
    }
    assert!(
        !server.hits().is_empty(),
        "the proxy was used (with its credentials)"
    );
}

#[test]
fn nothing_to_probe_is_unknown() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["connectivity", "--mdatp", "/nonexistent/mdatp"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no mirror URL to probe") && stderr.contains("--url"),
        "{stderr}"
    );
}

#[test]
fn no_url_configured_while_the_feature_is_on() {
    let mut env = TestEnv::new();
    env.health_with_url("");
    let (code, report) = connectivity(&env, &[]);
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["url-missing"]);
    assert_eq!(report["arch"], json!([]));
}

#[test]
fn a_cloud_only_endpoint_has_no_mirror_to_probe_and_that_is_fine() {
    // Offline updates off, no URL: the documented default, not a warning (issue 25).
    let mut env = TestEnv::new();
    let sample = std::fs::read_to_string(crate::testenv::fixture_path(
        "mdatp/definitions/docs-2025.txt",
    ))
    .expect("fixture");
    let cloud_only = sample
        .replace(
            "\"http://172.XX.XXX.XX:8000/linux/production/\" [managed]",
            "\"\"",
        )
        .replace("\"enabled\" [managed]", "\"disabled\"");
    assert_ne!(cloud_only, sample);
    env.on(crate::testenv::DEFINITIONS, Reply::stdout(&cloud_only));
    let (code, report) = connectivity(&env, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(ids(&report), ["url-missing"]);
    assert_eq!(report["findings"][0]["severity"], "info");
}

#[test]
fn mdatp_connectivity_test_is_run_and_parsed_on_request() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let mut env = TestEnv::new();
    env.health_with_url(&server.ring_url()).on(
        "connectivity test",
        Reply::fixture("mdatp/connectivity/linux-ok.txt"),
    );
    let (code, report) = connectivity(&env, &["--with-mdatp-test"]);
    assert_eq!(code, 0);
    let test = &report["mdatp_connectivity_test"]["results"];
    assert_eq!(test.as_array().expect("results").len(), 14);
    assert_eq!(
        test[0],
        json!({"url": "https://cdn.x.cp.wd.microsoft.com/ping", "ok": true, "result": "OK", "details": []})
    );
    assert!(
        env.invocations()
            .contains(&vec!["connectivity".to_string(), "test".to_string()])
    );
}

#[test]
fn a_server_error_and_a_truncated_package() {
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    server.set(
        "/linux/production/arch_x86_64/updates.zip",
        Override::Status(500),
    );
    let (code, report) = connectivity(&TestEnv::new(), &["--url", &server.ring_url()]);
    assert_eq!(code, 2);
    assert_eq!(ids(&report), ["mirror-http-error"]);
    assert_eq!(step(&report, 0, "package")["error"]["status"], 500);

    // A download cut short: the signature looks right, the archive is not readable.
    let zip = crate::server::tiny_zip();
    tree.write("x86_64", "updates.zip", &zip[..zip.len() / 2]);
    let server = MirrorServer::http(tree.root.path());
    let (code, report) = connectivity(
        &TestEnv::new(),
        &["--url", &server.ring_url(), "--verify-package"],
    );
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(ids(&report), ["mirror-package-invalid"]);
    assert_eq!(step(&report, 0, "package_signature")["ok"], true);
    assert!(
        step(&report, 0, "package_verify")["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("not a readable zip")
    );
}

#[test]
fn a_url_without_a_usable_scheme_is_a_usage_error_with_the_corrected_form() {
    let env = TestEnv::new();
    let empty = tempfile::tempdir().unwrap();
    let folder = empty.path().to_str().unwrap();
    for (url, meant) in [
        (
            "host:8000/linux/production/",
            "did you mean http://host:8000/linux/production/?",
        ),
        (
            "ftp://host/linux/production/",
            "did you mean http://host/linux/production/?",
        ),
    ] {
        for args in [
            vec!["connectivity", "--url", url],
            vec!["diagnose", "--url", url],
            vec!["check", "--format", "json", "--url", url],
            vec!["bundle", "--url", url],
            vec!["mirror", "check", "--folder", folder, "--url", url],
        ] {
            let out = env.cmd().args(&args).output().expect("runs");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(64), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!("invalid value '{url}' for '--url"))
                    && stderr.contains(meant),
                "{args:?}: {stderr}"
            );
            // Never blamed on the managed file, never a finding.
            assert!(!stderr.contains("offlineDefinitionUpdateUrl"), "{stderr}");
            assert!(out.stdout.is_empty(), "{args:?}");
        }
        // `check` in nagios mode (its default) answers as a plugin: UNKNOWN, same words.
        let out = env.cmd().args(["check", "--url", url]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{stdout}");
        assert!(
            stdout.starts_with("MDATP OFFLINE-UPDATES UNKNOWN - bad argument: ")
                && stdout.contains(meant),
            "{stdout}"
        );
    }
    assert!(
        env.invocations().is_empty(),
        "a refused command line runs no mdatp"
    );
    // The same text in the managed file is still a finding, not a usage error.
    env.write_managed_config(r#"{"antivirusEngine": {"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "host:8000/linux/production/"}}"#);
    let out = env
        .cmd()
        .args(["config", "check", "--format", "json"])
        .output()
        .unwrap();
    let doc = stdout_json(&out);
    assert_eq!(
        finding(&doc, "url-malformed")["severity"],
        "warning",
        "{doc:#}"
    );
}
