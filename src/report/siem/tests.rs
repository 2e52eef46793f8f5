use super::*;

fn finding(id: &str, severity: &str, evidence: Vec<Evidence>) -> FindingDoc {
    FindingDoc {
        id: id.into(),
        severity: severity.into(),
        title: format!("{id} happened at http://user:pw@mirror.example/x"),
        evidence,
        fix: "do the thing".into(),
        doc: Some("https://learn.microsoft.com/x".into()),
        fixable: true,
    }
}

fn run(findings: Vec<FindingDoc>) -> Run {
    let time: jiff::Timestamp = "2025-03-01T10:20:30.123456Z".parse().unwrap();
    Run {
        command: "diagnose",
        host: "web-01".into(),
        time,
        run_id: run_id(time),
        verdict: Severity::Critical,
        exit: ExitCode::Critical,
        duration: Some(std::time::Duration::from_millis(1500)),
        findings,
        definitions_version: Some("1.421.1.0".into()),
        app_version: None,
        outcome: None,
        error: None,
        sync: MirrorSync::default(),
    }
}

#[test]
fn one_run_line_then_one_line_per_finding_with_ecs_names() {
    let r = run(vec![
        finding("definitions-stale", "critical", vec![]),
        finding("proxy-unused", "info", vec![]),
    ]);
    let lines: Vec<serde_json::Value> = r
        .events()
        .iter()
        .map(|e| serde_json::from_str(&line(e)).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let run_line = &lines[0];
    assert_eq!(run_line["@timestamp"], "2025-03-01T10:20:30.123Z");
    assert_eq!(run_line["event"]["kind"], "event");
    assert_eq!(run_line["event"]["dataset"], "mdatp_doctor.run");
    assert_eq!(run_line["event"]["outcome"], "failure");
    assert_eq!(run_line["event"]["severity"], 2);
    assert_eq!(run_line["event"]["duration"], 1_500_000_000u64);
    assert_eq!(run_line["host"]["name"], "web-01");
    assert_eq!(
        run_line["message"],
        "mdatp-doctor diagnose: critical (definitions-stale, proxy-unused)"
    );
    assert_eq!(
        run_line["mdatp_doctor"]["finding_ids"],
        serde_json::json!(["definitions-stale", "proxy-unused"])
    );
    assert!(run_line.get("rule").is_none());
    let stale = &lines[1];
    assert_eq!(stale["event"]["kind"], "alert");
    assert_eq!(stale["rule"]["id"], "definitions-stale");
    assert_eq!(stale["log"]["level"], "critical");
    assert_eq!(stale["mdatp_doctor"]["verdict"], "critical");
    assert_eq!(stale["mdatp_doctor"]["fixable"], true);
    // Every line of a run carries the same run id.
    assert_eq!(
        stale["mdatp_doctor"]["run_id"],
        run_line["mdatp_doctor"]["run_id"]
    );
    let info = &lines[2];
    assert_eq!(info["event"]["kind"], "event");
    assert_eq!(info["event"]["outcome"], "success");
    assert_eq!(info["event"]["severity"], 6);
}

#[test]
fn secrets_are_redacted_in_every_line() {
    let r = run(vec![finding(
        "config-invalid",
        "warning",
        vec![
            Evidence::new("managed", "apiKey", "s3cr3t-value"),
            Evidence::new("managed", "url", "https://bob:hunter2@mirror/x"),
        ],
    )]);
    let text: String = r.events().iter().map(line).collect();
    for secret in ["s3cr3t-value", "hunter2", ":pw@"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(text.contains("REDACTED"), "{text}");
}

#[test]
fn a_huge_finding_is_cut_to_fit_one_line() {
    let evidence = (0..200)
        .map(|i| Evidence::new("log", format!("line{i}"), "x".repeat(2000)))
        .collect();
    let mut f = finding("mirror-log-errors", "warning", evidence);
    f.fix = "é".repeat(100_000);
    let r = run(vec![f]);
    let mut cut = 0;
    for e in r.events() {
        let l = line(&e);
        assert!(l.len() < MAX_LINE, "{} bytes", l.len());
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        if v["rule"]["id"] == "mirror-log-errors" {
            assert_eq!(v["mdatp_doctor"]["truncated"], true);
            assert_eq!(v["host"]["name"], "web-01");
            cut += 1;
        }
    }
    assert_eq!(cut, 1, "the finding's event is there, cut");
}

#[test]
fn an_unknown_run_says_why() {
    let doc = DiagnoseDoc::unknown(Some("no result within the 50 s deadline".into()));
    let r = Run::from_diagnose("check", &doc);
    let events = r.events();
    assert_eq!(events.len(), 1);
    let v: serde_json::Value = serde_json::from_str(&line(&events[0])).unwrap();
    assert_eq!(v["event"]["outcome"], "unknown");
    assert_eq!(
        v["mdatp_doctor"]["error"],
        "no result within the 50 s deadline"
    );
    assert!(v["message"].as_str().unwrap().contains("deadline"));
}
