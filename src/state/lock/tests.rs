//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn second_holder_is_refused_with_the_first_ones_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = acquire(dir.path(), None).expect("free");
    let err = acquire(dir.path(), None).expect_err("held");
    match &err {
        LockError::Held { holder } => assert!(
            holder.starts_with(&format!("pid {}", std::process::id())),
            "{holder}"
        ),
        other => panic!("{other:?}"),
    }
    let err = acquire(dir.path(), Some(Duration::from_millis(300))).expect_err("still held");
    assert!(matches!(err, LockError::Held { .. }));
    drop(first);
    assert!(acquire(dir.path(), Some(Duration::from_secs(5))).is_ok());
}

#[test]
fn a_lock_file_someone_else_controls_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A FIFO in its place must not hang the open.
    let fifo = dir.path().join("update.lock");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    match acquire(dir.path(), None) {
        Err(LockError::Io(e)) => assert!(e.contains("FIFO"), "{e}"),
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(&fifo).expect("rm");

    // A symlink is not followed (the target is not truncated or written).
    let target = dir.path().join("target");
    std::fs::write(&target, "keep").expect("write");
    std::os::unix::fs::symlink(&target, &fifo).expect("symlink");
    assert!(matches!(acquire(dir.path(), None), Err(LockError::Io(_))));
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
    std::fs::remove_file(&fifo).expect("rm");
}

#[test]
#[ignore = "needs root to chown (.ci/run runs it as root)"]
fn a_lock_file_owned_by_someone_else_is_refused() {
    assert_eq!(crate::units::euid(), 0, "needs root to chown");
    let dir = tempfile::tempdir().expect("tempdir");
    let lock = dir.path().join("update.lock");
    std::fs::write(&lock, "pid 1 since forever").expect("write");
    std::os::unix::fs::lchown(&lock, Some(65534), None).expect("chown");
    match acquire(dir.path(), None) {
        Err(LockError::Io(e)) => assert!(e.contains("owned by uid 65534"), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_shared_state_dir_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    match acquire(dir.path(), None) {
        Err(LockError::Dir(e)) => assert!(e.message.contains("world-writable"), "{e}"),
        other => panic!("{other:?}"),
    }
}
