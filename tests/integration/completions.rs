//! The generated completion scripts, driven in the real shells as a person's TAB would:
//! bash through its completion function, fish through `complete -C`, zsh on a real pty
//! (tmux). Each checks a subcommand's flags, `check --format` values, `config`'s
//! subcommands, `--explain`'s finding ids, and that the developers' `generate` is offered
//! nowhere.

use std::path::Path;
use std::process::Command;

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(name)
        .display()
        .to_string()
}

/// What bash completes for `words`, the last being the word under the cursor.
fn bash(words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    // The script is ours and fixed; the words are test constants.
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _mdatp__doctor mdatp-doctor '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script("mdatp-doctor.bash"),
        quoted.join(" "),
        words[cword],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_past_the_subcommand() {
    let top = bash(&["mdatp-doctor", ""]);
    assert!(top.iter().any(|w| w == "diagnose"), "{top:?}");
    assert!(!top.iter().any(|w| w == "generate"), "{top:?}");
    let diagnose = bash(&["mdatp-doctor", "diagnose", "--"]);
    for flag in ["--skip-network", "--list", "--explain", "--warn-age"] {
        assert!(
            diagnose.iter().any(|w| w == flag),
            "{flag} not in {diagnose:?}"
        );
    }
    assert!(
        !diagnose.iter().any(|w| w == "--textfile-dir"),
        "{diagnose:?}"
    );
    let formats = bash(&["mdatp-doctor", "check", "--format", ""]);
    for f in ["nagios", "prometheus", "checkmk", "json"] {
        assert!(formats.iter().any(|w| w == f), "{f} not in {formats:?}");
    }
    let config = bash(&["mdatp-doctor", "config", ""]);
    assert!(config.iter().any(|w| w == "check"), "{config:?}");
    // --explain completes finding ids from the catalogue, not file names (the tests run
    // in the repository, where `Car` would give Cargo.toml and Cargo.lock).
    let mut ids = bash(&["mdatp-doctor", "diagnose", "--explain", "url-mi"]);
    ids.sort();
    assert_eq!(ids, ["url-mismatch", "url-missing"], "{ids:?}");
    let every = bash(&["mdatp-doctor", "diagnose", "--explain", ""]);
    assert!(
        every.iter().any(|w| w == "mirror-host-no-package"),
        "{every:?}"
    );
    let files = bash(&["mdatp-doctor", "diagnose", "--explain", "Car"]);
    assert!(files.iter().all(|w| w.is_empty()), "{files:?}");
}

#[test]
#[ignore = "needs fish (.ci/run installs it)"]
fn fish_completes_flags_formats_and_subcommands() {
    let complete = |line: &str| -> String {
        let out = Command::new("fish")
            .args(["--no-config", "-c"])
            .arg(format!(
                "source '{}'; complete -C '{line}'",
                script("mdatp-doctor.fish")
            ))
            .output()
            .expect("fish is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let diagnose = complete("mdatp-doctor diagnose --");
    assert!(diagnose.contains("--skip-network"), "{diagnose}");
    let formats = complete("mdatp-doctor check --format ");
    assert!(
        formats.contains("prometheus") && formats.contains("checkmk"),
        "{formats}"
    );
    let config = complete("mdatp-doctor config ");
    assert!(config.lines().any(|l| l.starts_with("check")), "{config}");
    let top = complete("mdatp-doctor ");
    assert!(
        top.contains("diagnose") && !top.contains("generate"),
        "{top}"
    );
    let ids = complete("mdatp-doctor diagnose --explain url-mi");
    let ids: Vec<&str> = ids
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(l))
        .collect();
    assert_eq!(ids, ["url-mismatch", "url-missing"], "{ids:?}");
    let files = complete("mdatp-doctor diagnose --explain Car");
    assert!(files.trim().is_empty(), "{files}");
}

/// Types `line` and TAB into zsh on a tmux pty and returns the screen once `expect`
/// shows (or after 10 s).
fn zsh_screen(session: &str, line: &str, expect: &str) -> String {
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux is installed")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let zdotdir = dir.path();
    std::fs::write(
        zdotdir.join(".zshrc"),
        format!(
            "fpath=('{}' $fpath)\nautoload -U compinit\ncompinit -u -d '{}/zcompdump'\nLISTMAX=1000\nPROMPT='%% '\n",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("completions").display(),
            zdotdir.display()
        ),
    )
    .expect("zshrc");
    let zdot = format!("ZDOTDIR={}", zdotdir.display());
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "200",
        "-y",
        "50",
        "env",
        &zdot,
        "zsh",
        "-i",
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let screen = || {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", session]).stdout).into_owned()
    };
    // Wait for the prompt, type, TAB, and wait for the list to settle.
    // Up to the hang guard: a shell that is slow to start on a loaded machine is waited for.
    let wait = |pred: &dyn Fn(&str) -> bool| {
        let until = std::time::Instant::now() + crate::testenv::HANG_GUARD;
        while std::time::Instant::now() < until {
            let s = screen();
            if pred(&s) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        screen()
    };
    // capture-pane trims trailing blanks: the prompt "% " shows as "%".
    wait(&|s| s.lines().any(|l| l.starts_with('%')));
    tmux(&["send-keys", "-t", session, "-l", line]);
    tmux(&["send-keys", "-t", session, "Tab"]);
    let shown = wait(&|s| s.contains(expect));
    tmux(&["kill-session", "-t", session]);
    shown
}

#[test]
#[ignore = "needs zsh and tmux (.ci/run installs them)"]
fn zsh_completes_on_a_real_terminal() {
    let pid = std::process::id();
    let diagnose = zsh_screen(
        &format!("zsh-diag-{pid}"),
        "mdatp-doctor diagnose --",
        "--skip-network",
    );
    assert!(diagnose.contains("--skip-network"), "{diagnose}");
    let formats = zsh_screen(
        &format!("zsh-fmt-{pid}"),
        "mdatp-doctor check --format ",
        "checkmk",
    );
    assert!(
        formats.contains("prometheus") && formats.contains("checkmk"),
        "{formats}"
    );
    let top = zsh_screen(&format!("zsh-top-{pid}"), "mdatp-doctor ", "diagnose");
    assert!(top.contains("diagnose"), "{top}");
    assert!(!top.contains("generate"), "{top}");
    // --explain lists finding ids, and a unique prefix completes to one.
    let ids = zsh_screen(
        &format!("zsh-explain-{pid}"),
        "mdatp-doctor diagnose --explain url-mis",
        "url-missing",
    );
    assert!(
        ids.contains("url-mismatch") && ids.contains("url-missing"),
        "{ids}"
    );
    let one = zsh_screen(
        &format!("zsh-explain1-{pid}"),
        "mdatp-doctor diagnose --explain mirror-host-no-pa",
        "mirror-host-no-package",
    );
    assert!(one.contains("--explain mirror-host-no-package"), "{one}");
}
