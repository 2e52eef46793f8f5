//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use std::os::unix::fs::{MetadataExt, symlink};

#[test]
fn writes_with_the_mode_and_replaces_symlinks_instead_of_following_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim");
    fs::write(&victim, "keep").expect("write");
    let target = dir.path().join("out.txt");
    symlink(&victim, &target).expect("symlink");

    replace(&target, b"new", 0o600).expect("replace");
    assert_eq!(
        fs::read(&victim).expect("read"),
        b"keep",
        "symlink target untouched"
    );
    assert_eq!(fs::read(&target).expect("read"), b"new");
    let meta = fs::symlink_metadata(&target).expect("meta");
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o777, 0o600);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).expect("ls").collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left behind");
}

#[test]
fn failure_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Renaming a file over a non-empty directory fails.
    let target = dir.path().join("busy");
    fs::create_dir(&target).expect("mkdir");
    fs::write(target.join("x"), "x").expect("write");
    assert!(replace(&target, b"data", 0o644).is_err());
    assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1);
}
