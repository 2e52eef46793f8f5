//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn longest_mount_point_wins() {
    let info = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
                40 22 0:50 / /mnt/wdav rw - nfs4 mirror:/export rw\n\
                41 22 0:51 / /mnt/wd rw - tmpfs tmpfs rw\n";
    assert_eq!(
        mount_type_in(info, Path::new("/mnt/wdav/linux/production")).as_deref(),
        Some("nfs4")
    );
    assert_eq!(
        mount_type_in(info, Path::new("/srv/x")).as_deref(),
        Some("ext4")
    );
    assert_eq!(mount_type_in("garbage\n", Path::new("/")), None);
}

#[test]
fn permission_problems_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("updates.zip");
    fs::write(&f, "x").expect("write");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&f, fs::Permissions::from_mode(0o000)).expect("chmod");
    let mut out = Vec::new();
    check_permissions(&f, &fs::metadata(&f).expect("meta"), false, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].mode, "0000");
    assert!(out[0].problem.contains("owner cannot read"));
    fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).expect("chmod");
    out.clear();
    check_permissions(&f, &fs::metadata(&f).expect("meta"), false, &mut out);
    assert!(out.is_empty());
}
