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
