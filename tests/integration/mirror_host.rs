//! `mirror check` on the mirror host, end to end: the downloader stand-in
//! (tests/support/downloader-standin.sh, real curl and jq) downloads from a loopback
//! stand-in for Microsoft's fwlink into a temporary tree, then the real binary checks it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub(crate) const ENGINE: &str = "1.1.25090.3001";
pub(crate) const DEFS: &str = "1.441.90.0";

/// How the fwlink stand-in answers.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Fwlink {
    Good,
    /// The package request answers 403 with an HTML page (a proxy block page).
    PackageForbidden,
}

/// A zip with one stored entry and a correct CRC, built by hand.
pub fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let crc = crc.sum();
    let n = name.len() as u16;
    let len = data.len() as u32;
    let mut z = Vec::new();
    z.extend(b"PK\x03\x04");
    for v in [20u16, 0, 0, 0, 0] {
        z.extend(v.to_le_bytes());
    }
    z.extend(crc.to_le_bytes());
    z.extend(len.to_le_bytes());
    z.extend(len.to_le_bytes());
    z.extend(n.to_le_bytes());
    z.extend(0u16.to_le_bytes());
    z.extend(name.as_bytes());
    z.extend(data);
    let cd = z.len() as u32;
    z.extend(b"PK\x01\x02");
    for v in [20u16, 20, 0, 0, 0, 0] {
        z.extend(v.to_le_bytes());
    }
    z.extend(crc.to_le_bytes());
    z.extend(len.to_le_bytes());
    z.extend(len.to_le_bytes());
    for v in [n, 0, 0, 0, 0] {
        z.extend(v.to_le_bytes());
    }
    z.extend(0u32.to_le_bytes());
    z.extend(0u32.to_le_bytes());
    z.extend(name.as_bytes());
    let cd_len = z.len() as u32 - cd;
    z.extend(b"PK\x05\x06");
    for v in [0u16, 0, 1, 1] {
        z.extend(v.to_le_bytes());
    }
    z.extend(cd_len.to_le_bytes());
    z.extend(cd.to_le_bytes());
    z.extend(0u16.to_le_bytes());
    z
}

/// Serves the fwlink stand-in on 127.0.0.1 until the test ends; returns its base URL.
pub(crate) fn fwlink(mode: Fwlink, defs: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let (status, body): (&str, Vec<u8>) = if line.contains("action=info") {
                (
                    "200 OK",
                    format!("<?xml version=\"1.0\"?><versions><engine>{ENGINE}</engine><platform>4.18.25090.1</platform><signatures date=\"2026-11-28T08:00:00Z\">{defs}</signatures></versions>\n").into_bytes(),
                )
            } else if mode == Fwlink::PackageForbidden {
                (
                    "403 Forbidden",
                    b"<!DOCTYPE html><html><body>Access denied by policy</body></html>\n".to_vec(),
                )
            } else {
                (
                    "200 OK",
                    stored_zip("mpasbase.vdm", format!("defs {defs}").as_bytes()),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}/fwlink/")
}

/// A mirror host in a temporary directory outside /tmp (the downloader's /tmp default is a
/// finding of its own): the stand-in script, its settings.json, the tree and the log.
pub(crate) struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    pub(crate) fn new() -> Host {
        Host::with_settings(|_| {})
    }

    pub(crate) fn with_settings(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Host {
        // Not under /tmp, whatever the clone's path: a folder there is a finding itself.
        let base = if Path::new("/var/tmp").is_dir() {
            Path::new("/var/tmp")
        } else {
            Path::new(env!("CARGO_TARGET_TMPDIR"))
        };
        let dir = tempfile::tempdir_in(base).expect("tempdir");
        let script = dir.path().join("xplat_offline_updates_download.sh");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/downloader-standin.sh"),
            &script,
        )
        .unwrap();
        let mut s = serde_json::Map::new();
        s.insert(
            "downloadFolder".into(),
            dir.path().join("wdav-update").display().to_string().into(),
        );
        s.insert("downloadLinuxUpdates".into(), true.into());
        s.insert("downloadMacUpdates".into(), false.into());
        s.insert("downloadPreviewUpdates".into(), false.into());
        s.insert("backupPreviousUpdates".into(), true.into());
        s.insert(
            "logFilePath".into(),
            dir.path()
                .join("offline_updates.log")
                .display()
                .to_string()
                .into(),
        );
        edit(&mut s);
        std::fs::write(
            dir.path().join("settings.json"),
            Value::Object(s).to_string(),
        )
        .unwrap();
        // The machine's own files, under --root: curl and jq on cron's PATH, and a cron
        // entry that runs the script every 8 hours.
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        for tool in ["curl", "jq"] {
            if let Ok(real) = which::which(tool) {
                std::os::unix::fs::symlink(real, root.join("usr/bin").join(tool)).unwrap();
            }
        }
        std::fs::create_dir_all(root.join("etc/cron.d")).unwrap();
        std::fs::write(
            root.join("etc/cron.d/mdatp-offline-updates"),
            format!(
                "MAILTO=root\n0 */8 * * * root {} >/dev/null 2>&1\n",
                script.display()
            ),
        )
        .unwrap();
        Host { dir }
    }

    pub(crate) fn root(&self) -> PathBuf {
        self.path().join("root")
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn settings(&self) -> PathBuf {
        self.path().join("settings.json")
    }

    pub(crate) fn arch(&self, rel: &str) -> PathBuf {
        self.path().join("wdav-update/linux").join(rel)
    }

    /// Writes `root/etc/passwd` and `root/etc/group`: each user gets the uid of this test's
    /// files plus its offset (0: their owner) and that owner's group plus the same offset;
    /// each group (name, members) gets the gid of this test's files.
    pub(crate) fn accounts(&self, users: &[(&str, u32)], groups: &[(&str, &str)]) {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(self.path()).unwrap();
        let mut passwd = String::from("root:x:0:0:root:/root:/bin/sh\n");
        for (name, offset) in users {
            passwd.push_str(&format!(
                "{name}:x:{}:{}::/nonexistent:/usr/sbin/nologin\n",
                meta.uid() + offset,
                meta.gid() + offset
            ));
        }
        let mut group = String::from("root:x:0:\n");
        for (name, members) in groups {
            group.push_str(&format!("{name}:x:{}:{members}\n", meta.gid()));
        }
        let etc = self.root().join("etc");
        std::fs::write(etc.join("passwd"), passwd).unwrap();
        std::fs::write(etc.join("group"), group).unwrap();
    }

    /// Runs the stand-in against `base`; returns its exit status and output.
    pub(crate) fn download(&self, base: &str, path_env: Option<&str>) -> (i32, String) {
        let mut cmd = Command::new("sh");
        cmd.arg(self.path().join("xplat_offline_updates_download.sh"))
            .current_dir(self.path())
            .env("STANDIN_BASE_URL", base);
        if let Some(p) = path_env {
            cmd.env("PATH", p);
        }
        let out = cmd.output().expect("run the stand-in");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// `mirror check --format json` on this host: exit code and document.
    pub(crate) fn check(&self, extra: &[&str]) -> (i32, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
            .args(["mirror", "check", "--format", "json", "--settings"])
            .arg(self.settings())
            .arg("--root")
            .arg(self.root())
            .args(extra)
            .output()
            .expect("run mdatp-doctor");
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        (out.status.code().unwrap_or(-1), doc)
    }
}

fn ids(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) fn needs_tools() {
    for t in ["curl", "jq"] {
        assert!(
            which::which(t).is_ok(),
            "{t} is missing: .ci/run installs it (apt-get install -y curl jq)"
        );
    }
}

#[test]
fn a_good_run_twice_is_ok_with_a_backup() {
    needs_tools();
    let host = Host::new();
    let base = fwlink(Fwlink::Good, DEFS);
    let (code, out) = host.download(&base, None);
    assert_eq!(code, 0, "{out}");
    // First run: no backup yet (nothing to copy), so _back is incomplete: a warning.
    let (code, doc) = host.check(&[]);
    assert_eq!(
        ids(&doc),
        vec!["mirror-host-backup-bad", "mirror-host-backup-bad"],
        "{doc:#}"
    );
    assert_eq!(code, 1);
    // A second run with a newer version fills _back with n-1.
    let base2 = fwlink(Fwlink::Good, "1.441.91.0");
    let (code, out) = host.download(&base2, None);
    assert_eq!(code, 0, "{out}");
    let (code, doc) = host.check(&[]);
    assert_eq!(ids(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(code, 0);
    let x86 = doc["arches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["arch"] == "x86_64" && a["backup"] == false)
        .unwrap();
    assert_eq!(x86["definitions_version"], "1.441.91.0");
    assert_eq!(x86["package_ok"], true);
}

#[test]
fn a_403_html_package_is_saved_exit_0_and_flagged_critical() {
    needs_tools();
    let host = Host::new();
    let (code, out) = host.download(&fwlink(Fwlink::PackageForbidden, DEFS), None);
    // The downloader's behaviour this stands in for: success, whatever it saved.
    assert_eq!(code, 0, "{out}");
    let log = std::fs::read_to_string(host.path().join("offline_updates.log")).unwrap();
    assert!(
        log.trim_end()
            .ends_with("----------End of message----------")
    );
    assert!(log.contains("Script completed."));
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        ids(&doc).contains(&"mirror-host-package-bad".to_string()),
        "{doc:#}"
    );
    let bad = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "mirror-host-package-bad")
        .unwrap();
    assert!(bad["title"].as_str().unwrap().contains("HTML"), "{bad:#}");
}

#[test]
fn the_fwlink_down_leaves_an_unfinished_run() {
    needs_tools();
    let host = Host::new();
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/fwlink/", closed.local_addr().unwrap());
    drop(closed);
    let (code, out) = host.download(&base, None);
    assert_eq!(code, 0);
    assert!(out.contains("Error (0): Failed to download"), "{out}");
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2);
    let ids = ids(&doc);
    assert!(
        ids.contains(&"mirror-host-run-unfinished".to_string()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"mirror-host-package-missing".to_string()),
        "{ids:?}"
    );
}

#[test]
fn a_killed_run_leaves_leftovers_that_are_flagged() {
    needs_tools();
    let host = Host::new();
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    // What a run killed between the two downloads leaves.
    let arch = host.arch("production/arch_x86_64");
    std::fs::write(arch.join("updates.zip_temp"), b"PK\x03\x04partial").unwrap();
    std::fs::write(arch.join("manifest.xml"), b"<versions>").unwrap();
    let (code, doc) = host.check(&[]);
    assert!(
        ids(&doc).contains(&"mirror-host-leftovers".to_string()),
        "{doc:#}"
    );
    assert!(code >= 1);
}

#[test]
fn a_truncated_package_and_empty_versions_are_critical() {
    needs_tools();
    let host = Host::new();
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let arch = host.arch("production/arch_x86_64");
    let zip = std::fs::read(arch.join("updates.zip")).unwrap();
    std::fs::write(arch.join("updates.zip"), &zip[..zip.len() - 30]).unwrap();
    let arm = host.arch("production/arch_arm64");
    std::fs::write(
        arm.join("manifest.json"),
        r#"{"EngineVersion":"","DefinitionVersion":""}"#,
    )
    .unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2);
    let ids = ids(&doc);
    assert!(
        ids.contains(&"mirror-host-package-bad".to_string()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"mirror-host-manifest-bad".to_string()),
        "{ids:?}"
    );
}

#[test]
fn a_tmp_download_folder_is_a_warning() {
    needs_tools();
    let tmp = tempfile::tempdir().unwrap();
    assert!(tmp.path().starts_with("/tmp"), "the test needs TMPDIR=/tmp");
    let folder = tmp.path().join("wdav-update");
    let host = Host::with_settings(|s| {
        s.insert("downloadFolder".into(), folder.display().to_string().into());
    });
    let (code, doc) = host.check(&[]);
    let ids = ids(&doc);
    assert!(
        ids.contains(&"mirror-host-folder-volatile".to_string()),
        "{ids:?}"
    );
    // Nothing was downloaded: never a green verdict.
    assert_eq!(code, 2);
}

#[test]
fn missing_jq_exits_0_without_a_log_and_the_check_says_unknown() {
    needs_tools();
    let host = Host::new();
    // A PATH with sh, dirname and curl but no jq.
    let bin = host.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in ["sh", "dirname", "curl"] {
        std::os::unix::fs::symlink(which::which(tool).unwrap(), bin.join(tool)).unwrap();
    }
    let (code, out) = host.download(&fwlink(Fwlink::Good, DEFS), Some(bin.to_str().unwrap()));
    assert_eq!(code, 0);
    assert!(out.contains("jq is not installed"), "{out}");
    let (code, doc) = host.check(&[]);
    let ids = ids(&doc);
    assert!(
        ids.contains(&"mirror-host-log-unreadable".to_string()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"mirror-host-folder-unreadable".to_string()),
        "{ids:?}"
    );
    assert_eq!(code, 2);
}

#[test]
fn bad_settings_are_never_green() {
    let host = Host::new();
    std::fs::write(host.settings(), "{\"downloadLinuxUpdates\": true,}").unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(ids(&doc), vec!["mirror-host-settings-unreadable"]);
    assert_eq!(code, 2);
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "check", "--format", "json", "--root"])
        .arg(host.path().join("empty-root"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let code = out.status.code().unwrap();
    assert_eq!(code, 3, "not found anywhere: unknown, {doc:#}");
    assert_eq!(doc["findings"][0]["severity"], "unknown");
}

#[test]
fn prometheus_and_nagios_show_the_package_age_and_versions() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "check", "--format", "prometheus", "--settings"])
        .arg(host.settings())
        .arg("--root")
        .arg(host.root())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("valid exposition");
    let age = scrape
        .samples
        .iter()
        .find(|s| {
            s.metric == "mdatp_mirror_package_age_seconds"
                && s.labels.get("arch") == Some("arm64")
                && s.labels.get("ring") == Some("production")
        })
        .expect("age sample");
    match age.value {
        prometheus_parse::Value::Gauge(v) => assert!((0.0..600.0).contains(&v), "{v}"),
        ref v => panic!("{v:?}"),
    }
    assert!(text.contains(&format!("definitions=\"{DEFS}\"")), "{text}");
    assert!(text.contains("mdatp_mirror_status 0"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "check", "--format", "nagios", "--settings"])
        .arg(host.settings())
        .arg("--root")
        .arg(host.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("MDATP MIRROR-HOST OK - "));
}

#[test]
fn a_package_of_mode_0600_is_not_world_readable() {
    needs_tools();
    use std::os::unix::fs::PermissionsExt;
    let host = Host::new();
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let pkg = host.arch("production/arch_x86_64/updates.zip");
    std::fs::set_permissions(&pkg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, doc) = host.check(&[]);
    assert!(
        ids(&doc).contains(&"mirror-host-not-world-readable".to_string()),
        "{doc:#}"
    );
    assert_eq!(code, 2);
}

#[test]
fn every_mirror_host_finding_has_an_explanation() {
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["diagnose", "--explain", "mirror-host-package-bad"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("curl without -f"));
}

fn finding<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {doc:#}"))
}

#[test]
fn a_slow_cron_entry_and_a_missing_schedule_are_warnings() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let (code, doc) = host.check(&[]);
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
    // Once a day at 02:30 is slower than the 8 h endpoints poll.
    let script = host.path().join("xplat_offline_updates_download.sh");
    std::fs::write(
        host.root().join("etc/cron.d/mdatp-offline-updates"),
        format!("30 2 * * * root {}\n", script.display()),
    )
    .unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 1);
    let f = finding(&doc, "mirror-host-schedule-slow");
    assert!(
        f["title"].as_str().unwrap().contains("every 24 hours"),
        "{f:#}"
    );
    assert_eq!(f["evidence"][1]["value"], "root");
    // --interval 2d accepts it.
    let (code, _) = host.check(&["--interval", "2d"]);
    assert_eq!(code, 0);
    // A file with a dot in its name is ignored by cron: no schedule at all.
    std::fs::rename(
        host.root().join("etc/cron.d/mdatp-offline-updates"),
        host.root().join("etc/cron.d/mdatp.disabled"),
    )
    .unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(
        (code, ids(&doc)),
        (1, vec!["mirror-host-schedule-missing".to_string()])
    );
}

#[test]
fn a_systemd_timer_and_a_user_crontab_are_read_from_real_files() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    std::fs::remove_file(host.root().join("etc/cron.d/mdatp-offline-updates")).unwrap();
    let units = host.root().join("etc/systemd/system");
    std::fs::create_dir_all(&units).unwrap();
    std::fs::write(
        units.join("wdav-mirror.timer"),
        "[Timer]\nOnCalendar=*-*-* 00/12:00:00\nPersistent=true\n",
    )
    .unwrap();
    std::fs::write(
        units.join("wdav-mirror.service"),
        format!(
            "[Service]\nUser=wdav\nExecStart={}\n",
            host.path()
                .join("xplat_offline_updates_download.sh")
                .display()
        ),
    )
    .unwrap();
    host.accounts(&[("wdav", 0)], &[]);
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 1, "{doc:#}");
    let f = finding(&doc, "mirror-host-schedule-slow");
    assert!(
        f["title"].as_str().unwrap().contains("every 12 hours"),
        "{f:#}"
    );
    assert_eq!(f["evidence"][1]["value"], "wdav");
    // A user crontab every 4 hours is frequent enough, and the most frequent entry counts.
    let spool = host.root().join("var/spool/cron/crontabs");
    std::fs::create_dir_all(&spool).unwrap();
    std::fs::write(
        spool.join("wdav"),
        format!(
            "0 */4 * * * {}\n",
            host.path()
                .join("xplat_offline_updates_download.sh")
                .display()
        ),
    )
    .unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
}

#[test]
fn no_jq_on_crons_path_and_a_crlf_script_are_critical() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    std::fs::remove_file(host.root().join("usr/bin/jq")).unwrap();
    let script = host.path().join("xplat_offline_updates_download.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, text.replace('\n', "\r\n")).unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2);
    assert!(
        finding(&doc, "mirror-host-tool-missing")["title"]
            .as_str()
            .unwrap()
            .starts_with("jq ")
    );
    assert!(
        finding(&doc, "mirror-host-script-problem")["title"]
            .as_str()
            .unwrap()
            .contains("CRLF")
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn serving_the_right_docroot_matches_the_disk_and_a_stale_docroot_does_not() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    // An old copy of the tree, as a web server with another docroot would serve it.
    let old = host.path().join("old-docroot");
    copy_tree(&host.path().join("wdav-update"), &old);
    host.download(&fwlink(Fwlink::Good, "1.441.91.0"), None);

    let good = crate::server::MirrorServer::http(&host.path().join("wdav-update"));
    let (code, doc) = host.check(&["--url", &good.ring_url()]);
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
    assert!(
        good.hits()
            .iter()
            .any(|h| h == "GET /linux/production/arch_arm64/updates.zip"),
        "{:?}",
        good.hits()
    );

    let stale = crate::server::MirrorServer::http(&old);
    let (code, doc) = host.check(&["--url", &stale.ring_url()]);
    assert_eq!(code, 2);
    let f = finding(&doc, "mirror-host-serving-mismatch");
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("sha256"), "{f:#}");
    assert!(
        evidence.contains(&format!("served {ENGINE}/{DEFS}")),
        "{f:#}"
    );

    // A docroot one level too high: every request is a 404.
    let high = crate::server::MirrorServer::http(host.path());
    let (code, doc) = host.check(&["--url", &high.ring_url()]);
    assert_eq!(code, 2);
    assert!(
        finding(&doc, "mirror-host-serving-mismatch")["title"]
            .as_str()
            .unwrap()
            .contains("404"),
        "{doc:#}"
    );
}

#[test]
fn a_0600_package_is_flagged_on_disk_and_its_403_when_served() {
    needs_tools();
    use std::os::unix::fs::PermissionsExt;
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let pkg = host.arch("production/arch_x86_64/updates.zip");
    std::fs::set_permissions(&pkg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let server = crate::server::MirrorServer::http(&host.path().join("wdav-update"));
    // The test server runs as this user and could read the file; a web server running as
    // its own user answers 403, which is what it is told to do here.
    server.set(
        "/linux/production/arch_x86_64/updates.zip",
        crate::server::Override::Status(403),
    );
    let (code, doc) = host.check(&["--url", &server.ring_url()]);
    assert_eq!(code, 2);
    let ids = ids(&doc);
    assert!(
        ids.contains(&"mirror-host-not-world-readable".to_string()),
        "{ids:?}"
    );
    let f = finding(&doc, "mirror-host-serving-mismatch");
    assert!(f["title"].as_str().unwrap().contains("403"), "{f:#}");
    assert!(
        f["title"].as_str().unwrap().contains("arch_x86_64"),
        "{f:#}"
    );
}

/// `mirror check --online` against the loopback fwlink stand-in, never Microsoft.
pub(crate) fn check_online(host: &Host, fwlink: &str, format: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args([
            "mirror",
            "check",
            "--online",
            "--format",
            format,
            "--settings",
        ])
        .arg(host.settings())
        .arg("--root")
        .arg(host.root())
        .args(["--fwlink-url", fwlink])
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn online_says_how_far_the_mirror_lags_behind_what_is_published() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    // Current: no finding, 0 s behind.
    let (code, text) = check_online(&host, &fwlink(Fwlink::Good, DEFS), "prometheus");
    assert_eq!(code, 0);
    assert!(text.contains("mdatp_mirror_status 0"), "{text}");
    assert!(
        text.contains(
            "mdatp_mirror_behind_microsoft_seconds{platform=\"linux\",ring=\"production\",arch=\"x86_64\"} 0"
        ),
        "{text}"
    );
    // Microsoft publishes a newer version: a warning, and the lag since its date.
    let newer = fwlink(Fwlink::Good, "1.441.95.0");
    let (code, json) = check_online(&host, &newer, "json");
    assert_eq!(code, 1, "{json}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    let f = finding(&doc, "mirror-host-behind-microsoft");
    assert!(
        f["title"]
            .as_str()
            .unwrap()
            .contains(&format!("holds {DEFS}, Microsoft publishes 1.441.95.0")),
        "{f:#}"
    );
    let behind = doc["arches"][0]["behind_seconds"].as_f64().unwrap();
    assert!(behind > 0.0, "{doc:#}");
    // The fwlink down: one warning for the host, not one per arch.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let down = format!("http://{}/fwlink/", closed.local_addr().unwrap());
    drop(closed);
    let (code, json) = check_online(&host, &down, "json");
    assert_eq!(code, 1, "{json}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(ids(&doc), vec!["mirror-host-behind-microsoft"]);
    assert!(
        doc["findings"][0]["title"]
            .as_str()
            .unwrap()
            .contains("cannot be reached"),
        "{doc:#}"
    );
}

/// `mirror run` of the stand-in, pointed at `base`, with its own state directory.
pub(crate) fn mirror_run(host: &Host, base: &str, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "run", "--format", "json", "--script"])
        .arg(host.path().join("xplat_offline_updates_download.sh"))
        .arg("--root")
        .arg(host.root())
        .arg("--state-dir")
        .arg(host.path().join("state"))
        .args(extra)
        .env("STANDIN_BASE_URL", base)
        .current_dir("/")
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (
        out.status.code().unwrap_or(-1),
        doc,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn mirror_run_of_a_good_download_is_ok_and_streams_the_scripts_output() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    let (code, doc, stderr) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["restored"], serde_json::json!([]));
    assert!(stderr.contains("Script completed."), "{stderr}");
    // The script ran in its own directory: its temp.txt never lands in ours.
    assert!(!Path::new("/temp.txt").exists());
    let textfile = host.path().join("prom");
    std::fs::create_dir(&textfile).unwrap();
    let (code, _, _) = mirror_run(
        &host,
        &fwlink(Fwlink::Good, DEFS),
        &["--textfile-dir", textfile.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    let prom = std::fs::read_to_string(textfile.join("mdatp_mirror_run.prom")).unwrap();
    assert!(prom.contains("mdatp_mirror_run_status 0\n"), "{prom}");
}

#[test]
fn mirror_run_restores_the_previous_package_when_a_proxy_answers_403_html() {
    needs_tools();
    use std::os::unix::fs::PermissionsExt;
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let pkg = host.arch("production/arch_x86_64/updates.zip");
    std::fs::set_permissions(&pkg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let good = std::fs::read(&pkg).unwrap();
    // A newer version is announced, but the package request gets a proxy's 403 page.
    let (code, doc, _) = mirror_run(
        &host,
        &fwlink(Fwlink::PackageForbidden, "1.441.95.0"),
        &["--textfile-dir", host.path().to_str().unwrap()],
    );
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["exit_code"], 0, "the script itself says success");
    let ids: Vec<&str> = doc["check"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"mirror-host-package-bad"), "{ids:?}");
    assert_eq!(doc["restored"].as_array().unwrap().len(), 2, "{doc:#}");
    assert_eq!(doc["verdict_after_restore"], "ok", "{doc:#}");
    // The good package and its manifest are back, with the original mode.
    assert_eq!(std::fs::read(&pkg).unwrap(), good);
    assert_eq!(
        std::fs::metadata(&pkg).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(host.arch("production/arch_x86_64/manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["DefinitionVersion"], DEFS);
    let prom = std::fs::read_to_string(host.path().join("mdatp_mirror_run.prom")).unwrap();
    assert!(prom.contains("mdatp_mirror_run_status 2\n"), "{prom}");
    assert!(prom.contains("mdatp_mirror_run_restored 2\n"), "{prom}");
    // The tree is whole again (no finding of its own), and the failed sync is still told:
    // the downloader's log ends in `Script completed.` and has no error line.
    let (code, doc) = host.check(&[]);
    assert_eq!(
        (code, ids_of(&doc)),
        (1, vec!["mirror-host-sync-failed".to_string()]),
        "{doc:#}"
    );
    assert_eq!(doc["sync"][0]["last_attempt_ok"], false, "{doc:#}");

    // With --no-restore the HTML page stays, and mirror check flags it.
    let (code, doc, _) = mirror_run(
        &host,
        &fwlink(Fwlink::PackageForbidden, "1.441.95.0"),
        &["--no-restore"],
    );
    assert_eq!(code, 2);
    assert_eq!(doc["restored"], serde_json::json!([]));
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2);
    assert!(ids_of(&doc).contains(&"mirror-host-package-bad".to_string()));
}

fn ids_of(doc: &Value) -> Vec<String> {
    ids(doc)
}

#[test]
fn mirror_run_kills_a_script_that_outlives_its_timeout() {
    let host = Host::new();
    let script = host.path().join("xplat_offline_updates_download.sh");
    let pid_file = host.path().join("script.pid");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ >{}\necho started\nsleep 30\necho never\n",
            pid_file.display()
        ),
    )
    .unwrap();
    let (code, doc, stderr) = mirror_run(&host, "http://127.0.0.1:9/", &["--run-timeout", "1s"]);
    // Ended by the 1 s timeout (said so, the script cut before its last line), not by the
    // script's 30 s running out.
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["timed_out"], true);
    assert!(
        stderr.contains("started") && !stderr.contains("never"),
        "{stderr}"
    );
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        crate::testenv::wait_dead(pid),
        "the script {pid} outlived its timeout"
    );
}

#[test]
fn two_mirror_runs_never_overlap() {
    let host = Host::new();
    let script = host.path().join("xplat_offline_updates_download.sh");
    // The first run's script says it started (the run takes its lock before starting it)
    // and then waits: the second run meets the lock however slow the machine, and the
    // first run is ended by the test (SIGTERM kills its script), not by a sleep.
    let started = host.path().join("started");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ -e {0} ] || {{ touch {0}; sleep 600; }}\n",
            started.display()
        ),
    )
    .unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "run", "--script"])
        .arg(&script)
        .arg("--root")
        .arg(host.root())
        .arg("--state-dir")
        .arg(host.path().join("state"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first run holds the lock: its script has started.
    let until = std::time::Instant::now() + crate::testenv::HANG_GUARD;
    while !started.exists() {
        if std::time::Instant::now() > until || first.try_wait().unwrap().is_some() {
            let _ = first.kill();
            panic!("the first run never started its script");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "run", "--script"])
        .arg(&script)
        .arg("--root")
        .arg(host.root())
        .arg("--state-dir")
        .arg(host.path().join("state"))
        .output()
        .unwrap();
    // SAFETY: signalling the child this test started.
    unsafe {
        libc::kill(first.id() as i32, libc::SIGTERM);
    }
    let _ = first.wait();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("another"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_interrupted_mirror_run_kills_the_script_and_still_reports() {
    let host = Host::new();
    let script = host.path().join("xplat_offline_updates_download.sh");
    let marker = host.path().join("still-running");
    let pid_file = host.path().join("script.pid");
    // The pid file is renamed into place, so a reader never sees it half written.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ >{0}.tmp && mv {0}.tmp {0}\necho started\nsleep 60\ntouch {1}\n",
            pid_file.display(),
            marker.display()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "run", "--format", "json", "--script"])
        .arg(&script)
        .arg("--root")
        .arg(host.root())
        .arg("--state-dir")
        .arg(host.path().join("state"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupted once the script runs (not before, when there is nothing to kill).
    let until = std::time::Instant::now() + crate::testenv::HANG_GUARD;
    let pid: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            std::time::Instant::now() < until,
            "the script never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    };
    // SAFETY: signalling the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let out = child.wait_with_output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(doc["interrupted"], true, "{doc:#}");
    assert_eq!(out.status.code(), Some(2));
    let died = crate::testenv::wait_dead(pid);
    if !died {
        // SAFETY: a pid the script of this test wrote.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    assert!(died, "the script {pid} outlived the interrupt");
    assert!(!marker.exists(), "the script outlived the interrupt");
}

#[test]
fn mirror_run_takes_a_relative_script_path() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args([
            "mirror",
            "run",
            "--format",
            "json",
            "--script",
            "./xplat_offline_updates_download.sh",
        ])
        .arg("--root")
        .arg(host.root())
        .arg("--state-dir")
        .arg(host.path().join("state"))
        .env("STANDIN_BASE_URL", fwlink(Fwlink::Good, DEFS))
        .current_dir(host.path())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["exit_code"], 0, "{doc:#}");
    assert_eq!(out.status.code(), Some(0), "{doc:#}");
}

#[test]
fn mirror_run_keeps_and_restores_a_package_behind_a_symlink_without_following_it() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    // The package is a symlink to a file elsewhere (a setup with shared storage).
    let pkg = host.arch("production/arch_x86_64/updates.zip");
    let elsewhere = host.path().join("elsewhere.zip");
    std::fs::rename(&pkg, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &pkg).unwrap();
    let good = std::fs::read(&elsewhere).unwrap();
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::PackageForbidden, "1.441.95.0"), &[]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["restore_errors"], serde_json::json!([]), "{doc:#}");
    assert_eq!(std::fs::read(&pkg).unwrap(), good);
    // The downloader's mv replaced the link; the restore wrote a file, and the file the
    // link pointed to was never written through.
    assert!(
        !std::fs::symlink_metadata(&pkg)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&elsewhere).unwrap(), good);
    // The restored file has the mode of the file the link led to, not the link's 0777.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&pkg).unwrap().permissions().mode() & 0o7777,
        std::fs::metadata(&elsewhere).unwrap().permissions().mode() & 0o7777
    );
}

/// The names of the files in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A text exposition parsed as node_exporter's textfile collector would read it.
fn parse_exposition(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .unwrap_or_else(|e| panic!("not a valid exposition ({e}):\n{text}"))
}

fn gauge(scrape: &prometheus_parse::Scrape, metric: &str) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric)
        .map(|s| match s.value {
            prometheus_parse::Value::Gauge(v) => v,
            ref v => panic!("{metric} is not a gauge: {v:?}"),
        })
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn mirror_check_textfile_is_replaced_atomically_0644_and_parses() {
    needs_tools();
    use std::os::unix::fs::PermissionsExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let dir = host.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("mdatp_mirror.prom");
    let stop = Arc::new(AtomicBool::new(false));
    // A reader racing the writers only ever sees a whole file (or none yet).
    let reader = {
        let (file, stop) = (file.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(Ordering::SeqCst) {
                if let Ok(text) = std::fs::read_to_string(&file) {
                    assert!(
                        text.ends_with('\n')
                            && text.contains("\nmdatp_mirror_last_check_timestamp_seconds "),
                        "partial file seen:\n{text}"
                    );
                    reads += 1;
                }
            }
            reads
        })
    };
    let mirror_check = |format: &str, textdir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
            .args(["mirror", "check", "--format", format, "--settings"])
            .arg(host.settings())
            .arg("--root")
            .arg(host.root())
            .arg("--textfile-dir")
            .arg(textdir)
            .output()
            .unwrap()
    };
    let before = unix_now().floor();
    for _ in 0..6 {
        let out = mirror_check("prometheus", &dir);
        assert_eq!(
            (out.status.code(), out.stdout.as_slice()),
            (Some(0), &b""[..]),
            "the metrics go to the file, not stdout: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    stop.store(true, Ordering::SeqCst);
    assert!(reader.join().unwrap() > 0, "the reader saw the file");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644,
        "node_exporter runs as its own user"
    );
    assert_eq!(
        file_names(&dir),
        ["mdatp_mirror.prom"],
        "no temporary file left"
    );
    let scrape = parse_exposition(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(gauge(&scrape, "mdatp_mirror_status"), Some(0.0));
    let stamp = gauge(&scrape, "mdatp_mirror_last_check_timestamp_seconds").unwrap();
    assert!(
        (before..=unix_now() + 1.0).contains(&stamp),
        "{stamp} is not the time of the check"
    );
    let ok: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "mdatp_mirror_package_ok")
        .collect();
    assert_eq!(ok.len(), 2, "x86_64 and arm64 of linux/production");
    assert!(
        ok.iter()
            .all(|s| matches!(s.value, prometheus_parse::Value::Gauge(v) if v == 1.0))
    );

    // Another format on stdout still writes the metrics, as `check --textfile-dir` does.
    std::fs::remove_file(&file).unwrap();
    let out = mirror_check("nagios", &dir);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("MDATP MIRROR-HOST OK - "));
    parse_exposition(&std::fs::read_to_string(&file).expect("textfile written"));

    // A directory that cannot be written is an unknown, said on stderr.
    let out = mirror_check("prometheus", &host.path().join("no-such-dir"));
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot write"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mirror_run_textfile_is_0644_whole_and_says_what_the_run_did() {
    needs_tools();
    use std::os::unix::fs::PermissionsExt;
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    let dir = host.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("mdatp_mirror_run.prom");
    let arg = ["--textfile-dir", dir.to_str().unwrap()];
    let before = unix_now().floor();
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &arg);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert_eq!(file_names(&dir), ["mdatp_mirror_run.prom"]);
    let scrape = parse_exposition(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(gauge(&scrape, "mdatp_mirror_run_status"), Some(0.0));
    assert_eq!(gauge(&scrape, "mdatp_mirror_run_restored"), Some(0.0));
    let stamp = gauge(&scrape, "mdatp_mirror_run_last_timestamp_seconds").unwrap();
    assert!((before..=unix_now() + 1.0).contains(&stamp), "{stamp}");

    // A proxy's 403 page: the file is replaced with the failed run's result.
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::PackageForbidden, "1.441.95.0"), &arg);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(file_names(&dir), ["mdatp_mirror_run.prom"]);
    let scrape = parse_exposition(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(gauge(&scrape, "mdatp_mirror_run_status"), Some(2.0));
    assert_eq!(gauge(&scrape, "mdatp_mirror_run_restored"), Some(2.0));

    // An unwritable directory: the run still reports, and exits unknown at least.
    let (code, doc, stderr) = mirror_run(
        &host,
        &fwlink(Fwlink::Good, "1.441.95.0"),
        &[
            "--textfile-dir",
            host.path().join("no-such-dir").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{doc:#}");
    assert!(stderr.contains("cannot write"), "{stderr}");
}

#[test]
fn the_jobs_user_must_be_able_to_write_the_folder_and_the_log() {
    needs_tools();
    use std::os::unix::fs::PermissionsExt;
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    let cron = host.root().join("etc/cron.d/mdatp-offline-updates");
    let script = host.path().join("xplat_offline_updates_download.sh");
    let run_as = |user: &str| {
        std::fs::write(
            &cron,
            format!("0 */4 * * * {user} {} >/dev/null 2>&1\n", script.display()),
        )
        .unwrap()
    };
    // `mirror` is another user than the files' owner, in none of their groups.
    run_as("mirror");
    host.accounts(&[("mirror", 1)], &[]);
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2, "{doc:#}");
    let f = finding(&doc, "mirror-host-not-writable");
    assert_eq!(f["severity"], "critical");
    let evidence = f["evidence"].to_string();
    for what in [
        "downloadFolder: ",
        "linux/production/arch_x86_64: ",
        "linux/production/arch_arm64: ",
        "logFilePath: ",
    ] {
        assert!(evidence.contains(what), "{what} missing: {f:#}");
    }
    assert!(evidence.contains("mode rwxr-xr-x"), "{f:#}");
    assert!(
        f["evidence"][0]["value"]
            .as_str()
            .unwrap()
            .starts_with("mirror (")
    );

    // In the files' group, with group-writable folders: only the log is left (a warning).
    host.accounts(&[("mirror", 1)], &[("mirrorgrp", "mirror")]);
    let tree = host.path().join("wdav-update");
    for dir in [
        tree.clone(),
        host.arch("production/arch_x86_64"),
        host.arch("production/arch_arm64"),
    ] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o775)).unwrap();
    }
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 1, "{doc:#}");
    let f = finding(&doc, "mirror-host-not-writable");
    assert_eq!(f["severity"], "warning");
    assert!(f["title"].as_str().unwrap().contains("log"), "{f:#}");

    // The log group-writable too: it may append, but the log is another user's (info).
    let log = host.path().join("offline_updates.log");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o664)).unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(ids(&doc), vec!["mirror-host-log-owner"], "{doc:#}");
    assert_eq!(doc["findings"][0]["severity"], "info");

    // A log that does not exist yet: the directory it would be created in counts.
    std::fs::remove_file(&log).unwrap();
    let (_, doc) = host.check(&[]);
    let f = finding(&doc, "mirror-host-not-writable");
    assert!(
        f["evidence"].to_string().contains("(missing; nearest: "),
        "{f:#}"
    );

    // A user /etc/passwd does not know: what it may write is unknown, never fine.
    run_as("ghost");
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 3, "{doc:#}");
    assert_eq!(
        finding(&doc, "mirror-host-not-writable")["severity"],
        "unknown"
    );

    // No schedule at all: root is assumed, and said.
    std::fs::remove_file(&cron).unwrap();
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    std::fs::set_permissions(&tree, std::fs::Permissions::from_mode(0o700)).unwrap();
    let (_, doc) = host.check(&[]);
    assert!(
        !ids(&doc).contains(&"mirror-host-not-writable".to_string()),
        "root writes anything: {doc:#}"
    );
    assert!(ids(&doc).contains(&"mirror-host-schedule-missing".to_string()));
}

/// SELinux enforcing and nginx installed, as `--root` shows the machine.
fn enforcing_with_nginx(host: &Host, enforce: &str) {
    let se = host.root().join("sys/fs/selinux");
    std::fs::create_dir_all(&se).unwrap();
    std::fs::write(se.join("enforce"), enforce).unwrap();
    std::fs::create_dir_all(host.root().join("usr/sbin")).unwrap();
    std::fs::write(host.root().join("usr/sbin/nginx"), "").unwrap();
}

/// The paths nginx would hand out: the folder, the arch folders and their files.
fn served_paths(host: &Host) -> Vec<PathBuf> {
    let mut paths = vec![host.path().join("wdav-update")];
    for arch in ["arch_x86_64", "arch_arm64"] {
        let dir = host.arch(&format!("production/{arch}"));
        paths.push(dir.join("updates.zip"));
        paths.push(dir.join("manifest.json"));
        paths.push(dir);
    }
    paths
}

#[test]
fn selinux_labels_matter_only_when_enforcing_with_a_local_web_server() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    // Enforcing with nginx: files without an httpd-readable type (here none at all, or the
    // temporary directory's type on a machine with SELinux) are what nginx answers 403 for.
    enforcing_with_nginx(&host, "1\n");
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2, "{doc:#}");
    let f = finding(&doc, "mirror-host-selinux-label");
    assert_eq!(f["severity"], "critical");
    assert!(
        f["evidence"][0]["value"]
            .as_str()
            .unwrap()
            .contains("usr/sbin/nginx installed, SELinux enforcing"),
        "{f:#}"
    );
    assert!(
        f["title"].as_str().unwrap().starts_with("7 path(s)"),
        "{f:#}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("restorecon -R"),
        "{f:#}"
    );
    // Permissive: no finding. Enforcing without a web server: none either.
    enforcing_with_nginx(&host, "0\n");
    let (code, doc) = host.check(&[]);
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
    enforcing_with_nginx(&host, "1\n");
    std::fs::remove_file(host.root().join("usr/sbin/nginx")).unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
}

/// Sets `security.selinux` on `path` (not following a symlink).
fn set_label(path: &Path, context: &str) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let p = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    let value = format!("{context}\0");
    // SAFETY: valid C strings; value's pointer and length match.
    let rc = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            c"security.selinux".as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[test]
#[ignore = "needs root with CAP_SYS_ADMIN to set security.selinux (.ci/run runs it as root)"]
fn selinux_types_httpd_may_read_pass_and_others_are_named() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    enforcing_with_nginx(&host, "1\n");
    for p in served_paths(&host) {
        // Asked to run, it must run: without the privilege this is a failure.
        set_label(&p, "system_u:object_r:httpd_sys_content_t:s0").unwrap_or_else(|e| {
            panic!(
                "cannot set security.selinux on {} ({e}): run as root with CAP_SYS_ADMIN",
                p.display()
            )
        });
    }
    let (code, doc) = host.check(&[]);
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
    // public_content_t is readable by httpd too; user_home_t is not.
    let pkg = host.arch("production/arch_arm64/updates.zip");
    set_label(&pkg, "system_u:object_r:public_content_t:s0").unwrap();
    let (code, _) = host.check(&[]);
    assert_eq!(code, 0);
    set_label(&pkg, "unconfined_u:object_r:user_home_t:s0").unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 2, "{doc:#}");
    let f = finding(&doc, "mirror-host-selinux-label");
    assert!(
        f["title"].as_str().unwrap().starts_with("1 path(s)"),
        "{f:#}"
    );
    assert_eq!(f["evidence"][1]["key"], pkg.display().to_string());
    assert_eq!(
        f["evidence"][1]["value"],
        "unconfined_u:object_r:user_home_t:s0"
    );
}

#[test]
fn a_script_that_never_mentions_arm64_predates_its_support() {
    needs_tools();
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    host.download(&fwlink(Fwlink::Good, DEFS), None);
    // An older downloader: x86_64 only, version 0.0.1 (a real file, executable).
    let script = host.path().join("xplat_offline_updates_download.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    let old = text
        .replace("scriptVersion=\"0.0.2\"", "scriptVersion=\"0.0.1\"")
        .replace("for arch in x86_64 arm64; do", "for arch in x86_64; do")
        .replace(
            "            [ \"$arch\" = arm64 ] && url=\"$url&arch=arm64\"\n",
            "",
        );
    assert!(!old.contains("arm64"), "the stand-in changed: {old}");
    std::fs::write(&script, old).unwrap();
    let (code, doc) = host.check(&[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(ids(&doc), vec!["mirror-host-script-outdated"], "{doc:#}");
    let f = finding(&doc, "mirror-host-script-outdated");
    assert_eq!(f["evidence"][1]["value"], "0.0.1");
}

#[test]
fn the_access_selinux_and_arm64_findings_have_explanations() {
    for (id, says) in [
        ("mirror-host-not-writable", "nearest directory above"),
        ("mirror-host-log-owner", "run by hand as root"),
        ("mirror-host-selinux-label", "httpd_sys_content_t"),
        ("mirror-host-script-outdated", "November 2024"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
            .args(["diagnose", "--explain", id])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{id}: {text}");
        assert!(text.contains(says), "{id}: {text}");
    }
}

/// `mirror check --folder DIR` on DIR: exit code and document (the machine's own files
/// read under an empty --root, so no real schedule is seen).
fn check_folder(dir: &Path) -> (i32, Value) {
    let root = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["mirror", "check", "--format", "json", "--folder"])
        .arg(dir)
        .arg("--root")
        .arg(root.path())
        .output()
        .expect("run mdatp-doctor");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), doc)
}

fn evidence_of(f: &Value) -> Vec<(String, String)> {
    f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["key"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_empty_folder_is_critical_and_names_the_paths_looked_for() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (code, doc) = check_folder(dir.path());
    assert_eq!(code, 2, "no package anywhere is never a warning: {doc:#}");
    let f = finding(&doc, "mirror-host-no-package");
    assert_eq!(f["severity"], "critical");
    assert!(
        f["title"].as_str().unwrap().contains("the folder is empty"),
        "{f:#}"
    );
    let d = dir.path().display().to_string();
    let ev = evidence_of(f);
    assert!(
        ev.contains(&(
            "looked for (the downloader's tree)".into(),
            format!("{d}/{{linux,mac}}/{{production,preview}}{{,_back}}/arch_{{x86_64,arm64}}/")
        )),
        "{ev:?}"
    );
    assert!(
        ev.iter().any(|(k, v)| k == "looked for (a staged root)"
            && v.starts_with(&format!("{d}/{{incoming,canary}}/"))),
        "{ev:?}"
    );
    assert!(ev.contains(&(d.clone(), "empty".into())), "{ev:?}");
    assert!(
        f["fix"].as_str().unwrap().contains("run the downloader"),
        "{f:#}"
    );
}

#[test]
fn a_wrong_folder_is_critical_and_says_what_it_holds() {
    // An /etc-like tree: files and folders, none of the download tree's.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    std::fs::create_dir_all(dir.path().join("ssh/sshd_config.d")).unwrap();
    std::fs::create_dir_all(dir.path().join("cron.d")).unwrap();
    std::fs::write(dir.path().join("hosts"), "127.0.0.1 localhost\n").unwrap();
    std::fs::write(dir.path().join("passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    let (code, doc) = check_folder(dir.path());
    assert_eq!(code, 2, "{doc:#}");
    let f = finding(&doc, "mirror-host-no-package");
    let d = dir.path().display().to_string();
    let ev = evidence_of(f);
    assert!(
        ev.contains(&(d.clone(), "holds cron.d, hosts, passwd, ssh".into())),
        "{ev:?}"
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("is not a download folder"),
        "{f:#}"
    );

    // A ring folder given for the download folder: the folder meant is named.
    let tree = dir.path().join("wdav-update");
    let ring = tree.join("linux/production");
    std::fs::create_dir_all(ring.join("arch_x86_64")).unwrap();
    let (code, doc) = check_folder(&ring);
    assert_eq!(code, 2, "{doc:#}");
    let f = finding(&doc, "mirror-host-no-package");
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!("--folder {}", tree.display())) && fix.contains("a ring folder"),
        "{fix}"
    );
    // The download folder itself: its empty arch folder is the usual package-missing.
    let (_, doc) = check_folder(&tree);
    let ids = ids(&doc);
    assert!(
        !ids.contains(&"mirror-host-no-package".to_string()),
        "{ids:?}"
    );
    assert!(
        ids.contains(&"mirror-host-package-missing".to_string()),
        "{ids:?}"
    );
}

/// `mirror check --format icinga` on `host`: the Icinga 2 API request body.
fn icinga_body(host: &Host) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .env("MDATP_DOCTOR_TEST_HOSTNAME", "mirror01")
        .args(["mirror", "check", "--format", "icinga", "--settings"])
        .arg(host.settings())
        .arg("--root")
        .arg(host.root())
        .output()
        .expect("run mdatp-doctor");
    assert_eq!(out.status.code(), Some(0), "the state is in the body");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn icinga_bodies_carry_the_mirror_hosts_state() {
    needs_tools();
    // No backup to keep: a first good run is OK (with backups it would warn).
    let good = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    good.download(&fwlink(Fwlink::Good, DEFS), None);
    let body = icinga_body(&good);
    assert_eq!(body["exit_status"], 0, "{body:#}");
    assert!(
        body["plugin_output"]
            .as_str()
            .unwrap()
            .starts_with("MDATP MIRROR-HOST OK - "),
        "{body:#}"
    );
    assert_eq!(
        body["performance_data"],
        serde_json::json!(["findings_critical=0;;;0", "findings_warning=0;;;0"])
    );
    assert_eq!(body["check_source"], "mirror01");
    assert!(
        body["execution_start"].as_f64().unwrap() > 1.5e9,
        "{body:#}"
    );

    let bad = Host::new();
    bad.download(&fwlink(Fwlink::PackageForbidden, DEFS), None);
    let body = icinga_body(&bad);
    assert_eq!(body["exit_status"], 2, "{body:#}");
    let output = body["plugin_output"].as_str().unwrap();
    assert!(
        output.starts_with("MDATP MIRROR-HOST CRITICAL - ")
            && output.contains("mirror-host-package-bad"),
        "{body:#}"
    );
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("[CRITICAL] mirror-host-package-bad: ")),
        "{body:#}"
    );
    assert!(
        body["performance_data"][0]
            .as_str()
            .unwrap()
            .starts_with("findings_critical="),
        "{body:#}"
    );
    assert_ne!(body["performance_data"][0], "findings_critical=0;;;0");
}
