//! Formats checked against each system's rules, on hand-built results.

use super::*;
use crate::analyze::finding::Evidence;
use crate::analyze::metrics::Metrics;
use crate::units::range::Range;

fn finding(id: &'static str, severity: Severity, title: &str) -> Finding {
    let mut f = Finding::test(id, severity, title);
    f.evidence = vec![Evidence::new("health", "k", "v")];
    f.fix = "do this | that".into();
    f.doc = Some(crate::analyze::finding::DOC_OFFLINE_UPDATES);
    f
}

fn result(verdict: Severity, findings: Vec<Finding>) -> CheckResult {
    CheckResult {
        verdict,
        metrics: Metrics {
            definitions_age_seconds: Some(7200.4),
            definitions_up_to_date: Some(true),
            offline_update_enabled: Some(true),
            signature_verification_enabled: Some(true),
            update_source_is_mirror: Some(true),
            mirror_up: vec![("x86_64".into(), true)],
            mirror_definitions_version: Some("1.407.417.0".into()),
            mirror_latency_seconds: Some(0.0123),
            findings_critical: findings
                .iter()
                .filter(|f| f.severity == Severity::Critical)
                .count(),
            findings_warning: findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count(),
            ..Metrics::default()
        },
        findings,
        warn: Range::above(std::time::Duration::from_secs(86_400)),
        crit: Range::above(std::time::Duration::from_secs(259_200)),
        definitions_version: Some("1.407.417.0".into()),
        complete: true,
        problem: None,
        started_unix: 1_700_000_000.0,
        duration_seconds: 0.25,
    }
}

#[test]
fn nagios_ok_line_with_perfdata() {
    let out = nagios(&result(Severity::Ok, vec![]));
    assert_eq!(
        out,
        "MDATP OFFLINE-UPDATES OK - definitions 1.407.417.0, 2 hours old, from the mirror | \
         definitions_age=7200s;86400;259200;0 findings_critical=0;;;0 findings_warning=0;;;0 mirror_latency=0.012s;;;0\n"
    );
}

#[test]
fn nagios_names_the_worst_findings_and_lists_all() {
    let r = result(
        Severity::Critical,
        vec![
            finding(
                "url-mismatch",
                Severity::Critical,
                "from the cloud | not the mirror",
            ),
            finding("definitions-stale", Severity::Warning, "old"),
            finding("config-not-found", Severity::Info, "no file"),
        ],
    );
    let out = nagios(&r);
    let mut lines = out.lines();
    let first = lines.next().expect("status line");
    let (text, perf) = first.split_once(" | ").expect("one perfdata separator");
    assert_eq!(
        text,
        "MDATP OFFLINE-UPDATES CRITICAL - url-mismatch: from the cloud / not the mirror (+1 more)"
    );
    assert!(!text.contains('|') && !perf.contains(" | "));
    assert!(perf.contains("findings_critical=1;;;0") && perf.contains("findings_warning=1;;;0"));
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 3, "one line per finding");
    assert!(
        rest[0].starts_with("[CRITICAL] url-mismatch: ")
            && rest[0].contains("(fix: do this / that)")
    );
}

#[test]
fn the_first_line_stays_under_1_kib() {
    let many: Vec<Finding> = (0..50)
        .map(|_| finding("mirror-http-error", Severity::Critical, &"x".repeat(200)))
        .collect();
    let out = nagios(&result(Severity::Critical, many));
    let first = out.lines().next().expect("line");
    assert!(first.len() <= MAX_FIRST_LINE, "{} bytes", first.len());
    assert!(
        first.contains("... | definitions_age="),
        "perfdata survives truncation: {first}"
    );
}

#[test]
fn perfdata_follows_the_plugin_syntax() {
    let out = nagios(&result(
        Severity::Warning,
        vec![finding("definitions-stale", Severity::Warning, "old")],
    ));
    let perf = out
        .lines()
        .next()
        .and_then(|l| l.split_once(" | "))
        .map(|(_, p)| p)
        .expect("perfdata");
    for item in perf.split(' ') {
        let (label, rest) = item.split_once('=').expect("label=value");
        assert!(
            label.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{label}"
        );
        let fields: Vec<&str> = rest.split(';').collect();
        assert_eq!(fields.len(), 4, "{item}: value;warn;crit;min");
        let value = fields[0].trim_end_matches('s');
        assert!(value.parse::<f64>().is_ok(), "{item}");
    }
}

#[test]
fn checkmk_local_check_line() {
    let out = checkmk(&result(
        Severity::Warning,
        vec![finding("definitions-stale", Severity::Warning, "old")],
    ));
    assert_eq!(
        out,
        "1 \"MDATP offline updates\" definitions_age=7200;86400;259200|findings_critical=0|findings_warning=1|mirror_latency=0.012 WARNING - definitions-stale: old\n"
    );
}

#[test]
fn prometheus_exposition() {
    let r = result(
        Severity::Warning,
        vec![finding("definitions-stale", Severity::Warning, "old")],
    );
    let text = prometheus(&r);
    assert!(text.contains("# TYPE mdatp_doctor_definitions_age_seconds gauge\nmdatp_doctor_definitions_age_seconds 7200.4\n"));
    assert!(text.contains("mdatp_doctor_mirror_up{arch=\"x86_64\"} 1\n"));
    assert!(
        text.contains("mdatp_doctor_finding{id=\"definitions-stale\",severity=\"warning\"} 1\n")
    );
    assert!(!text.contains("NaN"));
    // Unknown values are left out, not reported as 0.
    let mut unknown = r.clone();
    unknown.metrics.definitions_age_seconds = None;
    assert!(!prometheus(&unknown).contains("definitions_age_seconds"));
    // Parsed by a real exposition-format parser.
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition format");
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "mdatp_doctor_run_duration_seconds")
    );
    // No sample carries a timestamp (node_exporter's textfile collector rejects them).
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert_eq!(line.split_whitespace().count(), 2, "{line}");
    }
}

#[test]
fn unknown_states_say_why() {
    let mut r = result(Severity::Unknown, vec![]);
    r.problem = Some("no result within 50 s".into());
    r.complete = false;
    assert!(nagios(&r).starts_with("MDATP OFFLINE-UPDATES UNKNOWN - no result within 50 s | "));
    assert!(checkmk(&r).starts_with("3 \"MDATP offline updates\" "));
    assert!(prometheus(&r).contains("mdatp_doctor_check_success 0\n"));
}

const HOSTILE: &str = "\x1b[2J\x1b]52;c;aGk=\x07\u{9b}31m\u{202e}";

fn no_raw_controls(text: &str) {
    assert!(
        !text.contains(|c: char| c != '\n' && crate::units::is_terminal_control(c)),
        "{text:?}"
    );
}

#[test]
fn every_format_escapes_what_was_read() {
    let mut f = finding(
        "definitions-update-failed",
        Severity::Critical,
        &format!("failed: {HOSTILE}"),
    );
    f.fix = format!("fix {HOSTILE}");
    let mut r = result(Severity::Critical, vec![f]);
    r.metrics.mirror_definitions_version = Some(format!("1.2\"{HOSTILE}\n"));
    r.metrics.mirror_up = vec![(format!("x86_64{HOSTILE}"), false)];
    let visible = "\\x1b[2J\\x1b]52;c;aGk=\\x07\\u{9b}31m\\u{202e}";

    let n = nagios(&r);
    no_raw_controls(&n);
    assert!(n.lines().next().expect("first").contains(visible), "{n}");
    assert!(n.contains(&format!("(fix: fix {visible})")), "{n}");

    let c = checkmk(&r);
    no_raw_controls(&c);
    assert!(c.contains(visible) && c.lines().count() == 1, "{c}");

    let p = prometheus(&r);
    no_raw_controls(&p);
    let sample = p
        .lines()
        .find_map(|l| l.strip_prefix("mdatp_doctor_mirror_definitions_info{version=\""))
        .and_then(|l| l.strip_suffix("\"} 1"))
        .expect("version sample");
    assert_eq!(label_value(sample), format!("1.2\"{visible}\n"), "{p}");
}

/// A label value as the exposition format reads it: `\\`, `\"` and `\n` are the only
/// escapes; anything else after a backslash is invalid.
fn label_value(escaped: &str) -> String {
    let mut out = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('n') => out.push('\n'),
                other => panic!("invalid escape \\{other:?} in {escaped}"),
            },
            '"' => panic!("unescaped quote in {escaped}"),
            c => out.push(c),
        }
    }
    out
}

#[test]
fn the_healthy_summary_escapes_the_version() {
    let mut r = result(Severity::Ok, vec![]);
    r.definitions_version = Some("1.2\x1b[2J|x".into());
    let n = nagios(&r);
    no_raw_controls(&n);
    assert!(
        n.starts_with("MDATP OFFLINE-UPDATES OK - definitions 1.2\\x1b[2J/x, "),
        "{n}"
    );
}

#[test]
fn one_huge_value_gives_a_bounded_long_output() {
    let huge = "k".repeat(900 * 1024);
    let mut f = finding("config-unknown-key", Severity::Warning, &huge);
    f.fix = huge.clone();
    let others: Vec<Finding> = (0..40)
        .map(|_| finding("mirror-http-error", Severity::Warning, &"x".repeat(300)))
        .collect();
    let mut all = vec![f];
    all.extend(others);
    let n = nagios(&result(Severity::Warning, all));
    let (first, long) = n.split_once('\n').expect("long output");
    assert!(first.len() <= MAX_FIRST_LINE, "{} bytes", first.len());
    assert!(
        long.len() <= MAX_LONG_OUTPUT,
        "{} bytes of long output",
        long.len()
    );
    for line in long.lines() {
        assert!(line.len() <= MAX_LONG_LINE, "{} bytes", line.len());
    }
    let lines: Vec<&str> = long.lines().collect();
    assert!(
        lines[0].starts_with("[WARNING] config-unknown-key: kkk")
            && lines[0].ends_with(&format!(
                "... (+{} bytes)",
                2 * huge.len() + "[WARNING] config-unknown-key:  (fix: )".len() + 24
                    - MAX_LONG_LINE
            )),
        "{}",
        &lines[0][lines[0].len() - 40..]
    );
    let shown = lines.iter().filter(|l| l.starts_with('[')).count();
    let tail = lines.last().expect("tail");
    assert_eq!(
        *tail,
        format!(
            "... {} more finding(s) not shown (`mdatp-doctor diagnose` lists them all)",
            41 - shown
        )
    );
    assert!(shown > 3, "what fits is shown: {shown}");

    let c = checkmk(&result(
        Severity::Warning,
        vec![finding("config-unknown-key", Severity::Warning, &huge)],
    ));
    assert!(c.len() <= MAX_FIRST_LINE + 1, "{} bytes", c.len());
    assert!(c.ends_with("...\n") && c.lines().count() == 1);
}

#[test]
fn long_output_that_fits_is_not_cut() {
    let few: Vec<Finding> = (0..3)
        .map(|_| finding("mirror-http-error", Severity::Warning, "down"))
        .collect();
    let n = nagios(&result(Severity::Warning, few));
    assert_eq!(n.lines().count(), 4, "{n}");
    assert!(!n.contains("more finding"));
}
