//! Golden-output tests: the exact stdout, stderr and exit code of every command in every
//! format, on fixed scenarios, compared with the files under tests/golden/. They hold a
//! refactor to "output unchanged": any difference fails with the first differing lines.
//!
//! `UPDATE_GOLDEN=1 cargo test --test integration golden` (re)writes the files; review
//! the diff before committing it. Without it, the actual output of a mismatching case is
//! left in `target/tmp/golden-actual/` for a full `diff`.
//!
//! What legitimately varies between runs (loopback ports, temporary paths, durations,
//! timestamps, ages computed from now, the host name) is replaced by [`normalise`], and
//! nothing else: every other byte is pinned.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::Value;

use crate::server::{MirrorServer, MirrorTree, Override};
use crate::testenv::{
    CLOUD, DEFINITIONS, Defs, Reply, TestEnv, config_for, fake_mdatp_path, fixture_path,
    full_health,
};

/// A loopback URL nothing listens on (the discard port): "mirror unreachable".
const OFFLINE_URL: &str = "http://127.0.0.1:9/linux/production/";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// `mdatp-doctor` in the test world, with everything that could vary between machines
/// pinned: UTC, no terminal width, no proxy from the shell. Each run starts with an empty
/// run history, so every format of a scenario sees the same findings (a short history is
/// itself evidence: see `diagnose-url-mismatch-second-run`).
fn cmd(env: &TestEnv) -> assert_cmd::Command {
    match std::fs::remove_dir_all(env.state_dir()) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("clear history: {e}"),
        _ => {}
    }
    cmd_with_history(env)
}

/// [`cmd`] keeping the history earlier runs wrote.
fn cmd_with_history(env: &TestEnv) -> assert_cmd::Command {
    let mut cmd = env.cmd();
    // COLUMNS stays as `TestEnv::cmd` sets it: wide, so no table wraps where a value the
    // normaliser replaces (a port, a duration) would move the wrapping run to run.
    cmd.env("TZ", "UTC");
    for var in [
        "LINES",
        "TERM",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// One test's golden cases: the values of this run to put back as placeholders, and the
/// cases that did not match (reported together at the end).
struct Golden {
    /// Literal text of this run (paths, generated dates) and its placeholder.
    literals: Vec<(String, String)>,
    /// "Now" for the definitions dates this test writes into the fake mdatp's output.
    now: jiff::Timestamp,
    mismatches: Vec<String>,
}

impl Golden {
    fn new() -> Golden {
        let mut g = Golden {
            literals: Vec::new(),
            now: jiff::Timestamp::now(),
            mismatches: Vec::new(),
        };
        g.literal(fake_mdatp_path().display().to_string(), "<FAKE-MDATP>");
        g.literal(env!("CARGO_MANIFEST_DIR"), "<REPO>");
        g
    }

    /// Replaces `value` by `placeholder` in every output of this test.
    fn literal(&mut self, value: impl Into<String>, placeholder: &str) {
        let value = value.into();
        assert!(value.len() >= 4, "too short to replace safely: {value:?}");
        self.literals.push((value, placeholder.to_string()));
    }

    fn dir(&mut self, path: &Path, placeholder: &str) {
        self.literal(path.display().to_string(), placeholder);
    }

    /// `mdatp health --details definitions` for `defs`, updated `defs.hours_ago` hours
    /// before this test's start, as an mdatp running in UTC prints it. The date in its
    /// three printed forms becomes `<UPDATED-{h}h-AGO>`.
    fn defs(&mut self, defs: &Defs) -> String {
        let when = self
            .now
            .checked_sub(jiff::SignedDuration::from_hours(defs.hours_ago))
            .expect("time")
            .to_zoned_datetime(jiff::tz::TimeZone::UTC);
        let mdatp = when.strftime("%b %d, %Y at %I:%M:%S %p").to_string();
        let placeholder = format!("<UPDATED-{}h-AGO>", defs.hours_ago);
        for form in [
            mdatp.clone(),
            when.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            when.strftime("%Y-%m-%d %H:%M:%S").to_string(),
        ] {
            if !self.literals.iter().any(|(v, _)| *v == form) {
                self.literal(form, &placeholder);
            }
        }
        defs.text()
            .lines()
            .map(|line| match line.strip_prefix("definitions_updated ") {
                Some(_) => format!("{:<44}: {mdatp}\n", "definitions_updated"),
                None => format!("{line}\n"),
            })
            .collect()
    }

    /// Runs `cmd` and compares its normalised output with `tests/golden/<name>.txt`.
    fn case(&mut self, name: &str, cmd: &mut assert_cmd::Command) {
        let out = cmd.output().expect("mdatp-doctor runs");
        let text = normalise(&record(&out), &self.literals);
        self.compare(name, text);
    }

    /// Compares `text`, already normalised, with `tests/golden/<name>.txt`.
    fn compare(&mut self, name: &str, text: String) {
        let path = golden_dir().join(format!("{name}.txt"));
        if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty()) {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                std::fs::create_dir_all(golden_dir()).expect("mkdir tests/golden");
                std::fs::write(&path, &text).expect("write golden file");
                eprintln!("golden: wrote {}", path.display());
            }
            return;
        }
        let expected = match std::fs::read_to_string(&path) {
            Ok(e) => e,
            Err(e) => {
                self.mismatches.push(format!(
                    "{name}: no golden file {} ({e}); run with UPDATE_GOLDEN=1 to write it",
                    path.display()
                ));
                return;
            }
        };
        if expected != text {
            let actual_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-actual");
            let _ = std::fs::create_dir_all(&actual_dir);
            let actual = actual_dir.join(format!("{name}.txt"));
            let _ = std::fs::write(&actual, &text);
            self.mismatches.push(format!(
                "{name}: output differs from {}\n{}  (full output: {})",
                path.display(),
                first_difference(&expected, &text),
                actual.display()
            ));
        }
    }

    /// Fails with every mismatching case of this test.
    fn finish(self) {
        assert!(
            self.mismatches.is_empty(),
            "{} golden case(s) differ (UPDATE_GOLDEN=1 rewrites them if the change is \
             intended):\n\n{}",
            self.mismatches.len(),
            self.mismatches.join("\n\n")
        );
    }
}

/// A run as one text: the exit code, stdout, and stderr when there is any. Escape
/// characters are shown as `\e` so colour codes stay visible and the files readable.
fn record(out: &std::process::Output) -> String {
    let code = match out.status.code() {
        Some(c) => c.to_string(),
        None => format!("killed ({})", out.status),
    };
    let mut text = format!("exit: {code}\n--- stdout ---\n");
    stream(&mut text, &out.stdout);
    if !out.stderr.is_empty() {
        text.push_str("--- stderr ---\n");
        stream(&mut text, &out.stderr);
    }
    text
}

fn stream(text: &mut String, bytes: &[u8]) {
    let s = String::from_utf8_lossy(bytes).replace('\u{1b}', "\\e");
    text.push_str(&s);
    if !s.is_empty() && !s.ends_with('\n') {
        text.push_str("\n\\ no newline at end\n");
    }
}

/// A regular expression of this file (all are compiled once).
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

static HOSTNAME: LazyLock<String> = LazyLock::new(|| {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string()
});

/// The single place where run-to-run variation is removed. Each rule is as narrow as
/// the output allows: it names the context of the value it replaces. Lines are never
/// added or removed; a table whose cells changed is re-padded (see [`repad_tables`]).
fn normalise(text: &str, literals: &[(String, String)]) -> String {
    const TIMED_ENTRIES: &str = r"report\.json|report\.txt|system\.json|history\.jsonl";
    static RULES: LazyLock<Vec<(Regex, String)>> = LazyLock::new(|| {
        let version = regex::escape(env!("CARGO_PKG_VERSION"));
        let host = regex::escape(&HOSTNAME);
        [
            // Loopback servers listen on an ephemeral port (4-5 digits; port 9 is content).
            (r"127\.0\.0\.1:\d{4,5}\b", "127.0.0.1:<PORT>".to_string()),
            // Durations measured by the tool: JSON, the connectivity table, `update`,
            // Nagios perfdata and Prometheus.
            (r#""(duration_ms|ms)": \d+"#, r#""$1": <MS>"#.into()),
            (r"\b\d+ ms │", "<MS> ms │".into()),
            // Over plain HTTP the round's two requests go at once: whether the second
            // finds the first's kept-alive connection free is a matter of timing.
            (r#""connections": \d+"#, r#""connections": <N>"#.into()),
            (r"(in |within |\()\d+\.\d s\b", "${1}<SECS> s".into()),
            (r"\bmirror_latency=\d+\.\d+(s?)", "mirror_latency=<SECS>$1".into()),
            // When an Icinga check result ran (Unix time, from the clock).
            (
                r#""(execution_start|execution_end)": [0-9.e+-]+"#,
                r#""$1": <UNIX>"#.into(),
            ),
            (
                r"(?m)^(mdatp_doctor_run_duration_seconds) [0-9.e-]+$",
                "$1 <SECS>".into(),
            ),
            // When it ran, from the clock (RFC 3339: the run, the bundle), and when the
            // test wrote the mirror's files (their Last-Modified, as HTTP and RFC 3339
            // dates). Dates from fixtures stay.
            (
                r#"("time": "|"created": "|, created |"last_modified": ")\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"#,
                "${1}<TIMESTAMP>".into(),
            ),
            (
                r#"("last_modified": "|modified )[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\b"#,
                "${1}<HTTP-DATE>".into(),
            ),
            (
                r"(?m)^(mdatp_doctor_last_run_timestamp_seconds) [0-9.]+$",
                "$1 <UNIX-TIME>".into(),
            ),
            // When the definitions cross the warning age: from an update time the fake
            // mdatp gives relative to now.
            (
                r"(?m)^(mdatp_doctor_predicted_stale_timestamp_seconds) [0-9.]+$",
                "$1 <UNIX-TIME>".into(),
            ),
            (
                r#"("predicted_stale_timestamp_seconds": )\d+"#,
                "${1}<UNIX-TIME>".into(),
            ),
            // Bundle entries that embed times, durations or machine facts: their size and
            // hash (the rest of the manifest is pinned), and the total.
            (
                &format!(r#"("path": "(?:{TIMED_ENTRIES})",\n\s*"size": )\d+"#),
                "${1}<SIZE>".into(),
            ),
            (
                &format!(
                    r#"("path": "(?:{TIMED_ENTRIES}|mdatp/health-definitions\.txt)",\n\s*"size": [^,\n]+,\n\s*"sha256": ")[0-9a-f]{{64}}""#
                ),
                "${1}<SHA256>\"".into(),
            ),
            (
                &format!(r"(?m)^(.{{14}} ) *\d+(  (?:{TIMED_ENTRIES}) )"),
                "${1}    <SIZE>${2}".into(),
            ),
            (
                r"(\d+ files, )\d+( bytes before compression)",
                "${1}<BYTES>${2}".into(),
            ),
            (r#"("entries": \d+,\n\s*"bytes": )\d+"#, "${1}<BYTES>".into()),
            // This machine's name, where it is printed as such.
            (
                &format!(r#""hostname": "{host}""#),
                r#""hostname": "<HOST>""#.into(),
            ),
            (&format!(r", host {host}, "), ", host <HOST>, ".into()),
            (
                &format!(r#""check_source": "{host}""#),
                r#""check_source": "<HOST>""#.into(),
            ),
            // This machine's architecture, beside its name (probes keep theirs: they name
            // what was asked for).
            (
                r#"("hostname": "<HOST>",\n\s*"arch": )"[a-z0-9_]+""#,
                r#"${1}"<ARCH>""#.into(),
            ),
            // The crate version (a release bump is not an output change).
            (
                &format!(r"\bmdatp-doctor {version}\b"),
                "mdatp-doctor <VERSION>".into(),
            ),
            (
                &format!(r#"("name": "mdatp-doctor",\n\s*"version": )"{version}""#),
                "${1}\"<VERSION>\"".into(),
            ),
        ]
        .into_iter()
        .map(|(pattern, replacement)| (re(pattern), replacement))
        .collect()
    });
    let mut s = text.to_string();
    for (rule, replacement) in RULES.iter() {
        s = rule.replace_all(&s, replacement.as_str()).into_owned();
    }
    // Literals of this run, longest first (the fake's path before the repository it is
    // in); after the clock rules, so a generated date never eats a timestamp's prefix.
    let mut literals: Vec<&(String, String)> = literals.iter().collect();
    literals.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    for (value, placeholder) in literals {
        s = s.replace(value.as_str(), placeholder);
    }
    // Ages computed from now: the definitions are h hours old plus the seconds this test
    // has run so far; rounded down to the minute, the jitter goes and the age stays.
    static AGE: LazyLock<Regex> = LazyLock::new(|| {
        re(r"(definitions_age=|mdatp_doctor_definitions_age_seconds )(\d+)(\.\d+)?")
    });
    s = AGE
        .replace_all(&s, |c: &Captures| {
            let secs: u64 = c[2].parse().expect("digits");
            format!("{}<~{}>", &c[1], secs / 60 * 60)
        })
        .into_owned();
    repad_tables(text, &s)
}

/// Where a normalised value sits in a table (comfy-table: `╭`…`╰`), the column's padding
/// followed from the value's width: such columns are padded again for the normalised
/// values, keeping each cell's alignment. Columns no rule touched stay byte for byte.
fn repad_tables(original: &str, normalised: &str) -> String {
    let orig: Vec<&str> = original.split('\n').collect();
    let norm: Vec<&str> = normalised.split('\n').collect();
    assert_eq!(orig.len(), norm.len(), "normalisation keeps the lines");
    let mut out: Vec<String> = norm.iter().map(|l| l.to_string()).collect();
    let mut i = 0;
    while i < norm.len() {
        let end = norm[i]
            .starts_with('╭')
            .then(|| norm[i..].iter().position(|l| l.starts_with('╰')))
            .flatten()
            .map(|n| i + n + 1);
        match end {
            Some(end) => {
                if orig[i..end] != norm[i..end]
                    && let Some(lines) = repad(&orig[i..end], &norm[i..end])
                {
                    out.splice(i..end, lines);
                }
                i = end;
            }
            None => i += 1,
        }
    }
    out.join("\n")
}

/// One table line: its outer border characters, and the cells between its separators.
struct Row {
    first: char,
    cells: Vec<String>,
    separators: Vec<char>,
    last: char,
    border: bool,
}

impl Row {
    fn parse(line: &str) -> Option<Row> {
        let chars: Vec<char> = line.chars().collect();
        let (&first, &last) = (chars.first()?, chars.last()?);
        let border = first != '│';
        let mut row = Row {
            first,
            cells: vec![String::new()],
            separators: Vec::new(),
            last,
            border,
        };
        for &c in chars.get(1..chars.len().checked_sub(1)?)? {
            let separator = if border {
                "┬┼┴╪".contains(c)
            } else {
                c == '┆'
            };
            if separator {
                row.separators.push(c);
                row.cells.push(String::new());
            } else {
                row.cells.last_mut()?.push(c);
            }
        }
        Some(row)
    }

    fn render(&self) -> String {
        let mut line = String::from(self.first);
        for (i, cell) in self.cells.iter().enumerate() {
            line.push_str(cell);
            if let Some(&sep) = self.separators.get(i) {
                line.push(sep);
            }
        }
        line.push(self.last);
        line
    }
}

fn repad(orig: &[&str], norm: &[&str]) -> Option<Vec<String>> {
    let orig: Vec<Row> = orig.iter().map(|l| Row::parse(l)).collect::<Option<_>>()?;
    let mut norm: Vec<Row> = norm.iter().map(|l| Row::parse(l)).collect::<Option<_>>()?;
    let columns = orig[0].cells.len();
    if orig.iter().chain(&norm).any(|r| r.cells.len() != columns) {
        return None;
    }
    let width = |s: &str| s.chars().count();
    for col in 0..columns {
        let touched = orig
            .iter()
            .zip(&norm)
            .any(|(o, n)| !o.border && o.cells[col] != n.cells[col]);
        if !touched {
            continue;
        }
        let inner = norm
            .iter()
            .filter(|r| !r.border)
            .map(|r| width(r.cells[col].trim_matches(' ')))
            .max()
            .unwrap_or(0);
        for (o, n) in orig.iter().zip(norm.iter_mut()) {
            let cell = &mut n.cells[col];
            if n.border {
                let fill = cell.chars().next().unwrap_or('─');
                *cell = std::iter::repeat_n(fill, inner + 2).collect();
                continue;
            }
            // The original padding tells the alignment; a full cell reads as left.
            let old = &o.cells[col];
            let lead = old.len() - old.trim_start_matches(' ').len();
            let trail = old.len() - old.trim_end_matches(' ').len();
            let content = cell.trim_matches(' ').to_string();
            let pad = inner - width(&content);
            let left = match (lead > 1, trail > 1) {
                (true, false) => pad,
                (true, true) => pad / 2,
                _ => 0,
            };
            *cell = format!(" {}{content}{} ", " ".repeat(left), " ".repeat(pad - left));
        }
    }
    Some(norm.iter().map(Row::render).collect())
}

/// The lines that differ (between the common beginning and the common end), with a
/// little context before them.
fn first_difference(expected: &str, actual: &str) -> String {
    const SHOWN: usize = 8;
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let start = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let end = e[start..]
        .iter()
        .rev()
        .zip(a[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  first difference at line {} (- expected: {} lines, + actual: {} lines)",
        start + 1,
        e.len(),
        a.len()
    );
    for line in &e[start.saturating_sub(3)..start] {
        let _ = writeln!(out, "    {line}");
    }
    for (mark, side) in [("-", &e), ("+", &a)] {
        let changed = &side[start..side.len() - end];
        for line in changed.iter().take(SHOWN) {
            let _ = writeln!(out, "  {mark} {line}");
        }
        if changed.len() > SHOWN {
            let _ = writeln!(out, "  {mark} ... {} more", changed.len() - SHOWN);
        }
    }
    out
}

/// An endpoint whose mdatp answers with `defs` and a full health of 101.25012.0000, and
/// whose managed config names the same mirror.
fn endpoint(g: &mut Golden, defs: &Defs) -> TestEnv {
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&g.defs(defs)))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(&defs.url, defs.fallback));
    g.dir(env.path(), "<TMP>");
    env
}

/// Human (no colour, colour) and JSON of one command.
fn three_ways(g: &mut Golden, env: &TestEnv, name: &str, args: &[&str]) {
    g.case(
        &format!("{name}.human"),
        cmd(env).args(args).args(["--color", "never"]),
    );
    g.case(
        &format!("{name}.color"),
        cmd(env).args(args).args(["--color", "always"]),
    );
    g.case(
        &format!("{name}.json"),
        cmd(env).args(args).args(["--format", "json"]),
    );
}

#[test]
fn golden_health() {
    let mut g = Golden::new();
    let mut env = TestEnv::new();
    g.dir(env.path(), "<TMP>");
    env.on(
        DEFINITIONS,
        Reply::fixture("mdatp/definitions/docs-2024-03-first.txt"),
    )
    .on(
        "health",
        Reply::fixture("mdatp/health/linux-101.23062.0010.txt"),
    )
    .on(
        "health --output json",
        Reply::fixture("mdatp/health/linux-101.23062.0010.json"),
    );
    three_ways(&mut g, &env, "health-definitions-docs-2024", &["health"]);
    three_ways(&mut g, &env, "health-all-101.23062", &["health", "--all"]);
    g.case(
        "health-all-mdatp-json-101.23062.json",
        cmd(&env).args(["health", "--all", "--mdatp-json", "--format", "json"]),
    );

    let deprecated = fixture_path("mdatp/definitions/docs-2026-verify-deprecated.txt");
    three_ways(
        &mut g,
        &env,
        "health-from-file-docs-2026",
        &["health", "--from-file", deprecated.to_str().expect("utf8")],
    );
    let unlicensed = fixture_path("mdatp/health/linux-101.85.27-unlicensed.txt");
    three_ways(
        &mut g,
        &env,
        "health-from-file-unlicensed",
        &["health", "--from-file", unlicensed.to_str().expect("utf8")],
    );
    g.finish();
}

#[test]
fn golden_connectivity() {
    let mut g = Golden::new();
    let tree = MirrorTree::healthy();
    g.dir(tree.root.path(), "<MIRROR-ROOT>");
    let server = MirrorServer::http(tree.root.path());
    let mut env = TestEnv::new();
    g.dir(env.path(), "<TMP>");
    env.health_with_url(&server.ring_url());
    three_ways(
        &mut g,
        &env,
        "connectivity-healthy",
        &["connectivity", "--arch", "x86_64"],
    );

    // Both architectures: arm64's folder is empty (404s).
    let url = server.ring_url();
    g.case(
        "connectivity-arm64-missing.human",
        cmd(&env).args([
            "connectivity",
            "--color",
            "never",
            "--arch",
            "all",
            "--url",
            &url,
        ]),
    );
    g.case(
        "connectivity-arm64-missing.json",
        cmd(&env).args([
            "connectivity",
            "--format",
            "json",
            "--arch",
            "all",
            "--url",
            &url,
        ]),
    );

    // A proxy's HTML error page saved as the package.
    tree.write(
        "x86_64",
        "updates.zip",
        b"<!DOCTYPE html><html><body>Access denied by proxy</body></html>",
    );
    three_ways(
        &mut g,
        &env,
        "connectivity-html-package",
        &["connectivity", "--arch", "x86_64", "--url", &url],
    );

    // The manifest answers 500.
    server.set(
        "/linux/production/arch_x86_64/manifest.json",
        Override::Status(500),
    );
    g.case(
        "connectivity-manifest-500.human",
        cmd(&env).args([
            "connectivity",
            "--color",
            "never",
            "--arch",
            "x86_64",
            "--url",
            &url,
        ]),
    );

    // Nothing listens.
    g.case(
        "connectivity-unreachable.human",
        cmd(&env).args([
            "connectivity",
            "--color",
            "never",
            "--arch",
            "x86_64",
            "--url",
            OFFLINE_URL,
        ]),
    );
    g.finish();
}

#[test]
fn golden_diagnose() {
    let mut g = Golden::new();
    let tree = MirrorTree::healthy();
    g.dir(tree.root.path(), "<MIRROR-ROOT>");
    let server = MirrorServer::http(tree.root.path());

    let env = endpoint(&mut g, &Defs::healthy(&server.ring_url()));
    three_ways(
        &mut g,
        &env,
        "diagnose-healthy",
        &["diagnose", "--arch", "x86_64"],
    );

    // The 2024 documentation sample: `offlineDefintionUpdateFallbackToCloud`.
    let env = endpoint(&mut g, &Defs::healthy(OFFLINE_URL));
    let misspelled =
        std::fs::read_to_string(fixture_path("managed/docs-2024-misspelled-fallback.json"))
            .expect("fixture")
            .replace("http://172.22.199.67:8000/linux/production/", OFFLINE_URL);
    env.write_managed_config(&misspelled);
    three_ways(
        &mut g,
        &env,
        "diagnose-misspelled-fallback",
        &["diagnose", "--skip-network"],
    );

    // Configured for the mirror, updated from the cloud, fallback off.
    let mut mismatch = Defs::healthy(OFFLINE_URL);
    mismatch.source = CLOUD.into();
    let env = endpoint(&mut g, &mismatch);
    three_ways(
        &mut g,
        &env,
        "diagnose-url-mismatch",
        &["diagnose", "--skip-network"],
    );
    // With a history of two runs the re-enable bug is no longer suspected on sight.
    cmd(&env)
        .args(["diagnose", "--skip-network"])
        .output()
        .expect("runs");
    g.case(
        "diagnose-url-mismatch-second-run.human",
        cmd_with_history(&env).args(["diagnose", "--skip-network", "--color", "never"]),
    );

    // Definitions 30 hours old.
    let mut stale = Defs::healthy(OFFLINE_URL);
    stale.hours_ago = 30;
    let env = endpoint(&mut g, &stale);
    three_ways(
        &mut g,
        &env,
        "diagnose-stale",
        &["diagnose", "--skip-network"],
    );

    // The configured mirror refuses connections.
    let env = endpoint(&mut g, &Defs::healthy(OFFLINE_URL));
    three_ways(
        &mut g,
        &env,
        "diagnose-mirror-unreachable",
        &["diagnose", "--arch", "x86_64"],
    );

    // The catalogue and single rules run nothing.
    let env = TestEnv::new();
    g.case(
        "diagnose-list.human",
        cmd(&env).args(["diagnose", "--list", "--color", "never"]),
    );
    g.case(
        "diagnose-list.json",
        cmd(&env).args(["diagnose", "--list", "--format", "json"]),
    );
    for id in ["reenable-bug", "url-mismatch", "config-unknown-key"] {
        g.case(
            &format!("diagnose-explain-{id}.human"),
            cmd(&env).args(["diagnose", "--explain", id]),
        );
    }
    g.case(
        "diagnose-explain-url-mismatch.json",
        cmd(&env).args(["diagnose", "--explain", "url-mismatch", "--format", "json"]),
    );
    g.finish();
}

#[test]
fn golden_config_check() {
    let mut g = Golden::new();
    let env = TestEnv::new();
    g.dir(env.path(), "<TMP>");
    for name in [
        "docs-2025",
        "docs-2024-misspelled-fallback",
        "docs-2024-draft-wrong-section",
    ] {
        let file = fixture_path("managed").join(format!("{name}.json"));
        let file = file.to_str().expect("utf8");
        g.case(
            &format!("config-check-{name}.human"),
            cmd(&env).args(["config", "check", "--color", "never", file]),
        );
        g.case(
            &format!("config-check-{name}.json"),
            cmd(&env).args(["config", "check", "--format", "json", file]),
        );
    }
    let file = fixture_path("managed/docs-2024-draft-wrong-section.json");
    g.case(
        "config-check-docs-2024-draft-wrong-section.color",
        cmd(&env)
            .args(["config", "check", "--color", "always"])
            .arg(&file),
    );
    let bad = env.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"antivirusEngine\": {,\n}").expect("write");
    g.case(
        "config-check-invalid-json.human",
        cmd(&env)
            .args(["config", "check", "--color", "never"])
            .arg(&bad),
    );
    g.case(
        "config-check-invalid-json.json",
        cmd(&env)
            .args(["config", "check", "--format", "json"])
            .arg(&bad),
    );
    // No argument: --managed-config, absent here.
    g.case(
        "config-check-absent.human",
        cmd(&env).args(["config", "check", "--color", "never"]),
    );
    g.finish();
}

#[test]
fn golden_check() {
    let mut g = Golden::new();
    let tree = MirrorTree::healthy();
    g.dir(tree.root.path(), "<MIRROR-ROOT>");
    let server = MirrorServer::http(tree.root.path());
    let healthy = endpoint(&mut g, &Defs::healthy(&server.ring_url()));
    let mut failed = Defs::healthy(OFFLINE_URL);
    failed.fail_reason = "Failed to download package from offline source";
    failed.status = "update_failed";
    let critical = endpoint(&mut g, &failed);
    let mut stale = Defs::healthy(OFFLINE_URL);
    stale.hours_ago = 30;
    let warning = endpoint(&mut g, &stale);

    for format in ["nagios", "prometheus", "checkmk", "icinga", "json"] {
        g.case(
            &format!("check-healthy.{format}"),
            cmd(&healthy).args(["check", "--arch", "x86_64", "--format", format]),
        );
        g.case(
            &format!("check-critical.{format}"),
            cmd(&critical).args(["check", "--skip-network", "--format", format]),
        );
    }
    g.case(
        "check-warning.nagios",
        cmd(&warning).args(["check", "--skip-network"]),
    );
    g.case(
        "check-warning-thresholds.nagios",
        cmd(&warning).args([
            "check",
            "--skip-network",
            "--warn-age",
            "~:3600",
            "--crit-age",
            "1d",
        ]),
    );
    g.finish();
}

const TRIGGER: &str = "definitions update";

/// An endpoint whose health is `before` until `definitions update`, then `after`.
fn update_endpoint(g: &mut Golden, before: &Defs, trigger: Reply, after: &Defs) -> TestEnv {
    let mut env = TestEnv::new();
    g.dir(env.path(), "<TMP>");
    let (before_text, after_text) = (g.defs(before), g.defs(after));
    env.on(DEFINITIONS, Reply::stdout(&before_text))
        .on(TRIGGER, trigger.then("after"))
        .on_in("after", DEFINITIONS, Reply::stdout(&after_text));
    env.write_managed_config(&config_for(OFFLINE_URL, before.fallback));
    env
}

fn update_cmd(env: &TestEnv, format: &str) -> assert_cmd::Command {
    let mut c = cmd(env);
    c.args([
        "update",
        "--poll-interval",
        "100ms",
        "--wait-timeout",
        "20",
        "--format",
        format,
    ]);
    if format == "human" {
        c.args(["--color", "never"]);
    }
    c
}

#[test]
fn golden_update() {
    let mut g = Golden::new();
    let up_to_date = || Reply::stdout("Security intelligence is up to date\n");
    let newer = |mut d: Defs| {
        d.version = "1.407.500.0";
        d.hours_ago = 0;
        d
    };
    // Each run switches the fake to "after": a fresh endpoint per run.
    let before = Defs::healthy(OFFLINE_URL);
    let after = newer(Defs::healthy(OFFLINE_URL));
    for format in ["human", "json"] {
        let env = update_endpoint(&mut g, &before, up_to_date(), &after);
        g.case(
            &format!("update-from-mirror.{format}"),
            &mut update_cmd(&env, format),
        );
    }
    let env = update_endpoint(&mut g, &before, up_to_date(), &before);
    g.case(
        "update-already-current.human",
        &mut update_cmd(&env, "human"),
    );

    let mut fb_before = Defs::healthy(OFFLINE_URL);
    fb_before.fallback = true;
    let mut fb_after = newer(Defs::healthy(OFFLINE_URL));
    fb_after.fallback = true;
    fb_after.source = CLOUD.into();
    for format in ["human", "json"] {
        let env = update_endpoint(&mut g, &fb_before, up_to_date(), &fb_after);
        g.case(
            &format!("update-fallback.{format}"),
            &mut update_cmd(&env, format),
        );
    }

    let mut failed = Defs::healthy(OFFLINE_URL);
    failed.fail_reason = "Failed to download the package";
    for format in ["human", "json"] {
        let env = update_endpoint(&mut g, &before, Reply::stdout("Failed\n").exit(1), &failed);
        g.case(
            &format!("update-failed.{format}"),
            &mut update_cmd(&env, format),
        );
    }
    let env = update_endpoint(&mut g, &before, up_to_date(), &before);
    g.case(
        "update-no-wait.human",
        update_cmd(&env, "human").arg("--no-wait"),
    );
    g.finish();
}

#[test]
fn golden_bundle() {
    let mut g = Golden::new();
    let mut env = TestEnv::new();
    g.dir(env.path(), "<TMP>");
    let defs = g.defs(&Defs::healthy(OFFLINE_URL));
    env.on(DEFINITIONS, Reply::stdout(&defs))
        .on("health", Reply::stdout(&full_health("101.25012.0000")))
        .on(
            "health --output json",
            Reply::fixture("mdatp/health/linux-101.23062.0010.json"),
        )
        .on(
            "connectivity test",
            Reply::fixture("mdatp/connectivity/linux-ok.txt"),
        )
        .on(
            "version",
            Reply::stdout("Product version: 101.25012.0000\n"),
        );
    env.write_managed_config(
        r#"{"cloudService": {"proxy": "http://alice:s3cret@proxy.corp:3128/"},
            "antivirusEngine": {"offlineDefinitionUpdate": "enabled", "offlineDefinitionUpdateUrl": "http://127.0.0.1:9/linux/production/"}}"#,
    );
    let logs = env.path().join("logs");
    std::fs::create_dir_all(logs.join("rotated")).expect("mkdir");
    std::fs::write(
        logs.join("microsoft_defender_core.log"),
        "info: downloading https://acct.blob.core.windows.net/defs/updates.zip?sv=2020-08-04&sig=Zm9vYmFyU0VDUkVU&se=2030\n",
    )
    .expect("log");
    std::fs::write(
        logs.join("rotated/microsoft_defender_core.log.1"),
        "older line\n",
    )
    .expect("log");
    std::fs::write(env.path().join("wdavcfg"), "{\"cloudService\":{}}").expect("wdavcfg");
    // Logs go newest first: the rotated one is a day older, as it would be.
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    std::fs::File::options()
        .write(true)
        .open(logs.join("rotated/microsoft_defender_core.log.1"))
        .and_then(|f| f.set_modified(day_ago))
        .expect("mtime");

    let bundle = |out: &str, format: &str| {
        let mut c = cmd(&env);
        c.args(["bundle", "--skip-network", "--format", format, "-o"])
            .arg(env.path().join(out))
            .arg("--log-dir")
            .arg(&logs)
            .arg("--wdavcfg")
            .arg(env.path().join("wdavcfg"));
        c
    };
    g.case("bundle-write.human", &mut bundle("human.tar.gz", "human"));
    g.case("bundle-write.json", &mut bundle("json.tar.gz", "json"));
    let made = env.path().join("human.tar.gz");
    g.case(
        "bundle-list-contents.human",
        cmd(&env).args(["bundle", "--list-contents"]).arg(&made),
    );
    g.case(
        "bundle-list-contents.json",
        cmd(&env)
            .args(["bundle", "--format", "json", "--list-contents"])
            .arg(&made),
    );
    g.finish();
}

#[test]
fn golden_aggregate() {
    let mut g = Golden::new();
    let dir = tempfile::tempdir().expect("tempdir");
    g.dir(dir.path(), "<REPORTS>");
    let mut cloud = Defs::healthy(OFFLINE_URL);
    cloud.source = CLOUD.into();
    let mut stale = Defs::healthy(OFFLINE_URL);
    stale.hours_ago = 30;
    let healthy = Defs::healthy(OFFLINE_URL);
    // One host per directory, as an Ansible fetch lays them out; the host names are the
    // fleet's, not this machine's.
    for (host, defs) in [
        ("web-01", &healthy),
        ("web-02", &healthy),
        ("db-01", &cloud),
        ("db-02", &stale),
    ] {
        let env = endpoint(&mut g, defs);
        let out = cmd(&env)
            .args(["diagnose", "--format", "json", "--skip-network"])
            .output()
            .expect("runs");
        let mut report: Value = serde_json::from_slice(&out.stdout).expect("report");
        report["snapshot"]["hostname"] = host.into();
        std::fs::create_dir(dir.path().join(host)).expect("mkdir");
        std::fs::write(
            dir.path().join(host).join("diagnose.json"),
            format!("{report:#}\n"),
        )
        .expect("write");
    }
    std::fs::write(dir.path().join("broken.json"), "{ not json").expect("junk");
    std::fs::write(dir.path().join("other.json"), "{\"something\": \"else\"}").expect("junk");
    let env = TestEnv::new();
    g.case(
        "aggregate.human",
        cmd(&env)
            .args(["aggregate", "--color", "never"])
            .arg(dir.path()),
    );
    g.case(
        "aggregate.color",
        cmd(&env)
            .args(["aggregate", "--color", "always"])
            .arg(dir.path()),
    );
    g.case(
        "aggregate.json",
        cmd(&env)
            .args(["aggregate", "--format", "json"])
            .arg(dir.path()),
    );
    g.case(
        "aggregate-nothing-readable.human",
        cmd(&env)
            .arg("aggregate")
            .arg(dir.path().join("broken.json")),
    );
    g.case(
        "aggregate-nothing-readable.json",
        cmd(&env)
            .args(["aggregate", "--format", "json"])
            .arg(dir.path().join("broken.json")),
    );
    g.finish();
}

#[test]
fn golden_errors_and_help() {
    let mut g = Golden::new();
    let env = TestEnv::new();
    g.dir(env.path(), "<TMP>");
    let missing = ["--mdatp", "/nonexistent/mdatp"];
    g.case(
        "error-mdatp-missing-health.human",
        cmd(&env).arg("health").args(missing),
    );
    g.case(
        "error-mdatp-missing-health.json",
        cmd(&env).args(["health", "--format", "json"]).args(missing),
    );
    g.case(
        "error-mdatp-missing-diagnose.human",
        cmd(&env)
            .args(["diagnose", "--skip-network", "--color", "never"])
            .args(missing),
    );
    g.case(
        "error-mdatp-missing-check.nagios",
        cmd(&env).args(["check", "--skip-network"]).args(missing),
    );
    g.case(
        "error-mdatp-missing-update.human",
        cmd(&env).arg("update").args(missing),
    );
    g.case(
        "error-mdatp-missing-update.json",
        cmd(&env).args(["update", "--format", "json"]).args(missing),
    );

    // Usage errors: clap's, and the tool's own.
    g.case(
        "error-usage-unknown-option.human",
        cmd(&env).args(["health", "--bogus"]),
    );
    g.case(
        "error-usage-unknown-option.json",
        cmd(&env).args(["health", "--format", "json", "--bogus"]),
    );
    g.case(
        "error-usage-format-for-check-only.human",
        cmd(&env).args(["diagnose", "--format", "nagios"]),
    );
    g.case(
        "error-usage-explain-unknown-id.human",
        cmd(&env).args(["diagnose", "--explain", "reenable-bugg"]),
    );
    g.case(
        "error-usage-explain-unknown-id.json",
        cmd(&env).args(["diagnose", "--explain", "reenable-bugg", "--format", "json"]),
    );
    g.case(
        "error-usage-check-bad-threshold.nagios",
        cmd(&env).args(["check", "--warn-age", "abc"]),
    );
    g.case(
        "error-usage-check-bad-threshold.json",
        cmd(&env).args(["check", "--format", "json", "--warn-age", "abc"]),
    );
    g.case("error-usage-no-command", &mut cmd(&env));
    std::fs::write(env.path().join("exists.tar.gz"), "keep me").expect("write");
    g.case(
        "error-bundle-output-exists.json",
        cmd(&env)
            .args(["bundle", "--skip-network", "--format", "json", "-o"])
            .arg(env.path().join("exists.tar.gz")),
    );

    // Help shows the values of the MDATP_DOCTOR_* variables: none here. It is wrapped
    // by clap, to its own default width when COLUMNS is unset.
    let help = || {
        let mut c = cmd(&env);
        for var in [
            "COLUMNS",
            "MDATP_DOCTOR_MDATP",
            "MDATP_DOCTOR_MANAGED_CONFIG",
            "MDATP_DOCTOR_STATE_DIR",
        ] {
            c.env_remove(var);
        }
        c
    };
    g.case("help", help().arg("--help"));
    g.case("help-short", help().arg("-h"));
    g.case("version", help().arg("--version"));
    for sub in [
        "health",
        "connectivity",
        "diagnose",
        "check",
        "update",
        "bundle",
        "aggregate",
        "config",
    ] {
        g.case(&format!("help-{sub}"), help().args([sub, "--help"]));
    }
    g.case(
        "help-config-check",
        help().args(["config", "check", "--help"]),
    );
    g.finish();
}

/// The normaliser replaces what varies and leaves the rest: these must survive it.
#[test]
fn golden_normalise_is_narrow() {
    let literals = vec![("/tmp/.tmpAbC123".to_string(), "<TMP>".to_string())];
    for kept in [
        "http://127.0.0.1:9/linux/production/",
        "definitions_updated_minutes_ago = 60",
        "1.407.417.0",
        "Mar 14, 2024 at 12:13:17 PM",
        "2024-03-14T12:13:17",
        "\"value\": \"2023-08-09T13:19:13.787Z\"",
        "\"hostname\": \"web-01\"",
        "30 hours old",
        "\"bytes\": 65",
        "\"size\": 4218",
        "exit: 0",
    ] {
        assert_eq!(normalise(kept, &literals), kept);
    }
    for (varies, expected) in [
        (
            "http://127.0.0.1:41234/linux/production/",
            "http://127.0.0.1:<PORT>/linux/production/",
        ),
        ("/tmp/.tmpAbC123/history.jsonl", "<TMP>/history.jsonl"),
        ("\"duration_ms\": 12", "\"duration_ms\": <MS>"),
        ("\"connections\": 2", "\"connections\": <N>"),
        (
            "\"time\": \"2026-11-28T18:41:34.123456Z\"",
            "\"time\": \"<TIMESTAMP>\"",
        ),
        (
            "definitions_age=3617s;86400",
            "definitions_age=<~3600>s;86400",
        ),
        (
            "updated from the mirror in 0.3 s",
            "updated from the mirror in <SECS> s",
        ),
    ] {
        assert_eq!(normalise(varies, &literals), expected);
    }
}

/// Tables whose widths came from a duration come out the same whatever the duration.
#[test]
fn golden_tables_are_repadded_only_where_values_were_replaced() {
    let table = |a: &str, b: &str| {
        let w = a.len().max(b.len()).max(4);
        format!(
            "╭──────┬─{0}─╮\n│ Step ┆ {1:<w$} │\n╞══════╪═{2}═╡\n│ dns  ┆ {3:>w$} │\n│ tcp  ┆ {4:>w$} │\n╰──────┴─{0}─╯",
            "─".repeat(w),
            "Time",
            "═".repeat(w),
            a,
            b,
        )
    };
    let fast = normalise(&table("1 ms", "0 ms"), &[]);
    assert_eq!(fast, normalise(&table("123 ms", "7 ms"), &[]));
    assert_eq!(
        fast,
        "╭──────┬─────────╮\n│ Step ┆ Time    │\n╞══════╪═════════╡\n│ dns  ┆ <MS> ms │\n│ tcp  ┆ <MS> ms │\n╰──────┴─────────╯"
    );
    let untouched = table("dns", "tcp");
    assert_eq!(normalise(&untouched, &[]), untouched);
}

// ---------------------------------------------------------------- mirror host

/// A mirror host in a directory outside /tmp (a folder there is a finding of its own): the
/// downloader stand-in next to its settings.json, a tree written here (no download: the
/// bytes are fixed), the log of the last run and, under `root/`, jq and curl on cron's PATH
/// and a cron entry every 4 hours. Every file is two hours old, so ages are stable.
struct MirrorHost {
    dir: tempfile::TempDir,
}

impl MirrorHost {
    fn new(g: &mut Golden, broken: bool) -> MirrorHost {
        use crate::mirror_host::{DEFS, ENGINE, stored_zip};
        use std::os::unix::fs::PermissionsExt;
        let base = if Path::new("/var/tmp").is_dir() {
            Path::new("/var/tmp")
        } else {
            Path::new(env!("CARGO_TARGET_TMPDIR"))
        };
        let dir = tempfile::tempdir_in(base).expect("tempdir");
        let p = dir.path();
        g.dir(p, "<MIRROR-HOST>");
        let mode = |path: &Path, m: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).expect("chmod")
        };
        mode(p, 0o755);
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        let write = |rel: &str, bytes: &[u8]| {
            let path = p.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, bytes).expect("write");
            mode(&path, 0o644);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(two_hours_ago))
                .expect("mtime");
        };
        let script = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/downloader-standin.sh"),
        )
        .expect("stand-in");
        write("xplat_offline_updates_download.sh", &script);
        mode(&p.join("xplat_offline_updates_download.sh"), 0o755);
        let settings = serde_json::json!({
            "downloadFolder": p.join("wdav-update"),
            "downloadLinuxUpdates": true,
            "downloadMacUpdates": false,
            "downloadPreviewUpdates": false,
            "backupPreviousUpdates": false,
            "logFilePath": p.join("offline_updates.log"),
        });
        write("settings.json", settings.to_string().as_bytes());
        let manifest = serde_json::json!({"EngineVersion": ENGINE, "DefinitionVersion": DEFS});
        for arch in ["x86_64", "arm64"] {
            let folder = format!("wdav-update/linux/production/arch_{arch}");
            let package = if broken && arch == "x86_64" {
                b"<!DOCTYPE html><html><body>Access denied by policy</body></html>\n".to_vec()
            } else {
                stored_zip("mpasbase.vdm", format!("defs {DEFS} {arch}").as_bytes())
            };
            write(&format!("{folder}/updates.zip"), &package);
            write(
                &format!("{folder}/manifest.json"),
                manifest.to_string().as_bytes(),
            );
        }
        if broken {
            // A run killed mid-download.
            write(
                "wdav-update/linux/production/arch_arm64/updates.zip_temp",
                b"PK\x03\x04",
            );
            write(
                "wdav-update/linux/production/arch_arm64/manifest.xml",
                b"<versions>",
            );
        }
        // The log of the last run, dated as `date` prints it in the C locale.
        let when = jiff::Timestamp::try_from(two_hours_ago)
            .expect("time")
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .strftime("%a %b %e %H:%M:%S UTC %Y")
            .to_string();
        g.literal(when.clone(), "<LOG-DATE-2h-AGO>");
        let mut log = String::new();
        let mut message = |m: &str| {
            log.push_str(&format!(
                "{when}\n{m}\n----------End of message----------\n"
            ));
        };
        message("Script started.");
        message(&format!("Engine version: {ENGINE}"));
        message(&format!("Definition version: {DEFS}."));
        if !broken {
            message("Script completed.");
        }
        write("offline_updates.log", log.as_bytes());
        for tool in ["usr/bin/jq", "usr/bin/curl"] {
            write(&format!("root/{tool}"), b"#!/bin/sh\n");
            mode(&p.join("root").join(tool), 0o755);
        }
        write(
            "root/etc/cron.d/mdatp-offline-updates",
            format!(
                "0 */4 * * * root {} >/dev/null 2>&1\n",
                p.join("xplat_offline_updates_download.sh").display()
            )
            .as_bytes(),
        );
        MirrorHost { dir }
    }

    fn check(&self, format: &str) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"));
        c.env("TZ", "UTC")
            .env_remove("COLUMNS")
            .env_remove("TERM")
            .args(["mirror", "check", "--format", format, "--settings"])
            .arg(self.dir.path().join("settings.json"))
            .arg("--root")
            .arg(self.dir.path().join("root"));
        if format == "human" {
            c.args(["--color", "never"]);
        }
        c
    }
}

/// [`Golden::case`] for `mirror check`: the package ages (two hours plus the seconds this
/// test has run, rounded down to the minute) and the time of the check are replaced too.
fn mirror_case(g: &mut Golden, name: &str, cmd: &mut assert_cmd::Command) {
    static AGE: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"("package_age_seconds": |mdatp_mirror_package_age_seconds\{[^}]*\} )(\d+)(\.\d+)?"#)
    });
    static CHECKED: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?m)^(mdatp_mirror_last_check_timestamp_seconds) \d+$"));
    let out = cmd.output().expect("mdatp-doctor runs");
    let text = record(&out);
    let text = AGE.replace_all(&text, |c: &Captures| {
        let secs: u64 = c[2].parse().expect("digits");
        format!("{}<~{}>", &c[1], secs / 60 * 60)
    });
    let text = CHECKED.replace_all(&text, "$1 <UNIX-TIME>");
    let text = normalise(&text, &g.literals);
    g.compare(name, text);
}

#[test]
fn golden_mirror_check() {
    let mut g = Golden::new();
    let healthy = MirrorHost::new(&mut g, false);
    let broken = MirrorHost::new(&mut g, true);
    for format in ["human", "json", "nagios", "prometheus", "checkmk", "icinga"] {
        mirror_case(
            &mut g,
            &format!("mirror-check-healthy.{format}"),
            &mut healthy.check(format),
        );
        mirror_case(
            &mut g,
            &format!("mirror-check-broken.{format}"),
            &mut broken.check(format),
        );
    }
    g.finish();
}
