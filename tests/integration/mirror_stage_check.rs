//! `mirror check --folder ROOT` on a staged mirror, end to end: a served root filled with
//! real files (small valid zips), its stages made by the real binary (`mirror promote`,
//! `mirror rollback`, a promote killed on purpose), then checked as JSON, for people and
//! for monitoring.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::mirror_host::stored_zip;
use crate::testenv::TestEnv;

const ENGINE: &str = "1.1.25090.3001";
const ARCHES: [&str; 2] = ["x86_64", "arm64"];
/// Where a step leaves its journal (src/mirror_host/stage.rs).
const JOURNAL: &str = ".mdatp-doctor-journal.json";

/// A staged root and the machine around it, outside /tmp (a download folder there is a
/// finding of its own): a cron entry runs `mirror run`, so the schedule is known.
struct Staged {
    env: TestEnv,
    dir: tempfile::TempDir,
}

impl Staged {
    fn new() -> Staged {
        let base = if Path::new("/var/tmp").is_dir() {
            Path::new("/var/tmp")
        } else {
            Path::new(env!("CARGO_TARGET_TMPDIR"))
        };
        let dir = tempfile::tempdir_in(base).expect("tempdir");
        let s = Staged {
            env: TestEnv::new(),
            dir,
        };
        std::fs::create_dir_all(s.root().join("incoming")).unwrap();
        let cron = s.machine().join("etc/cron.d");
        std::fs::create_dir_all(&cron).unwrap();
        std::fs::write(
            cron.join("mdatp-mirror"),
            format!(
                "0 */4 * * * root /usr/bin/mdatp-doctor mirror run --script /opt/wdav-update/xplat_offline_updates_download.sh --promote-canary\n# {}\n",
                s.root().display()
            ),
        )
        .unwrap();
        s
    }

    /// The served root.
    fn root(&self) -> PathBuf {
        self.dir.path().join("mirror")
    }

    /// The machine's own files (`mirror check --root`).
    fn machine(&self) -> PathBuf {
        self.dir.path().join("machine")
    }

    fn arch(&self, rel: &str, arch: &str) -> PathBuf {
        self.root().join(rel).join(format!("arch_{arch}"))
    }

    /// What the downloader leaves in incoming/ for `defs`: both arches, world-readable.
    fn download(&self, defs: &str) {
        for arch in ARCHES {
            let dir = self.arch("incoming/linux/production", arch);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("updates.zip"),
                stored_zip("mpasbase.vdm", format!("defs {defs} {arch}").as_bytes()),
            )
            .unwrap();
            std::fs::write(
                dir.join("manifest.json"),
                json!({"EngineVersion": ENGINE, "DefinitionVersion": defs}).to_string(),
            )
            .unwrap();
        }
    }

    /// `mirror promote` (or `rollback`) with `args`, as JSON; it must succeed.
    fn stage(&self, args: &[&str]) -> Value {
        let out = self
            .env
            .cmd()
            .args(["--format", "json", "mirror"])
            .args(args)
            .arg("--root")
            .arg(self.root())
            .output()
            .expect("runs");
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        assert_eq!(out.status.code(), Some(0), "{args:?}: {doc:#}");
        doc
    }

    fn to_canary(&self) -> Value {
        self.stage(&["promote", "--to", "canary"])
    }

    /// A healthy canary endpoint's `diagnose --format json` on `defs`, from the canary
    /// ring; then `mirror promote --to production` with no soak.
    fn to_production(&self, defs: &str) -> Value {
        // One healthy canary per arch: each vouches only for its own arch folder.
        let dir = self.dir.path().join(format!("canary-{defs}"));
        std::fs::create_dir_all(&dir).unwrap();
        for arch in ARCHES {
            std::fs::write(
                dir.join(format!("{arch}.json")),
                json!({
                    "schema_version": 1,
                    "snapshot": {
                        "time": "2026-12-07T10:00:00Z",
                        "hostname": format!("canary-{arch}"),
                        "arch": arch,
                        "definitions": {
                            "definitions_version": {"value": defs},
                            "definitions_status": {"value": "up_to_date"},
                            "definitions_update_source_uri": {"value": "http://mirror.example/canary/linux/production/"},
                        },
                        "health": {"engine_load_status": {"value": "Engine load succeeded"}},
                    },
                    "findings": [],
                    "verdict": "ok",
                })
                .to_string(),
            )
            .unwrap();
        }
        let report = dir.display().to_string();
        self.stage(&[
            "promote",
            "--to",
            "production",
            "--canary-reports",
            &report,
            "--soak",
            "0",
        ])
    }

    /// incoming and the canary on 1.441.91.0, production on .90, back on .89.
    fn healthy() -> Staged {
        let s = Staged::new();
        for defs in ["1.441.89.0", "1.441.90.0"] {
            s.download(defs);
            s.to_canary();
            s.to_production(defs);
        }
        s.download("1.441.91.0");
        s.to_canary();
        s
    }

    /// `mirror check --folder ROOT --format FORMAT`: exit code and output.
    fn check(&self, format: &str, extra: &[&str]) -> (i32, String) {
        let out = self
            .env
            .cmd()
            .args(["mirror", "check", "--format", format, "--folder"])
            .arg(self.root())
            .arg("--root")
            .arg(self.machine())
            .args(extra)
            .output()
            .expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).expect("UTF-8"),
        )
    }

    fn check_json(&self) -> (i32, Value) {
        let (code, text) = self.check("json", &[]);
        let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        (code, doc)
    }
}

fn findings(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn row<'a>(doc: &'a Value, stage: &str, arch: &str) -> &'a Value {
    doc["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .find(|r| r["stage"] == stage && r["arch"] == arch)
        .unwrap_or_else(|| panic!("no {stage}/{arch} in {doc:#}"))
}

fn scrape(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .unwrap_or_else(|e| panic!("not a valid exposition: {e}\n{text}"))
}

/// The value of `metric` whose labels include every one of `labels`.
fn value(s: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    s.samples
        .iter()
        .find(|x| x.metric == metric && labels.iter().all(|(k, v)| x.labels.get(k) == Some(v)))
        .map(|x| match x.value {
            prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{metric}: {other:?}"),
        })
}

#[test]
fn a_healthy_staged_root_shows_every_stage_and_raises_nothing() {
    let s = Staged::healthy();
    let (code, doc) = s.check_json();
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(findings(&doc), [], "{doc:#}");
    // Production and back are the usual --folder tree too.
    assert_eq!(doc["arches"].as_array().unwrap().len(), 4, "{doc:#}");
    let stages = doc["stages"].as_array().unwrap();
    let order: Vec<(&str, &str)> = stages
        .iter()
        .map(|r| (r["stage"].as_str().unwrap(), r["arch"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("incoming", "x86_64"),
            ("incoming", "arm64"),
            ("canary", "x86_64"),
            ("canary", "arm64"),
            ("production", "x86_64"),
            ("production", "arm64"),
            ("back", "x86_64"),
            ("back", "arm64"),
        ]
    );
    for (stage, defs, from) in [
        ("incoming", "1.441.91.0", Value::Null),
        ("canary", "1.441.91.0", json!("incoming")),
        ("production", "1.441.90.0", json!("canary")),
        ("back", "1.441.89.0", json!("canary")),
    ] {
        for arch in ARCHES {
            let r = row(&doc, stage, arch);
            assert_eq!(r["platform"], "linux");
            assert_eq!(r["ring"], "production");
            assert_eq!(r["definitions_version"], defs, "{r:#}");
            assert_eq!(r["engine_version"], ENGINE);
            assert_eq!(r["ok"], true, "{r:#}");
            assert_eq!(r["why_not"], Value::Null);
            assert_eq!(r["marker_error"], Value::Null);
            assert_eq!(r["from"], from, "{r:#}");
            assert!(r["package_age_seconds"].as_f64().unwrap() < 600.0, "{r:#}");
            assert!(r["package_sha256"].as_str().unwrap().len() == 64);
            let served = &r["served_seconds"];
            if matches!(stage, "canary" | "production") {
                assert!(served.as_f64().unwrap() < 600.0, "{r:#}");
                assert!(r["since_unix"].as_i64().unwrap() > 1_700_000_000);
            } else {
                assert_eq!(served, &Value::Null, "{r:#}");
            }
            assert_eq!(
                r["path"].as_str().unwrap(),
                match stage {
                    "incoming" => s.arch("incoming/linux/production", arch),
                    "canary" => s.arch("canary/linux/production", arch),
                    "production" => s.arch("linux/production", arch),
                    _ => s.arch("linux/production_back", arch),
                }
                .display()
                .to_string()
            );
        }
    }
    assert!(doc.get("stage_journal").is_none(), "{doc:#}");

    // For people: the section, arch folder by arch folder.
    let (code, text) = s.check("human", &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("  stages:   incoming → canary → production → back\n"),
        "{text}"
    );
    assert!(
        text.contains("    linux/production/arch_x86_64:\n"),
        "{text}"
    );
    let line = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line {prefix:?} in {text}"))
            .to_string()
    };
    let incoming = line(&format!(
        "      incoming    1.441.91.0 (engine {ENGINE}), package "
    ));
    assert!(
        incoming.ends_with(" minutes old") && !incoming.contains("serving"),
        "{text}"
    );
    let canary = line(&format!(
        "      canary      1.441.91.0 (engine {ENGINE}), package "
    ));
    assert!(canary.contains(" minutes old, serving it for "), "{text}");
    assert!(
        text.contains(&format!("      back        1.441.89.0 (engine {ENGINE})")),
        "{text}"
    );

    // Prometheus: per stage, with HELP and TYPE, alongside the existing series.
    let (code, text) = s.check("prometheus", &[]);
    assert_eq!(code, 0);
    let m = scrape(&text);
    for family in [
        "mdatp_mirror_stage_info",
        "mdatp_mirror_stage_ok",
        "mdatp_mirror_stage_package_age_seconds",
        "mdatp_mirror_stage_served_seconds",
        "mdatp_mirror_stage_interrupted",
    ] {
        assert!(
            text.contains(&format!("# HELP {family} "))
                && text.contains(&format!("# TYPE {family} gauge\n")),
            "{family}: {text}"
        );
    }
    for stage in ["incoming", "canary", "production", "back"] {
        for arch in ARCHES {
            let l = [
                ("stage", stage),
                ("platform", "linux"),
                ("ring", "production"),
                ("arch", arch),
            ];
            assert_eq!(value(&m, "mdatp_mirror_stage_ok", &l), Some(1.0), "{text}");
            assert!(value(&m, "mdatp_mirror_stage_package_age_seconds", &l).is_some());
            let served = value(&m, "mdatp_mirror_stage_served_seconds", &l);
            assert_eq!(
                served.is_some(),
                matches!(stage, "canary" | "production"),
                "{stage}: {text}"
            );
        }
    }
    assert_eq!(
        value(
            &m,
            "mdatp_mirror_stage_info",
            &[
                ("stage", "production"),
                ("arch", "arm64"),
                ("definitions_version", "1.441.90.0"),
                ("engine_version", ENGINE),
            ]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value(&m, "mdatp_mirror_stage_interrupted", &[]), Some(0.0));
    assert_eq!(value(&m, "mdatp_mirror_status", &[]), Some(0.0));

    // The textfile holds them too, whatever --format says.
    let textdir = s.dir.path().join("textfile");
    std::fs::create_dir_all(&textdir).unwrap();
    let textdir_arg = textdir.display().to_string();
    let (code, _) = s.check("nagios", &["--textfile-dir", &textdir_arg]);
    assert_eq!(code, 0);
    let written = std::fs::read_to_string(textdir.join("mdatp_mirror.prom")).unwrap();
    assert_eq!(
        value(
            &scrape(&written),
            "mdatp_mirror_stage_ok",
            &[("stage", "canary"), ("arch", "x86_64")]
        ),
        Some(1.0),
        "{written}"
    );

    // Nagios and Checkmk: unchanged shapes.
    let (code, text) = s.check("nagios", &[]);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("MDATP MIRROR-HOST OK - ") && text.lines().count() == 1,
        "{text}"
    );
    let (_, text) = s.check("checkmk", &[]);
    assert!(
        text.starts_with("0 mdatp_mirror_host findings_critical=0|findings_warning=0 "),
        "{text}"
    );
}

#[test]
fn a_newer_download_not_staged_yet_is_only_said() {
    let s = Staged::healthy();
    s.download("1.441.92.0");
    let (code, doc) = s.check_json();
    assert_eq!(code, 0, "info never changes the exit code: {doc:#}");
    assert_eq!(
        findings(&doc),
        [
            ("mirror-stage-canary-behind".into(), "info".into()),
            ("mirror-stage-canary-behind".into(), "info".into()),
        ],
        "{doc:#}"
    );
    let f = &doc["findings"][0];
    assert!(
        f["title"]
            .as_str()
            .unwrap()
            .contains("holds 1.441.92.0, newer than the 1.441.91.0 the canary serves"),
        "{f:#}"
    );
    assert_eq!(
        row(&doc, "incoming", "arm64")["definitions_version"],
        "1.441.92.0"
    );
    // Staged, it goes quiet.
    s.to_canary();
    let (code, doc) = s.check_json();
    assert_eq!((code, findings(&doc)), (0, vec![]), "{doc:#}");
}

#[test]
fn an_html_page_as_the_canary_package_is_critical_until_a_good_one_is_staged() {
    let s = Staged::healthy();
    // Replaced (a new file, as a copy by hand or a misdirected downloader leaves it).
    let pkg = s
        .arch("canary/linux/production", "x86_64")
        .join("updates.zip");
    let tmp = pkg.with_extension("new");
    std::fs::write(
        &tmp,
        "<!DOCTYPE html><html><body>403 Forbidden by policy</body></html>\n",
    )
    .unwrap();
    std::fs::rename(&tmp, &pkg).unwrap();
    let (code, doc) = s.check_json();
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(
        findings(&doc),
        [("mirror-stage-canary-bad".into(), "critical".into())],
        "{doc:#}"
    );
    let f = &doc["findings"][0];
    assert!(
        f["title"]
            .as_str()
            .unwrap()
            .starts_with("canary/linux/production/arch_x86_64 is not fit to serve (updates.zip is not a complete zip"),
        "{f:#}"
    );
    assert!(
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["value"].as_str().unwrap().contains("an HTML page")),
        "{f:#}"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains(&format!(
            "mdatp-doctor mirror promote --root {} --to canary",
            s.root().display()
        )),
        "{fix}"
    );
    let r = row(&doc, "canary", "x86_64");
    assert_eq!(r["ok"], false);
    assert!(
        r["why_not"]
            .as_str()
            .unwrap()
            .contains("not a complete zip"),
        "{r:#}"
    );
    assert_eq!(row(&doc, "canary", "arm64")["ok"], true);

    let (code, text) = s.check("prometheus", &[]);
    assert_eq!(code, 0, "the state is in the metrics");
    let m = scrape(&text);
    assert_eq!(
        value(
            &m,
            "mdatp_mirror_stage_ok",
            &[("stage", "canary"), ("arch", "x86_64")]
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &m,
            "mdatp_mirror_stage_ok",
            &[("stage", "production"), ("arch", "x86_64")]
        ),
        Some(1.0)
    );
    assert_eq!(value(&m, "mdatp_mirror_status", &[]), Some(2.0));

    let (code, text) = s.check("nagios", &[]);
    assert_eq!(code, 2);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("MDATP MIRROR-HOST CRITICAL - mirror-stage-canary-bad: canary/linux/production/arch_x86_64 is not fit to serve")
            && first.ends_with(" | findings_critical=1;;;0 findings_warning=0;;;0"),
        "{text}"
    );
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("[CRITICAL] mirror-stage-canary-bad: "),
        "{text}"
    );
    let (_, text) = s.check("checkmk", &[]);
    assert!(
        text.starts_with(
            "2 mdatp_mirror_host findings_critical=1|findings_warning=0 CRITICAL - mirror-stage-canary-bad: "
        ),
        "{text}"
    );
    let (code, text) = s.check("human", &[]);
    assert_eq!(code, 2);
    assert!(
        text.contains(&format!(
            "      canary      1.441.91.0 (engine {ENGINE}), package "
        )) && text.contains(
            "                  NOT FIT TO SERVE: updates.zip is not a complete zip: not a readable zip archive"
        ),
        "{text}"
    );

    // The fix the finding names: a good incoming package replaces a bad canary.
    s.to_canary();
    let (code, doc) = s.check_json();
    assert_eq!((code, findings(&doc)), (0, vec![]), "{doc:#}");
}

#[test]
fn a_journal_left_by_a_killed_promote_is_a_warning_until_the_next_step_settles_it() {
    let s = Staged::healthy();
    s.download("1.441.92.0");
    // Killed between writing its journal and the swap, as `kill -9` would.
    let out = s
        .env
        .cmd()
        .env("MDATP_DOCTOR_TEST_KILL_AT", "journaled")
        .args(["mirror", "promote", "--to", "canary", "--root"])
        .arg(s.root())
        .output()
        .unwrap();
    assert!(out.status.code().is_none(), "killed: {out:?}");
    let journal = s.root().join(JOURNAL);
    assert!(journal.is_file());

    // Just written: a step may still be running.
    let (code, doc) = s.check_json();
    let stage_findings: Vec<_> = findings(&doc)
        .into_iter()
        .filter(|(id, _)| id == "mirror-stage-interrupted")
        .collect();
    assert_eq!(
        stage_findings,
        [("mirror-stage-interrupted".into(), "info".into())],
        "{doc:#}"
    );
    assert_eq!(code, 0, "{doc:#}");
    // Nothing served changed: the canary still serves its package.
    assert_eq!(
        row(&doc, "canary", "x86_64")["definitions_version"],
        "1.441.91.0"
    );
    let j = &doc["stage_journal"];
    assert_eq!(j["path"], journal.display().to_string());
    assert_eq!(j["op"], "promote to canary", "{j:#}");
    assert_eq!(j["to_version"], "1.441.92.0", "{j:#}");
    assert_eq!(j["folder"], "canary/linux/production/arch_x86_64", "{j:#}");

    // Left for two hours: a warning.
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let (code, doc) = s.check_json();
    assert_eq!(code, 1, "{doc:#}");
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "mirror-stage-interrupted")
        .expect("the finding");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        f["title"],
        format!(
            "A promote to canary of canary/linux/production/arch_x86_64 (to 1.441.92.0) was interrupted: its journal is still in {}",
            s.root().display()
        )
    );
    assert!(
        f["fix"].as_str().unwrap().starts_with(&format!(
            "Run `mdatp-doctor mirror promote --root {} --to canary`: it first finishes or undoes",
            s.root().display()
        )),
        "{f:#}"
    );
    let (_, text) = s.check("prometheus", &[]);
    assert_eq!(
        value(&scrape(&text), "mdatp_mirror_stage_interrupted", &[]),
        Some(1.0),
        "{text}"
    );
    let (code, text) = s.check("nagios", &[]);
    assert_eq!(code, 1);
    assert!(
        text.starts_with("MDATP MIRROR-HOST WARNING - mirror-stage-interrupted: "),
        "{text}"
    );
    let (_, text) = s.check("human", &[]);
    assert!(
        text.contains(&format!(
            "  journal:  {} (promote to canary of canary/linux/production/arch_x86_64 unfinished, written 2 hours ago)\n",
            journal.display()
        )),
        "{text}"
    );

    // The step the fix names settles it (undone: it died before the swap), then stages.
    let done = s.to_canary();
    assert!(
        done["recovered"][0]
            .as_str()
            .unwrap()
            .starts_with("undid the interrupted promote to canary"),
        "{done:#}"
    );
    let (code, doc) = s.check_json();
    assert_eq!((code, findings(&doc)), (0, vec![]), "{doc:#}");
    assert!(!journal.exists());
    assert_eq!(
        row(&doc, "canary", "x86_64")["definitions_version"],
        "1.441.92.0"
    );
}

#[test]
fn after_a_rollback_the_back_stage_equal_to_production_is_not_a_lost_backup() {
    let s = Staged::healthy();
    let done = s.stage(&["rollback"]);
    assert_eq!(done["steps"][0]["action"], "promoted", "{done:#}");
    let (code, doc) = s.check_json();
    assert_eq!((code, findings(&doc)), (0, vec![]), "{doc:#}");
    let prod = row(&doc, "production", "x86_64");
    assert_eq!(prod["definitions_version"], "1.441.89.0");
    assert_eq!(prod["from"], "back");
    assert_eq!(
        row(&doc, "back", "x86_64")["definitions_version"],
        "1.441.89.0"
    );
}

#[test]
fn a_root_that_is_not_staged_has_no_stages() {
    let s = Staged::new();
    // Only the downloader's usual tree, straight in the root.
    let dir = s.arch("linux/production", "x86_64");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::remove_dir(s.root().join("incoming")).unwrap();
    std::fs::write(dir.join("updates.zip"), stored_zip("x", b"x")).unwrap();
    std::fs::write(
        dir.join("manifest.json"),
        json!({"EngineVersion": ENGINE, "DefinitionVersion": "1.441.90.0"}).to_string(),
    )
    .unwrap();
    let (code, doc) = s.check_json();
    assert_eq!(code, 0, "{doc:#}");
    assert!(doc.get("stages").is_none(), "{doc:#}");
    let (_, text) = s.check("prometheus", &[]);
    assert!(!text.contains("mdatp_mirror_stage_"), "{text}");
}
