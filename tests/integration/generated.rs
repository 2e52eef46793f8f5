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
