//! `aggregate --format html` over real `diagnose` reports and real `mirror check` reports:
//! the page's sections, its escaping, no external URL, and (with chromium) a real browser.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::aggregate::{URL, report};
use crate::mirror_host::{DEFS, Fwlink, Host, fwlink, needs_tools};
use crate::testenv::{CLOUD, Defs, TestEnv};

/// The second mirror, joined to its `mirror check` report by the host name.
const URL2: &str = "http://mirror02.example.test:8080/linux/production/";
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// `mirror check --format json` on `host` (a first run: its backups are missing, two
/// findings), with `extra` arguments and the host name `hostname`.
fn mirror_report(host: &Host, hostname: &str, extra: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "check", "--format", "json", "--settings"])
        .arg(host.settings())
        .arg("--root")
        .arg(host.root())
        .args(extra)
        .env("MDATP_DOCTOR_TEST_HOSTNAME", hostname)
        .output()
        .expect("run mdatp-doctor");
    out.stdout
}

fn with_host(report: &[u8], host: &str) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(report).expect("json");
    doc["snapshot"]["hostname"] = host.into();
    serde_json::to_vec(&doc).expect("json")
}

/// A fleet: three hosts behind URL (one hostile name), two behind URL2, one cloud-only,
/// and a `mirror check` report for each mirror. Returns the directory of reports.
fn fleet() -> tempfile::TempDir {
    needs_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let healthy = report(&Defs::healthy(URL));
    let mut stale = Defs::healthy(URL2);
    stale.version = "1.400.1.0";
    stale.hours_ago = 24 * 9;
    let stale = report(&stale);
    let mut cloud = Defs::healthy("");
    cloud.source = CLOUD.into();
    let cloud = report(&cloud);
    let files: [(&str, Vec<u8>); 6] = [
        ("a", with_host(&healthy, "alpha")),
        ("b", with_host(&healthy, "bravo")),
        ("h", with_host(&healthy, HOSTILE)),
        ("c", with_host(&stale, "charlie")),
        ("d", with_host(&stale, "delta")),
        ("e", with_host(&cloud, "echo")),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.path().join(format!("{name}.json")), bytes).expect("write");
    }
    let host = Host::new();
    let (code, out) = host.download(&fwlink(Fwlink::Good, DEFS), None);
    assert_eq!(code, 0, "{out}");
    // Mirror 1: checked at the URL its endpoints use (nothing listens there: a finding).
    std::fs::write(
        dir.path().join("mirror01.json"),
        mirror_report(&host, "mirror01", &["--url", URL]),
    )
    .expect("write");
    // Mirror 2: no --url, joined by its host name (the first label of URL2's host).
    std::fs::write(
        dir.path().join("mirror02.json"),
        mirror_report(&host, "mirror02", &[]),
    )
    .expect("write");
    dir
}

fn page(dir: &Path) -> (PathBuf, String) {
    let out_file = dir.join("fleet.html");
    let out = TestEnv::new()
        .cmd()
        .args(["aggregate", "--format", "html", "-o"])
        .arg(&out_file)
        .arg(dir)
        .output()
        .expect("runs");
    assert!(
        out.stdout.is_empty() && out.status.code().is_some(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&out_file).expect("the page");
    (out_file, html)
}

/// The text of the `<section>` whose heading names `needle`.
fn section<'a>(html: &'a str, needle: &str) -> &'a str {
    let at = html
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in the page"));
    let start = html[..at].rfind("<section").expect("a section");
    let end = at + html[at..].find("</section>").expect("its end");
    &html[start..end]
}

#[test]
fn the_page_joins_mirrors_escapes_hosts_and_links_nothing_outside() {
    let dir = fleet();
    let (file, html) = page(dir.path());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<h1>Fleet: 6 reports</h1>"), "{html}");
    assert!(html.contains("<svg") && html.contains("<rect"), "no chart");

    // Mirror 1: its three hosts, and its own report's findings (joined by URL).
    let m1 = section(&html, &format!("Mirror <code>{URL}</code>"));
    assert!(m1.contains(": 3 endpoints</h2>"), "{m1}");
    assert!(m1.contains("<td class=\"n\">3</td>"), "{m1}");
    assert!(m1.contains("Mirror host <code>mirror01</code>"), "{m1}");
    assert!(m1.contains("mirror-host-serving-mismatch"), "{m1}");
    assert!(m1.contains("mirror-host-backup-bad"), "{m1}");
    assert!(m1.contains(DEFS), "served versions: {m1}");
    // Mirror 2: two hosts, joined by host name.
    let m2 = section(&html, &format!("Mirror <code>{URL2}</code>"));
    assert!(m2.contains(": 2 endpoints</h2>"), "{m2}");
    assert!(m2.contains("charlie") && m2.contains("delta"), "{m2}");
    assert!(m2.contains("Mirror host <code>mirror02</code>"), "{m2}");
    assert!(m2.contains("(joined by host name)"), "{m2}");
    assert!(m2.contains("mirror-host-backup-bad"), "{m2}");
    // The cloud-only host in its own group.
    let cloud = section(&html, "No mirror (cloud only)");
    assert!(
        cloud.contains("1 endpoints") && cloud.contains("echo"),
        "{cloud}"
    );

    // The hostile name only escaped.
    assert!(!html.contains(HOSTILE), "raw hostile name");
    assert!(!html.contains("<img"), "an img element");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "escaped hostile name missing"
    );
    // No external URL where a browser would fetch one.
    let lower = html.to_ascii_lowercase();
    for attr in ["src=", "href=", "url("] {
        for (i, _) in lower.match_indices(attr) {
            let value = lower[i + attr.len()..]
                .trim_start_matches(['"', '\'', ' '])
                .chars()
                .take(10)
                .collect::<String>();
            assert!(
                !(value.starts_with("http") || value.starts_with("//")),
                "{attr}{value}"
            );
        }
    }
    assert!(!lower.contains("<script"), "a script");

    // --format json gains the same join.
    let out = TestEnv::new()
        .cmd()
        .args(["aggregate", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let doc = crate::testenv::stdout_json(&out);
    let r1 = &doc["mirrors"][URL]["report"];
    assert_eq!(r1["host"], "mirror01", "{doc:#}");
    assert_eq!(r1["joined_by"], "url");
    assert!(
        r1["served"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["definitions_version"] == DEFS)
    );
    assert_eq!(doc["mirrors"][URL2]["report"]["joined_by"], "hostname");
    let hosts = |group: &serde_json::Value| -> u64 {
        group
            .as_object()
            .expect("verdicts")
            .values()
            .map(|t| t["count"].as_u64().unwrap_or(0))
            .sum()
    };
    assert_eq!(hosts(&doc["mirrors"][URL]["verdicts"]), 3, "{doc:#}");
    assert_eq!(hosts(&doc["mirrors"][URL2]["verdicts"]), 2, "{doc:#}");
    assert_eq!(hosts(&doc["cloud_only"]), 1, "{doc:#}");
}

#[test]
fn a_mirror_report_on_stdin_joins_like_a_file() {
    let dir = fleet();
    let mut ndjson = Vec::new();
    for name in ["a", "c", "mirror01"] {
        let doc: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        ndjson.extend(serde_json::to_vec(&doc).unwrap());
        ndjson.push(b'\n');
    }
    let out = TestEnv::new()
        .cmd()
        .args(["aggregate", "--format", "json", "-"])
        .write_stdin(ndjson)
        .output()
        .expect("runs");
    let doc = crate::testenv::stdout_json(&out);
    assert_eq!(doc["reports"], 2, "{doc:#}");
    assert_eq!(doc["mirrors"][URL]["report"]["host"], "mirror01", "{doc:#}");
}

#[test]
fn other_commands_refuse_html() {
    let out = TestEnv::new()
        .cmd()
        .args(["health", "--format", "html"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only for `aggregate`"), "{err}");
}

#[test]
#[ignore = "needs chromium (.ci/run installs it)"]
fn a_real_browser_shows_every_mirror_and_a_page_that_is_not_blank() {
    let chromium = which::which("chromium")
        .or_else(|_| which::which("chromium-browser"))
        .expect("chromium is missing: .ci/run installs it");
    let dir = fleet();
    let (file, _) = page(dir.path());
    let url = format!("file://{}", file.display());
    let profile = tempfile::tempdir().expect("tempdir");
    let base = |cmd: &mut Command| {
        cmd.args(["--headless", "--no-sandbox", "--disable-gpu"])
            .arg(format!("--user-data-dir={}", profile.path().display()));
    };
    let mut dump = Command::new(&chromium);
    base(&mut dump);
    let out = dump
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    for needle in [
        URL,
        URL2,
        "mirror01",
        "mirror02",
        "No mirror (cloud only)",
        "mirror-host-backup-bad",
    ] {
        assert!(dom.contains(needle), "{needle} not in the DOM: {dom}");
    }
    assert!(dom.contains("<svg"), "no svg in the DOM");
    assert!(!dom.contains("<img"), "the hostile name became an element");

    let shot = dir.path().join("page.png");
    let mut take = Command::new(&chromium);
    base(&mut take);
    let out = take
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,1600")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let pixels = png_pixels(&png);
    assert!(
        pixels.iter().any(|p| p != &pixels[0]),
        "the screenshot is one colour"
    );
}

/// The pixels of an 8-bit, non-interlaced PNG (what chromium writes), each as its samples.
fn png_pixels(png: &[u8]) -> Vec<Vec<u8>> {
    use std::io::Read;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut at, mut idat) = (8, Vec::new());
    let (mut width, mut samples) = (0usize, 0usize);
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        if kind == b"IHDR" {
            width = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize;
            assert_eq!((data[8], data[12]), (8, 0), "8-bit, not interlaced");
            samples = match data[9] {
                0 => 1,
                2 => 3,
                4 => 2,
                6 => 4,
                t => panic!("colour type {t}"),
            };
        } else if kind == b"IDAT" {
            idat.extend_from_slice(data);
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .expect("inflate");
    let stride = width * samples;
    let mut prev = vec![0u8; stride];
    let mut pixels = Vec::new();
    for line in raw.chunks(stride + 1) {
        let (filter, data) = (line[0], &line[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= samples { cur[i - samples] } else { 0 } as i16;
            let b = prev[i] as i16;
            let c = if i >= samples { prev[i - samples] } else { 0 } as i16;
            let predict = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("filter {f}"),
            };
            cur[i] = data[i].wrapping_add(predict as u8);
        }
        pixels.extend(cur.chunks(samples).map(<[u8]>::to_vec));
        prev = cur;
    }
    pixels
}

/// The example fleet shipped in `examples/fleet/` (the README's picture is its page): nine
/// endpoints behind two mirrors and one in the cloud, and each mirror's own `mirror check`
/// report; mirror02's downloader is blocked by a proxy, so its three hosts fall behind.
/// Today's `aggregate` still reads every file whole and joins both mirrors.
/// `UPDATE_EXAMPLES=1` makes the reports (and, with chromium, the picture) anew.
#[test]
fn the_shipped_example_fleet_reads_whole_and_joins_its_mirrors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet");
    let update = std::env::var_os("UPDATE_EXAMPLES").is_some();
    if update {
        make_example_fleet(&dir);
    }
    // The page beside them is today's rendering of them (the README links it).
    let out = TestEnv::new()
        .cmd()
        .args(["aggregate", "--format", "html"])
        .arg(dir.join("reports"))
        .output()
        .expect("runs");
    let page = dir.join("fleet.html");
    if update {
        std::fs::write(&page, &out.stdout).expect("write");
        screenshot(
            &page,
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fleet.png"),
        );
    }
    assert!(
        std::fs::read(&page).expect("examples/fleet/fleet.html") == out.stdout,
        "examples/fleet/fleet.html is not today's page: UPDATE_EXAMPLES=1 makes it anew"
    );
    let out = TestEnv::new()
        .cmd()
        .args(["aggregate", "--format", "json"])
        .arg(dir.join("reports"))
        .output()
        .expect("runs");
    let doc = crate::testenv::stdout_json(&out);
    assert_eq!(doc["reports"], 10, "{doc:#}");
    assert_eq!(doc["unreadable"], serde_json::json!([]), "{doc:#}");
    for (url, host, endpoints) in [(EXAMPLE_URL1, "mirror01", 6), (EXAMPLE_URL2, "mirror02", 3)] {
        let m = &doc["mirrors"][url];
        assert_eq!(m["endpoints"], endpoints, "{url}: {doc:#}");
        assert_eq!(m["report"]["host"], host, "{url}: {doc:#}");
    }
    assert!(
        doc["mirrors"][EXAMPLE_URL2]["report"]["findings"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "mirror02's report names what is wrong: {doc:#}"
    );
}

const EXAMPLE_URL1: &str = "http://mirror01.corp.example:8080/linux/production/";
const EXAMPLE_URL2: &str = "http://mirror02.corp.example:8080/linux/production/";

fn make_example_fleet(dir: &Path) {
    use crate::mirror_host::mirror_run;
    needs_tools();
    let _ = std::fs::remove_dir_all(dir);
    let reports = dir.join("reports");
    std::fs::create_dir_all(&reports).expect("mkdir");
    let current = "1.441.142.0";
    let mut fresh = Defs::healthy(EXAMPLE_URL1);
    fresh.version = current;
    fresh.hours_ago = 3;
    let fresh = report(&fresh);
    let mut stale = Defs::healthy(EXAMPLE_URL2);
    stale.version = DEFS;
    stale.hours_ago = 24 * 9;
    stale.status = "stale";
    let stale = report(&stale);
    let mut cloud = Defs::healthy("");
    cloud.source = CLOUD.into();
    cloud.version = current;
    let cloud = report(&cloud);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 1..=6 {
        let name = format!("web{i:02}");
        files.push((
            name.clone(),
            with_host(&fresh, &format!("{name}.corp.example")),
        ));
    }
    for i in 1..=3 {
        let name = format!("db{i:02}");
        files.push((
            name.clone(),
            with_host(&stale, &format!("{name}.corp.example")),
        ));
    }
    files.push((
        "laptop01".into(),
        with_host(&cloud, "laptop01.corp.example"),
    ));
    for (name, bytes) in files {
        let mut doc: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        tidy(&mut doc);
        let text = serde_json::to_string_pretty(&doc).expect("json");
        std::fs::write(reports.join(format!("{name}.json")), text + "\n").expect("write");
    }
    // mirror01 synced today; mirror02 synced once, then its proxy began to refuse.
    for (host_name, last) in [
        ("mirror01", Fwlink::Good),
        ("mirror02", Fwlink::PackageForbidden),
    ] {
        let host = Host::new();
        let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &[]);
        assert!(code <= 1, "{doc:#}");
        if last == Fwlink::PackageForbidden {
            // That good sync was nine days ago: the package's age and the status file say so.
            let file = host.arch("production/mdatp-doctor-status.json");
            let mut st: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&file).expect("status")).expect("json");
            let then = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(9 * 24);
            st["last_success"] = then.to_string().into();
            std::fs::write(&file, st.to_string()).expect("write");
        }
        let (code, doc, _) = mirror_run(&host, &fwlink(last, current), &[]);
        let touch = |ago: i64, name: &str| {
            let when = format!("@{}", jiff::Timestamp::now().as_second() - ago);
            let touched = Command::new("find")
                .arg(host.path().join("wdav-update"))
                .args(["-name", name, "-exec", "touch", "-d", &when, "{}", "+"])
                .status()
                .expect("find");
            assert!(touched.success());
        };
        // mirror01's packages came three hours ago.
        touch(3 * 3600, "*.zip");
        // A good sync may still warn (the first run leaves no backup); a blocked one is bad.
        assert_eq!(code == 2, last == Fwlink::PackageForbidden, "{doc:#}");
        if last == Fwlink::PackageForbidden {
            // mirror run put the good package back: it is nine days old.
            touch(9 * 86_400, "*.zip");
        }
        let bytes = mirror_report(&host, host_name, &[]);
        let text = String::from_utf8(bytes)
            .expect("utf-8")
            .replace(&host.path().display().to_string(), "/opt/wdav");
        let mut doc: serde_json::Value = serde_json::from_str(&text).expect("json");
        tidy(&mut doc);
        let text = serde_json::to_string_pretty(&doc).expect("json");
        std::fs::write(reports.join(format!("{host_name}.json")), text + "\n").expect("write");
    }
}

/// The test world's paths in a report, as a real host would have them.
fn tidy(doc: &mut serde_json::Value) {
    match doc {
        serde_json::Value::String(s) => {
            if s.ends_with("/examples/fake-mdatp") {
                *s = "/usr/bin/mdatp".into();
            } else if let Some(at) = s.find("/mdatp_managed.json") {
                if s[..at].starts_with("/tmp/") {
                    *s = format!("/etc/opt/microsoft/mdatp/managed{}", &s[at..]);
                }
            } else if s.starts_with("/tmp/") && s.ends_with("/doctor-state") {
                *s = "/var/lib/mdatp-doctor".into();
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(tidy),
        serde_json::Value::Object(o) => o.values_mut().for_each(tidy),
        _ => {}
    }
}

/// The human view of the example fleet at 80 columns, piped: each mirror's URL whole on
/// a line of its own, no line wider than 80 but a lone word, and the chain from a stale
/// host to what its mirror's downloader last said.
#[test]
fn the_example_fleet_reads_at_80_columns_with_every_url_whole() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet/reports");
    let out = TestEnv::new()
        .cmd()
        .env("COLUMNS", "80")
        .arg("aggregate")
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80 || !line.trim().contains(' '),
            "wider than 80: {line}\n{text}"
        );
    }
    for url in [EXAMPLE_URL1, EXAMPLE_URL2] {
        assert!(text.lines().any(|l| l == url), "{url} not whole: {text}");
    }
    let m2 = &text[text.find(EXAMPLE_URL2).expect("mirror02")..];
    for needle in [
        "Endpoints:    3 (critical 3)",
        "mirror02: mirror check",
        "9d 0h old",
        "FAILED: the run",
        "last good sync",
        "mirror-host-sync-failed",
        "mirror-host-package-old",
    ] {
        assert!(m2.contains(needle), "{needle}: {m2}");
    }
}

/// A mirror check report's verdict counts in aggregate's exit code: healthy endpoints on
/// a mirror whose report is critical (a nine-day-old package) exit 2; without that
/// report, 0.
#[test]
fn a_critical_mirror_report_raises_the_fleet_exit_code() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet/reports");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut web: serde_json::Value =
        serde_json::from_slice(&std::fs::read(examples.join("web01.json")).unwrap()).unwrap();
    web["snapshot"]["definitions"]["offline_definition_url_configured"]["value"] =
        EXAMPLE_URL2.into();
    web["snapshot"]["mirror"]["url"] = EXAMPLE_URL2.into();
    std::fs::write(dir.path().join("web01.json"), web.to_string()).unwrap();
    let run = || {
        TestEnv::new()
            .cmd()
            .args(["aggregate", "--format", "json"])
            .arg(dir.path())
            .output()
            .expect("runs")
    };
    let out = run();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::copy(
        examples.join("mirror02.json"),
        dir.path().join("mirror02.json"),
    )
    .unwrap();
    let out = run();
    let doc = crate::testenv::stdout_json(&out);
    assert_eq!(
        doc["mirrors"][EXAMPLE_URL2]["report"]["verdict"], "critical",
        "{doc:#}"
    );
    assert_eq!(
        doc["verdicts"]["ok"]["count"], 1,
        "endpoints are still counted alone"
    );
    assert_eq!(out.status.code(), Some(2));
}

/// A mirror's status file, as `mirror run` writes it and a web server serves it, is an
/// input too: joined by the host name it records, it tells the last sync and why it
/// failed; it has no verdict, so the exit code stays the endpoints'.
#[test]
fn a_status_file_joins_its_mirror_by_the_host_name_it_records() {
    use crate::mirror_host::mirror_run;
    needs_tools();
    let host = Host::new();
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &[]);
    assert!(code <= 1, "{doc:#}");
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::PackageForbidden, "1.441.142.0"), &[]);
    assert_eq!(code, 2, "{doc:#}");
    let status = std::fs::read(host.arch("production/mdatp-doctor-status.json")).expect("status");
    let st: serde_json::Value = serde_json::from_slice(&status).expect("json");
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .to_string();
    assert_eq!(st["hostname"], name.as_str(), "{st:#}");

    let url = format!(
        "http://{}:8080/linux/production/",
        name.to_ascii_lowercase()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("endpoint.json"),
        report(&Defs::healthy(&url)),
    )
    .unwrap();
    std::fs::write(dir.path().join("status.json"), &status).unwrap();
    let out = TestEnv::new()
        .cmd()
        .args(["aggregate", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let doc = crate::testenv::stdout_json(&out);
    let r = &doc["mirrors"][&url]["report"];
    assert_eq!(r["kind"], "status file", "{doc:#}");
    assert_eq!(r["joined_by"], "hostname", "{doc:#}");
    assert_eq!(r["sync"][0]["last_attempt_ok"], false, "{doc:#}");
    assert!(
        r["sync"][0]["last_attempt_error"]
            .as_str()
            .is_some_and(|e| e.contains("HTML")),
        "{doc:#}"
    );
    assert!(r["sync"][0]["last_success"].is_string(), "{doc:#}");
    assert_eq!(doc["unreadable"], serde_json::json!([]), "{doc:#}");
    assert_eq!(out.status.code(), Some(0), "a status file has no verdict");

    let out = TestEnv::new()
        .cmd()
        .env("COLUMNS", "80")
        .arg("aggregate")
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("its status file, joined by host name"),
        "{text}"
    );
    assert!(text.contains("FAILED: the run left a bad tree"), "{text}");
}

/// The README's picture of the example fleet's page, by headless chromium.
fn screenshot(page: &Path, png: &Path) {
    let chromium = which::which("chromium")
        .or_else(|_| which::which("chromium-browser"))
        .expect("chromium makes the README's picture");
    let profile = tempfile::tempdir().expect("tempdir");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--disable-background-networking",
            "--no-first-run",
            "--window-size=1000,1500",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(png.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
}
