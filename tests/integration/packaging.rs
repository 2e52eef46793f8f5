//! The .deb and .rpm: built from this tree (the debug build the tests already have), unpacked
//! into a scratch root, with every file where a distribution expects it and a binary that runs;
//! the glibc 2.17 packages of `scripts/package.sh`; and the local repository it makes, installed
//! from with apt and dnf.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// PATH as `.ci/run` and `scripts/package.sh` set it (scripts/tools.sh): the cargo tools they
/// install into target/tools/bin and the virtualenv target/ci-venv (ziglang) first.
fn tools_path() -> OsString {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let mut dirs = vec![target.join("tools/bin"), target.join("ci-venv/bin")];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).expect("PATH")
}

/// `program` with [`tools_path`] as its PATH, and without the variables `cargo test` sets for
/// the test itself: ring's build script reruns when `CARGO_MANIFEST_DIR` or a `CARGO_PKG_*`
/// changes, so a build run from here and one run from a shell rebuilt each other's
/// dependencies (3 min 40 s for the glibc 2.17 build each time).
fn tool(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("PATH", tools_path());
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_MANIFEST_LINKS",
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
            ]
            .contains(&name.as_ref())
        {
            cmd.env_remove(name.as_ref());
        }
    }
    cmd
}

/// Asked to run, a test must run: a missing tool is a failure, never a silent pass.
fn require(tools: &[&str]) {
    for tool in tools {
        assert!(
            which::which_in(tool, Some(tools_path()), "/").is_ok(),
            "{tool} is not installed: `bash .ci/run` installs it"
        );
    }
}

fn assert_ran(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs cargo-deb and dpkg-deb (.ci/run installs them and runs it)"]
fn the_deb_installs_into_a_scratch_root_and_runs() {
    require(&["cargo-deb", "dpkg-deb"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let deb = dir.path().join("mdatp-doctor.deb");
    let out = tool(env!("CARGO"))
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
    require(&["cargo-generate-rpm", "rpm"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let rpm_file = dir.path().join("mdatp-doctor.rpm");
    // The debug build the tests already have: --profile dev reads target/debug/. Its
    // 120 MB binary is stored, not compressed: zstd took minutes on a shared 2-core box.
    let out = tool(env!("CARGO"))
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

/// The tools `scripts/package.sh --variant old-glibc --repo` runs.
const OLD_GLIBC_TOOLS: &[&str] = &[
    "cargo-zigbuild",
    "cargo-deb",
    "dpkg-deb",
    "cargo-generate-rpm",
    "dpkg-scanpackages",
    "createrepo_c",
];

/// What `scripts/package.sh --variant old-glibc --repo` made: the packages (its
/// `PACKAGES_DIR/old-glibc/`) and the repository (`--repo DIR`'s `old-glibc/`).
struct OldGlibc {
    packages: PathBuf,
    repository: PathBuf,
}

impl OldGlibc {
    fn package(&self, ext: &str) -> PathBuf {
        let found: Vec<PathBuf> = std::fs::read_dir(&self.packages)
            .expect("read packages")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        assert_eq!(found.len(), 1, "one .{ext} in {}", self.packages.display());
        found.into_iter().next().expect("one")
    }
}

/// Where `cargo zigbuild` leaves the glibc 2.17 binary the old-glibc packages carry.
fn old_glibc_binary() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/x86_64-unknown-linux-gnu/release/mdatp-doctor")
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The script itself, as a release would run it, once for every test that reads its output
/// (cargo skips the build when it is fresh; the packaging is not repeated per test).
fn old_glibc() -> &'static OldGlibc {
    static BUILT: OnceLock<OldGlibc> = OnceLock::new();
    BUILT.get_or_init(|| {
        require(OLD_GLIBC_TOOLS);
        // cargo-zigbuild runs `zig`, or `python3 -m ziglang` (the PyPI package .ci/run installs).
        let zig = which::which_in("zig", Some(tools_path()), "/").is_ok()
            || tool("python3")
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
        // Under target/ rather than a temporary directory that a static would never remove.
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("package-old-glibc");
        if base.exists() {
            std::fs::remove_dir_all(&base).expect("remove the last run's packages");
        }
        std::fs::create_dir_all(&base).expect("mkdir");
        let out = tool("bash")
            .arg(repo.join("scripts/package.sh"))
            .args(["--variant", "old-glibc", "--repo"])
            .arg(base.join("repo"))
            .env("PACKAGES_DIR", base.join("packages"))
            .output()
            .expect("package.sh runs");
        assert_ran("scripts/package.sh --variant old-glibc --repo", &out);
        OldGlibc {
            packages: base.join("packages/old-glibc"),
            repository: base.join("repo/old-glibc"),
        }
    })
}

#[test]
#[ignore = "needs cargo-zigbuild, zig, objdump, cargo-deb, dpkg-dev, cargo-generate-rpm, rpm and createrepo-c (.ci/run installs them)"]
fn the_old_glibc_packages_need_no_newer_glibc_and_run() {
    require(&["objdump", "rpm"]);
    let made = old_glibc();
    let (deb, rpm_file) = (made.package("deb"), made.package("rpm"));
    let dir = tempfile::tempdir().expect("tempdir");

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
    let built = old_glibc_binary();
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
    let want = sha256_hex(&built);
    assert_eq!(
        line.split(' ').nth(3),
        Some(want.as_str()),
        "the rpm's binary is not the old-glibc build: {line}"
    );
}

/// The version `cargo deb` gives the package (revision 1).
const DEB_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "-1");

/// Held while a test changes this machine's package database, so that one such test runs at
/// a time, in this run or in another checkout's on the same machine (an flock, released when
/// dropped).
struct SystemPackages {
    _file: std::fs::File,
}

impl SystemPackages {
    fn lock() -> Self {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open("/tmp/mdatp-doctor-tests-system-packages.lock")
            .expect("open the lock file");
        // SAFETY: flock on a descriptor this value owns.
        let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
        assert_eq!(rc, 0, "flock: {}", std::io::Error::last_os_error());
        SystemPackages { _file: file }
    }
}

/// dpkg's `Status Version` of mdatp-doctor, or None when it is not installed.
fn dpkg_installed() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Status} ${Version}", "mdatp-doctor"])
        .output()
        .expect("dpkg-query runs");
    let status = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && !status.contains("not-installed")).then_some(status)
}

/// apt with one source, the local repository, and its lists and caches in a scratch directory:
/// the machine's own sources are neither read nor refreshed, its lists not touched.
struct LocalApt {
    options: Vec<String>,
}

impl LocalApt {
    fn new(dir: &Path, repository: &Path) -> Self {
        // What an administrator puts in /etc/apt/sources.list.d/.
        let list = dir.join("mdatp-doctor.list");
        std::fs::write(
            &list,
            format!("deb [trusted=yes] file:{} ./\n", repository.display()),
        )
        .expect("write the source");
        for sub in ["state/lists/partial", "cache/archives/partial"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        let d = dir.display();
        LocalApt {
            options: vec![
                format!("Dir::Etc::sourcelist={}", list.display()),
                "Dir::Etc::sourceparts=-".into(),
                format!("Dir::State={d}/state"),
                format!("Dir::Cache={d}/cache"),
                // Another build on the machine may be installing something: wait for it.
                "DPkg::Lock::Timeout=600".into(),
            ],
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        Command::new(program)
            .args(self.options.iter().flat_map(|o| ["-o", o.as_str()]))
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"))
    }
}

/// Purges mdatp-doctor from the machine when dropped, whether the test passed or not.
struct PurgeOnDrop<'a>(&'a LocalApt);

impl Drop for PurgeOnDrop<'_> {
    fn drop(&mut self) {
        if dpkg_installed().is_some() {
            let out = self.0.run("apt-get", &["purge", "-y", "mdatp-doctor"]);
            if !out.status.success() || dpkg_installed().is_some() {
                eprintln!(
                    "could not purge mdatp-doctor after the test: run `apt-get purge mdatp-doctor`\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

#[test]
#[ignore = "needs root, apt, dpkg-dev, createrepo-c and the old-glibc build tools (.ci/run installs them); installs and purges mdatp-doctor on this machine"]
fn apt_installs_the_package_from_the_local_repository_and_purges_it() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "installing with apt needs root"
    );
    require(&["apt-get", "apt-cache", "dpkg-query"]);
    let made = old_glibc();
    let _machine = SystemPackages::lock();
    assert_eq!(
        dpkg_installed(),
        None,
        "mdatp-doctor is installed on this machine: the test installs and purges it, so it leaves this one alone"
    );
    assert!(!Path::new("/usr/bin/mdatp-doctor").exists());

    let dir = tempfile::tempdir().expect("tempdir");
    // apt reads the lists as its unprivileged _apt user.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let apt = LocalApt::new(dir.path(), &made.repository);
    let out = apt.run("apt-get", &["update"]);
    assert_ran("apt-get update", &out);
    // The Release file names the indexes there are: apt guesses at no other compression
    // (a missing Packages.xz was an `Err:` line) and has nothing to warn about.
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("Err:") && !text.lines().any(|l| l.starts_with("W:")),
        "{text}"
    );
    let out = apt.run("apt-cache", &["policy", "mdatp-doctor"]);
    let policy = String::from_utf8_lossy(&out.stdout);
    assert!(
        policy.contains(&format!("Candidate: {DEB_VERSION}"))
            && policy.contains(&format!("file:{} ./ Packages", made.repository.display())),
        "{policy}"
    );

    let _purge = PurgeOnDrop(&apt);
    let out = apt.run("apt-get", &["install", "-y", "mdatp-doctor"]);
    assert_ran("apt-get install mdatp-doctor", &out);
    assert_eq!(
        dpkg_installed(),
        Some(format!("install ok installed {DEB_VERSION}"))
    );
    let out = Command::new("/usr/bin/mdatp-doctor")
        .arg("--version")
        .output()
        .expect("the installed binary runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!("mdatp-doctor ", env!("CARGO_PKG_VERSION"), "\n")
    );
    assert_eq!(
        sha256_hex(Path::new("/usr/bin/mdatp-doctor")),
        sha256_hex(&old_glibc_binary()),
        "apt installed another binary than the repository's"
    );
    let out = Command::new("dpkg")
        .args(["-L", "mdatp-doctor"])
        .output()
        .expect("dpkg -L");
    let files: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect();
    for file in [
        "/usr/share/man/man1/mdatp-doctor.1.gz",
        "/lib/systemd/system/mdatp-doctor-textfile.timer",
    ] {
        assert!(
            files.iter().any(|f| f == Path::new(file)),
            "{file}: {files:?}"
        );
    }

    let out = apt.run("apt-get", &["purge", "-y", "mdatp-doctor"]);
    assert_ran("apt-get purge mdatp-doctor", &out);
    assert_eq!(dpkg_installed(), None);
    let left: Vec<&PathBuf> = files.iter().filter(|f| f.exists()).collect();
    assert!(left.is_empty(), "left after the purge: {left:?}");
    // dpkg removes the directories it made once they are empty.
    assert!(!Path::new("/usr/share/doc/mdatp-doctor").exists());
}

#[test]
#[ignore = "needs root, dnf, rpm (rpmbuild), createrepo-c and the old-glibc build tools (.ci/run installs them)"]
fn dnf_installs_the_package_from_the_local_repository_into_a_scratch_root_and_removes_it() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "rpm installs into a root with chroot"
    );
    require(&["dnf", "rpm", "rpmbuild"]);
    let made = old_glibc();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("mkdir");

    // What the package asks of the system, as rpm read it from the binary: nothing newer
    // than glibc 2.17, so dnf on RHEL 7 and 8 resolves it from their glibc.
    let out = Command::new("rpm")
        .args(["-qp", "--requires"])
        .arg(made.package("rpm"))
        .output()
        .expect("rpm -qp --requires");
    assert_ran("rpm -qp --requires", &out);
    let requires: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("rpmlib("))
        .map(str::to_string)
        .collect();
    assert!(
        requires.iter().any(|r| r == "libc.so.6(GLIBC_2.17)(64bit)"),
        "{requires:?}"
    );
    let highest = parse_glibc_versions(&requires.join("\n")).into_iter().max();
    assert!(
        highest.is_some_and(|v| v <= (OLD_GLIBC.0, OLD_GLIBC.1, 0)),
        "{requires:?}"
    );
    // The scratch root has no glibc: a stand-in package provides exactly those, so dnf
    // resolves them as it would on RHEL, and the binary runs on this machine's libraries.
    let mut spec = String::from(
        "Name: glibc-stand-in\nVersion: 1\nRelease: 1\nSummary: stand-in\nLicense: MIT\nBuildArch: noarch\n",
    );
    for r in &requires {
        spec.push_str(&format!("Provides: {r}\n"));
    }
    spec.push_str("%description\nWhat mdatp-doctor requires, for a test.\n%files\n");
    std::fs::write(dir.path().join("stand-in.spec"), spec).expect("write spec");
    let out = Command::new("rpmbuild")
        .args(["-bb", "--quiet", "--define"])
        .arg(format!("_topdir {}", dir.path().join("rpmbuild").display()))
        .arg(dir.path().join("stand-in.spec"))
        .output()
        .expect("rpmbuild runs");
    assert_ran("rpmbuild", &out);
    let out = Command::new("rpm")
        .arg("--root")
        .arg(&root)
        .arg("-i")
        .arg(
            dir.path()
                .join("rpmbuild/RPMS/noarch/glibc-stand-in-1-1.noarch.rpm"),
        )
        .output()
        .expect("rpm -i");
    assert_ran("rpm -i glibc-stand-in", &out);

    // What an administrator puts in /etc/yum.repos.d/; dnf reads no other.
    let repos = dir.path().join("repos.d");
    std::fs::create_dir(&repos).expect("mkdir");
    std::fs::write(
        repos.join("mdatp-doctor.repo"),
        format!(
            "[mdatp-doctor]\nname=mdatp-doctor (local)\nbaseurl=file://{}\ngpgcheck=0\n",
            made.repository.display()
        ),
    )
    .expect("write the .repo");
    let dnf = |args: &[&str]| {
        Command::new("dnf")
            .args(["-y", "--quiet", "--releasever=0"])
            .arg(format!("--installroot={}", root.display()))
            .arg(format!("--setopt=reposdir={}", repos.display()))
            .arg(format!(
                "--setopt=cachedir={}",
                dir.path().join("cache").display()
            ))
            .args(args)
            .output()
            .expect("dnf runs")
    };
    let out = dnf(&[
        "repoquery",
        "--qf",
        "%{name} %{version} %{release} %{arch} %{location}",
        "mdatp-doctor",
    ]);
    assert_ran("dnf repoquery", &out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        concat!(
            "mdatp-doctor ",
            env!("CARGO_PKG_VERSION"),
            " 1 x86_64 mdatp-doctor-",
            env!("CARGO_PKG_VERSION"),
            "-1.x86_64.rpm"
        )
    );

    let out = dnf(&["install", "mdatp-doctor"]);
    assert_ran("dnf install mdatp-doctor", &out);
    let rpm_q = |args: &[&str]| {
        Command::new("rpm")
            .arg("--root")
            .arg(&root)
            .args(args)
            .output()
            .expect("rpm -q")
    };
    let out = rpm_q(&["-q", "mdatp-doctor"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!("mdatp-doctor-", env!("CARGO_PKG_VERSION"), "-1.x86_64\n")
    );
    let installed = root.join("usr/bin/mdatp-doctor");
    let out = Command::new(&installed)
        .arg("--version")
        .output()
        .expect("the installed binary runs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        concat!("mdatp-doctor ", env!("CARGO_PKG_VERSION"), "\n")
    );
    assert_eq!(
        sha256_hex(&installed),
        sha256_hex(&old_glibc_binary()),
        "dnf installed another binary than the repository's"
    );
    let out = rpm_q(&["-ql", "mdatp-doctor"]);
    let files: Vec<PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|f| root.join(f.trim_start_matches('/')))
        .collect();
    assert!(
        files.len() >= 20 && files.iter().all(|f| f.is_file()),
        "{files:?}"
    );

    let out = dnf(&["remove", "mdatp-doctor"]);
    assert_ran("dnf remove mdatp-doctor", &out);
    assert!(!rpm_q(&["-q", "mdatp-doctor"]).status.success());
    // Every file goes; the directories stay (the rpm owns none: cargo-generate-rpm lists files).
    let left: Vec<&PathBuf> = files.iter().filter(|f| f.exists()).collect();
    assert!(left.is_empty(), "left after dnf remove: {left:?}");
}
