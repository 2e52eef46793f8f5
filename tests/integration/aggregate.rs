//! `aggregate` over real `diagnose` reports from several fake endpoints, plus junk.

use crate::testenv::{
    CLOUD, DEFINITIONS, Defs, Reply, TestEnv, config_for, full_health, stdout_json,
};

pub(crate) const URL: &str = "http://127.0.0.1:9/linux/production/";

pub(crate) fn report(defs: &Defs) -> Vec<u8> {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(&defs.url, defs.fallback));
    let out = env
        .cmd()
        .args(["diagnose", "--format", "json", "--skip-network"])
        .output()
        .expect("runs");
    out.stdout
}

#[test]
fn a_fleet_summary_from_real_reports_and_junk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let healthy = report(&Defs::healthy(URL));
    let mut cloud = Defs::healthy(URL);
    cloud.source = CLOUD.into();
    cloud.fail_reason = "Failed to download package";
    let cloud = report(&cloud);
    // One host per file, as an Ansible fetch lays them out: <dir>/<host>/diagnose.json.
    for (i, bytes) in [&healthy, &healthy, &healthy, &cloud].iter().enumerate() {
        let host = dir.path().join(format!("host{i}"));
        std::fs::create_dir(&host).expect("mkdir");
        std::fs::write(host.join("diagnose.json"), bytes).expect("write");
    }
    std::fs::write(dir.path().join("broken.json"), "{ not json").expect("junk");
    std::fs::write(dir.path().join("other.json"), "{\"something\": \"else\"}").expect("junk");
    std::fs::write(dir.path().join("notes.txt"), "ignored: not *.json").expect("junk");

    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["aggregate", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    // The worst verdict of the fleet: a critical host makes the run critical.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fleet = stdout_json(&out);
    assert_eq!(fleet["reports"], 4);
    assert_eq!(fleet["verdicts"]["ok"]["count"], 3);
    assert_eq!(fleet["verdicts"]["critical"]["count"], 1);
    assert_eq!(fleet["findings"]["url-mismatch"]["endpoints"]["count"], 1);
    assert_eq!(fleet["mirrors"][URL]["endpoints"], 4);
    assert_eq!(fleet["mirrors"][URL]["endpoint_versions"]["1.407.417.0"], 4);
    let unreadable: Vec<&str> = fleet["unreadable"]
        .as_array()
        .expect("list")
        .iter()
        .map(|u| u["report"].as_str().expect("name"))
        .collect();
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(
        unreadable.iter().any(|u| u.ends_with("broken.json"))
            && unreadable.iter().any(|u| u.ends_with("other.json"))
    );

    let out = env
        .cmd()
        .arg("aggregate")
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Fleet: 4 reports"), "{text}");
    assert!(
        text.contains("url-mismatch") && text.contains("unreadable: "),
        "{text}"
    );

    let out = env
        .cmd()
        .args(["aggregate"])
        .arg(dir.path().join("notes.txt"))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "nothing readable is unknown, not a crash"
    );
}

#[test]
fn the_exit_code_is_the_fleets_worst_verdict_unless_report_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let healthy = report(&Defs::healthy(URL));
    std::fs::write(dir.path().join("a.json"), &healthy).expect("write");
    let env = TestEnv::new();
    let run = |extra: &[&str]| {
        env.cmd()
            .arg("aggregate")
            .args(extra)
            .arg(dir.path())
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(run(&[]), Some(0), "a healthy fleet");
    // A report that cannot be read: the fleet is not known whole.
    std::fs::write(dir.path().join("b.json"), "{ not json").expect("junk");
    assert_eq!(run(&[]), Some(3));
    assert_eq!(run(&["--exit-zero"]), Some(0), "report only");
    // A critical endpoint beside the unreadable report: critical beats unknown (the
    // precedence the man page states).
    let mut failing = Defs::healthy(URL);
    failing.source = CLOUD.into();
    failing.fail_reason = "Failed to download package";
    std::fs::write(dir.path().join("c.json"), report(&failing)).expect("write");
    assert_eq!(run(&[]), Some(2), "critical beats unreadable");
}

#[test]
fn no_readable_report_names_each_input_and_why() {
    let env = TestEnv::new();
    let missing = env.path().join("no-such-reports");
    let empty = env.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = |inputs: &[&std::path::Path]| {
        let out = env
            .cmd()
            .arg("aggregate")
            .args(inputs)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(3));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = err(&[&missing]);
    assert!(
        e.contains(&format!(
            "no readable diagnose report among 1 input(s): {}: No such file or directory",
            missing.display()
        )),
        "{e}"
    );
    let e = err(&[&empty]);
    assert!(
        e.contains(&format!(
            "{} held no report (a directory is walked for *.json files)",
            empty.display()
        )),
        "{e}"
    );
    // Both, and more than five: each named up to five, then how many more.
    let mut inputs: Vec<std::path::PathBuf> = (0..7)
        .map(|i| env.path().join(format!("gone-{i}")))
        .collect();
    inputs.push(empty.clone());
    let refs: Vec<&std::path::Path> = inputs.iter().map(|p| p.as_path()).collect();
    let e = err(&refs);
    assert!(
        e.contains("gone-0: No such file or directory") && e.contains("and 2 more"),
        "{e}"
    );
}

#[test]
fn ndjson_on_stdin_is_a_fleet() {
    let healthy = report(&Defs::healthy(URL));
    let mut cloud = Defs::healthy(URL);
    cloud.source = CLOUD.into();
    cloud.fail_reason = "Failed to download package";
    let cloud = report(&cloud);
    // One compact report per line, as a pipeline would send them.
    let line = |bytes: &[u8]| {
        let v: serde_json::Value = serde_json::from_slice(bytes).expect("report");
        format!("{v}\n")
    };
    let input = format!("{}{}\n{}", line(&healthy), line(&healthy), line(&cloud));
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["aggregate", "--format", "json", "-"])
        .write_stdin(input)
        .output()
        .expect("runs");
    let fleet = stdout_json(&out);
    assert_eq!(fleet["reports"], 3, "{fleet:#}");
    assert_eq!(fleet["verdicts"]["critical"]["count"], 1);
    assert_eq!(out.status.code(), Some(2));

    // A single pretty-printed report on stdin works too.
    let out = env
        .cmd()
        .args(["aggregate", "--format", "json", "-"])
        .write_stdin(healthy)
        .output()
        .expect("runs");
    assert_eq!(stdout_json(&out)["reports"], 1);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn stdin_is_streamed_report_by_report_and_a_bad_one_costs_its_line_only() {
    let healthy = report(&Defs::healthy(URL));
    let compact = {
        let v: serde_json::Value = serde_json::from_slice(&healthy).expect("report");
        v.to_string()
    };
    let pretty = String::from_utf8(healthy.clone()).expect("utf8");
    // NDJSON with a broken line, then two pretty documents one after the other, then a
    // report far over the 16 MiB cap (never held whole).
    let mut input = format!("{compact}\n{{\"verdict\": broken\n{compact}\n{pretty}{pretty}");
    input.push_str("{\"padding\": \"");
    input.push_str(&"x".repeat(17 * 1024 * 1024));
    input.push_str("\"}\n");
    let env = TestEnv::new();
    let out = env
        .cmd()
        .args(["aggregate", "--format", "json", "-"])
        .write_stdin(input)
        .output()
        .expect("runs");
    let fleet = stdout_json(&out);
    assert_eq!(fleet["reports"], 4, "{fleet:#}");
    let unreadable = fleet["unreadable"].as_array().expect("unreadable");
    assert_eq!(unreadable.len(), 2, "{unreadable:#?}");
    assert_eq!(unreadable[0]["report"], "-:2", "{unreadable:#?}");
    assert!(
        unreadable[0]["error"]
            .as_str()
            .expect("error")
            .starts_with("invalid JSON"),
        "{unreadable:#?}"
    );
    assert!(
        unreadable[1]["error"]
            .as_str()
            .expect("error")
            .contains("larger than 16 MiB"),
        "{unreadable:#?}"
    );
    assert_eq!(out.status.code(), Some(3), "not the whole fleet");
}

/// `aggregate --format json` of `inputs`, with `dir`'s path shown as `DIR`.
fn aggregate_json(env: &TestEnv, inputs: &[std::path::PathBuf], dir: &std::path::Path) -> String {
    let out = env
        .cmd()
        .args(["aggregate", "--format", "json"])
        .args(inputs)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "a critical host");
    String::from_utf8_lossy(&out.stdout).replace(dir.to_str().expect("utf8"), "DIR")
}

#[test]
fn the_summary_does_not_depend_on_the_order_reports_are_read() {
    let healthy: serde_json::Value =
        serde_json::from_slice(&report(&Defs::healthy(URL))).expect("report");
    let mut cloud = Defs::healthy(URL);
    cloud.source = CLOUD.into();
    cloud.fail_reason = "Failed to download package";
    let cloud: serde_json::Value = serde_json::from_slice(&report(&cloud)).expect("report");
    // More hosts per verdict than the examples kept, so which ones are named matters.
    let files: Vec<(String, Vec<u8>)> = (0..9)
        .map(|i| {
            let mut r = if i % 4 == 1 {
                cloud.clone()
            } else {
                healthy.clone()
            };
            r["snapshot"]["hostname"] = format!("host-{}", (i * 5) % 9).into();
            (format!("r{i}.json"), r.to_string().into_bytes())
        })
        .chain([
            ("broken.json".to_string(), b"{ not json".to_vec()),
            (
                "other.json".to_string(),
                b"{\"something\": \"else\"}".to_vec(),
            ),
        ])
        .collect();

    let root = tempfile::tempdir().expect("tempdir");
    let write_all = |dir: &std::path::Path, order: &mut dyn Iterator<Item = &(String, Vec<u8>)>| {
        std::fs::create_dir(dir).expect("mkdir");
        for (name, bytes) in order {
            std::fs::write(dir.join(name), bytes).expect("write");
        }
    };
    // The same files created in opposite orders (tmpfs lists a directory newest first;
    // ext4 by a hash of the name, hence the explicit argument orders below as well).
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    write_all(&a, &mut files.iter());
    write_all(&b, &mut files.iter().rev());

    let env = TestEnv::new();
    let from_a = aggregate_json(&env, std::slice::from_ref(&a), &a);
    let from_b = aggregate_json(&env, std::slice::from_ref(&b), &b);
    assert_eq!(from_a, from_b);
    let forward: Vec<_> = files.iter().map(|(n, _)| a.join(n)).collect();
    let backward: Vec<_> = forward.iter().rev().cloned().collect();
    assert_eq!(aggregate_json(&env, &forward, &a), from_a, "files in order");
    assert_eq!(
        aggregate_json(&env, &backward, &a),
        from_a,
        "files in reverse"
    );

    let fleet: serde_json::Value = serde_json::from_str(&from_a).expect("json");
    assert_eq!(fleet["reports"], 9);
    assert_eq!(
        fleet["verdicts"]["ok"]["examples"],
        serde_json::json!(["host-0", "host-1", "host-2"]),
        "{fleet:#}"
    );
    assert_eq!(
        fleet["unreadable"][0]["report"], "DIR/broken.json",
        "{fleet:#}"
    );
}
