//! What a person sees on a terminal: the binary runs on a real pty (a tmux pane, one
//! private tmux server per test) 80 and 120 columns wide, and the tests read the screen
//! back with `capture-pane`. Every table row is as wide as its border, no table reaches
//! past the right edge, colour shows on the pty and not with `NO_COLOR`, and colour never
//! moves a character. Plus the one case without a pty: a pipe gets 80 columns.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::server::{MirrorServer, MirrorTree};
use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, fake_mdatp_path, fixture_path};

const WIDTHS: [usize; 2] = [80, 120];

/// What the pane shows after the program, before its exit status and `]`.
const END: &str = "[screen-test exit ";

/// One private tmux server (its own socket and config) for one test.
struct Tmux {
    dir: tempfile::TempDir,
    runs: usize,
}

/// A finished run's screen: its text, the same with tmux's rendering of our colours
/// (`capture-pane -e`), wrapped lines joined (`-J`) so a line that ran past the right
/// edge shows as one long line; and the exit status.
struct Screen {
    text: String,
    escapes: String,
    status: String,
}

impl Tmux {
    fn new() -> Tmux {
        // Asked to run, it must run: a missing tool is a failure, never a silent pass.
        assert!(
            which::which("tmux").is_ok(),
            "tmux is not installed: `bash .ci/run` installs it"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        // The server stays between runs, so the next run never meets one shutting down.
        std::fs::write(
            dir.path().join("tmux.conf"),
            "set -g history-limit 20000\nset -s exit-empty off\n",
        )
        .expect("tmux.conf");
        Tmux { dir, runs: 0 }
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(self.dir.path().join("sock"))
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"))
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn capture(&self, session: &str, escapes: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-J", "-S", "-", "-E", "-"];
        if escapes {
            args.push("-e");
        }
        args.extend(["-t", session]);
        let out = self.tmux(&args);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        // The dead pane's notice is tmux's, not ours; trailing blanks are the pane's.
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("Pane is dead"))
            .map(str::trim_end)
            .collect();
        lines.join("\n").trim_end().to_string()
    }

    /// Starts `argv` (no shell) with `env` on a fresh pane `width` columns wide and
    /// returns the session's name.
    fn start(&mut self, width: usize, env: &[(String, String)], argv: &[String]) -> String {
        self.runs += 1;
        let session = format!("run{}", self.runs);
        let width = width.to_string();
        // `env` clears what would change the output: the test runner's COLUMNS or
        // NO_COLOR, proxies. tmux gives the pane its own TERM.
        let mut command: Vec<String> = ["env", "-u", "COLUMNS", "-u", "LINES", "-u", "NO_COLOR"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for var in [
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
        ] {
            command.extend(["-u".to_string(), var.to_string()]);
        }
        command.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        // After the program, its exit status on the screen: once that shows, everything
        // before it has been drawn. Then the pane stays open: a pty whose last writer
        // closed may lose the output tmux had not read yet.
        command.extend([
            "sh".to_string(),
            "-c".to_string(),
            format!(r#""$@"; printf '\n{END}%s]\n' "$?"; exec sleep 600"#),
            "sh".to_string(),
        ]);
        command.extend(argv.iter().cloned());
        let mut args: Vec<&str> = vec![
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            &width,
            "-y",
            "50",
            "--",
        ];
        args.extend(command.iter().map(String::as_str));
        let started = self.tmux(&args);
        assert!(
            started.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        session
    }

    /// Waits for the run to end (up to the hang guard: only a hang gets near it), reads its
    /// screen, closes it.
    fn finish(&self, session: &str) -> Screen {
        let deadline = Instant::now() + crate::testenv::HANG_GUARD;
        let (text, status) = loop {
            let text = self.capture(session, false);
            if let Some((before, status)) = text.rsplit_once(END) {
                break (
                    before.trim_end().to_string(),
                    status.trim_end_matches(']').to_string(),
                );
            }
            assert!(
                Instant::now() < deadline,
                "still running after {:?}:\n{text}",
                crate::testenv::HANG_GUARD
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let escapes = self.capture(session, true);
        let escapes = escapes
            .rsplit_once(END)
            .map(|(before, _)| before.trim_end().to_string())
            .unwrap_or(escapes);
        self.tmux(&["kill-session", "-t", session]);
        Screen {
            text,
            escapes,
            status,
        }
    }

    fn run(&mut self, width: usize, env: &[(String, String)], argv: &[String]) -> Screen {
        let session = self.start(width, env, argv);
        self.finish(&session)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// The world of [`TestEnv::cmd`] as variables for `env`.
fn world(env: &TestEnv) -> Vec<(String, String)> {
    let path = |p: &Path| p.display().to_string();
    let mut vars = vec![
        ("FAKE_MDATP_SCENARIO".to_string(), path(env.path())),
        ("MDATP_DOCTOR_MDATP".to_string(), path(&fake_mdatp_path())),
        (
            "MDATP_DOCTOR_MANAGED_CONFIG".to_string(),
            path(&env.managed_config_path()),
        ),
        ("MDATP_DOCTOR_STATE_DIR".to_string(), path(&env.state_dir())),
    ];
    vars.extend(
        env.endpoint_env()
            .into_iter()
            .map(|(k, v)| (k.to_string(), path(&v))),
    );
    vars
}

fn argv(args: &[&str]) -> Vec<String> {
    std::iter::once(env!("CARGO_BIN_EXE_mdatp-doctor").to_string())
        .chain(args.iter().map(|s| s.to_string()))
        .collect()
}

fn with(vars: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = vars.to_vec();
    all.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    all
}

/// `text` without SGR sequences.
fn strip_sgr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find(|c: char| c.is_ascii_alphabetic())
            .map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Columns a line takes: every character we print is one column wide (box drawing, ✓, ✗,
/// ASCII).
fn columns(line: &str) -> usize {
    line.chars().count()
}

/// Checks every table on `screen` (comfy-table's `╭` to `╰`): each row is as wide as its
/// top border, and the border fits `width`. Returns the tables' widths.
fn tables_fit(screen: &str, width: usize) -> Vec<usize> {
    let lines: Vec<&str> = screen.lines().collect();
    let mut widths = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with('╭') {
            i += 1;
            continue;
        }
        let border = columns(lines[i]);
        assert!(
            border <= width,
            "a {border}-column table on a {width}-column terminal:\n{screen}"
        );
        let mut j = i;
        loop {
            assert!(
                j < lines.len(),
                "a table without its bottom border:\n{screen}"
            );
            assert_eq!(
                columns(lines[j]),
                border,
                "row {} of a table is not as wide as its border:\n{}\n---\n{screen}",
                j - i,
                lines[j]
            );
            if lines[j].starts_with('╰') {
                break;
            }
            j += 1;
        }
        widths.push(border);
        i = j + 1;
    }
    assert!(!widths.is_empty(), "no table on the screen:\n{screen}");
    widths
}

/// Colour on the pty, the same characters without it, and no escape code shown as text.
fn colour_only_colours(coloured: &Screen, plain: &Screen) {
    assert!(
        coloured.escapes.contains("\x1b["),
        "no colour on the pty:\n{}",
        coloured.escapes
    );
    assert!(
        !plain.escapes.contains('\x1b'),
        "colour despite NO_COLOR:\n{:?}",
        plain.escapes
    );
    assert_eq!(
        strip_sgr(&coloured.escapes),
        plain.text,
        "colour moved characters"
    );
    for fragment in ["[0m", "[1m", "[2m", "[3", "\\x1b", "\\e["] {
        assert!(
            !coloured.text.contains(fragment),
            "escape fragment {fragment:?} shown as text:\n{}",
            coloured.text
        );
    }
}

/// A table's rows that start with `name` in the first column: the name is whole.
fn cell_whole(screen: &str, name: &str) {
    assert!(
        screen.lines().any(|l| l.starts_with(&format!("│ {name} "))),
        "{name} is not whole in its column:\n{screen}"
    );
}

/// The longest line of `screen` that holds no URL: what wrapping made, leaving aside a
/// URL that overflows whole.
fn widest_wrapped(screen: &str) -> usize {
    screen
        .lines()
        .filter(|l| !l.contains("://"))
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
#[ignore = "needs tmux (.ci/run installs it)"]
fn health_keeps_urls_whole_and_wraps_words_to_the_terminal() {
    let mut tmux = Tmux::new();
    // The 2025 sample, with a fail reason of many words (wraps) beside its URLs (never
    // split: a URL too long for the line overflows it whole).
    let sample =
        std::fs::read_to_string(fixture_path("mdatp/definitions/docs-2025.txt")).expect("fixture");
    let reason = "Failed to download the package because the proxy answered with a page ".repeat(3);
    let sample = sample
        .lines()
        .map(|l| {
            if l.starts_with("definitions_update_fail_reason") {
                format!("definitions_update_fail_reason : \"{}\"", reason.trim())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("health.txt");
    std::fs::write(&file, sample + "\n").expect("write");
    let args = argv(&["health", "--from-file", &file.display().to_string()]);
    let env = TestEnv::new();
    let vars = world(&env);
    let url_whole = |screen: &str| {
        for (name, url) in [
            (
                "definitions_update_source_uri",
                "https://go.microsoft.com/fwlink/?linkid=2144709",
            ),
            (
                "offline_definition_url_configured",
                "http://172.XX.XXX.XX:8000/linux/production/",
            ),
        ] {
            assert!(
                screen
                    .lines()
                    .any(|l| l.starts_with(name) && l.trim_end().ends_with(url)),
                "{url} is not whole on the line of {name}:\n{screen}"
            );
        }
    };
    for width in WIDTHS {
        let coloured = tmux.run(width, &vars, &args);
        assert_eq!(coloured.status, "0", "{}", coloured.text);
        let plain = tmux.run(width, &with(&vars, &[("NO_COLOR", "1")]), &args);
        colour_only_colours(&coloured, &plain);
        url_whole(&coloured.text);
        // The fail reason wrapped to fill the terminal, between words.
        let widest = widest_wrapped(&coloured.text);
        assert!(
            widest <= width && widest > width - 15,
            "wrapped to {widest} on {width} columns:\n{}",
            coloured.text
        );
        assert!(
            coloured
                .text
                .lines()
                .filter(|l| l.contains("proxy"))
                .count()
                > 1,
            "{}",
            coloured.text
        );
    }
    // `--color never` on a pty still wraps to the pty's width.
    let never = argv(&[
        "--color",
        "never",
        "health",
        "--from-file",
        &file.display().to_string(),
    ]);
    let screen = tmux.run(80, &vars, &never);
    assert!(widest_wrapped(&screen.text) <= 80, "{}", screen.text);
    assert!(!screen.escapes.contains('\x1b'), "{:?}", screen.escapes);
    url_whole(&screen.text);
    // A pty that says it has 0 columns gets 80, not one-character columns.
    let mut zero = vec![
        "sh".to_string(),
        "-c".to_string(),
        r#"stty cols 0 && exec "$@""#.to_string(),
        "sh".to_string(),
    ];
    zero.extend(argv(&["--color", "always", "health", "--from-file"]));
    zero.push(file.display().to_string());
    let screen = tmux.run(120, &vars, &zero);
    assert_eq!(screen.status, "0", "{}", screen.text);
    let widest = widest_wrapped(&screen.text);
    assert!(widest <= 80 && widest > 65, "{widest}:\n{}", screen.text);
    url_whole(&screen.text);
}

#[test]
#[ignore = "needs tmux (.ci/run installs it)"]
fn connectivity_steps_line_up_with_their_marks() {
    let mut tmux = Tmux::new();
    let tree = MirrorTree::healthy();
    let server = MirrorServer::http(tree.root.path());
    let mut env = TestEnv::new();
    env.health_with_url(&server.ring_url());
    let vars = world(&env);
    let args = argv(&["connectivity", "--arch", "x86_64"]);
    for width in WIDTHS {
        let coloured = tmux.run(width, &vars, &args);
        assert_eq!(coloured.status, "0", "{}", coloured.text);
        let plain = tmux.run(width, &with(&vars, &[("NO_COLOR", "1")]), &args);
        tables_fit(&coloured.text, width);
        // The durations differ run to run; the layout around them must not.
        tables_fit(&plain.text, width);
        assert!(coloured.escapes.contains("\x1b["), "{}", coloured.escapes);
        assert!(!plain.escapes.contains('\x1b'), "{:?}", plain.escapes);
        for step in ["dns", "tcp", "manifest", "package", "package_signature"] {
            assert!(
                coloured
                    .text
                    .lines()
                    .any(|l| l.starts_with(&format!("│ {step} ")) && l.contains(" ✓ ")),
                "{step} has no ✓ in its row:\n{}",
                coloured.text
            );
        }
    }
}

#[test]
#[ignore = "needs tmux (.ci/run installs it)"]
fn diagnose_and_its_catalogue_fit_the_terminal() {
    let mut tmux = Tmux::new();
    let mut env = TestEnv::new();
    env.on(
        DEFINITIONS,
        Reply::stdout(&Defs::healthy(crate::testenv::CLOUD).text()),
    )
    .on(
        "health",
        Reply::stdout(&crate::testenv::full_health("101.25012.0000")),
    );
    let vars = world(&env);
    let catalogue = TestEnv::new()
        .cmd()
        .args(["diagnose", "--list", "--format", "json"])
        .output()
        .expect("runs");
    let catalogue: serde_json::Value = serde_json::from_slice(&catalogue.stdout).expect("json");
    let ids: Vec<&str> = catalogue["catalogue"]
        .as_array()
        .expect("catalogue")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    for width in WIDTHS {
        let args = argv(&["diagnose", "--skip-network"]);
        let coloured = tmux.run(width, &vars, &args);
        let plain = tmux.run(width, &with(&vars, &[("NO_COLOR", "1")]), &args);
        assert!(coloured.text.contains("Verdict: "), "{}", coloured.text);
        colour_only_colours(&coloured, &plain);
        // The header's rows are aligned whatever their colour.
        let header: Vec<&str> = plain
            .text
            .lines()
            .skip_while(|l| *l != "Endpoint")
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            .collect();
        let starts: Vec<Option<usize>> = header.iter().map(|l| value_column(l)).collect();
        assert!(
            header.len() >= 3 && starts.iter().all(|s| *s == starts[0]),
            "{starts:?}\n{}",
            plain.text
        );

        let list = tmux.run(width, &vars, &argv(&["diagnose", "--list"]));
        assert_eq!(tables_fit(&list.text, width), [width], "{}", list.text);
        for id in &ids {
            cell_whole(&list.text, id);
        }
    }
}

/// Where the value of a `  key  value` row starts.
fn value_column(line: &str) -> Option<usize> {
    let body = line.strip_prefix("  ")?;
    let key = body.find("  ")?;
    let gap = body[key..].find(|c| c != ' ')?;
    Some(2 + key + gap)
}

#[test]
fn a_pipe_gets_80_columns() {
    let out = TestEnv::new()
        .cmd()
        .env_remove("COLUMNS")
        .args(["diagnose", "--list"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(tables_fit(&text, 80), [80], "{text}");
    // COLUMNS, when set, is the width a pipe has.
    let out = TestEnv::new()
        .cmd()
        .env("COLUMNS", "100")
        .args(["diagnose", "--list"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(tables_fit(&text, 100), [100], "{text}");
}

#[test]
#[ignore = "needs tmux (.ci/run installs it)"]
fn update_shows_its_progress_then_iso_dates() {
    let mut tmux = Tmux::new();
    let mirror = "http://127.0.0.1:9/linux/production/";
    for width in WIDTHS {
        let before = Defs::healthy(mirror);
        let mut after = Defs::healthy(mirror);
        after.version = "1.407.500.0";
        after.hours_ago = 0;
        let mut env = TestEnv::new();
        env.on(DEFINITIONS, Reply::stdout(&before.text()))
            // Long enough for the progress display to be seen.
            .on(
                "definitions update",
                Reply::stdout("Security intelligence is up to date\n")
                    .sleep_ms(3000)
                    .then("after"),
            )
            .on_in("after", DEFINITIONS, Reply::stdout(&after.text()));
        env.write_managed_config(&crate::testenv::config_for(mirror, false));
        let args = argv(&["update", "--poll-interval", "100ms", "--wait-timeout", "30"]);
        let session = tmux.start(width, &world(&env), &args);
        let deadline = Instant::now() + crate::testenv::HANG_GUARD;
        let progress = loop {
            let screen = tmux.capture(&session, false);
            if screen.contains("running mdatp definitions update") {
                break screen;
            }
            assert!(
                Instant::now() < deadline && !screen.contains(END),
                "no progress shown:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        for line in progress.lines() {
            assert!(columns(line) <= width, "{line:?} past the edge");
        }
        let done = tmux.finish(&session);
        assert_eq!(done.status, "0", "{}", done.text);
        assert!(
            !done.text.contains("running mdatp definitions update"),
            "the progress display was left behind:\n{}",
            done.text
        );
        let updated: Vec<&str> = done
            .text
            .lines()
            .filter(|l| l.starts_with("Before") || l.starts_with("After"))
            .collect();
        assert_eq!(updated.len(), 2, "{}", done.text);
        for line in updated {
            let date = line
                .split("updated ")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .unwrap_or_else(|| panic!("no date in {line:?}"));
            // 2026-11-27 09:12:44, as health and diagnose show dates.
            assert!(
                jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", date).is_ok(),
                "{date:?} is not an ISO date in {line:?}"
            );
        }
    }
}

#[test]
#[ignore = "needs tmux (.ci/run installs it)"]
fn config_check_colours_its_findings_only_on_a_terminal() {
    let mut tmux = Tmux::new();
    let env = TestEnv::new();
    let file: PathBuf = fixture_path("managed/docs-2024-draft-wrong-section.json");
    let args = argv(&["config", "check", &file.display().to_string()]);
    let vars = world(&env);
    for width in WIDTHS {
        let coloured = tmux.run(width, &vars, &args);
        assert_ne!(coloured.status, "0", "{}", coloured.text);
        let plain = tmux.run(width, &with(&vars, &[("NO_COLOR", "1")]), &args);
        assert!(coloured.text.contains("fix: "), "{}", coloured.text);
        colour_only_colours(&coloured, &plain);
    }
}

#[test]
#[ignore = "needs tmux (.ci/run installs it)"]
fn aggregate_tables_fit_the_terminal() {
    let mut tmux = Tmux::new();
    let reports = tempfile::tempdir().expect("tempdir");
    let mirror = "http://127.0.0.1:9/linux/production/";
    let mut stale = Defs::healthy(mirror);
    stale.hours_ago = 30;
    for (host, defs) in [("web-01", Defs::healthy(mirror)), ("db-02", stale)] {
        let mut env = TestEnv::new();
        env.on(DEFINITIONS, Reply::stdout(&defs.text())).on(
            "health",
            Reply::stdout(&crate::testenv::full_health("101.25012.0000")),
        );
        env.write_managed_config(&crate::testenv::config_for(mirror, false));
        let out = env
            .cmd()
            .args(["diagnose", "--format", "json", "--skip-network"])
            .output()
            .expect("runs");
        let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report");
        report["snapshot"]["hostname"] = host.into();
        std::fs::write(
            reports.path().join(format!("{host}.json")),
            report.to_string(),
        )
        .expect("write");
    }
    let env = TestEnv::new();
    let vars = world(&env);
    let args = argv(&["aggregate", &reports.path().display().to_string()]);
    for width in WIDTHS {
        let coloured = tmux.run(width, &vars, &args);
        let plain = tmux.run(width, &with(&vars, &[("NO_COLOR", "1")]), &args);
        // Two tables (verdicts, findings), then the mirror as a block: its URL whole on
        // its own line, its labelled lines within the width.
        assert_eq!(
            tables_fit(&coloured.text, width).len(),
            2,
            "{}",
            coloured.text
        );
        colour_only_colours(&coloured, &plain);
        cell_whole(&coloured.text, "definitions-stale");
        assert!(
            coloured.text.lines().any(|l| l == mirror),
            "the URL is not whole on its line:\n{}",
            coloured.text
        );
        assert!(
            coloured.text.lines().all(|l| l.chars().count() <= width),
            "{}",
            coloured.text
        );
        assert!(
            coloured
                .text
                .contains("  Endpoints:    2 (ok 1, warning 1)"),
            "{}",
            coloured.text
        );
    }
}
