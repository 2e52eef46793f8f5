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

#[test]
fn a_file_planted_at_the_old_predictable_name_does_not_block_the_write() {
    // The name used to be `.<name>.tmp-<pid>`: anyone could create it first and make every
    // write fail (or, without O_EXCL, redirect it).
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("mdatp_doctor.prom");
    let planted = dir
        .path()
        .join(format!(".mdatp_doctor.prom.tmp-{}", std::process::id()));
    fs::write(&planted, "planted").expect("plant");
    replace(&target, b"metric 1\n", 0o644).expect("replace despite the planted file");
    assert_eq!(fs::read(&target).expect("read"), b"metric 1\n");
    assert_eq!(fs::read(&planted).expect("read"), b"planted", "left alone");
}

#[test]
fn temporary_names_are_random_and_not_the_pid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, a) = create_temp(dir.path(), ".x-", ".tmp", 0o600).expect("a");
    let (_, b) = create_temp(dir.path(), ".x-", ".tmp", 0o600).expect("b");
    assert_ne!(a, b);
    for p in [&a, &b] {
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        assert!(name.starts_with(".x-") && name.ends_with(".tmp"), "{name}");
        assert_eq!(name.len(), ".x-".len() + 16 + ".tmp".len(), "{name}");
        assert!(!name.contains(&std::process::id().to_string()), "{name}");
        let meta = fs::symlink_metadata(p).expect("meta");
        assert_eq!(meta.mode() & 0o777, 0o600);
    }
}

#[test]
fn a_name_clash_is_retried_and_exhaustion_is_an_io_error_not_already_exists() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("taken"), "x").expect("plant");
    // A symlink in the way is a clash too, never followed.
    symlink(dir.path().join("victim"), dir.path().join("link")).expect("symlink");
    let mut names = ["taken", "link", "free"].into_iter();
    let (_, path) = create_temp_named(dir.path(), 0o600, || {
        Ok(names.next().expect("a name").to_string())
    })
    .expect("the third name is free");
    assert_eq!(path, dir.path().join("free"));
    assert!(
        !dir.path().join("victim").exists(),
        "the symlink was not followed"
    );

    let err =
        create_temp_named(dir.path(), 0o600, || Ok("taken".to_string())).expect_err("always taken");
    assert_ne!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
    assert!(err.to_string().contains("no free temporary name"), "{err}");
}

/// `dir` opened as a descriptor, the way `mirror run` holds a checked folder.
fn open_dir(dir: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(dir)
        .expect("open dir")
}

#[test]
fn replace_in_writes_in_the_directory_held_even_after_its_path_is_swapped() {
    use std::os::fd::AsFd;
    let base = tempfile::tempdir().expect("tempdir");
    let held = base.path().join("arch");
    fs::create_dir(&held).expect("mkdir");
    let fd = open_dir(&held);
    // The path now leads somewhere else: a symlink to a directory we must not write.
    let elsewhere = base.path().join("elsewhere");
    fs::create_dir(&elsewhere).expect("mkdir");
    fs::rename(&held, base.path().join("moved")).expect("move");
    symlink(&elsewhere, &held).expect("symlink");
    replace_in(fd.as_fd(), "updates.zip", 0o600, |f| {
        f.write_all(b"PK")?;
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
    })
    .expect("replace_in");
    assert_eq!(fs::read_dir(&elsewhere).expect("ls").count(), 0);
    let written = base.path().join("moved/updates.zip");
    assert_eq!(fs::read(&written).expect("read"), b"PK");
    assert_eq!(fs::metadata(&written).expect("meta").mode() & 0o777, 0o644);
    assert_eq!(
        fs::read_dir(base.path().join("moved")).expect("ls").count(),
        1
    );
}

#[test]
fn replace_in_replaces_a_symlink_and_cleans_up_after_a_failure() {
    use std::os::fd::AsFd;
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim");
    fs::write(&victim, "keep").expect("write");
    symlink(&victim, dir.path().join("manifest.json")).expect("symlink");
    let fd = open_dir(dir.path());
    replace_in(fd.as_fd(), "manifest.json", 0o600, |f| f.write_all(b"{}")).expect("replace");
    assert_eq!(fs::read(&victim).expect("read"), b"keep");
    assert!(
        fs::symlink_metadata(dir.path().join("manifest.json"))
            .expect("meta")
            .is_file()
    );
    // A failing fill leaves no temporary file; a name with a slash is refused.
    let err = replace_in(fd.as_fd(), "manifest.json", 0o600, |_| {
        Err(io::Error::other("full"))
    })
    .expect_err("fails");
    assert_eq!(err.to_string(), "full");
    assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 2);
    for bad in ["../x", "a/b", "..", ""] {
        let e = replace_in(fd.as_fd(), bad, 0o600, |_| Ok(())).expect_err(bad);
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad}");
    }
}

#[test]
fn stale_temporary_files_are_removed_by_descriptor_and_nothing_else() {
    use std::os::fd::AsFd;
    let dir = tempfile::tempdir().expect("tempdir");
    let stale = ".updates.zip.tmp-0123456789abcdef";
    fs::write(dir.path().join(stale), "half").expect("write");
    fs::write(dir.path().join(".updates.zip.tmp-short"), "x").expect("write");
    fs::write(dir.path().join("updates.zip"), "whole").expect("write");
    symlink(
        "/etc/passwd",
        dir.path().join(".updates.zip.tmp-fedcba9876543210"),
    )
    .expect("link");
    let fd = open_dir(dir.path());
    let removed =
        remove_stale_temps_in(fd.as_fd(), "updates.zip", std::time::Duration::ZERO).expect("rm");
    assert_eq!(removed, vec![stale.to_string()]);
    let mut left: Vec<String> = fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".updates.zip.tmp-fedcba9876543210",
            ".updates.zip.tmp-short",
            "updates.zip"
        ]
    );
}
