//! The .deb: built from this tree (the debug build the tests already have), unpacked into
//! a scratch root, with every file where a distribution expects it and a binary that runs.

use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs cargo-deb and dpkg-deb (.ci/run installs them and runs it)"]
fn the_deb_installs_into_a_scratch_root_and_runs() {
    for tool in ["cargo-deb", "dpkg-deb"] {
        // Asked to run, it must run: a missing tool is a failure, never a silent pass.
        assert!(
            which::which(tool).is_ok(),
            "{tool} is not installed: `bash .ci/run` installs it"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let deb = dir.path().join("mdatp-doctor.deb");
    let out = Command::new(env!("CARGO"))
        .args([
            "deb",
            "--profile",
            "dev",
            "--no-build",
            "--fast",
            "--output",
        ])
        .arg(&deb)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo deb runs");
    assert!(
        out.status.success(),
        "cargo deb failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let root = dir.path().join("root");
    let out = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&root)
        .output()
        .expect("dpkg-deb runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "usr/bin/mdatp-doctor",
        "usr/share/man/man1/mdatp-doctor.1.gz",
        "usr/share/man/man1/mdatp-doctor-diagnose.1.gz",
        "usr/share/bash-completion/completions/mdatp-doctor",
        "usr/share/zsh/vendor-completions/_mdatp-doctor",
        "usr/share/fish/vendor_completions.d/mdatp-doctor.fish",
        "lib/systemd/system/mdatp-doctor-textfile.service",
        "lib/systemd/system/mdatp-doctor-textfile.timer",
        "usr/share/doc/mdatp-doctor/README.md",
        "usr/share/doc/mdatp-doctor/LICENSE-MIT",
        "usr/share/doc/mdatp-doctor/LICENSE-APACHE",
    ] {
        assert!(root.join(file).is_file(), "{file} missing from the package");
    }
    let control = Command::new("dpkg-deb")
        .arg("-f")
        .arg(&deb)
        .args(["Package", "Section"])
        .output()
        .expect("dpkg-deb -f");
    assert_eq!(
        String::from_utf8_lossy(&control.stdout),
        "Package: mdatp-doctor\nSection: admin\n"
    );
    let copyright = std::fs::read_to_string(root.join("usr/share/doc/mdatp-doctor/copyright"))
        .expect("the package has a copyright file");
    assert!(copyright.contains("MIT OR Apache-2.0"), "{copyright}");

    let installed = root.join("usr/bin/mdatp-doctor");
    let out = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("the packaged binary runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!("mdatp-doctor ", env!("CARGO_PKG_VERSION"), "\n")
    );
    assert!(
        Path::new(&installed)
            .metadata()
            .is_ok_and(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0)
    );
}
