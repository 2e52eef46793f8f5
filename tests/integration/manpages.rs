//! The man pages in man/: one per command and subcommand, every page they name present,
//! the sections an admin looks for, examples that are real command lines, and pages that
//! `man` renders without a warning.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{CommandFactory, Parser};
use mdatp_doctor::cli::Cli;

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("man")
}

/// Every page in man/, as (file name, text).
fn pages() -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = std::fs::read_dir(man_dir())
        .expect("man/")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("page"))
        })
        .collect();
    pages.sort();
    assert!(pages.len() > 1, "man/ holds no pages");
    pages
}

/// The page names the command tree calls for: the binary, each visible subcommand, each
/// of theirs (`mdatp-doctor-config-check`).
fn expected_pages(cmd: &clap::Command, prefix: &str, out: &mut BTreeSet<String>) {
    out.insert(format!("{prefix}.1"));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        expected_pages(sub, &format!("{prefix}-{}", sub.get_name()), out);
    }
}

/// The text of one section (`.SH NAME` up to the next `.SH`).
fn section<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let quoted = format!(".SH \"{name}\"\n");
    let plain = format!(".SH {name}\n");
    let start = page
        .find(&quoted)
        .map(|i| i + quoted.len())
        .or_else(|| page.find(&plain).map(|i| i + plain.len()))?;
    let end = page[start..]
        .find("\n.SH ")
        .map_or(page.len(), |i| start + i + 1);
    Some(&page[start..end])
}

/// roff text back to plain text, for the escapes the generator writes.
fn unroff(s: &str) -> String {
    s.replace("\\fB", "")
        .replace("\\fR", "")
        .replace("\\fI", "")
        .replace("\\-", "-")
        .replace("\\*(Aq", "'")
        .replace("\\e", "\\")
        .replace("\\&", "")
}

#[test]
fn every_command_and_subcommand_has_a_page() {
    let mut expected = BTreeSet::new();
    expected_pages(&Cli::command(), "mdatp-doctor", &mut expected);
    for leaf in [
        "mdatp-doctor-config-check.1",
        "mdatp-doctor-config-fix.1",
        "mdatp-doctor-mirror-check.1",
        "mdatp-doctor-mirror-run.1",
    ] {
        assert!(expected.contains(leaf), "{leaf} is not in the tree walk");
    }
    let present: BTreeSet<String> = pages().into_iter().map(|(name, _)| name).collect();
    let missing: Vec<_> = expected.difference(&present).collect();
    assert!(missing.is_empty(), "no page for {missing:?}");
    let extra: Vec<_> = present.difference(&expected).collect();
    assert!(extra.is_empty(), "pages for no command: {extra:?}");
}

#[test]
fn every_page_a_page_names_exists() {
    let refs =
        regex::Regex::new(r"(mdatp\\-doctor(?:\\-[a-z]+)*)(?:\\fR)?\((\d)\)").expect("regex");
    let present: BTreeSet<String> = pages().into_iter().map(|(name, _)| name).collect();
    let mut dangling = Vec::new();
    let mut seen = 0;
    for (name, text) in pages() {
        for cap in refs.captures_iter(&text) {
            seen += 1;
            let target = format!("{}.{}", cap[1].replace("\\-", "-"), &cap[2]);
            if !present.contains(&target) {
                dangling.push(format!("{name} names {target}"));
            }
        }
        assert!(!text.contains("doctor\\-help"), "{name} names a help page");
    }
    assert!(
        seen > 20,
        "the reference pattern found only {seen} references"
    );
    assert!(dangling.is_empty(), "{}", dangling.join("\n"));
}

#[test]
fn every_page_has_exit_status_environment_examples_and_see_also() {
    for (name, text) in pages() {
        for s in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "EXIT STATUS",
            "ENVIRONMENT",
            "EXAMPLES",
            "SEE ALSO",
        ] {
            assert!(section(&text, s).is_some(), "{name} has no {s} section");
        }
        let exit = unroff(section(&text, "EXIT STATUS").expect("exit status"));
        // A page of a command that runs something says what 0 and a usage error mean; the
        // parents (config, mirror) send the reader to their subcommands' pages.
        let parent = ["mdatp-doctor-config.1", "mdatp-doctor-mirror.1"].contains(&name.as_str());
        if parent {
            assert!(exit.contains("(1)"), "{name}: {exit}");
        } else {
            assert!(
                exit.lines().any(|l| l == "0" || l.starts_with("0,")),
                "{name}: {exit}"
            );
            assert!(exit.lines().any(|l| l == "64"), "{name}: {exit}");
        }
    }
    let files = |page: &str| {
        let text = std::fs::read_to_string(man_dir().join(page)).expect("page");
        unroff(section(&text, "FILES").unwrap_or_else(|| panic!("{page} has no FILES")))
    };
    assert!(
        files("mdatp-doctor.1").contains("/etc/opt/microsoft/mdatp/managed/mdatp_managed.json")
    );
    assert!(files("mdatp-doctor.1").contains("/var/lib/mdatp-doctor/"));
    assert!(files("mdatp-doctor.1").contains("history.jsonl"));
    assert!(files("mdatp-doctor.1").contains("/var/log/microsoft/mdatp/"));
    assert!(files("mdatp-doctor-config-fix.1").contains("<state dir>/backups/"));
    assert!(files("mdatp-doctor-update.1").contains("update.lock"));
    assert!(files("mdatp-doctor-mirror-run.1").contains("xplat_offline_updates_download.sh"));
    // Exit statuses that differ from the common table are on their command's page.
    let exit = |page: &str| {
        let text = std::fs::read_to_string(man_dir().join(page)).expect("page");
        unroff(section(&text, "EXIT STATUS").expect("exit status"))
    };
    assert!(exit("mdatp-doctor-aggregate.1").contains("--exit-zero"));
    assert!(
        exit("mdatp-doctor-aggregate.1")
            .contains("Precedence, highest first: critical (2), unknown or unreadable (3)")
    );
    assert!(exit("mdatp-doctor-check.1").contains("prometheus, checkmk or icinga"));
    assert!(exit("mdatp-doctor-update.1").contains("fallback"));
    assert!(exit("mdatp-doctor-bundle.1").contains("collectors failed"));
    assert!(exit("mdatp-doctor-mirror-run.1").contains("holds the lock"));
}

/// Every MDATP_DOCTOR_* variable the source reads is either a user setting, documented on
/// every page, or a test hook, documented on none.
#[test]
fn the_environment_section_lists_the_settings_and_no_test_hook() {
    let test_hooks = [
        "MDATP_DOCTOR_OFFBOARD_FILE",
        "MDATP_DOCTOR_DEFINITIONS_DIR",
        "MDATP_DOCTOR_OS_RELEASE",
        "MDATP_DOCTOR_SYSTEMCTL",
        "MDATP_DOCTOR_DIAG_DIR",
        "MDATP_DOCTOR_TEST_ABORT_BEFORE_RENAME",
        "MDATP_DOCTOR_TEST_HOLD_BEFORE_RENAME",
        // A journal namespace's socket, for the SIEM tests.
        "MDATP_DOCTOR_JOURNAL_SOCKET",
        // A fixed clock and host name for the example bundle.
        "MDATP_DOCTOR_TEST_NOW",
        "MDATP_DOCTOR_TEST_HOSTNAME",
        // Kills mirror promote/rollback at a named point (the kill -9 tests).
        "MDATP_DOCTOR_TEST_KILL_AT",
    ];
    // Field names of the journal entries (`--journal`), not variables.
    let journal_fields = [
        "MDATP_DOCTOR_COMMAND",
        "MDATP_DOCTOR_DATASET",
        "MDATP_DOCTOR_EVENT",
        "MDATP_DOCTOR_OUTCOME",
        "MDATP_DOCTOR_RULE_ID",
        "MDATP_DOCTOR_RUN_ID",
        "MDATP_DOCTOR_SEVERITY",
        "MDATP_DOCTOR_VERDICT",
    ];
    let name = regex::Regex::new(r#""(MDATP_DOCTOR_[A-Z_]+)""#).expect("regex");
    let mut read = BTreeSet::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                read.extend(name.captures_iter(&text).map(|c| c[1].to_string()));
            }
        }
    }
    assert!(read.contains("MDATP_DOCTOR_STATE_DIR"), "{read:?}");
    let settings: Vec<&String> = read
        .iter()
        .filter(|v| !test_hooks.contains(&v.as_str()) && !journal_fields.contains(&v.as_str()))
        .collect();
    assert_eq!(settings.len(), 3, "new user settings? {settings:?}");
    for (page, text) in pages() {
        let env = unroff(section(&text, "ENVIRONMENT").expect("environment"));
        for var in &settings {
            assert!(env.contains(var.as_str()), "{page} does not document {var}");
        }
        for var in ["NO_COLOR", "COLUMNS"] {
            assert!(env.contains(var), "{page} does not document {var}");
        }
        for hook in test_hooks {
            assert!(!text.contains(hook), "{page} documents {hook}");
        }
    }
}

/// The examples are command lines the binary accepts, 2 to 4 per page.
#[test]
fn every_example_is_a_command_line_the_binary_accepts() {
    for (page, text) in pages() {
        let examples = section(&text, "EXAMPLES").expect("examples");
        let lines: Vec<String> = examples
            .split(".TP\n")
            .skip(1)
            .filter_map(|item| item.lines().next())
            .map(unroff)
            .collect();
        assert!(
            (2..=4).contains(&lines.len()),
            "{page} has {} examples",
            lines.len()
        );
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words[0], "mdatp-doctor", "{page}: {line}");
            if let Err(e) = Cli::try_parse_from(&words) {
                panic!("{page}: `{line}` is refused:\n{e}");
            }
        }
    }
}

/// Each command's `--help` ends with its man page's examples, the same lines in the same
/// order (one source, `cli::examples`), so the two cannot drift.
#[test]
fn every_long_help_ends_with_its_man_pages_examples() {
    for (page, text) in pages() {
        let examples = section(&text, "EXAMPLES").expect("examples");
        let mut want = String::from("Examples:");
        for item in examples.split(".TP\n").skip(1) {
            let mut lines = item.lines();
            let line = unroff(lines.next().expect("command line"));
            let what = unroff(lines.next().expect("what it does"));
            want.push_str(&format!("\n  {line}\n      {what}"));
        }
        let path: Vec<&str> = page
            .trim_end_matches(".1")
            .trim_start_matches("mdatp-doctor")
            .split('-')
            .filter(|w| !w.is_empty())
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
            .args(&path)
            .arg("--help")
            // Wide enough that no example line is wrapped.
            .env("COLUMNS", "400")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{page}");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.trim_end().ends_with(&want),
            "{page}: `{}` does not end with\n{want}\n---\n{help}",
            path.join(" ")
        );
    }
    // Short help (-h) stays short: no examples.
    let out = Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"))
        .args(["diagnose", "-h"])
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Examples:"));
}

#[test]
#[ignore = "needs man (Debian's man-db; .ci/run installs it)"]
fn man_renders_every_page_without_a_warning() {
    // Asked to run, it must run: a missing tool is a failure, never a silent pass.
    assert!(
        which::which("man").is_ok(),
        "man is not installed: `bash .ci/run` installs man-db"
    );
    let render = |page: &Path| {
        let out = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(page)
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env_remove("MANOPT")
            .output()
            .expect("man runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.stdout.len(),
        )
    };
    // The check can fail: a page with an unknown macro and a bad escape is reported.
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.1");
    std::fs::write(
        &broken,
        ".TH BROKEN 1\n.SH NAME\nbroken \\- a page\n.XX what\n\\qbad\n",
    )
    .expect("write");
    let (_, stderr, _) = render(&broken);
    assert!(
        !stderr.is_empty(),
        "man reports no warning for a broken page"
    );
    for (name, _) in pages() {
        let (ok, stderr, rendered) = render(&man_dir().join(&name));
        assert!(ok && stderr.is_empty(), "man warns about {name}:\n{stderr}");
        assert!(rendered > 500, "{name} renders to {rendered} bytes");
    }
}
