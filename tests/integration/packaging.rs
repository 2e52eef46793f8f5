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
        "lib/systemd/system/mdatp-doctor-mirror.service",
        "lib/systemd/system/mdatp-doctor-mirror.timer",
        "lib/systemd/system/mdatp-doctor-mirror-check.service",
        "lib/systemd/system/mdatp-doctor-mirror-check.timer",
        "usr/share/doc/mdatp-doctor/README.md",
        "usr/share/doc/mdatp-doctor/LICENSE-MIT",
        "usr/share/doc/mdatp-doctor/LICENSE-APACHE",
    ] {
        assert!(root.join(file).is_file(), "{file} missing from the package");
    }
    contrib_is_shipped_whole(&root);
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

/// Every file under contrib/ but the systemd units (installed as units), relative to the
/// repository.
fn contrib_docs() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("read contrib") {
            let path = e.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                let rel = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .expect("under the repository");
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib"),
        &mut out,
    );
    out.retain(|f| !f.starts_with("contrib/systemd/"));
    out.sort();
    out
}

/// The contrib files in the unpacked package at their own paths under the doc directory:
/// the folders kept (zabbix/ and icinga2/ both have a mdatp-doctor.conf), the content
/// byte for byte, the Checkmk plugin executable.
fn contrib_is_shipped_whole(root: &Path) {
    let docs = contrib_docs();
    assert!(docs.len() >= 10, "{docs:?}");
    for rel in &docs {
        let shipped = root.join("usr/share/doc/mdatp-doctor").join(rel);
        let bytes = std::fs::read(&shipped).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let ours = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).expect("read");
        assert!(bytes == ours, "{rel} differs in the package");
    }
    let checkmk = root.join("usr/share/doc/mdatp-doctor/contrib/checkmk/mdatp_doctor");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &checkmk.metadata().expect("checkmk").permissions(),
    );
    assert_eq!(mode & 0o777, 0o755);
}

#[test]
fn every_contrib_file_is_in_the_packages() {
    let deb = asset_sources("deb");
    for rel in contrib_docs() {
        assert!(
            deb.contains(&rel),
            "{rel} is not in [package.metadata.deb] assets (nor, by the test above, the rpm)"
        );
    }
}

/// The `source` of every asset in one `[package.metadata.*]` table of Cargo.toml.
fn asset_sources(table: &str) -> Vec<String> {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .expect("Cargo.toml");
    let start = manifest
        .find(&format!("[package.metadata.{table}]"))
        .unwrap_or_else(|| panic!("no {table} table"));
    let body = &manifest[start..];
    let body = &body[..body[1..].find("\n[").map_or(body.len(), |i| i + 1)];
    let quoted = regex::Regex::new(r#"^\s*(?:\[|\{ source = )"([^"]+)""#).expect("regex");
    body.lines()
        .filter_map(|l| quoted.captures(l).map(|c| c[1].to_string()))
        .collect()
}

#[test]
fn the_rpm_ships_every_file_the_deb_ships() {
    let deb = asset_sources("deb");
    let rpm = asset_sources("generate-rpm");
    assert!(deb.len() >= 10, "{deb:?}");
    for source in &deb {
        assert!(
            rpm.contains(source),
            "{source} is in the .deb but not in the .rpm"
        );
    }
    for source in &rpm {
        assert!(
            deb.contains(source),
            "{source} is in the .rpm but not in the .deb"
        );
    }
}

#[test]
#[ignore = "needs cargo-generate-rpm and rpm (.ci/run installs them and runs it)"]
fn the_rpm_installs_into_a_scratch_root_and_runs() {
    for tool in ["cargo-generate-rpm", "rpm"] {
        assert!(
            which::which(tool).is_ok(),
            "{tool} is not installed: `bash .ci/run` installs it"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let rpm_file = dir.path().join("mdatp-doctor.rpm");
    // The debug build the tests already have: --profile dev reads target/debug/. Its
    // 120 MB binary is stored, not compressed: zstd took minutes on a shared 2-core box.
    let out = Command::new(env!("CARGO"))
        .args([
            "generate-rpm",
            "--profile",
            "dev",
            "--payload-compress",
            "none",
            "--output",
        ])
        .arg(&rpm_file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo generate-rpm runs");
    assert!(
        out.status.success(),
        "cargo generate-rpm failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("mkdir");
    let out = Command::new("rpm")
        .args(["-i", "--nodeps", "--root"])
        .arg(&root)
        .args(["--dbpath", "/rpmdb"])
        .arg(&rpm_file)
        .output()
        .expect("rpm runs");
    assert!(
        out.status.success(),
        "rpm -i failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [
        "usr/bin/mdatp-doctor",
        "usr/share/man/man1/mdatp-doctor.1",
        "usr/share/man/man1/mdatp-doctor-diagnose.1",
        "usr/share/bash-completion/completions/mdatp-doctor",
        "usr/share/zsh/site-functions/_mdatp-doctor",
        "usr/share/fish/vendor_completions.d/mdatp-doctor.fish",
        "usr/lib/systemd/system/mdatp-doctor-textfile.service",
        "usr/lib/systemd/system/mdatp-doctor-textfile.timer",
        "usr/lib/systemd/system/mdatp-doctor-mirror.service",
        "usr/lib/systemd/system/mdatp-doctor-mirror.timer",
        "usr/lib/systemd/system/mdatp-doctor-mirror-check.service",
        "usr/lib/systemd/system/mdatp-doctor-mirror-check.timer",
        "usr/share/doc/mdatp-doctor/README.md",
        "usr/share/licenses/mdatp-doctor/LICENSE-MIT",
        "usr/share/licenses/mdatp-doctor/LICENSE-APACHE",
    ] {
        assert!(root.join(file).is_file(), "{file} missing from the package");
    }
    contrib_is_shipped_whole(&root);
    // rpm's own database in the scratch root knows the package and its licence.
    let out = Command::new("rpm")
        .arg("--root")
        .arg(&root)
        .args([
            "--dbpath",
            "/rpmdb",
            "-q",
            "--qf",
            "%{NAME} %{VERSION} %{LICENSE}\\n",
        ])
        .arg("mdatp-doctor")
        .output()
        .expect("rpm -q");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!(
            "mdatp-doctor ",
            env!("CARGO_PKG_VERSION"),
            " MIT OR Apache-2.0\n"
        )
    );

    let installed = root.join("usr/bin/mdatp-doctor");
    let out = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("the packaged binary runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!("mdatp-doctor ", env!("CARGO_PKG_VERSION"), "\n")
    );
}

/// The glibc `OLD_GLIBC=1 scripts/package.sh` links against: RHEL 8 ships 2.28, Debian 11
/// and Ubuntu 20.04 2.31, and even RHEL 7 (2.17) is covered.
const OLD_GLIBC: (u32, u32) = (2, 17);

/// Every `GLIBC_x.y[.z]` version the dynamic symbols of `binary` are bound to, from
/// `objdump -T` (stripping keeps the dynamic symbol table, so the shipped binary has them).
fn glibc_versions(binary: &Path) -> Vec<(u32, u32, u32)> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .expect("objdump runs");
    assert!(
        out.status.success(),
        "objdump -T {}: {}",
        binary.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    parse_glibc_versions(&String::from_utf8_lossy(&out.stdout))
}

/// `(x, y, z)` of every `GLIBC_x.y[.z]` in `objdump -T` output; `GLIBC_PRIVATE` is no version.
fn parse_glibc_versions(text: &str) -> Vec<(u32, u32, u32)> {
    let re = regex::Regex::new(r"\bGLIBC_(\d+)\.(\d+)(?:\.(\d+))?\b").expect("regex");
    let num = |m: Option<regex::Match>| m.map_or(0, |m| m.as_str().parse().expect("digits"));
    re.captures_iter(text)
        .map(|c| (num(c.get(1)), num(c.get(2)), num(c.get(3))))
        .collect()
}

#[test]
fn glibc_versions_are_read_from_objdump_lines() {
    let text = "\
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.2.5) memcpy
0000000000000000      DF *UND*\t0000000000000000  GLIBC_2.17  clock_gettime
0000000000000000  w   DF *UND*\t0000000000000000 (GLIBC_2.34) __libc_start_main
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_PRIVATE) _dl_find_object
0000000000000000  w   D  *UND*\t0000000000000000  Base        __gmon_start__
";
    let versions = parse_glibc_versions(text);
    assert_eq!(versions, [(2, 2, 5), (2, 17, 0), (2, 34, 0)]);
    // 2.2.5 sorts below 2.17: numbers, not strings.
    assert_eq!(versions.iter().min(), Some(&(2, 2, 5)));
    assert_eq!(versions.iter().max(), Some(&(2, 34, 0)));
}

#[test]
#[ignore = "needs cargo-zigbuild, zig, objdump, cargo-deb, dpkg-deb, cargo-generate-rpm and rpm (.ci/run installs them)"]
fn the_old_glibc_packages_need_no_newer_glibc_and_run() {
    for tool in [
        "cargo-zigbuild",
        "objdump",
        "cargo-deb",
        "dpkg-deb",
        "cargo-generate-rpm",
        "rpm",
    ] {
        assert!(
            which::which(tool).is_ok(),
            "{tool} is not installed: `bash .ci/run` installs it"
        );
    }
    // cargo-zigbuild runs `zig`, or `python3 -m ziglang` (the PyPI package .ci/run installs).
    let zig = which::which("zig").is_ok()
        || Command::new("python3")
            .args(["-m", "ziglang", "version"])
            .output()
            .is_ok_and(|o| o.status.success());
    assert!(
        zig,
        "neither zig nor `python3 -m ziglang` works: `bash .ci/run` installs ziglang into target/ci-venv"
    );
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = std::fs::read_to_string(repo.join("scripts/package.sh")).expect("package.sh");
    assert!(
        script.contains(&format!("glibc={}.{}\n", OLD_GLIBC.0, OLD_GLIBC.1)),
        "scripts/package.sh builds for another glibc than this test checks"
    );

    // The script itself, as a release would run it; cargo skips the build when it is fresh.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new("bash")
        .arg(repo.join("scripts/package.sh"))
        .env("OLD_GLIBC", "1")
        .env("PACKAGES_DIR", dir.path())
        .output()
        .expect("package.sh runs");
    assert!(
        out.status.success(),
        "OLD_GLIBC=1 scripts/package.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let find = |ext: &str| {
        std::fs::read_dir(dir.path())
            .expect("read packages")
            .map(|e| e.expect("entry").path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap_or_else(|| panic!("no .{ext} in {}", dir.path().display()))
    };
    let (deb, rpm_file) = (find("deb"), find("rpm"));

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
    // dpkg-shlibdeps on this host would ask for libc6 (>= 2.34): apt on Debian 11 and
    // Ubuntu 20.04 would refuse the package however old the binary's symbols are.
    let control = Command::new("dpkg-deb")
        .arg("-f")
        .arg(&deb)
        .args(["Package", "Depends"])
        .output()
        .expect("dpkg-deb -f");
    assert_eq!(
        String::from_utf8_lossy(&control.stdout),
        format!(
            "Package: mdatp-doctor\nDepends: libc6 (>= {}.{})\n",
            OLD_GLIBC.0, OLD_GLIBC.1
        )
    );
    let installed = root.join("usr/bin/mdatp-doctor");
    let built = repo.join("target/x86_64-unknown-linux-gnu/release/mdatp-doctor");
    for binary in [&built, &installed] {
        let versions = glibc_versions(binary);
        // None at all means objdump printed something this parser does not read.
        let highest = versions
            .iter()
            .max()
            .unwrap_or_else(|| panic!("no GLIBC_ version in objdump -T {}", binary.display()));
        assert!(
            *highest <= (OLD_GLIBC.0, OLD_GLIBC.1, 0),
            "{} needs GLIBC_{}.{}.{}, newer than {}.{}",
            binary.display(),
            highest.0,
            highest.1,
            highest.2,
            OLD_GLIBC.0,
            OLD_GLIBC.1
        );
    }
    let out = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("the packaged binary runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!("mdatp-doctor ", env!("CARGO_PKG_VERSION"), "\n")
    );

    let out = Command::new("rpm")
        .args(["-qp", "--qf", "%{PAYLOADCOMPRESSOR}"])
        .arg(&rpm_file)
        .output()
        .expect("rpm -qp runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "xz",
        "old rpm versions cannot read the default zstd payload"
    );
    // The rpm carries the same binary: its file digest is the built one's SHA-256.
    let out = Command::new("rpm")
        .args(["-qp", "--dump"])
        .arg(&rpm_file)
        .output()
        .expect("rpm -qp runs");
    let dump = String::from_utf8_lossy(&out.stdout);
    let line = dump
        .lines()
        .find(|l| l.starts_with("/usr/bin/mdatp-doctor "))
        .unwrap_or_else(|| panic!("no /usr/bin/mdatp-doctor in the rpm:\n{dump}"));
    let want = {
        use sha2::Digest;
        let bytes = std::fs::read(&built).expect("read the built binary");
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(
        line.split(' ').nth(3),
        Some(want.as_str()),
        "the rpm's binary is not the old-glibc build: {line}"
    );
}
