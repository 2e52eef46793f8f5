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

/// The README's first command runs on examples/broken-endpoint.tar.gz: the bundle must be
/// what today's `bundle` writes for that endpoint (same files, same findings, same tool
/// version), today's rules must find in it what its own report found, and the README
/// must show today's output on it. `UPDATE_EXAMPLES=1 cargo test --test integration
/// example_bundle` regenerates the bundle and the README's copy of the output.
#[test]
fn the_example_bundle_and_its_readme_output_are_up_to_date() {
    use crate::from_bundle::{EXAMPLE, make_example};
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = TestEnv::new();
    let fresh = env.path().join("fresh.tar.gz");
    let (_world, _tree, _server) = make_example(&fresh);
    let example = repo.join(EXAMPLE);
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        std::fs::copy(&fresh, &example).expect("write the example");
    }
    let (old, new) = (
        crate::bundle::read_bundle(&example),
        crate::bundle::read_bundle(&fresh),
    );
    let regenerate = "run `UPDATE_EXAMPLES=1 cargo test --test integration example_bundle`";
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>(),
        "the example bundle's files differ from what `bundle` writes today; {regenerate}"
    );
    let json = |files: &std::collections::BTreeMap<String, Vec<u8>>, name: &str| {
        serde_json::from_slice::<serde_json::Value>(&files[name]).expect("json")
    };
    let (old_report, new_report) = (json(&old, "report.json"), json(&new, "report.json"));
    assert_eq!(
        crate::testenv::ids(&old_report),
        crate::testenv::ids(&new_report),
        "the example bundle's report differs from today's; {regenerate}"
    );
    assert_eq!(
        json(&old, "MANIFEST.json")["tool"],
        json(&new, "MANIFEST.json")["tool"],
        "the example bundle was written by another version; {regenerate}"
    );
    for name in [
        "mdatp/health-definitions.txt",
        "mdatp/health.txt",
        "history.jsonl",
        "endpoint.json",
    ] {
        assert!(
            old[name] == new[name],
            "{name} in the example bundle is stale; {regenerate}"
        );
    }

    // Today's rules on it find what its report found; the README shows that output.
    let out = env
        .cmd()
        .current_dir(repo)
        .env("MDATP_DOCTOR_MDATP", env.path().join("no-mdatp"))
        .env("COLUMNS", "100")
        .args(["diagnose", "--from-bundle", EXAMPLE])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert!(text.contains("the same findings as then"), "{text}");
    assert_eq!(out.status.code(), Some(2), "{text}");
    let readme_path = repo.join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("README");
    let (start, end) = (
        "<!-- example-output:start -->\n",
        "<!-- example-output:end -->",
    );
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("the README has no example output block");
    };
    // Short in the README: each finding's evidence and fix (indented) are left out.
    let mut short = String::new();
    let mut elided = false;
    for line in text.lines() {
        if line.starts_with("    ") {
            if !elided {
                short.push_str("    …\n");
            }
            elided = true;
        } else {
            short.push_str(line);
            short.push('\n');
            elided = false;
        }
    }
    let block =
        format!("```text\n$ cargo run --release -- diagnose --from-bundle {EXAMPLE}\n{short}```\n");
    let current = &readme[a + start.len()..b];
    if std::env::var_os("UPDATE_EXAMPLES").is_some() {
        let updated = format!("{}{block}{}", &readme[..a + start.len()], &readme[b..]);
        std::fs::write(&readme_path, updated).expect("write README");
        return;
    }
    assert!(
        current == block,
        "the README's example output is stale; {regenerate}\n--- README\n{current}\n--- today\n{block}"
    );
}
