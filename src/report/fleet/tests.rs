//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn report(
    host: &str,
    verdict: &str,
    version: &str,
    mirror_version: &str,
    ids: &[&str],
) -> InputDoc<'static> {
    let json = serde_json::json!({
        "schema_version": 1,
        "snapshot": {
            "hostname": host,
            "definitions": {"definitions_version": {"value": version, "managed": false}, "other": {"value": 1}},
            "mirror": {"url": "http://m/linux/production/", "arch": [{"manifest": {"engine_version": "1", "definition_version": mirror_version}}]},
            "unknown_section": [1, 2, 3]
        },
        "findings": ids.iter().map(|id| serde_json::json!({"id": id, "severity": "warning", "title": "t"})).collect::<Vec<_>>(),
        "verdict": verdict
    });
    input(json)
}

#[test]
fn folds_reports_into_counts_with_examples() {
    let mut fleet = Fleet::default();
    for i in 0..10 {
        let version = if i < 7 { "1.407.500.0" } else { "1.407.417.0" };
        fleet.add(
            &report(
                &format!("host{i}"),
                if i < 7 { "ok" } else { "warning" },
                version,
                "1.407.500.0",
                if i < 7 {
                    &[]
                } else {
                    &["endpoint-behind-mirror"]
                },
            ),
            "file",
        );
    }
    fleet.add(
        &report(
            "ahead",
            "warning",
            "1.407.600.0",
            "1.407.500.0",
            &["mirror-behind-endpoint"],
        ),
        "file",
    );
    assert_eq!(fleet.reports, 11);
    assert_eq!(fleet.verdicts["ok"].count, 7);
    // The first names in sorted order ("ahead" came last).
    assert_eq!(
        fleet.verdicts["warning"].examples,
        ["ahead", "host7", "host8"]
    );
    let behind = &fleet.findings["endpoint-behind-mirror"];
    assert_eq!(
        (behind.endpoints.count, behind.severity.as_str()),
        (3, "warning")
    );
    let m = &fleet.mirrors["http://m/linux/production/"];
    assert_eq!(m.endpoints, 11);
    assert_eq!(m.endpoint_versions["1.407.500.0"], 7);
    assert_eq!(m.mirror_version.as_deref(), Some("1.407.500.0"));
    assert_eq!(m.endpoints_behind.count, 3);
    assert_eq!(fleet.mirrors_behind_cloud(), ["http://m/linux/production/"]);
}

#[test]
fn examples_stay_bounded() {
    let mut fleet = Fleet::default();
    for i in 0..1000 {
        fleet.add(&report(&format!("h{i}"), "ok", "1", "1", &["x"]), "f");
    }
    assert_eq!(fleet.verdicts["ok"].examples.len(), EXAMPLES);
    assert_eq!(fleet.findings["x"].endpoints.examples.len(), EXAMPLES);
}

#[test]
fn the_order_reports_come_in_changes_nothing() {
    let mut reports = Vec::new();
    for i in 0..40 {
        let host = format!("h{:02}", (i * 17) % 40);
        let (verdict, ids): (&str, &[&str]) = if i % 3 == 0 {
            ("warning", &["x"])
        } else {
            ("ok", &[])
        };
        // Mirrors that list one version in different spellings, and one that is no version.
        let mirror_version = ["1.407.500", "1.407.500.0", "garbage", "1.407.499.9"][i % 4];
        reports.push(report(&host, verdict, "1.407.417.0", mirror_version, ids));
    }
    // The same finding raised at two levels by different reports.
    let mut info = report("h99", "info", "1", "1", &["x"]);
    info.findings[0].severity = "info".into();
    reports.push(info);
    let fold = |order: &mut dyn Iterator<Item = &InputDoc<'static>>| {
        let mut fleet = Fleet::default();
        for r in order {
            fleet.add(r, "file");
            fleet.unreadable(&format!("bad-{}", fleet.reports % 7), "invalid JSON");
        }
        fleet.finish();
        fleet
    };
    let forward = fold(&mut reports.iter());
    let backward = fold(&mut reports.iter().rev());
    let interleaved = fold(
        &mut reports
            .iter()
            .step_by(2)
            .chain(reports.iter().skip(1).step_by(2)),
    );
    assert_eq!(forward, backward);
    assert_eq!(forward, interleaved);
    assert_eq!(forward.verdicts["ok"].examples, ["h02", "h03", "h05"]);
    assert_eq!(forward.findings["x"].severity, "warning", "the worst level");
    assert_eq!(
        forward.mirrors["http://m/linux/production/"]
            .mirror_version
            .as_deref(),
        Some("1.407.500.0")
    );
}

#[test]
fn partial_and_edited_reports_fold_but_findings_without_an_id_do_not() {
    // Nulls where objects were (jq redaction), an unknown url_source from a newer
    // version, evidence of another shape: still a report.
    let edited = serde_json::json!({
        "schema_version": 1,
        "snapshot": {"hostname": "h1", "mdatp": null, "managed_config": null,
                     "mirror": {"url": "http://m/linux/production/", "url_source": "future-source", "arch": null},
                     "history": {"entries": "many"}, "time": null},
        "findings": [{"id": "url-mismatch", "severity": "critical", "title": null, "evidence": [{"source": 1}]}],
        "verdict": "critical"
    });
    let report = input(edited);
    let mut fleet = Fleet::default();
    fleet.add(&report, "file");
    assert_eq!(fleet.findings["url-mismatch"].endpoints.count, 1);
    assert_eq!(fleet.mirrors["http://m/linux/production/"].endpoints, 1);

    // A finding without an id cannot be counted: the report is refused, not read as clean.
    let no_id = serde_json::json!({"findings": [{"severity": "critical"}], "verdict": "critical"});
    assert!(serde_json::from_str::<InputDoc>(&no_id.to_string()).is_err());

    // An error document (a failed run) has an object for `error` and no verdict.
    let error_doc = serde_json::json!({"schema_version": 1, "error": {"kind": "bad_argument", "message": "m", "hint": "h"}});
    let doc = input(error_doc);
    assert!(doc.verdict.is_none());
}

#[test]
fn skipped_inputs_are_listed_as_such() {
    let mut fleet = Fleet::default();
    fleet.skipped("/reports/a/deep", "too deep");
    assert_eq!(
        fleet.unreadable,
        [Unreadable {
            report: "/reports/a/deep".into(),
            error: "skipped: too deep".into()
        }]
    );
    assert_eq!(fleet.reports, 0);
}

#[test]
fn cut_keeps_short_text_and_marks_the_length_of_long_text() {
    assert!(matches!(cut("short", 10), Cow::Borrowed("short")));
    // Ten characters in twenty bytes still fit ten.
    assert!(matches!(cut("éééééééééé", 10), Cow::Borrowed(_)));
    let long = "é".repeat(1000);
    let short = cut(&long, 40);
    assert_eq!(short.chars().count(), 40, "{short}");
    assert!(short.ends_with("…(1000 chars)"), "{short}");
    assert!(short.starts_with("éé"), "{short}");
    // Cutting a cut text changes nothing.
    assert_eq!(cut(&short, 40), short);
    // A cap smaller than the marker keeps only the marker.
    assert_eq!(cut(&long, 3), "…(1000 chars)");
}

#[test]
fn every_kept_string_is_cut_and_a_cut_never_hides_credentials() {
    let host = "h".repeat(1 << 20);
    // The password runs past the cut: masked first, nothing of it is left.
    let url = format!("http://alice:{}@mirror.example/", "p".repeat(240));
    let json = serde_json::json!({
        "schema_version": 1,
        "snapshot": {
            "hostname": host,
            "definitions": {"definitions_version": {"value": "9".repeat(5000)}},
            "mirror": {"url": url},
        },
        "findings": [{"id": "i".repeat(5000), "severity": "s".repeat(5000), "title": "t"}],
        "verdict": "v".repeat(5000),
    });
    let mut fleet = Fleet::default();
    fleet.add(&input(json), "file");
    fleet.unreadable(&"n".repeat(5000), "e".repeat(5000));
    let doc = serde_json::to_string(&fleet).expect("json");
    assert!(doc.len() < 8 * MAX_TEXT_CHARS * 4, "{} bytes", doc.len());
    assert!(!doc.contains("alice") && !doc.contains("ppp"), "{doc}");
    let (verdict, tally) = fleet.verdicts.iter().next().expect("verdict");
    assert_eq!(verdict.chars().count(), MAX_TEXT_CHARS);
    assert!(tally.examples[0].ends_with(&format!("…({} chars)", 1 << 20)));
    let (url, m) = fleet.mirrors.iter().next().expect("mirror");
    assert!(url.starts_with("http://REDACTED@mirror.example/"), "{url}");
    assert_eq!(m.endpoint_versions.len(), 1);
}

fn mirror_input(host: &str, verdict: &str, url: Option<&str>) -> InputDoc<'static> {
    let mut json = serde_json::json!({
        "schema_version": 1,
        "command": "mirror check",
        "verdict": verdict,
        "hostname": host,
        "arches": [{"platform": "linux", "ring": "production", "arch": "x86_64", "backup": false,
                    "definitions_version": "1.407.500.0", "package_age_seconds": 7200.4}],
        "findings": [{"id": "mirror-host-stale", "severity": verdict, "title": "old"}]
    });
    if let Some(u) = url {
        json["serving"] = serde_json::json!({ "url": u });
    }
    input(json)
}

#[test]
fn mirror_urls_and_hosts_compare_loosely() {
    assert_eq!(
        url_key("HTTP://M.Example/linux/production/"),
        "http://m.example/linux/production"
    );
    assert_eq!(
        url_host("http://u:p@Mirror01.example.com:8080/x").as_deref(),
        Some("mirror01.example.com")
    );
    assert_eq!(url_host("http://[::1]:80/x").as_deref(), Some("::1"));
    assert!(names_host("mirror01", "mirror01.example.com"));
    assert!(names_host("MIRROR01.example.com", "mirror01"));
    assert!(!names_host("mirror0", "mirror01.example.com"));
    assert!(!names_host("", "m"));
}

#[test]
fn mirror_reports_join_by_url_then_host_name_whatever_the_order() {
    let build = |reverse: bool| {
        let mut fleet = Fleet::default();
        fleet.add(&report("e1", "ok", "1.407.500.0", "1.407.500.0", &[]), "e1");
        let mut inputs = vec![
            (
                "a",
                mirror_input("mirror-a", "warning", Some("HTTP://M/linux/production")),
            ),
            (
                "b",
                mirror_input("mirror-b", "critical", Some("http://m/linux/production/")),
            ),
            ("m", mirror_input("m", "ok", None)),
            ("z", mirror_input("elsewhere", "ok", None)),
            (
                "n",
                mirror_input("new", "ok", Some("http://n/linux/production/")),
            ),
        ];
        if reverse {
            inputs.reverse();
        }
        for (name, input) in &inputs {
            assert!(input.is_mirror_check());
            fleet.add_mirror(input, name);
        }
        fleet.finish();
        fleet
    };
    let fleet = build(false);
    assert_eq!(fleet, build(true));
    // Two by URL on one mirror: the worse verdict kept (the by-host-name one ranks below).
    let m = &fleet.mirrors["http://m/linux/production/"];
    let r = m.report.as_ref().expect("joined");
    assert_eq!((r.host.as_str(), r.joined_by.as_str()), ("mirror-b", "url"));
    assert_eq!(r.served[0].package_age_seconds, Some(7200));
    assert_eq!(r.findings[0].id, "mirror-host-stale");
    // A URL no endpoint uses: a mirror of its own, no endpoints.
    assert_eq!(fleet.mirrors["http://n/linux/production/"].endpoints, 0);
    // No URL and no host that matches: listed, not dropped.
    assert_eq!(fleet.unjoined_mirror_reports.len(), 1);
    assert_eq!(fleet.unjoined_mirror_reports[0].host, "elsewhere");
}

#[test]
fn the_input_reads_what_the_document_writes() {
    use crate::report::diagnose::{DiagnoseDoc, FindingDoc, MirrorDoc, SnapshotDoc};
    let field = |v: &str| serde_json::json!({"value": v, "managed": false});
    let doc = DiagnoseDoc {
        snapshot: Some(SnapshotDoc {
            time: "2026-12-07T10:00:00Z".into(),
            hostname: Some("host \"one\"".into()),
            arch: Some("x86_64".into()),
            definitions: Some(serde_json::json!({
                "definitions_version": field("1.407.417.0"),
                "offline_definition_url_configured": field("http://m/"),
                "definitions_update_source_uri": field("http://m/linux/"),
                "definitions_status": field("up_to_date"),
            })),
            health: Some(serde_json::json!({"engine_load_status": field("Engine load succeeded")})),
            mirror: MirrorDoc {
                url: Some("http://m/linux/production/".into()),
                arch: serde_json::json!([
                    {"arch": "x86_64", "manifest": {"definition_version": "1.407.418.0"}},
                    {"arch": "arm64", "manifest": null}
                ]),
                last_sync_timestamp_seconds: Some(1_790_000_000),
                last_sync_success: Some(false),
                ..MirrorDoc::default()
            },
            ..SnapshotDoc::default()
        }),
        findings: vec![FindingDoc {
            id: "url-mismatch".into(),
            severity: "critical".into(),
            title: "t".into(),
            fix: "f".into(),
            fixable: true,
            ..FindingDoc::default()
        }],
        verdict: Some("critical".into()),
        ..DiagnoseDoc::default()
    };
    let text = serde_json::to_string_pretty(&doc).expect("json");
    let input: InputDoc = serde_json::from_str(&text).expect("read back");
    let snap = input.snapshot.as_ref().expect("snapshot");
    assert_eq!(snap.time, "2026-12-07T10:00:00Z");
    assert_eq!(snap.hostname.as_deref(), Some("host \"one\""));
    assert_eq!(snap.arch.as_deref(), Some("x86_64"));
    let d = &snap.definitions;
    assert_eq!(d.definitions_version.text(), Some("1.407.417.0"));
    assert_eq!(
        d.offline_definition_url_configured.text(),
        Some("http://m/")
    );
    assert_eq!(
        d.definitions_update_source_uri.text(),
        Some("http://m/linux/")
    );
    assert_eq!(d.definitions_status.text(), Some("up_to_date"));
    assert_eq!(
        snap.health.engine_load_status.text(),
        Some("Engine load succeeded")
    );
    let m = &snap.mirror;
    assert_eq!(m.url.as_deref(), Some("http://m/linux/production/"));
    assert_eq!(m.arch.mirror_version.as_deref(), Some("1.407.418.0"));
    assert_eq!(
        (m.arch.first_arch.as_deref(), m.arch.arches),
        (Some("x86_64"), 2)
    );
    assert_eq!(m.last_sync_timestamp_seconds, Some(1_790_000_000));
    assert_eq!(m.last_sync_success, Some(false));
    assert_eq!(input.findings.len(), 1);
    assert_eq!(
        (&*input.findings[0].id, &*input.findings[0].severity),
        ("url-mismatch", "critical")
    );
    assert_eq!(input.verdict.as_deref(), Some("critical"));
    assert!(input.error.is_none());
    // The same document folds alike through either reader's fields.
    let mut fleet = Fleet::default();
    fleet.add(&input, "file");
    assert_eq!(
        fleet.mirrors["http://m/linux/production/"]
            .endpoints_behind
            .count,
        1
    );
    assert_eq!(
        fleet.mirrors["http://m/linux/production/"]
            .sync_failing
            .count,
        1
    );
}
