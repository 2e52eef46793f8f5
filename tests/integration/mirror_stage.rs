//! The staged mirror end to end (`mirror promote`, `mirror rollback`, `mirror run
//! --promote-canary`): real folders in Microsoft's layout, real hard links and swaps, a
//! real `kill -9` at every point of a step, and a loopback HTTP server reading the tree
//! while promotes and rollbacks run in a loop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::mirror_host::stored_zip;
use crate::testenv::TestEnv;

const ENGINE: &str = "1.1.25090.3001";
const X86: &str = "linux/production/arch_x86_64";
const BACK: &str = "linux/production_back/arch_x86_64";
const CANARY: &str = "canary/linux/production/arch_x86_64";
const INCOMING: &str = "incoming/linux/production/arch_x86_64";

/// A staged root in a test world (0755, ours, like a real docroot).
struct Staged {
    env: TestEnv,
    root: PathBuf,
}

impl Staged {
    fn new() -> Staged {
        let env = TestEnv::new();
        let root = env.path().join("srv");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        Staged { env, root }
    }

    /// Writes a package whose one entry names `version`, and its manifest, in `rel`.
    fn put(&self, rel: &str, version: &str) {
        let dir = self.root.join(rel);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("updates.zip"),
            stored_zip("version.txt", version.as_bytes()),
        )
        .unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            json!({"EngineVersion": ENGINE, "DefinitionVersion": version}).to_string(),
        )
        .unwrap();
    }

    /// The version a folder serves, checked to be a matching pair.
    fn served(&self, rel: &str) -> String {
        pair(&self.root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn run(&self, args: &[&str]) -> (i32, Value) {
        self.run_env(args, &[])
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
        let out = self
            .env
            .std_cmd()
            .args(["--format", "json", "mirror"])
            .args(args)
            .arg("--root")
            .arg(&self.root)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let code = out
            .status
            .code()
            .unwrap_or_else(|| -out.status.signal().unwrap_or(0));
        let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (code, doc)
    }

    /// A canary report that passes the gate (or not, by `version` and `engine`).
    fn report(&self, host: &str, version: &str, engine: &str) -> PathBuf {
        self.report_arch(host, version, engine, "x86_64")
    }

    fn report_arch(&self, host: &str, version: &str, engine: &str, arch: &str) -> PathBuf {
        let dir = self.env.path().join("reports");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{host}.json"));
        let doc = json!({
            "schema_version": 1,
            "snapshot": {
                "time": "2026-12-07T10:00:00Z",
                "hostname": host,
                "arch": arch,
                "definitions": {
                    "definitions_version": {"value": version},
                    "definitions_status": {"value": "up_to_date"},
                    "definitions_update_source_uri": {"value": "http://mirror/canary/linux/production/"},
                },
                "health": {"engine_load_status": {"value": engine}},
            },
            "findings": [],
            "verdict": "ok",
        });
        std::fs::write(&path, doc.to_string()).unwrap();
        dir
    }

    fn to_production(&self, reports: &Path) -> (i32, Value) {
        self.run(&[
            "promote",
            "--to",
            "production",
            "--soak",
            "0",
            "--canary-reports",
            reports.to_str().unwrap(),
        ])
    }

    /// Hidden names left in a ring folder (a half-built folder) or the journal (the
    /// record of rolled-back packages is meant to stay).
    fn leftovers(&self) -> Vec<String> {
        let mut out = Vec::new();
        for rel in [
            "",
            "linux/production",
            "linux/production_back",
            "canary/linux/production",
        ] {
            if let Ok(rd) = std::fs::read_dir(self.root.join(rel)) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if n.starts_with('.') && n != ".mdatp-doctor-rejected.json" {
                        out.push(format!("{rel}/{n}"));
                    }
                }
            }
        }
        out
    }
}

/// The version a folder's manifest names, when its package holds the same version (read
/// through one open descriptor of the folder: one instant's pair, whatever is swapped).
fn pair(dir: &Path) -> Result<String, String> {
    let d = std::fs::File::open(dir).map_err(|e| format!("open: {e}"))?;
    let at = PathBuf::from(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&d)
    ));
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(at.join("manifest.json")).map_err(|e| format!("manifest: {e}"))?,
    )
    .map_err(|e| format!("manifest: {e}"))?;
    let zip = std::fs::read(at.join("updates.zip")).map_err(|e| format!("package: {e}"))?;
    let inside = zip_version(&zip)?;
    let named = manifest["DefinitionVersion"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if inside != named {
        return Err(format!(
            "mismatched pair: manifest {named}, package {inside}"
        ));
    }
    Ok(named)
}

/// [`pair`], telling a folder swapped out (retired: it may be emptied and removed) while
/// being read (`Ok(None)`) from a broken one: a failure counts only when the folder read is
/// still the one at the served path.
fn pair_at_instant(dir: &Path) -> Result<Option<String>, String> {
    let d = std::fs::File::open(dir).map_err(|e| format!("open {}: {e}", dir.display()))?;
    let at = PathBuf::from(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&d)
    ));
    match pair(&at) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            let held = d.metadata().map(|m| (m.dev(), m.ino())).ok();
            let served = std::fs::metadata(dir).map(|m| (m.dev(), m.ino())).ok();
            if held.is_some() && held == served {
                Err(e)
            } else {
                Ok(None)
            }
        }
    }
}

fn zip_version(zip: &[u8]) -> Result<String, String> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|e| format!("package: {e}"))?;
    let mut v = String::new();
    archive
        .by_name("version.txt")
        .map_err(|e| format!("package: {e}"))?
        .read_to_string(&mut v)
        .map_err(|e| format!("package: {e}"))?;
    Ok(v)
}

fn steps(doc: &Value) -> Vec<(String, String)> {
    doc["steps"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|s| {
            (
                s["folder"].as_str().unwrap_or("").to_string(),
                s["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_verified_incoming_package_goes_to_the_canary_and_a_bad_or_older_one_is_refused() {
    let s = Staged::new();
    s.put(INCOMING, "1.441.90.0");
    let (code, doc) = s.run(&["promote", "--to", "canary"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(steps(&doc), [(X86.to_string(), "promoted".to_string())]);
    assert_eq!(s.served(CANARY), "1.441.90.0");
    // Copied, never linked: the downloader rewrites its files in place.
    let ino = |rel: &str| {
        std::fs::metadata(s.root.join(rel).join("updates.zip"))
            .unwrap()
            .ino()
    };
    assert_ne!(ino(INCOMING), ino(CANARY));
    let marker: Value = serde_json::from_slice(
        &std::fs::read(s.root.join(CANARY).join(".mdatp-doctor-stage.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(marker["from"], "incoming");
    assert_eq!(marker["definition_version"], "1.441.90.0");
    // Again: nothing new, exit 0.
    let (code, doc) = s.run(&["promote", "--to", "canary"]);
    assert_eq!(
        (code, steps(&doc)[0].1.as_str()),
        (0, "unchanged"),
        "{doc:#}"
    );

    // A proxy's HTML page saved as the package: refused, the canary keeps its package.
    s.put(INCOMING, "1.441.95.0");
    std::fs::write(
        s.root.join(INCOMING).join("updates.zip"),
        "<html><body>403 Forbidden</body></html>",
    )
    .unwrap();
    let (code, doc) = s.run(&["promote", "--to", "canary"]);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(steps(&doc)[0].1, "refused");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("not a complete zip"),
        "{doc:#}"
    );
    assert!(!doc["next"].as_array().unwrap().is_empty());
    assert_eq!(s.served(CANARY), "1.441.90.0");

    // An older package than the canary serves: refused.
    s.put(INCOMING, "1.441.80.0");
    let (code, doc) = s.run(&["promote", "--to", "canary"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("older than"),
        "{doc:#}"
    );
    assert_eq!(s.served(CANARY), "1.441.90.0");
    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());
}

#[test]
fn the_gate_promotes_only_through_healthy_canaries_and_rollback_puts_back_the_bytes() {
    let s = Staged::new();
    s.put(X86, "1.441.80.0");
    std::fs::set_permissions(s.root.join(X86), std::fs::Permissions::from_mode(0o751)).unwrap();
    s.put(INCOMING, "1.441.90.0");
    assert_eq!(s.run(&["promote", "--to", "canary"]).0, 0);

    // A canary still on the old version, one whose engine is not loaded: refused, each named.
    s.report("canary-1", "1.441.80.0", "Engine load succeeded");
    let reports = s.report("canary-2", "1.441.90.0", "Engine not loaded");
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 2, "{doc:#}");
    assert_eq!(doc["gate"]["passed"], false);
    let hosts = doc["gate"]["folders"][0]["hosts"].to_string();
    assert!(hosts.contains("behind the canary's 1.441.90.0"), "{hosts}");
    assert!(hosts.contains("Engine not loaded"), "{hosts}");
    assert_eq!(s.served(X86), "1.441.80.0");

    // A soak the canary has not served yet: refused even with a healthy host.
    let reports = s.report("canary-2", "1.441.90.0", "Engine load succeeded");
    let (code, doc) = s.run(&[
        "promote",
        "--to",
        "production",
        "--soak",
        "2h",
        "--canary-reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"].as_str().unwrap().contains("soak"),
        "{doc:#}"
    );
    // Two hosts needed, one healthy: refused.
    let (code, _) = s.run(&[
        "promote",
        "--to",
        "production",
        "--soak",
        "0",
        "--min-canaries",
        "2",
        "--canary-reports",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);

    // One canary unwell on the new version stops it, however many others are well.
    s.report("canary-3", "1.441.90.0", "Engine not loaded");
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"].as_str().unwrap().contains("unwell"),
        "{doc:#}"
    );
    std::fs::remove_file(reports.join("canary-3.json")).unwrap();
    // So does a report that cannot be read: it may be the canary that failed.
    std::fs::write(reports.join("canary-4.json"), "{\"trunc").unwrap();
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{doc:#}"
    );
    std::fs::remove_file(reports.join("canary-4.json")).unwrap();

    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(s.served(X86), "1.441.90.0");
    assert_eq!(s.served(BACK), "1.441.80.0");
    // The fleet gets the very bytes the canaries ran (a hard link), in a folder with the
    // mode the old one had.
    let meta = |rel: &str| std::fs::metadata(s.root.join(rel).join("updates.zip")).unwrap();
    assert_eq!(meta(X86).ino(), meta(CANARY).ino());
    assert_eq!(
        std::fs::metadata(s.root.join(X86)).unwrap().mode() & 0o7777,
        0o751
    );

    // Rollback: production is the back folder's package again, byte for byte.
    let back_bytes = std::fs::read(s.root.join(BACK).join("updates.zip")).unwrap();
    let (code, doc) = s.run(&["rollback"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        std::fs::read(s.root.join(X86).join("updates.zip")).unwrap(),
        back_bytes
    );
    assert_eq!(s.served(X86), "1.441.80.0");
    assert_eq!(s.served(BACK), "1.441.80.0");
    // What was rolled back is never promoted again, though the canary still serves it.
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("was rolled back"),
        "{doc:#}"
    );
    assert_eq!(s.served(X86), "1.441.80.0");
    // Twice: nothing to do.
    let (code, doc) = s.run(&["rollback"]);
    assert_eq!(
        (code, steps(&doc)[0].1.as_str()),
        (0, "unchanged"),
        "{doc:#}"
    );
    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());

    // No back folder at all: nothing to roll back to.
    std::fs::remove_dir_all(s.root.join("linux/production_back")).unwrap();
    let (code, doc) = s.run(&["rollback"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("nothing to roll back to")
    );
}

#[test]
fn a_kill_9_at_any_point_leaves_whole_pairs_and_the_next_run_settles_it() {
    for point in ["built", "journaled", "swapped", "kept", "cleaned"] {
        let s = Staged::new();
        s.put(BACK, "1.441.70.0");
        s.put(X86, "1.441.80.0");
        s.put(INCOMING, "1.441.90.0");
        assert_eq!(s.run(&["promote", "--to", "canary"]).0, 0);
        let reports = s.report("canary-1", "1.441.90.0", "Engine load succeeded");
        let args = [
            "promote",
            "--to",
            "production",
            "--soak",
            "0",
            "--canary-reports",
            reports.to_str().unwrap(),
        ];
        let (code, _) = s.run_env(&args, &[("MDATP_DOCTOR_TEST_KILL_AT", point)]);
        assert_eq!(code, -9, "{point}: the step was not killed");
        // Killed anywhere: every served folder is a complete, matching pair.
        let prod = s.served(X86);
        assert!(
            ["1.441.80.0", "1.441.90.0"].contains(&prod.as_str()),
            "{point}: {prod}"
        );
        s.served(BACK);
        assert_eq!(s.served(CANARY), "1.441.90.0");
        // The next run settles what was left, says so, and does the promote.
        let (code, doc) = s.run(&args);
        assert_eq!(code, 0, "{point}: {doc:#}");
        let recovered = doc["recovered"].to_string();
        let expect = match point {
            "built" => "half built",
            "journaled" => "undid",
            _ => "finished",
        };
        assert!(recovered.contains(expect), "{point}: {recovered}");
        assert_eq!(s.served(X86), "1.441.90.0", "{point}");
        assert_eq!(s.served(BACK), "1.441.80.0", "{point}");
        assert!(s.leftovers().is_empty(), "{point}: {:?}", s.leftovers());

        // The same for a rollback (which keeps nothing of the rejected package).
        let (code, _) = s.run_env(&["rollback"], &[("MDATP_DOCTOR_TEST_KILL_AT", point)]);
        if point == "kept" {
            // A rollback has no such point: it ran through.
            assert_eq!(code, 0, "{point}");
        } else {
            assert_eq!(code, -9, "{point}: the rollback was not killed");
        }
        s.served(X86);
        let (code, doc) = s.run(&["rollback"]);
        assert_eq!(code, 0, "{point}: {doc:#}");
        assert_eq!(s.served(X86), "1.441.80.0", "{point}");
        let _ = std::fs::remove_file(s.root.join(".mdatp-doctor-rejected.json"));
        assert_eq!(s.served(BACK), "1.441.80.0", "{point}");
        assert!(s.leftovers().is_empty(), "{point}: {:?}", s.leftovers());
    }
}

/// A loopback server that resolves each request's path anew, as nginx does.
fn serve(root: PathBuf, stop: Arc<AtomicBool>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let h = std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let Ok((mut c, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(1));
                continue;
            };
            c.set_nonblocking(false).unwrap();
            // The whole request is read before the answer (closing on unread bytes would
            // reset the connection).
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&req);
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let reply = match std::fs::read(root.join(path)) {
                Ok(body) => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend(body);
                    r
                }
                Err(_) => {
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec()
                }
            };
            let _ = c.write_all(&reply);
        }
    });
    (port, h)
}

fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(format!("GET /{path} HTTP/1.1\r\nHost: mirror\r\n\r\n").as_bytes())
        .unwrap();
    let mut all = Vec::new();
    c.read_to_end(&mut all).unwrap();
    let end = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let status = String::from_utf8_lossy(&all[9..12]).parse().unwrap();
    (status, all[end..].to_vec())
}

#[test]
fn clients_reading_through_http_during_promotes_and_rollbacks_never_see_a_broken_pair() {
    let s = Staged::new();
    s.put(BACK, "1.441.70.0");
    s.put(X86, "1.441.80.0");
    s.put(INCOMING, "1.441.90.0");
    assert_eq!(s.run(&["promote", "--to", "canary"]).0, 0);
    let reports = s.report("canary-1", "1.441.90.0", "Engine load succeeded");
    let stop = Arc::new(AtomicBool::new(false));
    // The server outlives the readers: one stopped mid-request would see a reset.
    let stop_server = Arc::new(AtomicBool::new(false));
    let (port, server) = serve(s.root.clone(), stop_server.clone());
    let fetched = Arc::new(AtomicUsize::new(0));
    let instants = Arc::new(AtomicUsize::new(0));
    let known = ["1.441.70.0", "1.441.80.0", "1.441.90.0"];
    // An endpoint: manifest.json, then updates.zip, each whole and one of ours.
    let client = {
        let (stop, fetched) = (stop.clone(), fetched.clone());
        std::thread::spawn(move || {
            let mut errors = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let (code, body) = get(port, &format!("{X86}/manifest.json"));
                let m: Result<Value, _> = serde_json::from_slice(&body);
                match (code, m) {
                    (200, Ok(m))
                        if known.contains(&m["DefinitionVersion"].as_str().unwrap_or("")) => {}
                    (code, m) => errors.push(format!("manifest: {code} {m:?}")),
                }
                let (code, body) = get(port, &format!("{X86}/updates.zip"));
                match zip_version(&body) {
                    Ok(v) if code == 200 && known.contains(&v.as_str()) => {}
                    other => errors.push(format!("package: {code} {other:?}")),
                }
                fetched.fetch_add(1, Ordering::Relaxed);
            }
            errors
        })
    };
    // Every instant: the folder at the served path holds a matching pair.
    let watcher = {
        let (stop, instants, dir) = (stop.clone(), instants.clone(), s.root.join(X86));
        std::thread::spawn(move || {
            let mut errors = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match pair_at_instant(&dir) {
                    Ok(Some(_)) => {
                        instants.fetch_add(1, Ordering::Relaxed);
                    }
                    // The folder opened was swapped out and removed before its files
                    // were read: it was no longer served; look again.
                    Ok(None) => {}
                    Err(e) => errors.push(e),
                }
            }
            errors
        })
    };
    let mut swaps = 0;
    for _ in 0..8 {
        let (code, doc) = s.to_production(&reports);
        assert_eq!(code, 0, "{doc:#}");
        assert_eq!(s.served(X86), "1.441.90.0");
        let (code, doc) = s.run(&["rollback"]);
        assert_eq!(code, 0, "{doc:#}");
        assert_eq!(s.served(X86), "1.441.80.0");
        // The administrator's override: the package may go out again.
        std::fs::remove_file(s.root.join(".mdatp-doctor-rejected.json")).unwrap();
        swaps += 2;
    }
    // Both readers must have run during the swaps, or the test proved nothing.
    while fetched.load(Ordering::Relaxed) < 10 || instants.load(Ordering::Relaxed) < 10 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    let client_errors = client.join().unwrap();
    let watcher_errors = watcher.join().unwrap();
    stop_server.store(true, Ordering::Relaxed);
    server.join().unwrap();
    assert!(
        client_errors.is_empty(),
        "{} errors, first: {:?}",
        client_errors.len(),
        &client_errors[..client_errors.len().min(5)]
    );
    assert!(
        watcher_errors.is_empty(),
        "{} errors, first: {:?}",
        watcher_errors.len(),
        &watcher_errors[..watcher_errors.len().min(5)]
    );
    assert_eq!(swaps, 16);
    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());
}

#[test]
fn promote_shares_mirror_runs_lock_and_logs_its_event() {
    let s = Staged::new();
    s.put(INCOMING, "1.441.90.0");
    let state = s.env.state_dir();
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    let lock = std::fs::File::create(state.join("mirror-run.lock")).unwrap();
    std::fs::set_permissions(
        state.join("mirror-run.lock"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(
        unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX) },
        0
    );
    let out = s
        .env
        .std_cmd()
        .args(["mirror", "promote", "--to", "canary", "--root"])
        .arg(&s.root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!s.root.join(CANARY).exists());
    drop(lock);

    let log = s.env.path().join("events.ndjson");
    let (code, _) = s.run(&[
        "promote",
        "--to",
        "canary",
        "--log-json",
        log.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(first.to_string().contains("mirror-promote"), "{first}");
    assert!(first.to_string().contains("1.441.90.0"), "{first}");
}

#[test]
fn a_journal_naming_folders_outside_the_stages_is_refused_and_nothing_is_removed() {
    let s = Staged::new();
    s.put(INCOMING, "1.441.90.0");
    let victim = s.env.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("keep"), "mine").unwrap();
    let journal = json!({
        "op": "promote to canary", "ring": ["canary", "linux", "production"], "arch": "arch_x86_64",
        "staged": "../../../victim", "token": "ab", "old_token": null, "back": null,
        "to_version": "1", "started_unix": 0,
    });
    std::fs::write(
        s.root.join(".mdatp-doctor-journal.json"),
        journal.to_string(),
    )
    .unwrap();
    let (code, doc) = s.run(&["promote", "--to", "canary"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .contains("not a journal mdatp-doctor wrote"),
        "{doc:#}"
    );
    assert_eq!(
        std::fs::read_to_string(victim.join("keep")).unwrap(),
        "mine"
    );
}

#[test]
fn a_retired_folder_that_cannot_be_removed_is_left_and_said_and_the_swap_stands() {
    let s = Staged::new();
    s.put(X86, "1.441.80.0");
    // Someone's folder inside the production arch folder: it goes with the old package.
    std::fs::create_dir(s.root.join(X86).join("notes")).unwrap();
    s.put(INCOMING, "1.441.90.0");
    assert_eq!(s.run(&["promote", "--to", "canary"]).0, 0);
    let reports = s.report("canary-1", "1.441.90.0", "Engine load succeeded");
    // Without a back folder the old one is retired, and cannot be removed whole.
    std::fs::remove_dir_all(s.root.join("linux/production_back")).ok();
    let (code, doc) = s.run(&["rollback"]);
    assert_eq!(code, 2, "{doc:#}");
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(s.served(X86), "1.441.90.0");
    assert!(
        s.root.join(BACK).join("notes").is_dir(),
        "the old folder, whole, is the back"
    );
    // A rollback retires the promoted folder: something in it stays, and is said.
    std::fs::create_dir(s.root.join(X86).join("notes")).unwrap();
    let (code, doc) = s.run(&["rollback"]);
    assert_eq!(code, 1, "{doc:#}");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("remove it by hand"),
        "{doc:#}"
    );
    assert_eq!(s.served(X86), "1.441.80.0");
}

#[test]
#[ignore = "needs root (.ci/run runs it as root)"]
fn a_downloader_running_as_another_user_never_owns_what_the_canary_serves() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "run as root: chown needs it");
    let s = Staged::new();
    s.put(INCOMING, "1.441.90.0");
    for p in [
        "incoming",
        "incoming/linux",
        "incoming/linux/production",
        INCOMING,
    ] {
        std::os::unix::fs::chown(s.root.join(p), Some(1000), Some(1000)).unwrap();
    }
    for f in ["updates.zip", "manifest.json"] {
        let p = s.root.join(INCOMING).join(f);
        std::os::unix::fs::chown(&p, Some(1000), Some(1000)).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o664)).unwrap();
    }
    let (code, doc) = s.run(&["promote", "--to", "canary"]);
    assert_eq!(code, 0, "{doc:#}");
    for p in [s.root.join(CANARY), s.root.join(CANARY).join("updates.zip")] {
        let m = std::fs::metadata(&p).unwrap();
        assert_eq!(m.uid(), 0, "{}", p.display());
        assert_eq!(m.mode() & 0o022, 0, "{}: {:o}", p.display(), m.mode());
    }
}

#[test]
fn a_root_another_user_may_write_is_refused() {
    let s = Staged::new();
    s.put(INCOMING, "1.441.90.0");
    std::fs::set_permissions(&s.root, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, doc) = s.run(&["promote", "--to", "canary"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["error"]
            .as_str()
            .unwrap()
            .contains("writable by its group or by others"),
        "{doc:#}"
    );
    assert!(!s.root.join(CANARY).exists());
}

/// A mirror host whose downloader fills `<root>/incoming` of a staged root (`srv`, 0755).
fn staged_host() -> (crate::mirror_host::Host, PathBuf, Value) {
    let host = crate::mirror_host::Host::with_settings(|_| {});
    let root = host.path().join("srv");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut settings: Value =
        serde_json::from_slice(&std::fs::read(host.settings()).unwrap()).unwrap();
    settings["downloadFolder"] = root.join("incoming").display().to_string().into();
    settings["backupPreviousUpdates"] = false.into();
    std::fs::write(host.settings(), settings.to_string()).unwrap();
    (host, root, settings)
}

#[test]
#[ignore = "needs curl and jq (.ci/run installs them)"]
fn mirror_run_promote_canary_downloads_then_stages_to_the_canary() {
    use crate::mirror_host::{DEFS, Fwlink, fwlink, mirror_run};
    let (host, root, mut settings) = staged_host();
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &["--promote-canary"]);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(doc["promote"]["verdict"], "ok", "{doc:#}");
    let m: Value =
        serde_json::from_slice(&std::fs::read(root.join(CANARY).join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["DefinitionVersion"], DEFS);

    // Where downloadFolder is not <root>/incoming, the run says what to set.
    settings["downloadFolder"] = host.path().join("wdav-update").display().to_string().into();
    std::fs::write(host.settings(), settings.to_string()).unwrap();
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &["--promote-canary"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["promote"]["error"]
            .as_str()
            .unwrap()
            .contains("<root>/incoming"),
        "{doc:#}"
    );
}

#[test]
fn mirror_check_compares_the_fleets_url_with_production_not_with_incoming() {
    let s = Staged::new();
    s.put(X86, "1.441.90.0");
    s.put(INCOMING, "1.441.90.0");
    assert_eq!(s.run(&["promote", "--to", "canary"]).0, 0);
    // A newer download waits in incoming: the fleet's URL still rightly serves .90.
    s.put(INCOMING, "1.441.91.0");
    let settings = s.env.path().join("settings.json");
    std::fs::write(
        &settings,
        json!({"downloadFolder": s.root.join("incoming"), "downloadLinuxUpdates": true})
            .to_string(),
    )
    .unwrap();
    let check = |docroot: &Path, ring_url: &str| {
        let stop = Arc::new(AtomicBool::new(false));
        let (port, server) = serve(docroot.to_path_buf(), stop.clone());
        let out = s
            .env
            .std_cmd()
            .args(["--format", "json", "mirror", "check", "--settings"])
            .arg(&settings)
            .arg("--url")
            .arg(format!("http://127.0.0.1:{port}/{ring_url}"))
            .output()
            .unwrap();
        stop.store(true, Ordering::Relaxed);
        server.join().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ids: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        (ids, doc)
    };
    for url in ["linux/production/", "canary/linux/production/"] {
        let (ids, doc) = check(&s.root, url);
        assert!(
            !ids.contains(&"mirror-host-serving-mismatch".to_string()),
            "{url}: {doc:#}"
        );
    }
    // A web server still on an old copy of the tree is caught.
    let stale = s.env.path().join("stale");
    std::fs::create_dir_all(stale.join(X86)).unwrap();
    std::fs::write(
        stale.join(X86).join("updates.zip"),
        stored_zip("version.txt", b"1.441.80.0"),
    )
    .unwrap();
    std::fs::write(
        stale.join(X86).join("manifest.json"),
        json!({"EngineVersion": ENGINE, "DefinitionVersion": "1.441.80.0"}).to_string(),
    )
    .unwrap();
    let (ids, doc) = check(&stale, "linux/production/");
    assert!(
        ids.contains(&"mirror-host-serving-mismatch".to_string()),
        "{doc:#}"
    );
}

fn status_of(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("mdatp-doctor-status.json")).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
#[ignore = "needs curl and jq (.ci/run installs them)"]
fn every_run_good_or_bad_leaves_a_status_file_describing_what_is_served() {
    use crate::mirror_host::{DEFS, Fwlink, Host, fwlink, mirror_run};
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &[]);
    assert_eq!(code, 0, "{doc:#}");
    let ring = host.arch("production");
    let st = status_of(&ring);
    assert_eq!(st["schema_version"], 1);
    assert_eq!(st["last_attempt"]["ok"], true, "{st:#}");
    assert_eq!(st["last_success"], st["last_attempt"]["at"]);
    assert_eq!(st["published"]["definition_version"], DEFS);
    let pkg = std::fs::read(ring.join("arch_x86_64/updates.zip")).unwrap();
    assert_eq!(st["arch"]["x86_64"]["definition_version"], DEFS);
    assert_eq!(st["arch"]["x86_64"]["package_bytes"], pkg.len());
    assert_eq!(st["arch"]["x86_64"]["package_sha256"], sha256_hex(&pkg));
    let mode = std::fs::metadata(ring.join("mdatp-doctor-status.json"))
        .unwrap()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    let good_at = st["last_success"].clone();

    // A proxy's 403 page: the run fails, the good package is restored, and the status file
    // says so while still describing the package served.
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::PackageForbidden, "1.441.95.0"), &[]);
    assert_eq!(code, 2, "{doc:#}");
    let st = status_of(&ring);
    assert_eq!(st["last_attempt"]["ok"], false, "{st:#}");
    assert!(
        st["last_attempt"]["error"]
            .as_str()
            .unwrap()
            .contains("bad tree"),
        "{st:#}"
    );
    assert_eq!(st["last_success"], good_at);
    assert_eq!(st["published"]["definition_version"], DEFS);
    assert_eq!(st["arch"]["x86_64"]["package_sha256"], sha256_hex(&pkg));
    let ids = |doc: &Value| -> Vec<String> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, doc) = host.check(&[]);
    assert!(
        !ids(&doc).contains(&"mirror-host-status-stale".to_string()),
        "{doc:#}"
    );
    // The script run straight from cron: the status file no longer names the package.
    host.download(&fwlink(Fwlink::Good, "1.441.95.0"), None);
    let (_, doc) = host.check(&[]);
    assert!(
        ids(&doc).contains(&"mirror-host-status-stale".to_string()),
        "{doc:#}"
    );
}

#[test]
#[ignore = "needs curl and jq (.ci/run installs them)"]
fn a_staged_root_tells_canary_and_fleet_endpoints_how_fresh_it_is() {
    use crate::mirror_host::{DEFS, Fwlink, fwlink, mirror_run};
    let (host, root, _) = staged_host();
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &["--promote-canary"]);
    assert_eq!(code, 0, "{doc:#}");
    let canary = status_of(&root.join("canary/linux/production"));
    assert_eq!(
        canary["arch"]["x86_64"]["definition_version"], DEFS,
        "{canary:#}"
    );
    assert_eq!(canary["last_attempt"]["ok"], true);
    // Production gets its package and the downloader's history.
    let s = Staged {
        env: TestEnv::new(),
        root: root.clone(),
    };
    s.report("canary-1", DEFS, "Engine load succeeded");
    let reports = s.report_arch("canary-2", DEFS, "Engine load succeeded", "arm64");
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 0, "{doc:#}");
    let prod = status_of(&root.join("linux/production"));
    assert_eq!(
        prod["arch"]["x86_64"]["definition_version"], DEFS,
        "{prod:#}"
    );
    assert_eq!(prod["last_success"], canary["last_success"]);
    // A failed sync later reaches the fleet's status file too.
    let (code, doc, _) = mirror_run(&host, &fwlink(Fwlink::PackageForbidden, "1.441.95.0"), &[]);
    assert_eq!(code, 2, "{doc:#}");
    let prod = status_of(&root.join("linux/production"));
    assert_eq!(prod["last_attempt"]["ok"], false, "{prod:#}");
    assert_eq!(prod["arch"]["x86_64"]["definition_version"], DEFS);
}

#[test]
fn review_round_a_failed_canary_a_forged_name_a_symlink_and_a_broken_production() {
    let s = Staged::new();
    s.put(X86, "1.441.80.0");
    s.put(INCOMING, "1.441.90.0");
    // An unreadable-to-others package in incoming: the canary's copy is readable anyway.
    std::fs::set_permissions(
        s.root.join(INCOMING).join("updates.zip"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    assert_eq!(s.run(&["promote", "--to", "canary"]).0, 0);
    let mode = std::fs::metadata(s.root.join(CANARY).join("updates.zip"))
        .unwrap()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "{mode:o}");

    // A canary whose update failed, left on the old version: evidence against the package.
    let reports = s.report("canary-1", "1.441.90.0", "Engine load succeeded");
    let dir = s.env.path().join("reports");
    let mut failed: Value =
        serde_json::from_slice(&std::fs::read(dir.join("canary-1.json")).unwrap()).unwrap();
    failed["snapshot"]["hostname"] = "canary-2\n    ✔ forged-host runs 1.441.90.0".into();
    failed["snapshot"]["definitions"]["definitions_version"]["value"] = "1.441.80.0".into();
    failed["snapshot"]["definitions"]["definitions_status"]["value"] = "out_of_date".into();
    std::fs::write(dir.join("canary-2.json"), failed.to_string()).unwrap();
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"].as_str().unwrap().contains("unwell"),
        "{doc:#}"
    );
    // For people, the host's newline is shown, never a line of its own.
    let out = s
        .env
        .std_cmd()
        .args([
            "mirror",
            "promote",
            "--to",
            "production",
            "--soak",
            "0",
            "--root",
        ])
        .arg(&s.root)
        .arg("--canary-reports")
        .arg(&reports)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("✔ forged-host")),
        "{text}"
    );
    std::fs::remove_file(dir.join("canary-2.json")).unwrap();

    // A symlink as the canary's package is never linked into production.
    let real = s.root.join(CANARY).join("updates.zip");
    let elsewhere = s.env.path().join("u.zip");
    std::fs::copy(&real, &elsewhere).unwrap();
    std::fs::remove_file(&real).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &real).unwrap();
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{doc:#}"
    );
    assert_eq!(s.served(X86), "1.441.80.0");
    std::fs::remove_file(&real).unwrap();
    std::fs::copy(&elsewhere, &real).unwrap();

    // A broken production folder never replaces a good back.
    s.put(BACK, "1.441.70.0");
    std::fs::write(s.root.join(X86).join("updates.zip"), b"<html>oops</html>").unwrap();
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(s.served(X86), "1.441.90.0");
    assert_eq!(s.served(BACK), "1.441.70.0");
}

#[test]
#[ignore = "needs root to mount a tmpfs (.ci/run runs it as root)"]
fn a_back_folder_on_another_file_system_is_refused_before_anything_is_swapped() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "mounting a tmpfs needs root");
    let s = Staged::new();
    s.put(X86, "1.441.80.0");
    s.put(INCOMING, "1.441.90.0");
    assert_eq!(s.run(&["promote", "--to", "canary"]).0, 0);
    let back = s.root.join("linux/production_back");
    std::fs::create_dir_all(&back).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs"])
        .arg(&back)
        .status()
        .unwrap();
    assert!(mounted.success());
    let reports = s.report("canary-1", "1.441.90.0", "Engine load succeeded");
    let (code, doc) = s.to_production(&reports);
    let _ = std::process::Command::new("umount").arg(&back).status();
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("another file system"),
        "{doc:#}"
    );
    assert_eq!(s.served(X86), "1.441.80.0");
    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());
    // And nothing blocks the next step.
    let (code, doc) = s.to_production(&reports);
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(s.served(X86), "1.441.90.0");
}

#[test]
#[ignore = "needs curl and jq (.ci/run installs them)"]
fn a_failed_run_on_the_mirror_reaches_the_endpoint_as_a_stall_warning() {
    use crate::mirror_host::{DEFS, Fwlink, Host, fwlink, mirror_run};
    use crate::testenv::{DEFINITIONS, Defs, Reply, config_for, full_health};
    let host = Host::with_settings(|s| {
        s.insert("backupPreviousUpdates".into(), false.into());
    });
    assert_eq!(mirror_run(&host, &fwlink(Fwlink::Good, DEFS), &[]).0, 0);
    // The next sync fails (a proxy's 403 page); the good package stays served.
    assert_eq!(
        mirror_run(&host, &fwlink(Fwlink::PackageForbidden, "1.441.95.0"), &[]).0,
        2
    );
    let stop = Arc::new(AtomicBool::new(false));
    let (port, server) = serve(host.path().join("wdav-update"), stop.clone());
    let url = format!("http://127.0.0.1:{port}/linux/production/");
    // An endpoint on the mirror's package, updated 20 hours ago: 4 hours from the warning.
    let mut defs = Defs::healthy(&url);
    defs.version = DEFS;
    defs.hours_ago = 20;
    let mut env = TestEnv::new();
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(&url, false));
    let out = env
        .std_cmd()
        .args(["diagnose", "--format", "json", "--arch", "x86_64"])
        .output()
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    server.join().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    // (The fake's engine is older than the package's: engine-behind-mirror too.)
    assert!(ids.contains(&"mirror-sync-stalled"), "{doc:#}");
    assert_eq!(out.status.code(), Some(1));
    let stalled = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "mirror-sync-stalled")
        .unwrap();
    let title = stalled["title"].as_str().unwrap();
    assert!(title.contains("will be stale in about 4 hours"), "{title}");
    assert!(title.contains("bad tree"), "{title}");
}
