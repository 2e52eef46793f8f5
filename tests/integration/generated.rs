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

/// The README's findings table is made from the rule declarations, like the man pages.
#[test]
fn the_readme_findings_table_is_up_to_date() {
    let env = TestEnv::new();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(repo.join("README.md")).expect("README");
    let dir = env.path().join("fresh");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("README.md"), &readme).expect("copy");
    env.cmd()
        .args(["generate", "--out-dir"])
        .arg(&dir)
        .assert()
        .success();
    let fresh = std::fs::read_to_string(dir.join("README.md")).expect("regenerated");
    assert!(
        fresh.contains("| `mdatp-not-found` | unknown |"),
        "the README has no generated findings table"
    );
    assert!(
        fresh == readme,
        "the README's findings table is stale; run `cargo run -- generate`"
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
