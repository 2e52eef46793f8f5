//! The example Ansible playbook, run for real against localhost with the fake mdatp:
//! install, diagnose, fetch, aggregate.

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
