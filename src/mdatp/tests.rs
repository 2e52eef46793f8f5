//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn explicit_path_must_be_an_executable_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mdatp");
    std::fs::write(&file, "#!/bin/sh\n").expect("write");
    let err = locate(Some(&file)).expect_err("no x bit");
    assert!(err.to_string().contains("no execute permission"), "{err}");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(locate(Some(&file)).expect("ok"), file);

    let err = locate(Some(dir.path())).expect_err("dir");
    assert!(err.to_string().contains("directory"), "{err}");

    let missing = dir.path().join("nope");
    assert!(matches!(
        locate(Some(&missing)),
        Err(MdatpError::NotFound { .. })
    ));
}

#[test]
fn bare_name_is_looked_up_on_path() {
    let err = locate(Some(Path::new("surely-not-an-mdatp-binary"))).expect_err("absent");
    assert!(err.to_string().contains("on PATH"), "{err}");
    assert!(err.hint().contains("--mdatp"));
    assert!(err.hint().contains("check the path"));
}

#[test]
fn first_line_skips_blank_lines_and_truncates() {
    assert_eq!(first_line(b"\n  \n  oops: bad \nmore"), "oops: bad");
    let long = "x".repeat(500);
    assert_eq!(first_line(long.as_bytes()).chars().count(), 201);
}
