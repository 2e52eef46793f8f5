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
