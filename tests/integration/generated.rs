//! completions/ and man/ are generated from the clap definition and checked in; this
//! fails when they are stale. Regenerate with `cargo run -- generate`.

use std::collections::BTreeSet;
use std::path::Path;

use crate::testenv::TestEnv;

fn files_under(root: &Path, sub: &str) -> BTreeSet<String> {
    std::fs::read_dir(root.join(sub))
        .map(|rd| {
            rd.map(|e| format!("{sub}/{}", e.expect("entry").file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let env = TestEnv::new();
    let fresh = env.path().join("fresh");
    env.cmd()
        .args(["generate", "--out-dir"])
        .arg(&fresh)
        .assert()
        .success();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for sub in ["completions", "man"] {
        let expected = files_under(&fresh, sub);
        assert!(!expected.is_empty());
        let present = files_under(repo, sub);
        for extra in present.difference(&expected) {
            stale.push(format!("{extra} is no longer generated"));
        }
        for rel in &expected {
            let new = std::fs::read(fresh.join(rel)).expect("generated");
            if std::fs::read(repo.join(rel)).ok().as_deref() != Some(&new[..]) {
                stale.push(format!("{rel} differs"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale; run `cargo run -- generate`:\n{}",
        stale.join("\n")
    );
    let man = std::fs::read_to_string(fresh.join("man/mdatp-doctor-health.1")).expect("man page");
    assert!(
        man.contains("timeout"),
        "global options are documented per subcommand"
    );
}

/// The findings catalogue in docs/findings.md is made from the rule declarations, like
/// the man pages.
#[test]
fn the_findings_table_is_up_to_date() {
    let env = TestEnv::new();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(repo.join("docs/findings.md")).expect("docs/findings.md");
    let dir = env.path().join("fresh");
    std::fs::create_dir_all(dir.join("docs")).expect("dir");
    std::fs::write(dir.join("docs/findings.md"), &doc).expect("copy");
    env.cmd()
        .args(["generate", "--out-dir"])
        .arg(&dir)
        .assert()
        .success();
    let fresh = std::fs::read_to_string(dir.join("docs/findings.md")).expect("regenerated");
    assert!(
        fresh.contains("| `mdatp-not-found` | unknown |"),
        "docs/findings.md has no generated findings table"
    );
    assert!(
        fresh == doc,
        "the findings table in docs/findings.md is stale; run `cargo run -- generate`"
    );
}

/// `--help` of a subcommand: its own options first, then the shared ones under their own
/// heading.
#[test]
fn subcommand_help_lists_the_global_options_under_their_own_heading() {
    let env = TestEnv::new();
    for sub in [&["diagnose"][..], &["config", "check"], &["mirror", "run"]] {
        let out = env.cmd().args(sub).arg("--help").output().expect("runs");
        let help = String::from_utf8_lossy(&out.stdout);
        let heading = help
            .find("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("{sub:?}: no heading:\n{help}"));
        let (own, global) = help.split_at(heading);
        for opt in [
            "--mdatp <PATH>",
            "--managed-config <PATH>",
            "--format <FORMAT>",
            "--color <COLOR>",
            "--timeout <SECS>",
            "-v, --verbose",
            "--state-dir <DIR>",
        ] {
            assert!(global.contains(opt), "{sub:?}: {opt} not under the heading");
            assert!(!own.contains(opt), "{sub:?}: {opt} before the heading");
        }
        assert!(own.contains("\nOptions:\n"), "{sub:?}:\n{help}");
    }
}

/// Each command's `--format` offers only what the command prints: in its help, in the
/// completions, and in the error for anything else.
#[test]
fn each_command_offers_only_the_formats_it_prints() {
    let env = TestEnv::new();
    let help = |args: &[&str]| {
        let out = env.cmd().args(args).arg("--help").output().expect("runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let at = text.find("--format <FORMAT>").expect("--format in help");
        let end = text[at..]
            .find("\n\n      --")
            .map_or(text.len(), |e| at + e);
        text[at..end].to_string()
    };
    for sub in [
        &["health"][..],
        &["connectivity"],
        &["diagnose"],
        &["update"],
        &["bundle"],
        &["aggregate"],
        &["config", "check"],
        &["config", "fix"],
        &["mirror", "run"],
    ] {
        let format = help(sub);
        assert!(format.contains("- json:"), "{sub:?}: {format}");
        for other in ["nagios", "prometheus", "checkmk"] {
            assert!(!format.contains(other), "{sub:?} offers {other}: {format}");
        }
    }
    for sub in [&["check"][..], &["mirror", "check"]] {
        let format = help(sub);
        for f in ["human", "json", "nagios", "prometheus", "checkmk"] {
            assert!(
                format.contains(&format!("- {f}:")),
                "{sub:?} lacks {f}: {format}"
            );
        }
    }
    assert!(help(&["check"]).contains("[default: nagios]"));

    // Refused with the value as typed and the format's name in prose, wherever the option
    // stands on the command line.
    for args in [
        &["health", "--format", "nagios"][..],
        &["--format", "nagios", "health"],
    ] {
        let out = env.cmd().args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(64), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "invalid value 'nagios' for '--format <FORMAT>': Nagios output is only for `check`"
            ),
            "{args:?}: {err}"
        );
        assert!(err.contains("[possible values: human, json]"), "{err}");
    }
    let out = env
        .cmd()
        .args(["diagnose", "--format", "Checkmk"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(64));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid value 'Checkmk'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The generated completions follow the definition.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fish = std::fs::read_to_string(repo.join("completions/mdatp-doctor.fish")).expect("fish");
    let start = fish
        .find("__fish_mdatp_doctor_using_subcommand health\" -l format")
        .expect("health's --format in the fish completions");
    let end = fish[start..]
        .find("\ncomplete ")
        .map_or(fish.len(), |e| start + e);
    let health = &fish[start..end];
    assert!(
        health.contains("json") && !health.contains("nagios"),
        "{health}"
    );
}
