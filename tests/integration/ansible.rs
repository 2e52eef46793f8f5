//! The example Ansible playbook, run for real against localhost with the fake mdatp:
//! install, diagnose, fetch, aggregate; and the staged mirror's canary gate.

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::mirror_host::{DEFS, ENGINE, stored_zip};
use crate::testenv::{DEFINITIONS, Defs, Reply, TestEnv, config_for, fake_mdatp_path, full_health};

#[test]
#[ignore = "needs ansible-playbook (.ci/run installs it in a virtualenv and runs it)"]
fn the_example_playbook_runs_against_localhost() {
    // Asked to run, it must run: a missing tool is a failure, never a silent pass.
    let playbook_bin = which::which("ansible-playbook")
        .expect("ansible-playbook is not on PATH: `bash .ci/run` installs it in target/ci-venv");
    let mut env = TestEnv::new();
    let url = "http://127.0.0.1:9/linux/production/";
    env.on(DEFINITIONS, Reply::stdout(&Defs::healthy(url).text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(url, false));
    let reports = env.path().join("reports");
    // The interpreter that runs Ansible itself: discovery can pick one that is not set up.
    let python = which::which("python3").expect("python3 runs ansible-playbook");
    let vars = serde_json::json!({
        "ansible_python_interpreter": python,
        "mdatp_doctor_become": false,
        "mdatp_doctor_binary": env!("CARGO_BIN_EXE_mdatp-doctor"),
        "mdatp_doctor_dest": env.path().join("bin/mdatp-doctor"),
        "mdatp_doctor_remote_report": env.path().join("remote-report.json"),
        "mdatp_doctor_reports": reports,
        "mdatp_doctor_args": ["--skip-network"],
        "mdatp_doctor_env": {
            "FAKE_MDATP_SCENARIO": env.path(),
            "MDATP_DOCTOR_MDATP": fake_mdatp_path(),
            "MDATP_DOCTOR_STATE_DIR": env.state_dir(),
            "MDATP_DOCTOR_MANAGED_CONFIG": env.managed_config_path(),
        },
    });
    std::fs::create_dir_all(env.path().join("bin")).expect("mkdir");
    let out = std::process::Command::new(playbook_bin)
        .args(["-i", "localhost,", "-c", "local", "-e"])
        .arg(vars.to_string())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/ansible/mdatp-doctor.yml"
        ))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false")
        .env("ANSIBLE_HOME", env.path().join("ansible-home"))
        .output()
        .expect("ansible-playbook runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(reports.join("localhost/diagnose.json")).expect("fetched report"),
    )
    .expect("json");
    assert_eq!(report["verdict"], "ok", "{report:#}");
    let fleet: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("fleet.json")).expect("fleet summary"))
            .expect("json");
    assert_eq!(fleet["reports"], 1);
    assert_eq!(fleet["verdicts"]["ok"]["count"], 1);
    assert!(
        env.path().join("bin/mdatp-doctor").is_file(),
        "the binary was installed"
    );
}

/// `ansible-playbook -c local` against localhost with `vars`, from contrib/ansible.
fn playbook(env: &TestEnv, playbook: &str, vars: &serde_json::Value, extra: &[&str]) -> String {
    let (ok, text) = run_playbook(env, "localhost,", playbook, vars, extra);
    assert!(ok, "{playbook} {extra:?}:\n{text}");
    text
}

/// `ansible-playbook -c local` with `inventory` (a file, or `host,`): whether it
/// succeeded, and its output.
fn run_playbook(
    env: &TestEnv,
    inventory: impl AsRef<OsStr>,
    playbook: &str,
    vars: &serde_json::Value,
    extra: &[&str],
) -> (bool, String) {
    let bin = which::which("ansible-playbook")
        .expect("ansible-playbook is not on PATH: `bash .ci/run` installs it in target/ci-venv");
    let out = std::process::Command::new(bin)
        .arg("-i")
        .arg(inventory)
        .args(["-c", "local", "-e"])
        .arg(vars.to_string())
        .args(extra)
        .arg(format!(
            "{}/contrib/ansible/{playbook}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false")
        .env("ANSIBLE_HOME", env.path().join("ansible-home"))
        .output()
        .expect("ansible-playbook runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The words of a systemd command line as the role writes it: each one double-quoted,
/// `\\`, `\"` escaped, `%%` for `%`.
fn systemd_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {}
            '"' => {
                let mut w = String::new();
                loop {
                    match chars.next().expect("closing quote") {
                        '"' => break,
                        '\\' => w.push(chars.next().expect("escaped")),
                        '%' => {
                            assert_eq!(chars.next(), Some('%'), "a bare % specifier");
                            w.push('%');
                        }
                        c => w.push(c),
                    }
                }
                words.push(w);
            }
            c => panic!("an unquoted word starting with {c:?} in {line}"),
        }
    }
    words
}

#[test]
#[ignore = "needs ansible-playbook (.ci/run installs it in a virtualenv and runs it)"]
fn the_role_deploys_the_timer_and_the_diagnose_playbook_aggregates() {
    let mut env = TestEnv::new();
    let url = "http://127.0.0.1:9/linux/production/";
    env.on(DEFINITIONS, Reply::stdout(&Defs::healthy(url).text()))
        .on("health", Reply::stdout(&full_health("101.25012.0000")));
    env.write_managed_config(&config_for(url, false));
    let python = which::which("python3").expect("python3 runs ansible-playbook");
    // Spaces and a % in the paths: the unit must keep each word whole.
    let textfile = env.path().join("text file");
    let units = env.path().join("units");
    let bin = env.path().join("bin/mdatp-doctor");
    let events = env.path().join("log 100%/events.json");
    for d in [
        &textfile,
        &units,
        &env.path().join("bin"),
        &env.path().join("log 100%"),
    ] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let reports = env.path().join("reports");
    let vars = serde_json::json!({
        "ansible_python_interpreter": python,
        "mdatp_doctor_become": false,
        "mdatp_doctor_install": "binary",
        "mdatp_doctor_binary": env!("CARGO_BIN_EXE_mdatp-doctor"),
        "mdatp_doctor_bin": bin,
        "mdatp_doctor_systemd_dir": units,
        "mdatp_doctor_systemd_manage": false,
        "mdatp_doctor_textfile_dir": textfile,
        "mdatp_doctor_check_args": ["--skip-network"],
        "mdatp_doctor_log_json": events,
        "mdatp_doctor_config_fix_dry_run": true,
        "mdatp_doctor_managed_config": env.managed_config_path(),
        "mdatp_doctor_diagnose_args": ["--skip-network"],
        "mdatp_doctor_remote_report": env.path().join("remote-report.json"),
        "mdatp_doctor_reports": reports,
        "mdatp_doctor_controller_bin": env!("CARGO_BIN_EXE_mdatp-doctor"),
        "mdatp_doctor_env": {
            "FAKE_MDATP_SCENARIO": env.path(),
            "MDATP_DOCTOR_MDATP": fake_mdatp_path(),
            "MDATP_DOCTOR_STATE_DIR": env.state_dir(),
            "MDATP_DOCTOR_MANAGED_CONFIG": env.managed_config_path(),
        },
    });

    // Check mode first: it says what it would do and changes nothing.
    let dry = playbook(&env, "site.yml", &vars, &["--check"]);
    assert!(dry.contains("changed="), "{dry}");
    assert!(!bin.exists(), "check mode installed the binary");
    assert_eq!(std::fs::read_dir(&units).expect("units").count(), 0);

    playbook(&env, "site.yml", &vars, &[]);
    assert!(bin.is_file(), "the binary was installed");
    let service =
        std::fs::read_to_string(units.join("mdatp-doctor-textfile.service")).expect("service");
    let timer = std::fs::read_to_string(units.join("mdatp-doctor-textfile.timer")).expect("timer");
    assert!(timer.contains("OnUnitActiveSec=5min"), "{timer}");
    // The timer's command, run as systemd would: it writes the textfile and the events.
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let argv = systemd_words(exec);
    assert_eq!(argv[0], bin.display().to_string());
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]).env_clear();
    for line in service.lines() {
        if let Some(e) = line.strip_prefix("Environment=") {
            let words = systemd_words(e);
            let (k, v) = words[0].split_once('=').expect("K=V");
            cmd.env(k, v);
        }
    }
    let out = cmd.output().expect("the timer's command runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let prom = std::fs::read_to_string(textfile.join("mdatp_doctor.prom")).expect("textfile");
    assert!(prom.contains("mdatp_doctor_"), "{prom}");
    let line = std::fs::read_to_string(&events).expect("event log");
    let event: serde_json::Value =
        serde_json::from_str(line.lines().next().expect("a line")).expect("json");
    assert_eq!(event["event"]["action"], "check");
    // systemd itself accepts the units, when it is here to ask.
    if let Ok(analyze) = which::which("systemd-analyze") {
        let out = std::process::Command::new(analyze)
            // The man page is installed by the package, not here.
            .args(["verify", "--man=no"])
            .arg(units.join("mdatp-doctor-textfile.service"))
            .arg(units.join("mdatp-doctor-textfile.timer"))
            .output()
            .expect("systemd-analyze runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("mdatp-doctor-textfile"),
            "systemd-analyze verify:\n{stderr}"
        );
    }

    // Diagnose the (stale) hosts: reports fetched, the fleet summarised on the controller.
    playbook(&env, "diagnose.yml", &vars, &[]);
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(reports.join("localhost/diagnose.json")).expect("fetched report"),
    )
    .expect("json");
    assert_eq!(report["verdict"], "ok", "{report:#}");
    let fleet: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.join("fleet.json")).expect("fleet"))
            .expect("json");
    assert_eq!(fleet["reports"], 1);
    assert_eq!(fleet["verdicts"]["ok"]["count"], 1);
}

const CANARY_URL: &str = "http://127.0.0.1:9/canary/linux/production/";

/// A staged mirror root in `env` whose canary ring serves `DEFS` (an incoming package
/// staged by the binary), and an endpoint (the fake mdatp) in the canary that runs
/// `runs`, got from the canary ring, engine loaded.
fn canary_world(env: &mut TestEnv, runs: &'static str) -> PathBuf {
    let root = env.path().join("wdav");
    let incoming = root.join("incoming/linux/production/arch_x86_64");
    std::fs::create_dir_all(&incoming).expect("mkdir");
    // promote refuses a root its group or others may write, whatever the umask.
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(
        incoming.join("updates.zip"),
        stored_zip("mpasbase.vdm", format!("defs {DEFS}").as_bytes()),
    )
    .expect("package");
    let manifest = serde_json::json!({"EngineVersion": ENGINE, "DefinitionVersion": DEFS});
    std::fs::write(incoming.join("manifest.json"), manifest.to_string()).expect("manifest");
    let out = env
        .std_cmd()
        .args(["mirror", "promote", "--to", "canary", "--root"])
        .arg(&root)
        .output()
        .expect("mirror promote runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let defs = Defs {
        version: runs,
        ..Defs::healthy(CANARY_URL)
    };
    let health = format!(
        "{}engine_load_status : \"Engine load succeeded\"\n",
        full_health("101.25012.0000")
    );
    env.on(DEFINITIONS, Reply::stdout(&defs.text()))
        .on("health", Reply::stdout(&health));
    env.write_managed_config(&config_for(CANARY_URL, false));
    std::fs::write(
        env.path().join("inventory.ini"),
        "[canary]\nlocalhost\n\n[mirror]\nlocalhost\n",
    )
    .expect("inventory");
    root
}

fn gate_vars(env: &TestEnv, root: &Path) -> serde_json::Value {
    serde_json::json!({
        "ansible_python_interpreter": which::which("python3").expect("python3 runs ansible-playbook"),
        "mdatp_doctor_become": false,
        "mdatp_doctor_bin": env!("CARGO_BIN_EXE_mdatp-doctor"),
        "mdatp_doctor_diagnose_args": ["--skip-network"],
        "mdatp_doctor_remote_report": env.path().join("remote-report.json"),
        "mdatp_doctor_canary_reports": env.path().join("canary-reports"),
        "mdatp_doctor_stage_root": root,
        // The canary was staged a moment ago; the soak is the binary's own test.
        "mdatp_doctor_soak": "0",
        "mdatp_doctor_env": {
            "FAKE_MDATP_SCENARIO": env.path(),
            "MDATP_DOCTOR_MDATP": fake_mdatp_path(),
            "MDATP_DOCTOR_STATE_DIR": env.state_dir(),
            "MDATP_DOCTOR_MANAGED_CONFIG": env.managed_config_path(),
        },
    })
}

/// The result line (`ok: [localhost]`, `changed: …`, `fatal: …`) of the role task `name`.
fn task_result<'a>(output: &'a str, name: &str) -> &'a str {
    let header = format!("TASK [mdatp_doctor : {name}]");
    let at = output
        .find(&header)
        .unwrap_or_else(|| panic!("no task {name:?} in:\n{output}"));
    output[at..]
        .lines()
        .skip(1)
        .find(|l| {
            ["ok:", "changed:", "fatal:", "skipping:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .unwrap_or_else(|| panic!("no result for {name:?} in:\n{output}"))
}

const PROMOTE_TASK: &str = "Run mirror promote --to production";

#[test]
#[ignore = "needs ansible-playbook (.ci/run installs it in a virtualenv and runs it)"]
fn the_canary_gate_playbook_promotes_what_the_canary_runs() {
    let mut env = TestEnv::new();
    let root = canary_world(&mut env, DEFS);
    let vars = gate_vars(&env, &root);
    let inventory = env.path().join("inventory.ini");

    let (ok, out) = run_playbook(&env, &inventory, "canary-gate.yml", &vars, &[]);
    assert!(ok, "{out}");
    assert!(
        task_result(&out, PROMOTE_TASK).starts_with("changed:"),
        "{out}"
    );
    let report = env.path().join("canary-reports/localhost/diagnose.json");
    assert!(report.is_file(), "the canary's report was fetched:\n{out}");
    // Production now serves the canary's package: the same file, hard-linked.
    let canary = root.join("canary/linux/production/arch_x86_64");
    let production = root.join("linux/production/arch_x86_64");
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(production.join("manifest.json")).expect("production manifest"),
    )
    .expect("json");
    assert_eq!(manifest["DefinitionVersion"], DEFS);
    assert_eq!(
        std::fs::read(production.join("updates.zip")).expect("production package"),
        std::fs::read(canary.join("updates.zip")).expect("canary package")
    );
    let ino = |p: &Path| {
        std::fs::metadata(p.join("updates.zip"))
            .expect("stat")
            .ino()
    };
    assert_eq!(ino(&production), ino(&canary));

    // Nothing new the second time: ok, not changed.
    let (ok, out) = run_playbook(&env, &inventory, "canary-gate.yml", &vars, &[]);
    assert!(ok, "{out}");
    assert!(task_result(&out, PROMOTE_TASK).starts_with("ok:"), "{out}");
}

#[test]
#[ignore = "needs ansible-playbook (.ci/run installs it in a virtualenv and runs it)"]
fn the_canary_gate_playbook_fails_naming_a_canary_behind_and_promotes_nothing() {
    let mut env = TestEnv::new();
    let root = canary_world(&mut env, "1.441.89.0");
    let vars = gate_vars(&env, &root);
    // Last run's report of a host that does not answer now: it would pass the gate.
    let ghost = env.path().join("canary-reports/ghost-01");
    std::fs::create_dir_all(&ghost).expect("mkdir");
    let stale = serde_json::json!({
        "schema_version": 1,
        "snapshot": {
            "time": "2099-01-01T00:00:00Z",
            "hostname": "ghost-01",
            "definitions": {
                "definitions_version": {"value": DEFS},
                "definitions_status": {"value": "up_to_date"},
                "definitions_update_source_uri": {"value": CANARY_URL},
            },
            "health": {"engine_load_status": {"value": "Engine load succeeded"}},
        },
        "findings": [],
        "verdict": "ok",
    });
    std::fs::write(ghost.join("diagnose.json"), stale.to_string()).expect("stale report");

    let (ok, out) = run_playbook(
        &env,
        env.path().join("inventory.ini"),
        "canary-gate.yml",
        &vars,
        &[],
    );
    assert!(!ok, "the refusal must fail the play:\n{out}");
    // Refused on purpose (exit 2), not failed by the command itself.
    assert!(task_result(&out, PROMOTE_TASK).starts_with("ok:"), "{out}");
    assert!(
        task_result(&out, "Fail when the gate refused").starts_with("fatal:"),
        "{out}"
    );
    assert!(out.contains("refused (exit 2)"), "{out}");
    assert!(
        out.contains("runs 1.441.89.0, behind the canary's 1.441.90.0"),
        "the host and why:\n{out}"
    );
    assert!(
        out.contains("0 canary host(s) of the 1 needed"),
        "the stale report was not counted:\n{out}"
    );
    assert!(!ghost.join("diagnose.json").exists(), "{out}");
    assert!(
        !root.join("linux/production/arch_x86_64").exists(),
        "nothing was promoted"
    );
}
