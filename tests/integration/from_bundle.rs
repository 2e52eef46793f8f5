//! `diagnose --from-bundle` and `--from-dir` end to end: a bundle written on a fake broken
//! endpoint re-diagnosed with no mdatp, no network and no state directory; edited,
//! redacted, hostile (a compression bomb, a 2 GiB member, a FIFO, not a bundle at all)
//! and hand-gathered captures.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::bundle::read_bundle;
use crate::server::{MirrorServer, MirrorTree};
use crate::testenv::{DEFINITIONS, Reply, TestEnv, full_health, ids, stdout_json};

/// The mirror the broken endpoint names: reached only through the proxy (the test
/// server), so the name and the bundle's text stay the same whatever port the server has.
pub(crate) const MIRROR: &str = "http://mirror.contoso.example/linux/production/";

/// The moment the example bundle is written, and its endpoint's name (test-only
/// overrides, see `system::now` and `system::hostname`).
pub(crate) const EXAMPLE_NOW: &str = "2025-06-02T09:00:00Z";
pub(crate) const EXAMPLE_HOST: &str = "endpoint-01.contoso.example";

/// `mdatp health --details definitions` of the broken endpoint: verification disabled
/// (on a pre-2026 build, where that is still honoured), updated `updated` (mdatp's
/// local-time format).
pub(crate) fn broken_definitions(updated: &str) -> String {
    format!(
        "automatic_definition_update_enabled         : true [managed]\n\
         definitions_updated                         : {updated}\n\
         definitions_updated_minutes_ago             : 1800\n\
         definitions_version                         : \"1.407.417.0\"\n\
         definitions_status                          : \"up_to_date\"\n\
         definitions_update_source_uri               : \"{MIRROR}\"\n\
         definitions_update_fail_reason              : \"\"\n\
         offline_definition_url_configured           : \"{MIRROR}\" [managed]\n\
         offline_definition_update                   : \"enabled\" [managed]\n\
         offline_definition_update_verify_sig        : \"disabled\"\n\
         offline_definition_update_fallback_to_cloud : false [managed]\n"
    )
}

/// A broken endpoint: the fallback key misspelled in the managed file, signature
/// verification disabled on 101.25012, and a mirror whose updates.zip is an HTML page.
/// The server must outlive the bundle run.
pub(crate) fn broken_endpoint(updated: &str) -> (TestEnv, MirrorTree, MirrorServer, PathBuf) {
    let mut env = TestEnv::new();
    let tree = MirrorTree::healthy();
    tree.write(
        "x86_64",
        "updates.zip",
        b"<!DOCTYPE html><html><body>Access denied by proxy policy</body></html>\n",
    );
    let server = MirrorServer::http(tree.root.path());
    env.on(DEFINITIONS, Reply::stdout(&broken_definitions(updated)))
        .on("health", Reply::stdout(&full_health("101.25012.0000")))
        .on(
            "health --output json",
            Reply::stdout("{\"healthy\": true, \"appVersion\": \"101.25012.0000\"}\n"),
        )
        .on(
            "connectivity test",
            Reply::fixture("mdatp/connectivity/linux-ok.txt"),
        )
        .on(
            "version",
            Reply::stdout("Product version: 101.25012.0000\n"),
        );
    env.write_managed_config(&format!(
        r#"{{
  "cloudService": {{"automaticDefinitionUpdateEnabled": true, "proxy": "{}/"}},
  "antivirusEngine": {{
    "offlineDefinitionUpdateUrl": "{MIRROR}",
    "offlineDefintionUpdateFallbackToCloud": false,
    "offlineDefinitionUpdate": "enabled"
  }}
}}
"#,
        server.base()
    ));
    let logs = env.path().join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(
        logs.join("microsoft_defender_core.log"),
        "info: offline update: package from mirror.contoso.example is not a zip\n",
    )
    .expect("log");
    (env, tree, server, logs)
}

/// `bundle` on that endpoint, probing the mirror for x86_64 only.
pub(crate) fn write_bundle(env: &TestEnv, logs: &Path, out: &Path, extra: &[&str]) -> Output {
    env.cmd()
        .args(["bundle", "--arch", "x86_64", "--format", "json", "-o"])
        .arg(out)
        .arg("--log-dir")
        .arg(logs)
        .arg("--wdavcfg")
        .arg(env.path().join("wdavcfg"))
        .args(extra)
        .output()
        .expect("runs")
}

/// `mdatp-doctor` as a support engineer runs it: no mdatp anywhere, a state directory
/// that does not exist (and must still not exist after), no network settings.
pub(crate) fn engineer(env: &TestEnv) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"));
    cmd.env("MDATP_DOCTOR_MDATP", env.path().join("no-mdatp-here"))
        .env("MDATP_DOCTOR_STATE_DIR", engineer_state(env))
        .env(
            "MDATP_DOCTOR_MANAGED_CONFIG",
            env.path().join("engineer-has-no-managed-file.json"),
        )
        .env("PATH", "/nonexistent")
        .env("COLUMNS", crate::testenv::WIDE)
        .env_remove("NO_COLOR")
        .timeout(crate::testenv::HANG_GUARD);
    cmd
}

fn engineer_state(env: &TestEnv) -> PathBuf {
    env.path().join("engineer-state")
}

fn report_inside(bundle: &Path) -> Value {
    let files = read_bundle(bundle);
    serde_json::from_slice(&files["report.json"]).expect("report.json")
}

fn from_bundle_json(env: &TestEnv, bundle: &Path) -> (i32, Value) {
    let out = engineer(env)
        .args(["diagnose", "--format", "json", "--from-bundle"])
        .arg(bundle)
        .output()
        .expect("runs");
    (out.status.code().expect("exit code"), stdout_json(&out))
}

fn verdict_code(verdict: &str) -> i32 {
    match verdict {
        "ok" => 0,
        "warning" | "info" => 1,
        "critical" => 2,
        _ => 3,
    }
}

#[test]
fn a_broken_endpoint_re_diagnosed_from_its_bundle_gives_the_findings_of_its_report() {
    let (env, _tree, server, logs) = broken_endpoint(&jiff_local_hours_ago(30));
    let bundle = env.path().join("b.tar.gz");
    let out = write_bundle(&env, &logs, &bundle, &[]);
    assert!(
        out.status.code() == Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        server.accepted() > 0,
        "the mirror was probed through the proxy"
    );
    let inside = report_inside(&bundle);
    let then = ids(&inside);
    for id in [
        "config-unknown-key",
        "verify-sig-disabled",
        "mirror-package-invalid",
    ] {
        assert!(then.contains(&id), "{id} in the bundle's report: {then:?}");
    }

    let (code, report) = from_bundle_json(&env, &bundle);
    assert_eq!(ids(&report), then, "today's rules on the capture");
    assert_eq!(report["verdict"], inside["verdict"]);
    assert_eq!(
        code,
        verdict_code(inside["verdict"].as_str().expect("verdict"))
    );
    let source = &report["source"];
    assert_eq!(source["kind"], "bundle");
    assert_eq!(source["compared"]["added"], serde_json::json!([]));
    assert_eq!(source["compared"]["dropped"], serde_json::json!([]));
    let manifest: Value =
        serde_json::from_slice(&read_bundle(&bundle)["MANIFEST.json"]).expect("manifest");
    assert_eq!(source["created"], manifest["created"]);
    assert_eq!(
        source["judged_at"], manifest["created"],
        "ages judged when it was written"
    );
    assert_eq!(source["redacted"], serde_json::json!([]));
    assert_eq!(source["not_captured"], serde_json::json!([]));
    // The probe as recorded, not probed again: the server saw nothing new.
    let hits = server.accepted();
    let human = engineer(&env)
        .args(["diagnose", "--from-bundle"])
        .arg(&bundle)
        .output()
        .expect("runs");
    assert_eq!(server.accepted(), hits, "re-diagnosing probes nothing");
    assert_eq!(human.status.code(), Some(code));
    let text = String::from_utf8_lossy(&human.stdout);
    let host = manifest["hostname"].as_str().expect("host");
    let line = format!(
        "bundle {}, created {} on {host}, by mdatp-doctor {}",
        bundle.display(),
        manifest["created"].as_str().expect("created"),
        env!("CARGO_PKG_VERSION")
    );
    assert!(text.contains(&line), "source line `{line}` in:\n{text}");
    assert!(
        text.contains("(the bundle's creation time), not now"),
        "{text}"
    );
    assert!(
        text.contains("Compared with the report in the bundle"),
        "{text}"
    );
    assert!(text.contains("the same findings as then"), "{text}");
    assert!(
        !engineer_state(&env).exists(),
        "no history written, no state directory made"
    );
}

/// mdatp's local-time format, `hours` before now, in the test's zone (the bundle records
/// the zone; the fake prints what the endpoint would).
fn jiff_local_hours_ago(hours: i64) -> String {
    jiff::ZonedDateTime::now()
        .checked_sub(jiff::SignedDuration::from_hours(hours))
        .expect("time")
        .strftime("%b %d, %Y at %I:%M:%S %p")
        .to_string()
}

/// The bundle with some members replaced (`Some`) or removed (`None`), its manifest as
/// it was: what someone editing the files after the fact leaves.
fn tampered(bundle: &Path, out: &Path, changes: &[(&str, Option<&[u8]>)]) {
    let files = read_bundle(bundle);
    let file = std::fs::File::create(out).expect("create");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    for (name, bytes) in &files {
        let bytes = match changes.iter().find(|(n, _)| n == name) {
            Some((_, Some(new))) => new.to_vec(),
            Some((_, None)) => continue,
            None => bytes.clone(),
        };
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        tar.append_data(&mut h, name, &bytes[..]).expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gz");
}

#[test]
fn a_bundle_edited_after_the_fact_is_flagged_and_still_diagnosed() {
    let (env, _tree, _server, logs) = broken_endpoint(&jiff_local_hours_ago(30));
    let bundle = env.path().join("b.tar.gz");
    assert_eq!(
        write_bundle(&env, &logs, &bundle, &[]).status.code(),
        Some(0)
    );
    let files = read_bundle(&bundle);
    let defs = String::from_utf8(files["mdatp/health-definitions.txt"].clone()).expect("utf8");
    // Someone "fixes" the verification setting in the capture and drops the history.
    let edited = defs.replace(
        "offline_definition_update_verify_sig        : \"disabled\"",
        "offline_definition_update_verify_sig        : \"enabled\"",
    );
    assert_ne!(edited, defs);
    let altered = env.path().join("altered.tar.gz");
    tampered(
        &bundle,
        &altered,
        &[
            ("mdatp/health-definitions.txt", Some(edited.as_bytes())),
            ("history.jsonl", None),
        ],
    );
    let (code, report) = from_bundle_json(&env, &altered);
    let found = ids(&report);
    assert!(found.contains(&"bundle-altered"), "{found:?}");
    let evidence = altered_files(&report);
    assert!(
        evidence.contains(&(
            "mdatp/health-definitions.txt".into(),
            "hash mismatch".into()
        )),
        "{evidence:?}"
    );
    assert!(
        evidence.contains(&("history.jsonl".into(), "missing".into())),
        "{evidence:?}"
    );
    // Still diagnosed, on what is there: the edit shows as a dropped finding.
    assert!(!found.contains(&"verify-sig-disabled"), "{found:?}");
    assert!(found.contains(&"mirror-package-invalid"), "{found:?}");
    let dropped = &report["source"]["compared"]["dropped"];
    assert!(
        dropped
            .as_array()
            .expect("dropped")
            .contains(&Value::from("verify-sig-disabled")),
        "{dropped}"
    );
    assert!(code >= 2, "a critical finding remains: {code}");
    // `--list-contents` agrees.
    let list = engineer(&env)
        .args(["bundle", "--format", "json", "--list-contents"])
        .arg(&altered)
        .output()
        .expect("runs");
    assert_eq!(list.status.code(), Some(2));
    assert_eq!(stdout_json(&list)["intact"], false);
}

#[test]
fn a_redacted_bundle_is_diagnosed_without_guessing_what_was_redacted() {
    let (env, _tree, _server, logs) = broken_endpoint(&jiff_local_hours_ago(30));
    let bundle = env.path().join("b.tar.gz");
    let out = write_bundle(&env, &logs, &bundle, &["--redact-ids"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = read_bundle(&bundle);
    let config = String::from_utf8_lossy(&files["config/mdatp_managed.json"]);
    assert!(!config.contains("mirror.contoso.example"), "{config}");
    let inside = report_inside(&bundle);

    let (_, report) = from_bundle_json(&env, &bundle);
    // Placeholders stand for the same value everywhere: comparisons hold, so the same
    // findings; none about the URL's presence or form.
    assert_eq!(ids(&report), ids(&inside));
    let found = ids(&report);
    for id in ["url-missing", "url-malformed", "url-mismatch"] {
        assert!(!found.contains(&id), "{id} from a placeholder: {found:?}");
    }
    let redacted: Vec<&str> = report["source"]["redacted"]
        .as_array()
        .expect("redacted")
        .iter()
        .map(|v| v.as_str().expect("str"))
        .collect();
    for field in [
        "definitions: offline_definition_url_configured",
        "managed config: antivirusEngine.offlineDefinitionUpdateUrl",
        "mirror: url",
    ] {
        assert!(redacted.contains(&field), "{field} in {redacted:?}");
    }
    assert!(
        report["source"]["host"]
            .as_str()
            .is_some_and(|h| h.starts_with("host-")),
        "{}",
        report["source"]
    );
}

#[test]
fn a_redacted_address_is_not_judged_by_its_form() {
    // An IPv6 mirror: `--redact-ids` writes `[ip-1]`, which is no address. The live run
    // found the URL well-formed; the bundle cannot say, and must not call it malformed.
    let mut env = TestEnv::new();
    let url = "http://[fd00::15]:8080/linux/production/";
    env.health_with_url(url)
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&crate::testenv::config_for(url, false));
    let logs = env.path().join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    let bundle = env.path().join("b.tar.gz");
    let out = write_bundle(&env, &logs, &bundle, &["--redact-ids", "--skip-network"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inside = report_inside(&bundle);
    assert!(
        !ids(&inside).contains(&"url-malformed"),
        "{:?}",
        ids(&inside)
    );
    let (code, report) = from_bundle_json(&env, &bundle);
    let found = ids(&report);
    assert!(!found.contains(&"url-malformed"), "{found:?}");
    assert!(found.contains(&"bundle-redacted-value"), "{found:?}");
    let f = crate::testenv::finding(&report, "bundle-redacted-value");
    assert_eq!(f["severity"], "unknown", "cannot judge");
    assert!(code >= 2, "{code}");
    assert!(
        f["title"]
            .as_str()
            .expect("title")
            .contains("url-malformed"),
        "{f}"
    );
}

/// Runs with a 1 GiB address-space limit and a CPU-time limit (the hang guard's worth of
/// its own CPU), killed past `limit` of wall-clock time, which only a real hang reaches: a
/// reader that buffered a bomb would fail to allocate (and abort) instead of ending with
/// its clear error, and one that spun would be stopped by SIGXCPU. Neither limit is a
/// speed: how fast a bomb is refused is measured by scripts/bench.sh.
fn bounded(mut cmd: Command, limit: Duration) -> Output {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            let cpu = libc::rlimit {
                rlim_cur: crate::testenv::HANG_GUARD.as_secs(),
                rlim_max: crate::testenv::HANG_GUARD.as_secs(),
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0
                || libc::setrlimit(libc::RLIMIT_CPU, &cpu) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn engineer_std(env: &TestEnv, file: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"));
    cmd.env("MDATP_DOCTOR_MDATP", env.path().join("no-mdatp-here"))
        .env("MDATP_DOCTOR_STATE_DIR", engineer_state(env))
        .args(["diagnose", "--from-bundle"])
        .arg(file);
    cmd
}

/// A deflate stream written bit by bit (RFC 1951, fixed Huffman codes): long runs of
/// zeros cost 13 bits per 258 bytes, so a bomb is small to write and quick to make.
struct Deflate {
    out: Vec<u8>,
    acc: u64,
    bits: u32,
}

impl Deflate {
    fn new() -> Deflate {
        let mut d = Deflate {
            out: Vec::new(),
            acc: 0,
            bits: 0,
        };
        d.put(0, 1); // not the last block
        d.put(1, 2); // fixed Huffman codes
        d
    }
    fn put(&mut self, value: u64, n: u32) {
        self.acc |= value << self.bits;
        self.bits += n;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }
    /// Huffman codes go most significant bit first.
    fn code(&mut self, code: u32, n: u32) {
        let reversed = code.reverse_bits() >> (32 - n);
        self.put(u64::from(reversed), n);
    }
    fn literal(&mut self, b: u8) {
        if b < 144 {
            self.code(0x30 + u32::from(b), 8);
        } else {
            self.code(0x190 + u32::from(b - 144), 9);
        }
    }
    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.literal(b);
        }
    }
    /// `n` zeros after a zero: copies of 258 bytes at distance 1.
    fn zeros(&mut self, n: u64) {
        for _ in 0..n / 258 {
            self.code(0xC5, 8); // length 258
            self.code(0, 5); // distance 1
        }
        for _ in 0..n % 258 {
            self.literal(0);
        }
    }
    /// Ends the block and the stream (the gzip trailer is never reached by a reader
    /// that stops at its cap).
    fn gzip(mut self) -> Vec<u8> {
        self.code(0, 7);
        self.put(1, 1);
        self.put(1, 2);
        self.code(0, 7);
        self.put(0, 7);
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        gz.extend(self.out);
        gz.extend([0u8; 8]);
        gz
    }
}

fn tar_header(name: &str, size: u64) -> [u8; 512] {
    let mut h = tar::Header::new_gnu();
    h.set_path(name).expect("name");
    h.set_size(size);
    h.set_mode(0o600);
    h.set_cksum();
    *h.as_bytes()
}

#[test]
fn a_compression_bomb_a_huge_member_a_fifo_and_a_non_bundle_end_with_exit_3() {
    let env = TestEnv::new();
    // Only a hang (a blocked read uses no CPU) gets near this; work is bounded by CPU time.
    let limit = crate::testenv::HANG_GUARD;

    // Five members of 100 MiB of zeros: 500 MiB inflated from about 3 MB.
    let mut d = Deflate::new();
    for i in 0..5 {
        d.bytes(&tar_header(&format!("logs/zeros-{i}.log"), 100 << 20));
        d.zeros(100 << 20);
    }
    let bomb = d.gzip();
    assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
    let bomb_file = env.path().join("bomb.tar.gz");
    std::fs::write(&bomb_file, &bomb).expect("write");
    let out = bounded(engineer_std(&env, &bomb_file), limit);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("inflates to more than"), "{err}");
    assert!(out.stdout.is_empty() || !String::from_utf8_lossy(&out.stdout).contains("Verdict: OK"));

    // One member that declares 2 GiB: refused on its header, before any of its data.
    let mut d = Deflate::new();
    d.bytes(&tar_header("mdatp/diagnostic.zip", 2 << 30));
    d.zeros(1 << 20);
    let huge = env.path().join("huge.tar.gz");
    std::fs::write(&huge, d.gzip()).expect("write");
    let out = bounded(engineer_std(&env, &huge), limit);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("declares 2147483648 bytes"), "{err}");

    // Not a bundle: a text file, a gzip of text, a tar.gz without a manifest.
    let text = env.path().join("notes.txt");
    std::fs::write(&text, "healthy : true\n").expect("write");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"just text\n").expect("gz");
    let gz_text = env.path().join("text.gz");
    std::fs::write(&gz_text, gz.finish().expect("gz")).expect("write");
    let no_manifest = env.path().join("no-manifest.tar.gz");
    {
        let file = std::fs::File::create(&no_manifest).expect("create");
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o600);
        h.set_cksum();
        tar.append_data(&mut h, "mdatp/health.txt", &b"x : 1"[..])
            .expect("append");
        tar.into_inner().expect("tar").finish().expect("gz");
    }
    for (file, says) in [
        (&text, "not a readable bundle"),
        (&gz_text, "not a readable bundle"),
        (&no_manifest, "no MANIFEST.json"),
    ] {
        let out = bounded(engineer_std(&env, file), limit);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{}: {err}", file.display());
        assert!(err.contains(says), "{}: {err}", file.display());
    }

    // A FIFO in place of the file: refused, not waited on.
    let fifo = env.path().join("fifo.tar.gz");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid C string and mode.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = bounded(engineer_std(&env, &fifo), limit);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
    assert!(!engineer_state(&env).exists());
}

#[test]
fn a_folder_of_saved_outputs_is_diagnosed_and_its_symlinks_are_not_followed() {
    let (env, _tree, _server, _logs) = broken_endpoint(&jiff_local_hours_ago(30));
    let dir = env.path().join("saved");
    std::fs::create_dir_all(dir.join("mdatp")).expect("mkdir");
    std::fs::create_dir_all(dir.join("config")).expect("mkdir");
    std::fs::write(
        dir.join("mdatp/health-definitions.txt"),
        broken_definitions(&jiff_local_hours_ago(30)),
    )
    .expect("write");
    std::fs::write(dir.join("mdatp/health.txt"), full_health("101.25012.0000")).expect("write");
    std::fs::copy(
        crate::testenv::fixture_path("managed/docs-2024-misspelled-fallback.json"),
        dir.join("config/mdatp_managed.json"),
    )
    .expect("copy");
    // A symlink where the probe record would be: never followed.
    let secret = env.path().join("secret.json");
    std::fs::write(&secret, r#"{"url": "http://planted.example/", "arch": []}"#).expect("w");
    std::os::unix::fs::symlink(&secret, dir.join("mirror.json")).expect("symlink");

    // `diagnose --format json --from-dir` on the folder, as a support engineer runs it.
    let from_dir = || {
        engineer(&env)
            .args(["diagnose", "--format", "json", "--from-dir"])
            .arg(&dir)
            .output()
            .expect("runs")
    };
    let out = from_dir();
    let report = stdout_json(&out);
    let found = ids(&report);
    for id in ["verify-sig-disabled", "config-unknown-key"] {
        assert!(found.contains(&id), "{id}: {found:?}");
    }
    assert_eq!(out.status.code(), Some(2), "{found:?}");
    let source = &report["source"];
    assert_eq!(source["kind"], "dir");
    let notes = source["notes"].to_string();
    assert!(
        notes.contains("mirror.json") && notes.contains("symbolic link"),
        "{notes}"
    );
    assert!(!report.to_string().contains("planted.example"));
    assert!(
        source["judged_at_source"]
            .as_str()
            .expect("src")
            .starts_with("now")
    );
    assert!(source["compared"].is_null(), "no report in the folder");
    // A forged MANIFEST.json of 300,000 values: read within the bundle reader's budget
    // (memory bounded), said, and the folder judged unchecked rather than refused.
    let forged = format!("{{\"entries\": [], \"pad\": [{}0]}}", "0,".repeat(300_000));
    std::fs::write(dir.join("MANIFEST.json"), forged).expect("write");
    let report = stdout_json(&from_dir());
    let notes = report["source"]["notes"].to_string();
    assert!(
        notes.contains("MANIFEST.json") && notes.contains("not checked"),
        "{notes}"
    );
    std::fs::remove_file(dir.join("MANIFEST.json")).expect("rm");
    let human = engineer(&env)
        .args(["diagnose", "--from-dir"])
        .arg(&dir)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(&format!("folder {}", dir.display())),
        "{text}"
    );

    // A folder with none of the outputs is not a capture.
    let empty = env.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let out = engineer(&env)
        .args(["diagnose", "--from-dir"])
        .arg(&empty)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(!engineer_state(&env).exists());
}

#[test]
fn control_characters_from_a_bundle_are_escaped_in_the_output() {
    let (env, _tree, _server, logs) = broken_endpoint(&jiff_local_hours_ago(30));
    let bundle = env.path().join("b.tar.gz");
    assert_eq!(
        write_bundle(&env, &logs, &bundle, &[]).status.code(),
        Some(0)
    );
    // A manifest whose host and version carry terminal escapes (altered, so flagged too).
    let files = read_bundle(&bundle);
    let mut manifest: Value = serde_json::from_slice(&files["MANIFEST.json"]).expect("json");
    manifest["hostname"] = Value::from("evil\u{1b}]0;pwned\u{7}\u{1b}[2J");
    manifest["tool"]["version"] = Value::from("9\r\nVerdict: OK");
    let text = manifest.to_string();
    let forged = env.path().join("forged.tar.gz");
    tampered(
        &bundle,
        &forged,
        &[("MANIFEST.json", Some(text.as_bytes()))],
    );
    let out = engineer(&env)
        .args(["diagnose", "--from-bundle"])
        .arg(&forged)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    assert!(!stdout.contains('\r'), "{stdout}");
    assert!(
        !stdout.lines().any(|l| l.starts_with("Verdict: OK")),
        "{stdout}"
    );
}

/// Where the example bundle lives, from the repository's root (as the README runs it).
pub(crate) const EXAMPLE: &str = "examples/broken-endpoint.tar.gz";

/// Writes the example bundle of the broken endpoint to `out`: fixed clock, host name and
/// time zone (test-only overrides), so a regeneration changes only what the code changed.
pub(crate) fn make_example(out: &Path) -> (TestEnv, MirrorTree, MirrorServer) {
    // 30 hours before EXAMPLE_NOW, as mdatp prints it in UTC.
    let (env, tree, server, logs) = broken_endpoint("Jun 01, 2025 at 03:00:00 AM");
    // mdatp and the managed file where an endpoint has them, below the test world (run
    // from there, so the bundle records the same relative paths on every machine).
    let (mdatp, managed) = (
        "opt/microsoft/mdatp/sbin/wdavdaemonclient",
        "etc/opt/microsoft/mdatp/managed/mdatp_managed.json",
    );
    for rel in [mdatp, managed] {
        let parent = env.path().join(rel);
        std::fs::create_dir_all(parent.parent().expect("parent")).expect("mkdir");
    }
    std::os::unix::fs::symlink(crate::testenv::fake_mdatp_path(), env.path().join(mdatp))
        .expect("symlink");
    std::fs::copy(env.managed_config_path(), env.path().join(managed)).expect("copy");
    let result = env
        .cmd()
        .current_dir(env.path())
        .env("MDATP_DOCTOR_MDATP", mdatp)
        .env("MDATP_DOCTOR_MANAGED_CONFIG", managed)
        .env("MDATP_DOCTOR_TEST_NOW", EXAMPLE_NOW)
        .env("MDATP_DOCTOR_TEST_HOSTNAME", EXAMPLE_HOST)
        .env("TZ", "UTC")
        .args(["bundle", "--arch", "x86_64", "--format", "json", "-o"])
        .arg(out)
        .arg("--log-dir")
        .arg(&logs)
        .arg("--wdavcfg")
        .arg(env.path().join("wdavcfg"))
        .output()
        .expect("runs");
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    (env, tree, server)
}

#[test]
fn an_unpacked_bundle_is_checked_against_its_manifest() {
    let (env, _tree, _server, logs) = broken_endpoint(&jiff_local_hours_ago(30));
    let bundle = env.path().join("b.tar.gz");
    assert_eq!(
        write_bundle(&env, &logs, &bundle, &[]).status.code(),
        Some(0)
    );
    // Unpacked as a person would, with tar.
    let dir = env.path().join("unpacked");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let tar = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&bundle)
        .arg("-C")
        .arg(&dir)
        .status()
        .expect("tar runs");
    assert!(tar.success());
    let from_dir = || {
        let out = engineer(&env)
            .args(["diagnose", "--format", "json", "--from-dir"])
            .arg(&dir)
            .output()
            .expect("runs");
        stdout_json(&out)
    };
    let intact = from_dir();
    assert!(
        !ids(&intact).contains(&"bundle-altered"),
        "{:?}",
        ids(&intact)
    );

    let defs = dir.join("mdatp/health-definitions.txt");
    let text = std::fs::read_to_string(&defs).expect("read");
    std::fs::write(&defs, text.replace("\"disabled\"", "\"enabled\"")).expect("edit");
    std::fs::remove_file(dir.join("history.jsonl")).expect("rm");
    std::fs::write(dir.join("mirror.json"), "{}").expect("write");
    // A file swapped for a link to a planted one: not followed, and named.
    let planted = env.path().join("planted.txt");
    std::fs::copy(dir.join("mdatp/health.txt"), &planted).expect("copy");
    std::fs::remove_file(dir.join("mdatp/health.txt")).expect("rm");
    std::os::unix::fs::symlink(&planted, dir.join("mdatp/health.txt")).expect("symlink");
    let edited = from_dir();
    let evidence = altered_files(&edited);
    for expected in [
        ("mdatp/health-definitions.txt", "hash mismatch"),
        ("history.jsonl", "missing"),
        ("mirror.json", "hash mismatch"),
        ("mdatp/health.txt", "not a regular file"),
    ] {
        let expected = (expected.0.to_string(), expected.1.to_string());
        assert!(evidence.contains(&expected), "{expected:?}: {evidence:?}");
    }
    assert_eq!(evidence.len(), 4, "{evidence:?}");
}

/// The (file, what is wrong) pairs of the `bundle-altered` finding.
fn altered_files(report: &Value) -> Vec<(String, String)> {
    crate::testenv::finding(report, "bundle-altered")["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| {
            (
                e["key"].as_str().expect("key").to_string(),
                e["value"].as_str().expect("value").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_file_for_from_dir_and_a_folder_for_from_bundle_are_named_as_such() {
    let env = TestEnv::new();
    let file = env.path().join("mdatp-doctor-host1.tar.gz");
    std::fs::write(&file, b"not read").expect("write");
    let run = |args: &[&str], path: &Path| {
        let out = engineer(&env).args(args).arg(path).output().expect("runs");
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&["diagnose", "--from-dir"], &file);
    assert!(
        err.contains(&format!(
            "{} is a file, not a directory (a bundle written by `mdatp-doctor bundle` is read with --from-bundle)",
            file.display()
        )),
        "{err}"
    );
    let err = run(&["diagnose", "--from-bundle"], env.path());
    assert!(
        err.contains(&format!(
            "{} is a directory, not a bundle file (a folder of saved outputs is read with --from-dir)",
            env.path().display()
        )),
        "{err}"
    );
    let fifo = env.path().join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: a valid C string and mode.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let err = run(&["diagnose", "--from-dir"], &fifo);
    assert!(err.contains("is a FIFO, not a directory"), "{err}");
}
