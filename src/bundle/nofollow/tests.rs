//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;
use std::os::unix::fs::symlink;

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: a valid C string; mkfifo only creates the node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn only_regular_files_open_and_nothing_is_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::write(p.join("plain"), "data").expect("write");
    std::fs::create_dir(p.join("sub")).expect("mkdir");
    std::fs::write(p.join("sub/secret"), "secret").expect("write");
    symlink(p.join("sub"), p.join("dirlink")).expect("symlink");
    symlink(p.join("plain"), p.join("filelink")).expect("symlink");
    symlink(p.join("nowhere"), p.join("dangling")).expect("symlink");
    mkfifo(&p.join("fifo"));

    let DirOpened::Dir(d) = Dir::open(p).expect("open") else {
        panic!("a directory")
    };
    let mut names = d.names().expect("names");
    names.sort();
    assert_eq!(
        names,
        ["dangling", "dirlink", "fifo", "filelink", "plain", "sub"].map(OsString::from)
    );
    assert_eq!(
        d.names().expect("again").len(),
        6,
        "a second listing starts over"
    );

    match d.open_file(OsStr::new("plain")).expect("plain") {
        Opened::File(_, st) => assert_eq!((st.kind, st.size), (Kind::Regular, 4)),
        other => panic!("{other:?}"),
    }
    for (name, kind) in [
        ("filelink", Kind::Symlink),
        ("dirlink", Kind::Symlink),
        ("dangling", Kind::Symlink),
        ("fifo", Kind::Fifo),
        ("sub", Kind::Directory),
    ] {
        match d.open_file(OsStr::new(name)).expect(name) {
            Opened::Not(k) => assert_eq!(k, kind, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(matches!(
        d.subdir(OsStr::new("dirlink")).expect("dirlink"),
        DirOpened::Not(Kind::Symlink)
    ));
    assert!(matches!(
        d.subdir(OsStr::new("plain")).expect("plain"),
        DirOpened::Not(Kind::Regular)
    ));
    assert!(matches!(
        d.subdir(OsStr::new("sub")).expect("sub"),
        DirOpened::Dir(_)
    ));
    assert!(matches!(
        Dir::open(&p.join("dirlink")).expect("top symlink"),
        DirOpened::Not(Kind::Symlink)
    ));
    assert!(matches!(
        open_file(&p.join("filelink")).expect("path"),
        Opened::Not(Kind::Symlink)
    ));
    assert!(matches!(
        open_file(&p.join("fifo")).expect("path"),
        Opened::Not(Kind::Fifo)
    ));
    assert_eq!(
        open_file(&p.join("missing")).expect_err("missing").kind(),
        io::ErrorKind::NotFound
    );
}
