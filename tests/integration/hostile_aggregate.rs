//! `aggregate` fed hostile reports (issue 26): one report whose strings run to a
//! megabyte, and a fleet naming 20,000 distinct mirrors and 150 finding ids. What it
//! prints is bounded by the caps (characters per string, rows per table), checked by
//! the size of the output and by counting rows, never by time.

use serde_json::{Value, json};

use crate::aggregate::{URL, report};
use crate::testenv::{CLOUD, Defs, TestEnv, stdout_json};

const MB: usize = 1 << 20;
/// `MAX_TEXT_CHARS` and `MAX_CELL_CHARS`: the most characters of one string kept and shown.
const MAX_CHARS: usize = 256;
/// `MAX_ROWS`: the most rows one fleet table lists.
const MAX_ROWS: usize = 100;

/// A real `diagnose --format json` report of a critical endpoint (its last update came
/// from the cloud while fallback is off).
fn critical_report() -> Value {
    let mut cloud = Defs::healthy(URL);
    cloud.source = CLOUD.into();
    cloud.fail_reason = "Failed to download package";
    serde_json::from_slice(&report(&cloud)).expect("report")
}

fn aggregate(env: &TestEnv, args: &[&str], dir: &std::path::Path) -> std::process::Output {
    env.cmd()
        .arg("aggregate")
        .args(args)
        .arg(dir)
        .output()
        .expect("runs")
}

#[test]
fn megabyte_strings_in_one_report_give_a_bounded_summary_with_the_cut_marked() {
    // A host name of 1 MiB that starts with a terminal escape, a finding whose id and
    // title are 1 MiB each, a mirror URL of 1 MiB. Uncut, the host name alone became six
    // copies in the JSON (one per list it is an example in), and the human table took
    // time quadratic in its length (10,000 characters: 3.6 s; 100 KB: over a minute).
    let host = format!("evil\x1b]0;owned\x07{}", "h".repeat(MB));
    let mut r = critical_report();
    r["snapshot"]["hostname"] = host.clone().into();
    r["snapshot"]["mirror"]["url"] = format!("{URL}{}", "u".repeat(MB)).into();
    r["snapshot"]["mirror"]["arch"] =
        json!([{"arch": "x86_64", "manifest": {"definition_version": "9".repeat(MB)}}]);
    r["findings"].as_array_mut().expect("findings").push(json!({
        "id": "f".repeat(MB),
        "severity": "critical",
        "title": "t".repeat(MB),
        "evidence": [],
        "fix": "",
    }));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("r.json"), r.to_string()).expect("write");
    let env = TestEnv::new();

    let out = aggregate(&env, &["--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(2), "the critical verdict");
    assert!(
        out.stdout.len() < 64 * 1024,
        "JSON of {} bytes from 4 MiB of strings",
        out.stdout.len()
    );
    let fleet = stdout_json(&out);
    let marker = format!("…({} chars)", host.chars().count());
    let example = fleet["verdicts"]["critical"]["examples"][0]
        .as_str()
        .expect("an example host");
    assert!(example.ends_with(&marker), "{example}");
    assert_eq!(example.chars().count(), MAX_CHARS, "{example}");
    assert!(example.starts_with("evil\x1b]0;owned\x07hhh"), "{example}");
    let cut = format!("…({MB} chars)");
    let id = format!("{}{cut}", "f".repeat(MAX_CHARS - cut.chars().count()));
    assert_eq!(
        fleet["findings"][&id]["endpoints"]["count"], 1,
        "{:#}",
        fleet["findings"]
    );
    assert_eq!(fleet["findings"]["url-mismatch"]["endpoints"]["count"], 1);
    let mirrors = fleet["mirrors"].as_object().expect("mirrors");
    assert_eq!(mirrors.len(), 1);
    let (url, _) = mirrors.iter().next().expect("one mirror");
    assert!(
        url.starts_with(URL) && url.ends_with(&format!("…({} chars)", URL.len() + MB)),
        "{url}"
    );

    let out = aggregate(&env, &[], dir.path());
    assert_eq!(out.status.code(), Some(2), "the critical verdict");
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(
        text.len() < 64 * 1024,
        "{} bytes of text from one report",
        text.len()
    );
    assert!(text.contains(&format!("({MB} chars)")), "{text}");
    assert!(
        text.contains("evil\\x1b]0;owned\\x07hhh"),
        "escaped: {text}"
    );
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
    assert!(!text.contains(&"t".repeat(100)), "titles are not shown");
    // The tables still fit the width (COLUMNS=200 in the tests): a name column as wide
    // as a cut 256-character id would squeeze the others to one character per line. A
    // line wider is one word alone (the cut URL, never split, so it is copied whole).
    for line in text.lines() {
        let text = line.trim();
        let text = text.rfind("…(").map_or(text, |at| &text[..at]);
        // A labelled line (`  It offers:    VALUE`): the value alone.
        let value = text.split_once(": ").map_or(text, |(_, v)| v.trim());
        assert!(
            line.chars().count() <= 200 || !value.contains(' '),
            "{line}"
        );
    }
    assert!(
        text.lines().any(|l| l.starts_with(URL)),
        "the URL whole on its line: {text}"
    );
}

#[test]
fn twenty_thousand_mirrors_list_the_hundred_most_used_and_count_the_rest() {
    // NDJSON on stdin, one small report per line: 20,000 endpoints, each on a mirror of
    // its own, and 50 more on the mirror that sorts last; one endpoint with 150 finding
    // ids. Listed whole, the mirrors of 100,000 such reports made 38 MB of text.
    let line = |host: String, url: String, ids: &[String]| {
        let findings: Vec<Value> = ids
            .iter()
            .map(|id| json!({"id": id, "severity": "warning", "title": "t"}))
            .collect();
        json!({"schema_version": 1, "verdict": "ok", "findings": findings,
               "snapshot": {"hostname": host, "mirror": {"url": url}}})
        .to_string()
            + "\n"
    };
    let mut input = String::new();
    for i in 0..20_000 {
        input.push_str(&line(
            format!("h{i}"),
            format!("http://mirror-{i:05}.example/linux/production/"),
            &[],
        ));
    }
    let main = "http://zz-main.example/linux/production/";
    for i in 0..50 {
        input.push_str(&line(format!("m{i}"), main.into(), &[]));
    }
    let ids: Vec<String> = (0..150).map(|i| format!("made-up-{i:03}")).collect();
    input.push_str(&line("ids".into(), main.into(), &ids));
    let env = TestEnv::new();

    let out = env
        .cmd()
        .args(["aggregate", "-"])
        .write_stdin(input.clone())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "every verdict ok");
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.len() < 256 * 1024, "{} bytes of text", text.len());
    let rows = |prefix: &str| text.lines().filter(|l| l.contains(prefix)).count();
    assert_eq!(rows("http://mirror-"), MAX_ROWS - 1, "{text}");
    assert_eq!(rows(main), 1, "the mirror most endpoints use is listed");
    assert!(
        text.contains("… and 19901 more mirrors (19901 endpoints;"),
        "{text}"
    );
    assert_eq!(rows("made-up-"), MAX_ROWS);
    assert!(
        text.contains("… and 50 more finding ids (50 endpoints;"),
        "{text}"
    );

    // JSON lists every mirror: it grows with the input, not faster.
    let out = env
        .cmd()
        .args(["aggregate", "--format", "json", "-"])
        .write_stdin(input)
        .output()
        .expect("runs");
    let fleet = stdout_json(&out);
    assert_eq!(fleet["reports"], 20_051);
    assert_eq!(fleet["mirrors"].as_object().expect("mirrors").len(), 20_001);
    assert_eq!(fleet["mirrors"][main]["endpoints"], 51);
    assert_eq!(fleet["findings"].as_object().expect("findings").len(), 150);
}
