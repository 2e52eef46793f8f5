//! The labelled state corpus (issue 25 §3): every file of tests/states/ is one endpoint
//! state, healthy or broken, with the public page or capture that makes it so and the
//! verdict and findings the tool must give. Each runs through the real binary's
//! `diagnose --format json` and `check` (nagios) against the fake mdatp, a managed file
//! and, where the state has one, a real mirror (loopback HTTP or a directory). The test
//! fails on any difference and lists every differing state, not the first.
//!
//! State file (TOML), every key but `label`, `source`, `summary` and `expect` optional:
//!
//! ```toml
//! label = "healthy"                  # or "broken"
//! source = "https://learn.microsoft.com/... (what there makes it healthy or broken)"
//! summary = "one line: what this endpoint is"
//! args = ["--arch", "arm64"]         # more options for diagnose and check
//! offboarded = true                  # mdatp_offboard.json exists
//! history = '''{"time": "{iso_2h_ago}", ...}'''   # history.jsonl before the run
//! skip_network = false               # default: true without [mirror], false with one
//! managed = """{ ... }"""            # the managed file; absent: no file
//! managed_fixture = "managed/docs-2025.json"      # or one under tests/fixtures/
//! managed_replace = [["from", "to"]] # edits to the fixture (each `from` must occur)
//! [mdatp]
//! missing = true                     # MDATP_DOCTOR_MDATP names a path that does not exist
//! definitions = """..."""            # what `mdatp health --details definitions` prints
//! health = """..."""                 # what `mdatp health` prints
//! # either may instead be a table:
//! # { fixture = "mdatp/...", replace = [[..]], text = "...", stderr = "...",
//! #   exit = 1, garbage_bytes = 4096 }
//! [mirror]                           # a real mirror for this state (absent: no probe)
//! kind = "http"                      # or "dir" (an absolute directory URL)
//! ring = "production"                # the ring folder: production, preview, production_back
//! arches = ["x86_64"]                # arch_<arch>/ folders holding manifest.json + updates.zip
//! definition_version = "1.407.417.0" # manifest.json's DefinitionVersion
//! engine_version = "1.1.24020.4"     # manifest.json's EngineVersion
//! package = "zip"                    # or "html" (an error page saved as updates.zip),
//!                                    # or "missing" (manifest.json without updates.zip)
//! status = '''{"schema_version": 1, "last_success": "{iso_30h_ago}", ...}'''
//!                                    # the mirror's mdatp-doctor-status.json (issue 28)
//! [expect]
//! verdict = "ok"                     # ok, info, warning, critical, unknown
//! findings = { "url-mismatch" = "warning" }   # the exact set: id = severity
//! ```
//!
//! Placeholders in every text: `{mirror}` (the mirror's ring folder URL or path),
//! `{mirror_base}` (its `http://127.0.0.1:port`), `{updated_<N><m|h|d>_ago}` (that long
//! ago as mdatp prints a date: `%b %d, %Y at %I:%M:%S %p`, local time),
//! `{minutes_<N><m|h|d>_ago}` (the same age in minutes), `{epoch_ms_<N><m|h|d>_ago}`
//! (2020 builds' epoch milliseconds), `{iso_<N><m|h|d>_ago}` (RFC 3339, for the history)
//! and `{date_in_<N><m|h|d>}` (a date that far ahead).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde_json::Value;

use crate::server::{MirrorServer, tiny_zip};
use crate::testenv::{DEFINITIONS, Reply, TestEnv, fixture_path};

/// The issue asks for at least 40; the corpus promised 45.
const MIN_STATES: usize = 45;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    label: String,
    source: String,
    summary: String,
    #[serde(default)]
    args: Vec<String>,
    /// Run with --skip-network; the default is true for a state without [mirror] (so
    /// nothing real is probed) and false with one.
    skip_network: Option<bool>,
    /// /etc/opt/microsoft/mdatp/mdatp_offboard.json exists on this endpoint.
    #[serde(default)]
    offboarded: bool,
    /// The run history (history.jsonl) found in the state directory before the run.
    history: Option<String>,
    managed: Option<String>,
    managed_fixture: Option<String>,
    #[serde(default)]
    managed_replace: Vec<[String; 2]>,
    #[serde(default)]
    mdatp: Mdatp,
    mirror: Option<Mirror>,
    expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mdatp {
    #[serde(default)]
    missing: bool,
    definitions: Option<Output>,
    health: Option<Output>,
}

/// One mdatp call's output: plain text, or a table.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Output {
    Text(String),
    Table(OutputTable),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputTable {
    text: Option<String>,
    fixture: Option<String>,
    #[serde(default)]
    replace: Vec<[String; 2]>,
    stderr: Option<String>,
    #[serde(default)]
    exit: i32,
    /// Noise bytes (with NULs) instead of text.
    garbage_bytes: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mirror {
    #[serde(default = "http")]
    kind: String,
    #[serde(default = "production")]
    ring: String,
    #[serde(default = "x86_64")]
    arches: Vec<String>,
    definition_version: String,
    engine_version: String,
    #[serde(default = "zip")]
    package: String,
    /// The mirror's own status file (issue 28), written as mdatp-doctor-status.json in
    /// the ring folder; time placeholders are expanded in it.
    status: Option<String>,
}

fn http() -> String {
    "http".into()
}
fn production() -> String {
    "production".into()
}
fn x86_64() -> Vec<String> {
    vec!["x86_64".into()]
}
fn zip() -> String {
    "zip".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    verdict: String,
    #[serde(default)]
    findings: BTreeMap<String, String>,
}

/// What the tool said about one state.
#[derive(Debug, Default)]
struct Got {
    diagnose_exit: Option<i32>,
    verdict: String,
    /// id → the severities it was raised with (one, unless raised twice).
    findings: BTreeMap<String, BTreeSet<String>>,
    /// id → its first title, to say what an unexpected finding is about.
    titles: BTreeMap<String, String>,
    check_exit: Option<i32>,
    check_first_line: String,
    /// `[SEVERITY] id:` lines of check's long output, when none were left out.
    check_findings: Option<BTreeMap<String, BTreeSet<String>>>,
    /// mdatp invocations nobody gave an answer for.
    unanswered: Vec<String>,
    /// Anything that kept the state from running as written.
    harness: Vec<String>,
}

fn states_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/states")
}

fn load_states() -> Vec<(String, State)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(states_dir())
        .expect("tests/states exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = format!(
                "tests/states/{}",
                p.file_name().expect("name").to_string_lossy()
            );
            let text = std::fs::read_to_string(p).expect("state file reads");
            let state: State =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not a state: {e}"));
            (name, state)
        })
        .collect()
}

/// The exit code both commands share for a verdict.
fn exit_for(verdict: &str) -> i32 {
    match verdict {
        "ok" | "info" => 0,
        "warning" => 1,
        "critical" => 2,
        _ => 3,
    }
}

/// The nagios state word for a verdict.
fn word_for(verdict: &str) -> &'static str {
    match verdict {
        "ok" | "info" => "OK",
        "warning" => "WARNING",
        "critical" => "CRITICAL",
        _ => "UNKNOWN",
    }
}

const SEVERITIES: [&str; 5] = ["ok", "info", "warning", "critical", "unknown"];

/// A running mirror (kept alive while the state runs) and its placeholder values.
struct LiveMirror {
    _root: tempfile::TempDir,
    _server: Option<MirrorServer>,
    url: String,
    base: String,
}

fn start_mirror(m: &Mirror) -> Result<LiveMirror, String> {
    let root = tempfile::tempdir().map_err(|e| e.to_string())?;
    let ring = root.path().join("linux").join(&m.ring);
    let manifest = format!(
        r#"{{"EngineVersion":"{}","DefinitionVersion":"{}"}}"#,
        m.engine_version, m.definition_version
    );
    for arch in &m.arches {
        let dir = ring.join(format!("arch_{arch}"));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("manifest.json"), &manifest).map_err(|e| e.to_string())?;
        match m.package.as_str() {
            "zip" => {
                std::fs::write(dir.join("updates.zip"), tiny_zip()).map_err(|e| e.to_string())?
            }
            // What curl without -f saves when a proxy answers instead (the downloader's quirk).
            "html" => std::fs::write(
                dir.join("updates.zip"),
                "<html><body><h1>403 Forbidden</h1></body></html>\n",
            )
            .map_err(|e| e.to_string())?,
            "missing" => {}
            other => {
                return Err(format!(
                    "[mirror] package = {other:?}: zip, html or missing"
                ));
            }
        }
    }
    if let Some(text) = &m.status {
        std::fs::write(ring.join("mdatp-doctor-status.json"), expand(text, None)?)
            .map_err(|e| e.to_string())?;
    }
    // A web server or mdatp reading a directory mirror reads as anyone: the tree is
    // world-readable, as the downloader leaves it (a tempdir starts at 0700).
    open_up(root.path()).map_err(|e| e.to_string())?;
    match m.kind.as_str() {
        "http" => {
            let server = MirrorServer::http(root.path());
            let base = server.base();
            Ok(LiveMirror {
                url: format!("{base}/linux/{}/", m.ring),
                base,
                _server: Some(server),
                _root: root,
            })
        }
        "dir" => Ok(LiveMirror {
            url: format!("{}/", ring.display()),
            base: root.path().display().to_string(),
            _server: None,
            _root: root,
        }),
        other => Err(format!("[mirror] kind = {other:?}: http or dir")),
    }
}

/// A file in a directory of this user alone (mode 0700, the file 0600), as the tool
/// wants its state directory.
fn write_private(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    std::fs::write(dir.join(name), text)?;
    std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o600))
}

fn open_up(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)?;
    let mode = if meta.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            open_up(&entry?.path())?;
        }
    }
    Ok(())
}

/// `{name}` placeholders replaced; an unknown one is an error (a typo in a state).
fn expand(text: &str, mirror: Option<&LiveMirror>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}');
        let name = close.map(|c| &after[..c]);
        match name {
            Some(name)
                if !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
            {
                out.push_str(&placeholder(name, mirror)?);
                rest = &after[name.len() + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn placeholder(name: &str, mirror: Option<&LiveMirror>) -> Result<String, String> {
    let need_mirror =
        || mirror.ok_or_else(|| format!("{{{name}}} is used but the state has no [mirror]"));
    if name == "mirror" {
        return Ok(need_mirror()?.url.clone());
    }
    if name == "mirror_base" {
        return Ok(need_mirror()?.base.clone());
    }
    let age = |spec: &str| -> Result<jiff::SignedDuration, String> {
        let (n, unit) = spec.split_at(spec.len().saturating_sub(1));
        let n: i64 = n
            .parse()
            .map_err(|_| format!("{{{name}}}: {spec:?} is not <number><m|h|d>"))?;
        Ok(match unit {
            "m" => jiff::SignedDuration::from_mins(n),
            "h" => jiff::SignedDuration::from_hours(n),
            "d" => jiff::SignedDuration::from_hours(24 * n),
            _ => return Err(format!("{{{name}}}: unit {unit:?} is not m, h or d")),
        })
    };
    let now = jiff::ZonedDateTime::now();
    let mdatp_date = |z: jiff::ZonedDateTime| z.strftime("%b %d, %Y at %I:%M:%S %p").to_string();
    if let Some(spec) = name
        .strip_prefix("updated_")
        .and_then(|s| s.strip_suffix("_ago"))
    {
        return Ok(mdatp_date(
            now.checked_sub(age(spec)?).map_err(|e| e.to_string())?,
        ));
    }
    if let Some(spec) = name
        .strip_prefix("minutes_")
        .and_then(|s| s.strip_suffix("_ago"))
    {
        return Ok(age(spec)?.as_mins().to_string());
    }
    if let Some(spec) = name
        .strip_prefix("epoch_ms_")
        .and_then(|s| s.strip_suffix("_ago"))
    {
        let then = now.timestamp() - age(spec)?;
        return Ok(then.as_millisecond().to_string());
    }
    if let Some(spec) = name
        .strip_prefix("iso_")
        .and_then(|s| s.strip_suffix("_ago"))
    {
        return Ok((now.timestamp() - age(spec)?).to_string());
    }
    if let Some(spec) = name.strip_prefix("date_in_") {
        return Ok(mdatp_date(
            now.checked_add(age(spec)?).map_err(|e| e.to_string())?,
        ));
    }
    Err(format!("unknown placeholder {{{name}}}"))
}

fn with_replacements(
    mut text: String,
    replace: &[[String; 2]],
    what: &str,
) -> Result<String, String> {
    for [from, to] in replace {
        if !text.contains(from.as_str()) {
            return Err(format!("{what}: replace {from:?}: not in the text"));
        }
        text = text.replace(from.as_str(), to);
    }
    Ok(text)
}

fn fixture_text(rel: &str) -> Result<String, String> {
    std::fs::read_to_string(fixture_path(rel)).map_err(|e| format!("fixture {rel}: {e}"))
}

/// The fake's reply for one call.
fn reply(out: &Output, what: &str, mirror: Option<&LiveMirror>) -> Result<Reply, String> {
    let table = match out {
        Output::Text(text) => return Ok(Reply::stdout(&expand(text, mirror)?)),
        Output::Table(t) => t,
    };
    let mut reply = match (&table.text, &table.fixture, table.garbage_bytes) {
        (Some(text), None, None) => Reply::stdout(&expand(
            &with_replacements(text.clone(), &table.replace, what)?,
            mirror,
        )?),
        (None, Some(rel), None) => {
            let text = with_replacements(fixture_text(rel)?, &table.replace, what)?;
            Reply::stdout(&expand(&text, mirror)?)
        }
        (None, None, Some(bytes)) => Reply::empty().flood(bytes, true),
        (None, None, None) => Reply::empty(),
        _ => return Err(format!("{what}: give one of text, fixture, garbage_bytes")),
    };
    if let Some(err) = &table.stderr {
        reply = reply.stderr(&expand(err, mirror)?);
    }
    Ok(reply.exit(table.exit))
}

fn severities(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        map.entry(f["id"].as_str().unwrap_or("?").to_string())
            .or_default()
            .insert(f["severity"].as_str().unwrap_or("?").to_string());
    }
    map
}

/// `[SEVERITY] id: …` lines of the nagios long output; None when some were left out.
fn check_lines(stdout: &str) -> Option<BTreeMap<String, BTreeSet<String>>> {
    if stdout.contains("more finding(s) not shown") {
        return None;
    }
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in stdout.lines().skip(1) {
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let Some((sev, rest)) = rest.split_once("] ") else {
            continue;
        };
        let Some((id, _)) = rest.split_once(':') else {
            continue;
        };
        map.entry(id.to_string())
            .or_default()
            .insert(sev.to_ascii_lowercase());
    }
    Some(map)
}

fn run_state(state: &State) -> Got {
    let mut got = Got::default();
    match try_run_state(state, &mut got) {
        Ok(()) => {}
        Err(e) => got.harness.push(e),
    }
    got
}

fn try_run_state(state: &State, got: &mut Got) -> Result<(), String> {
    let mirror = state.mirror.as_ref().map(start_mirror).transpose()?;
    let mirror = mirror.as_ref();
    let mut env = TestEnv::new();
    let mut answered = Vec::new();
    if let Some(out) = &state.mdatp.definitions {
        env.on(DEFINITIONS, reply(out, "[mdatp] definitions", mirror)?);
        answered.push(DEFINITIONS.to_string());
    }
    if let Some(out) = &state.mdatp.health {
        env.on("health", reply(out, "[mdatp] health", mirror)?);
        answered.push("health".to_string());
    }
    if answered.is_empty() {
        // A scenario file must exist even when mdatp is never asked.
        env.on("(never asked)", Reply::empty());
    }
    let managed = match (&state.managed, &state.managed_fixture) {
        (Some(text), None) => Some(with_replacements(
            text.clone(),
            &state.managed_replace,
            "managed",
        )?),
        (None, Some(rel)) => Some(with_replacements(
            fixture_text(rel)?,
            &state.managed_replace,
            "managed_fixture",
        )?),
        (None, None) if state.managed_replace.is_empty() => None,
        _ => return Err("give managed or managed_fixture (one), replace only with one".into()),
    };
    if let Some(text) = managed {
        env.write_managed_config(&expand(&text, mirror)?);
    }
    if let Some(text) = &state.history {
        let text = expand(text, mirror)?;
        // diagnose's history and check's: each run finds the same one.
        for dir in [env.state_dir(), env.path().join("check-state")] {
            write_private(&dir, "history.jsonl", &text).map_err(|e| format!("history: {e}"))?;
        }
    }
    if state.offboarded {
        // Where the tool looks for it in this world (see TestEnv::endpoint_env).
        std::fs::write(env.path().join("mdatp_offboard.json"), "{}\n")
            .map_err(|e| format!("offboarding file: {e}"))?;
    }
    let mut args: Vec<String> = state
        .args
        .iter()
        .map(|a| expand(a, mirror))
        .collect::<Result<_, _>>()?;
    if !args.iter().any(|a| a == "--arch") {
        args.extend(["--arch".into(), "x86_64".into()]);
    }
    if state.skip_network.unwrap_or(mirror.is_none()) && !args.iter().any(|a| a == "--skip-network")
    {
        args.push("--skip-network".into());
    }
    let missing_mdatp = env.path().join("no-such-dir/mdatp");

    let mut diagnose = env.cmd();
    diagnose.args(["diagnose", "--format", "json"]).args(&args);
    if state.mdatp.missing {
        diagnose.env("MDATP_DOCTOR_MDATP", &missing_mdatp);
    }
    let out = diagnose.output().map_err(|e| format!("diagnose: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("panicked") {
        got.harness.push(format!("diagnose panicked: {stderr}"));
    }
    got.diagnose_exit = out.status.code();
    let report: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "diagnose printed no JSON ({e}); stdout: {}; stderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    got.verdict = report["verdict"].as_str().unwrap_or("(none)").to_string();
    got.findings = severities(&report);
    for f in report["findings"].as_array().into_iter().flatten() {
        if let (Some(id), Some(title)) = (f["id"].as_str(), f["title"].as_str()) {
            got.titles
                .entry(id.to_string())
                .or_insert_with(|| title.to_string());
        }
    }

    // check with a history of its own: what diagnose recorded must not change its answer.
    let mut check = env.cmd();
    check
        .args(["check", "--format", "nagios"])
        .args(&args)
        .env("MDATP_DOCTOR_STATE_DIR", env.path().join("check-state"));
    if state.mdatp.missing {
        check.env("MDATP_DOCTOR_MDATP", &missing_mdatp);
    }
    let out = check.output().map_err(|e| format!("check: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("panicked") {
        got.harness.push(format!("check panicked: {stderr}"));
    }
    got.check_exit = out.status.code();
    let stdout = String::from_utf8_lossy(&out.stdout);
    got.check_first_line = stdout.lines().next().unwrap_or("").to_string();
    got.check_findings = check_lines(&stdout);

    for call in env.invocations() {
        let key = call.join(" ");
        if !answered.contains(&key) {
            got.unanswered.push(key);
        }
    }
    Ok(())
}

fn show(map: &BTreeMap<String, BTreeSet<String>>) -> String {
    let items: Vec<String> = map
        .iter()
        .map(|(id, sev)| format!("{id}={}", sev.iter().cloned().collect::<Vec<_>>().join("+")))
        .collect();
    format!("{{{}}}", items.join(", "))
}

fn expected_map(expect: &Expect) -> BTreeMap<String, BTreeSet<String>> {
    expect
        .findings
        .iter()
        .map(|(id, sev)| (id.clone(), BTreeSet::from([sev.clone()])))
        .collect()
}

/// Every way `got` differs from what the state expects, one line each.
fn differences(state: &State, got: &Got) -> Vec<String> {
    let mut d = got
        .harness
        .iter()
        .map(|h| format!("harness: {h}"))
        .collect::<Vec<_>>();
    let want = expected_map(&state.expect);
    let verdict = &state.expect.verdict;
    if !got.harness.is_empty() && got.verdict.is_empty() {
        return d;
    }
    if &got.verdict != verdict || got.diagnose_exit != Some(exit_for(verdict)) {
        d.push(format!(
            "diagnose: expected verdict {verdict} (exit {}), got {} (exit {:?})",
            exit_for(verdict),
            got.verdict,
            got.diagnose_exit
        ));
    }
    if got.findings != want {
        let mut parts = Vec::new();
        for (id, sev) in &want {
            match got.findings.get(id) {
                None => parts.push(format!("missing {id}={}", show_set(sev))),
                Some(g) if g != sev => parts.push(format!(
                    "{id}: expected {}, got {} ({:?})",
                    show_set(sev),
                    show_set(g),
                    got.titles.get(id).map_or("", String::as_str)
                )),
                Some(_) => {}
            }
        }
        for (id, sev) in &got.findings {
            if !want.contains_key(id) {
                parts.push(format!(
                    "extra {id}={} ({:?})",
                    show_set(sev),
                    got.titles.get(id).map_or("", String::as_str)
                ));
            }
        }
        d.push(format!(
            "findings: expected {}, got {} ({})",
            show(&want),
            show(&got.findings),
            parts.join("; ")
        ));
    }
    let prefix = format!("MDATP OFFLINE-UPDATES {} - ", word_for(verdict));
    if got.check_exit != Some(exit_for(verdict)) || !got.check_first_line.starts_with(&prefix) {
        d.push(format!(
            "check: expected exit {} and a first line starting {prefix:?}, got exit {:?}: {:?}",
            exit_for(verdict),
            got.check_exit,
            got.check_first_line
        ));
    }
    if let Some(listed) = &got.check_findings {
        // check lists what is above ok; diagnose's ok-severity findings are not listed.
        let above_ok: BTreeMap<String, BTreeSet<String>> = got
            .findings
            .iter()
            .filter(|(_, s)| s.iter().any(|s| s != "ok"))
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect();
        if listed != &above_ok {
            d.push(format!(
                "check and diagnose disagree: check lists {}, diagnose raised {}",
                show(listed),
                show(&above_ok)
            ));
        }
    }
    if !got.unanswered.is_empty() {
        d.push(format!(
            "harness: the fake mdatp had no answer for: {}",
            got.unanswered.join(", ")
        ));
    }
    d
}

fn show_set(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join("+")
}

/// id → the severity words of its declared severity, from `diagnose --list --format json`.
fn catalogue() -> BTreeMap<String, (String, BTreeSet<String>)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["diagnose", "--list", "--format", "json"])
        .output()
        .expect("diagnose --list runs");
    assert!(out.status.success(), "diagnose --list failed");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("diagnose --list prints JSON");
    doc["catalogue"]
        .as_array()
        .expect("catalogue")
        .iter()
        .map(|r| {
            let declared = r["severity"].as_str().unwrap_or("").to_string();
            let words = declared
                .split(|c: char| !c.is_ascii_alphabetic())
                .map(str::to_ascii_lowercase)
                .filter(|w| SEVERITIES.contains(&w.as_str()))
                .collect();
            (
                r["id"].as_str().unwrap_or("").to_string(),
                (declared, words),
            )
        })
        .collect()
}

#[test]
fn every_labelled_state_gives_its_documented_verdict() {
    let states = load_states();

    // The corpus itself: big enough, every state sourced, labelled and consistent.
    let mut bad = Vec::new();
    for (name, s) in &states {
        if s.source.trim().is_empty() {
            bad.push(format!("{name}: no source"));
        }
        if s.summary.trim().is_empty() {
            bad.push(format!("{name}: no summary"));
        }
        if s.label != "healthy" && s.label != "broken" {
            bad.push(format!(
                "{name}: label {:?} is neither healthy nor broken",
                s.label
            ));
        }
        if !SEVERITIES.contains(&s.expect.verdict.as_str()) {
            bad.push(format!("{name}: verdict {:?}", s.expect.verdict));
        }
        for (id, sev) in &s.expect.findings {
            if !SEVERITIES.contains(&sev.as_str()) {
                bad.push(format!("{name}: {id} = {sev:?} is no severity"));
            }
            if s.label == "healthy" && (sev == "critical" || sev == "unknown") {
                bad.push(format!("{name}: labelled healthy but expects {id} = {sev}"));
            }
        }
        let worst = s
            .expect
            .findings
            .values()
            .map(|v| SEVERITIES.iter().position(|s| s == v).unwrap_or(0))
            .max()
            .unwrap_or(0);
        let verdict = SEVERITIES
            .iter()
            .position(|v| *v == s.expect.verdict)
            .unwrap_or(0);
        if worst != verdict {
            bad.push(format!(
                "{name}: verdict {} is not the worst expected finding's severity ({})",
                s.expect.verdict, SEVERITIES[worst]
            ));
        }
    }
    let healthy = states.iter().filter(|(_, s)| s.label == "healthy").count();
    assert!(
        states.len() >= MIN_STATES,
        "{} states in tests/states/, at least {MIN_STATES} wanted",
        states.len()
    );
    assert!(
        bad.is_empty(),
        "the corpus is inconsistent:\n{}",
        bad.join("\n")
    );

    // Every state, on a few threads (each is a handful of process spawns).
    let results: Vec<Mutex<Option<Got>>> = states.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(2, 4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((_, state)) = states.get(i) else {
                        break;
                    };
                    *results[i].lock().expect("result slot") = Some(run_state(state));
                }
            });
        }
    });
    let results: Vec<Got> = results
        .into_iter()
        .map(|m| m.into_inner().expect("slot").expect("every state ran"))
        .collect();

    let catalogue = catalogue();
    let mut failures = Vec::new();
    let mut false_reds = Vec::new();
    let mut off_catalogue = BTreeSet::new();
    for ((name, state), got) in states.iter().zip(&results) {
        let d = differences(state, got);
        if !d.is_empty() {
            failures.push(format!(
                "{name} ({}): {}\n    source: {}\n    {}",
                state.label,
                state.summary,
                state.source,
                d.join("\n    ")
            ));
        }
        if state.label == "healthy" {
            let reds: Vec<String> = got
                .findings
                .iter()
                .filter(|(_, s)| s.contains("critical") || s.contains("unknown"))
                .map(|(id, s)| format!("{id}={}", show_set(s)))
                .collect();
            if !reds.is_empty() || got.verdict == "critical" || got.verdict == "unknown" {
                false_reds.push(format!(
                    "{name}: verdict {}, {}",
                    got.verdict,
                    reds.join(", ")
                ));
            }
        }
        for (id, sevs) in &got.findings {
            for sev in sevs {
                match catalogue.get(id) {
                    None => {
                        off_catalogue.insert(format!(
                            "{id}={sev} (raised in {name}) is not in `diagnose --list`"
                        ));
                    }
                    Some((declared, words)) if !words.contains(sev) => {
                        off_catalogue.insert(format!(
                            "{id}={sev} (raised in {name}) is outside its declared severity {declared:?}"
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }

    let mut report = format!(
        "{} states ({healthy} healthy, {} broken): {} differ from their label, {} false red(s) on healthy states, {} finding(s) off their declared severity\n",
        states.len(),
        states.len() - healthy,
        failures.len(),
        false_reds.len(),
        off_catalogue.len()
    );
    if !failures.is_empty() {
        report.push_str("\nStates that differ:\n");
        for f in &failures {
            report.push_str(&format!("- {f}\n"));
        }
    }
    if !false_reds.is_empty() {
        report.push_str(&format!(
            "\nFalse reds (healthy states with a critical or unknown result): {}\n",
            false_reds.len()
        ));
        for f in &false_reds {
            report.push_str(&format!("- {f}\n"));
        }
    }
    if !off_catalogue.is_empty() {
        report.push_str("\nFindings whose severity is not among their rule's declared ones:\n");
        for f in &off_catalogue {
            report.push_str(&format!("- {f}\n"));
        }
    }
    eprintln!("{}", report.lines().next().unwrap_or(""));
    assert!(
        failures.is_empty() && false_reds.is_empty() && off_catalogue.is_empty(),
        "{report}"
    );
}

/// `config check` on the managed file of every healthy state, as a configuration
/// repository's CI would run it: Microsoft's own sample profiles (mdatp-xplat's, the full
/// Linux profile) set verification "disabled" without enabling offline updates, and must
/// not fail a pipeline (issue 25: they exited 2 with config-verify-sig-off).
#[test]
fn config_check_never_fails_a_healthy_states_managed_file() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (file, state) in load_states() {
        if state.label != "healthy" || state.mirror.is_some() {
            continue;
        }
        let text = match (&state.managed, &state.managed_fixture) {
            (Some(text), None) => {
                with_replacements(text.clone(), &state.managed_replace, "managed")
            }
            (None, Some(rel)) => fixture_text(rel)
                .and_then(|t| with_replacements(t, &state.managed_replace, "managed_fixture")),
            _ => continue,
        };
        let text = text.and_then(|t| expand(&t, None)).expect("managed text");
        let env = TestEnv::new();
        env.write_managed_config(&text);
        let out = env
            .cmd()
            .args(["config", "check", "--format", "json"])
            .arg(env.managed_config_path())
            .output()
            .expect("runs");
        checked += 1;
        let code = out.status.code();
        if !matches!(code, Some(0) | Some(1)) {
            failures.push(format!(
                "{file}: config check exited {code:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    assert!(checked >= 3, "only {checked} healthy managed files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
