//! tests/fixtures/{mdatp,managed,mirror} copy the project's shared captures (../shared/fixtures),
//! kept in the repo so a clone tests on its own. Where the shared folder is present (as in
//! CI), the copy must match it file for file, byte for byte; the `synthetic/` folders
//! (inputs written here, see docs/parser.md and docs/config.md) are ours alone.

use std::collections::BTreeMap;
use std::path::Path;

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .expect("prefix")
                    .display()
                    .to_string();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

#[test]
fn copied_captures_match_the_shared_ones() {
    for (sub, at_least) in [("mdatp", 10), ("managed", 3), ("mirror", 2)] {
        compare(sub, at_least);
    }
}

fn compare(sub: &str, at_least: usize) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ours = tree(&manifest.join("tests/fixtures").join(sub));
    assert!(
        ours.len() >= at_least,
        "fixtures missing: {:?}",
        ours.keys()
    );
    let shared = manifest.join("../shared/fixtures").join(sub);
    if !shared.is_dir() {
        eprintln!("note: {} absent, comparison skipped", shared.display());
        return;
    }
    // `synthetic/` holds inputs made here, not captures: not in ../shared.
    ours.retain(|name, _| !name.starts_with("synthetic/"));
    let theirs = tree(&shared);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "file lists differ: copy ../shared/fixtures/{sub} again"
    );
    for (name, bytes) in &theirs {
        assert!(
            ours[name] == *bytes,
            "{name} differs from the shared capture"
        );
    }
}
