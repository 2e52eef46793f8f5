//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// Another user's id for chown (the tests run as root in CI; elsewhere they skip).
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    euid() == 0
}

fn private_dir() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let state = t.path().join("state");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&state)
        .expect("mkdir");
    (t, state)
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), None).expect("chown (needs root)");
}

#[test]
fn a_missing_dir_is_created_private() {
    let t = tempfile::tempdir().expect("tempdir");
    let state = t.path().join("a/b");
    assert_eq!(check_dir(&state, false), Ok(false));
    assert!(!state.exists(), "checking does not create");
    assert_eq!(check_dir(&state, true), Ok(true));
    let mode = std::fs::metadata(&state).expect("meta").mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn a_group_or_world_writable_dir_is_refused() {
    for mode in [0o777, 0o770, 0o1777, 0o702] {
        let (_t, state) = private_dir();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let e = check_dir(&state, true).expect_err("refused");
        assert!(
            e.message.contains("group- or world-writable"),
            "{mode:o}: {e}"
        );
    }
    // Readable by others is fine: nobody else can change it.
    let (_t, state) = private_dir();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(check_dir(&state, false), Ok(true));
}

#[test]
#[ignore = "needs root to chown (.ci/run runs it as root)"]
fn a_dir_owned_by_someone_else_is_refused() {
    assert!(is_root(), "needs root to chown");
    let (_t, state) = private_dir();
    chown(&state, NOBODY);
    let e = check_dir(&state, false).expect_err("refused");
    assert!(e.message.contains("owned by uid 65534"), "{e}");
}

#[test]
fn a_symlinked_dir_is_followed_only_when_ours() {
    let (t, state) = private_dir();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&state, &link).expect("symlink");
    assert_eq!(check_dir(&link, false), Ok(true));
    if is_root() {
        chown(&link, NOBODY);
        let e = check_dir(&link, false).expect_err("someone else's link");
        assert!(
            e.message.contains("symbolic link owned by uid 65534"),
            "{e}"
        );
    }
    let file = t.path().join("file");
    std::fs::write(&file, "x").expect("write");
    let e = check_dir(&file, true).expect_err("a file");
    assert!(
        e.message.contains("is a regular file, not a directory"),
        "{e}"
    );
    assert!(e.fix.is_some());
    // Below a file (ENOTDIR, for root too): the file is named, with the fix.
    let e = check_dir(&file.join("state"), true).expect_err("below a file");
    assert_eq!(
        e.message,
        format!(
            "cannot reach the state directory {}/state: Not a directory (os error 20): {} is a regular file, not a directory",
            file.display(),
            file.display()
        )
    );
    assert_eq!(
        e.fix.as_deref(),
        Some("point --state-dir (MDATP_DOCTOR_STATE_DIR) at a directory path")
    );
}

#[test]
fn state_files_must_be_our_regular_files() {
    let (t, state) = private_dir();
    assert!(
        open_file(&state, "f", Access::Read)
            .expect("missing is fine")
            .is_none()
    );

    // A FIFO must not block the open.
    let fifo = state.join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
    // SAFETY: mkfifo on a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let e = open_file(&state, "fifo", Access::Read).expect_err("fifo");
    assert!(e.contains("a FIFO, not a regular file"), "{e}");
    let e = open_file(&state, "fifo", Access::ReadWriteCreate).expect_err("fifo");
    assert!(e.contains("a FIFO"), "{e}");

    // A symlink is never followed, wherever it points.
    let secret = t.path().join("secret");
    std::fs::write(&secret, "root:x:0:0").expect("write");
    std::os::unix::fs::symlink(&secret, state.join("link")).expect("symlink");
    for access in [Access::Read, Access::ReadWriteCreate] {
        let e = open_file(&state, "link", access).expect_err("symlink");
        assert!(e.contains("symbolic link"), "{e}");
    }
    assert_eq!(
        std::fs::read_to_string(&secret).expect("read"),
        "root:x:0:0",
        "untouched"
    );

    std::fs::create_dir(state.join("dir")).expect("mkdir");
    assert!(
        open_file(&state, "dir", Access::Read)
            .expect_err("dir")
            .contains("a directory")
    );

    let mine = state.join("mine");
    std::fs::write(&mine, "x").expect("write");
    assert!(
        open_file(&state, "mine", Access::Read)
            .expect("ok")
            .is_some()
    );
    if is_root() {
        chown(&mine, NOBODY);
        let e = open_file(&state, "mine", Access::Read).expect_err("not ours");
        assert!(e.contains("owned by uid 65534"), "{e}");
    }
}
