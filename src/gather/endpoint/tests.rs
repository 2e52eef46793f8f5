//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn the_service_proxy_comes_from_its_environment() {
    assert_eq!(
        service_proxy("Environment=HTTPS_PROXY=http://proxy:3128/ LANG=C\n"),
        Some("http://proxy:3128/".into())
    );
    assert_eq!(
        service_proxy("Environment=\"https_proxy=http://p:8080\" FOO=bar\n"),
        Some("http://p:8080".into())
    );
    assert_eq!(service_proxy("Environment=\n"), None);
    assert_eq!(service_proxy("Environment=HTTP_PROXY=http://p:1/\n"), None);
    assert_eq!(
        service_proxy("System has not been booted with systemd\n"),
        None
    );
}

#[test]
fn the_distribution_family_picks_the_trust_store() {
    let family = |t: &str| OsFamily::from_os_release(t);
    assert_eq!(
        family("ID=ubuntu\nID_LIKE=debian\n"),
        Some(OsFamily::Debian)
    );
    assert_eq!(
        family("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"),
        Some(OsFamily::Rhel)
    );
    assert_eq!(
        family("ID=\"sles\"\nID_LIKE=\"suse\"\n"),
        Some(OsFamily::Suse)
    );
    assert_eq!(family("ID=arch\n"), None);
    assert_eq!(OsFamily::Rhel.trust_store().1, "update-ca-trust");
    assert!(
        OsFamily::Suse
            .trust_store()
            .0
            .starts_with("/etc/pki/trust/anchors/")
    );
}

#[test]
fn absent_files_and_tools_are_no_facts() {
    let plan = EndpointPlan {
        offboard_file: "/nonexistent/offboard.json".into(),
        definitions_dir: "/nonexistent/mdatp".into(),
        os_release: "/nonexistent/os-release".into(),
        systemctl: Some("/nonexistent/systemctl".into()),
    };
    assert_eq!(read(&plan), EndpointFacts::default());
    assert_eq!(service_state(&plan), None);
}

#[test]
fn a_present_offboarding_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("mdatp_offboard.json");
    std::fs::write(&file, "{}").expect("write");
    let plan = EndpointPlan {
        offboard_file: file.clone(),
        definitions_dir: dir.path().into(),
        systemctl: Some("/nonexistent/systemctl".into()),
        ..EndpointPlan::default()
    };
    let facts = read(&plan);
    assert_eq!(facts.offboard_file, Some(file.display().to_string()));
    assert!(facts.definitions_free.is_some_and(|(_, b)| b > 0));
}
