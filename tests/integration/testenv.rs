//! The test harness: a temporary world with a fake mdatp scenario, and the real
//! `mdatp-doctor` binary pointed at it. A test states the endpoint and the expected output.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

/// One reply of the fake mdatp (see tests/support/fake_mdatp.rs for the format).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Reply {
    #[serde(skip_serializing_if = "Option::is_none")]
    stdout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stdout_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stderr: Option<String>,
    exit: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    sleep_ms: Option<u64>,
    hang: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flood: Option<Value>,
    spawn_grandchild: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_state: Option<String>,
}

impl Reply {
    /// Replays a captured output from tests/fixtures/mdatp/ byte for byte.
    pub fn fixture(rel: &str) -> Reply {
        let path = fixture_path(rel);
        assert!(path.is_file(), "no fixture {}", path.display());
        Reply {
            stdout_file: Some(path),
            ..Reply::default()
        }
    }
    pub fn stdout(text: &str) -> Reply {
        Reply {
            stdout: Some(text.into()),
            ..Reply::default()
        }
    }
    pub fn empty() -> Reply {
        Reply::default()
    }
    pub fn stderr(mut self, text: &str) -> Reply {
        self.stderr = Some(text.into());
        self
    }
    pub fn exit(mut self, code: i32) -> Reply {
        self.exit = code;
        self
    }
    pub fn sleep_ms(mut self, ms: u64) -> Reply {
        self.sleep_ms = Some(ms);
        self
    }
    pub fn hang(mut self) -> Reply {
        self.hang = true;
        self
    }
    pub fn signal(mut self, signal: i32) -> Reply {
        self.signal = Some(signal);
        self
    }
    pub fn flood(mut self, bytes: u64, binary: bool) -> Reply {
        self.flood = Some(json!({"bytes": bytes, "binary": binary, "pattern": "healthy : true\n"}));
        self
    }
    pub fn spawn_grandchild(mut self) -> Reply {
        self.spawn_grandchild = true;
        self
    }
    pub fn then(mut self, state: &str) -> Reply {
        self.next_state = Some(state.into());
        self
    }
}

pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The fake client, built by `cargo test` as an example next to the test binaries.
pub fn fake_mdatp_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let fake = profile_dir.join("examples").join("fake-mdatp");
    assert!(
        fake.is_file(),
        "{} is missing: run the tests with `cargo test`, which builds examples",
        fake.display()
    );
    // `cargo test --test integration` does not rebuild examples: refuse a stale fake.
    let built = std::fs::metadata(&fake)
        .and_then(|m| m.modified())
        .expect("fake mtime");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/fake_mdatp.rs");
    let changed = std::fs::metadata(&source)
        .and_then(|m| m.modified())
        .expect("source mtime");
    assert!(
        built >= changed,
        "{} is older than its source: run `cargo test` (or `cargo build --examples`) first",
        fake.display()
    );
    fake
}

pub struct TestEnv {
    dir: tempfile::TempDir,
    states: serde_json::Map<String, Value>,
}

pub const DEFINITIONS: &str = "health --details definitions";

/// How long a test lets a command run before calling it hung. Only a real hang gets near
/// it: a debug build on a machine loaded ten times over still answers in seconds. Timings
/// are measured in scripts/bench.sh, never asserted here.
pub const HANG_GUARD: std::time::Duration = std::time::Duration::from_secs(600);

/// The terminal width test commands run with (see [`TestEnv::cmd`]).
pub const WIDE: &str = "200";

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("tempdir"),
            states: serde_json::Map::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// In the initial state, `mdatp <args>` replies with `reply`.
    pub fn on(&mut self, args: &str, reply: Reply) -> &mut TestEnv {
        self.on_in("initial", args, reply)
    }

    pub fn on_in(&mut self, state: &str, args: &str, reply: Reply) -> &mut TestEnv {
        let replies = self
            .states
            .entry(state)
            .or_insert_with(|| Value::Object(Default::default()));
        replies[args] = serde_json::to_value(reply).expect("reply serializes");
        self.write_scenario();
        self
    }

    fn write_scenario(&self) {
        let scenario = json!({"state": "initial", "states": self.states});
        std::fs::write(self.path().join("scenario.json"), scenario.to_string())
            .expect("write scenario");
    }

    /// `mdatp-doctor` with the fake client, no colors and a clean environment for the
    /// variables it reads.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"));
        cmd.env("FAKE_MDATP_SCENARIO", self.path())
            .env("MDATP_DOCTOR_MDATP", fake_mdatp_path())
            // Hermetic: never the machine's real /etc/opt/microsoft/... file.
            .env("MDATP_DOCTOR_MANAGED_CONFIG", self.managed_config_path())
            .env("MDATP_DOCTOR_STATE_DIR", self.state_dir())
            .envs(self.endpoint_env())
            .env_remove("NO_COLOR")
            // Tables wrap to COLUMNS. Wide and fixed: the developer's own never reaches a
            // golden, and no port or date the goldens normalise is split across lines.
            // The screen tests (screen.rs) pin wrapping at real widths.
            .env("COLUMNS", WIDE)
            .timeout(HANG_GUARD);
        cmd
    }

    /// The run history's directory in this world.
    pub fn state_dir(&self) -> PathBuf {
        // Not `state`: that is the fake mdatp's own state file.
        self.path().join("doctor-state")
    }

    /// The same hermetic world as [`TestEnv::cmd`], as a plain `std` command (for tests that
    /// spawn the binary and signal it or close its pipes).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mdatp-doctor"));
        cmd.env("FAKE_MDATP_SCENARIO", self.path())
            .env("MDATP_DOCTOR_MDATP", fake_mdatp_path())
            .env("MDATP_DOCTOR_MANAGED_CONFIG", self.managed_config_path())
            .env("MDATP_DOCTOR_STATE_DIR", self.state_dir())
            .envs(self.endpoint_env())
            .env_remove("NO_COLOR")
            .env("COLUMNS", WIDE);
        cmd
    }

    /// The endpoint's other files, kept in this world too: no offboarding file, no
    /// systemd, a Debian-like os-release, no definitions directory unless a test makes one.
    pub fn endpoint_env(&self) -> Vec<(&'static str, PathBuf)> {
        let os_release = self.path().join("os-release");
        if !os_release.exists() {
            std::fs::write(&os_release, "ID=debian\n").expect("write os-release");
        }
        vec![
            (
                "MDATP_DOCTOR_OFFBOARD_FILE",
                self.path().join("mdatp_offboard.json"),
            ),
            (
                "MDATP_DOCTOR_DEFINITIONS_DIR",
                self.path().join("mdatp-var"),
            ),
            ("MDATP_DOCTOR_OS_RELEASE", os_release),
            ("MDATP_DOCTOR_SYSTEMCTL", self.path().join("no-systemctl")),
        ]
    }

    /// Where the tool looks for the managed config in this world (absent until written).
    pub fn managed_config_path(&self) -> PathBuf {
        self.path().join("mdatp_managed.json")
    }

    pub fn write_managed_config(&self, json: &str) -> &TestEnv {
        std::fs::write(self.managed_config_path(), json).expect("write managed config");
        self
    }

    /// `mdatp health --details definitions` answers like the 2025 documentation sample,
    /// with `url` as the configured mirror.
    pub fn health_with_url(&mut self, url: &str) -> &mut TestEnv {
        let sample = std::fs::read_to_string(fixture_path("mdatp/definitions/docs-2025.txt"))
            .expect("fixture");
        let text = sample.replace("http://172.XX.XXX.XX:8000/linux/production/", url);
        self.on(DEFINITIONS, Reply::stdout(&text))
    }

    /// A raw run of the fake client itself.
    pub fn fake(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(fake_mdatp_path());
        cmd.env("FAKE_MDATP_SCENARIO", self.path());
        cmd
    }

    /// Every argument list the fake was called with, in order.
    pub fn invocations(&self) -> Vec<Vec<String>> {
        let log =
            std::fs::read_to_string(self.path().join("invocations.jsonl")).unwrap_or_default();
        log.lines()
            .map(|l| serde_json::from_str(l).expect("invocation line is JSON"))
            .collect()
    }

    /// The fake's current state name, if a reply switched it.
    pub fn state(&self) -> Option<String> {
        std::fs::read_to_string(self.path().join("state")).ok()
    }

    pub fn grandchild_pid(&self) -> Option<i32> {
        self.read_pid("grandchild.pid")
    }

    /// The pid of the fake's latest invocation.
    pub fn last_pid(&self) -> Option<i32> {
        self.read_pid("last.pid")
    }

    fn read_pid(&self, name: &str) -> Option<i32> {
        std::fs::read_to_string(self.path().join(name))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }
}

/// Parses a command's stdout as JSON.
pub fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// True when the process is gone or a zombie (dead, waiting for a reaper that, in a
/// container without an init, may never come).
pub fn is_dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

/// Waits until the process is dead; true if it died, false if it still runs after
/// [`HANG_GUARD`] (a process that was never killed, not a slow machine).
pub fn wait_dead(pid: i32) -> bool {
    let until = std::time::Instant::now() + HANG_GUARD;
    while std::time::Instant::now() < until {
        if is_dead(pid) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// The ids of a report's findings, in order.
pub fn ids(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["id"].as_str().expect("id"))
        .collect()
}

/// The first finding with this id.
pub fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", ids(report)))
}

pub const CLOUD: &str = "https://go.microsoft.com/fwlink/?linkid=2144709";

/// `mdatp health --details definitions` text, updated `hours_ago` hours ago (local time,
/// as mdatp prints it).
pub struct Defs {
    pub url: String,
    pub source: String,
    pub enabled: bool,
    pub fallback: bool,
    pub verify: &'static str,
    pub fail_reason: &'static str,
    pub status: &'static str,
    pub version: &'static str,
    pub hours_ago: i64,
}

impl Defs {
    pub fn healthy(url: &str) -> Defs {
        Defs {
            url: url.into(),
            source: url.into(),
            enabled: true,
            fallback: false,
            verify: "enabled",
            fail_reason: "",
            status: "up_to_date",
            version: "1.407.417.0",
            hours_ago: 1,
        }
    }

    pub fn text(&self) -> String {
        let when = jiff::ZonedDateTime::now()
            .checked_sub(jiff::SignedDuration::from_hours(self.hours_ago))
            .expect("time");
        format!(
            "automatic_definition_update_enabled         : true [managed]\n\
             definitions_updated                         : {}\n\
             definitions_updated_minutes_ago             : {}\n\
             definitions_version                         : \"{}\"\n\
             definitions_status                          : \"{}\"\n\
             definitions_update_source_uri               : \"{}\"\n\
             definitions_update_fail_reason              : \"{}\"\n\
             offline_definition_url_configured           : \"{}\" [managed]\n\
             offline_definition_update                   : \"{}\" [managed]\n\
             offline_definition_update_verify_sig        : \"{}\"\n\
             offline_definition_update_fallback_to_cloud : {} [managed]\n",
            when.strftime("%b %d, %Y at %I:%M:%S %p"),
            self.hours_ago * 60,
            self.version,
            self.status,
            self.source,
            self.fail_reason,
            self.url,
            if self.enabled { "enabled" } else { "disabled" },
            self.verify,
            self.fallback,
        )
    }
}

pub fn full_health(version: &str) -> String {
    format!(
        "healthy : true\nhealth_issues : []\nlicensed : true\nengine_version : \"1.1.24020.4\"\n\
         app_version : \"{version}\"\nreal_time_protection_enabled : true\npassive_mode_enabled : false\n"
    )
}

pub fn config_for(url: &str, fallback: bool) -> String {
    format!(
        r#"{{"cloudService": {{"automaticDefinitionUpdateEnabled": true}},
  "antivirusEngine": {{"enforcementLevel": "real_time", "offlineDefinitionUpdate": "enabled",
    "offlineDefinitionUpdateUrl": "{url}", "offlineDefinitionUpdateFallbackToCloud": {fallback}}}}}"#
    )
}

/// The uid and gid a root test run drops to (`nobody` on Debian and Fedora).
pub const NOBODY: u32 = 65534;

/// The binary, run as a user without root's rights: as is when the tests already run
/// as one; as `nobody` (setpriv, util-linux) when they run as root, from a copy in a
/// folder anyone can enter (the build tree may be under a home only root can). Keep the
/// returned folder alive while the command runs.
pub fn as_non_root() -> (std::process::Command, Option<tempfile::TempDir>) {
    let bin = Path::new(env!("CARGO_BIN_EXE_mdatp-doctor"));
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return (std::process::Command::new(bin), None);
    }
    let setpriv = which::which("setpriv")
        .expect("setpriv (util-linux) is needed to run the binary as nobody when root");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let copy = dir.path().join("mdatp-doctor");
    if std::fs::hard_link(bin, &copy).is_err() {
        std::fs::copy(bin, &copy).expect("copy the binary");
    }
    let mut cmd = std::process::Command::new(setpriv);
    cmd.args([
        format!("--reuid={NOBODY}"),
        format!("--regid={NOBODY}"),
        "--clear-groups".into(),
        "--".into(),
    ])
    .arg(&copy)
    .env("HOME", "/nonexistent")
    .env_remove("XDG_STATE_HOME");
    (cmd, Some(dir))
}
