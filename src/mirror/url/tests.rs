//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn problems(text: &str) -> Vec<UrlProblem> {
    check(text).problems
}

#[test]
fn good_locations() {
    for ok in [
        "http://172.22.199.67:8000/linux/production/",
        "https://mirror.example/updates/linux/preview",
        "/mnt/wdav-update/linux/production",
        "file:///mnt/wdav-update/linux/production/",
    ] {
        let c = check(ok);
        assert!(c.location.is_some(), "{ok}");
        assert_eq!(c.problems, [], "{ok}");
    }
    assert_eq!(
        check("file:///mnt/m/linux/production/").location,
        Some(Location::Dir("/mnt/m/linux/production/".into()))
    );
}

#[test]
fn missing_scheme_is_malformed_with_a_suggestion() {
    let c = check("www.example.server.com:8000/linux/production/");
    assert_eq!(c.location, None);
    assert_eq!(
        c.problems,
        [UrlProblem::Malformed {
            reason: "no scheme (http://, https:// or an absolute directory): this tool cannot probe it, and how mdatp reads such a URL is not documented".into(),
            suggestion: Some("http://www.example.server.com:8000/linux/production/".into())
        }]
    );
    assert!(
        matches!(&problems("ftp://x/linux/production/")[0], UrlProblem::Malformed { reason, .. } if reason.contains("ftp"))
    );
    assert!(matches!(&problems("")[0], UrlProblem::Malformed { .. }));
    assert!(matches!(
        &problems("http://[::1/")[0],
        UrlProblem::Malformed { .. }
    ));
}

#[test]
fn arch_folder_in_the_url() {
    assert_eq!(
        problems("http://m:8000/linux/production/arch_x86_64/"),
        [UrlProblem::IncludesArch {
            segment: "arch_x86_64".into(),
            suggestion: "http://m:8000/linux/production/".into()
        }]
    );
}

#[test]
fn mac_url_on_linux() {
    assert_eq!(
        problems("http://m/mac/production/"),
        [UrlProblem::PlatformMismatch {
            suggestion: "http://m/linux/production/".into()
        }]
    );
}

#[test]
fn ring_folder_and_rollback() {
    assert_eq!(problems("http://m/linux/"), [UrlProblem::NotRingFolder]);
    assert_eq!(problems("http://m/updates/"), [UrlProblem::NotRingFolder]);
    assert_eq!(
        problems("/srv/linux/production_back/"),
        [UrlProblem::Rollback {
            ring: "production_back".into()
        }]
    );
}

#[test]
fn arch_folder_is_joined_below_the_ring() {
    let Some(loc) = check("http://m:8000/linux/production").location else {
        panic!()
    };
    assert_eq!(
        arch_location(&loc, "arm64").to_string(),
        "http://m:8000/linux/production/arch_arm64/"
    );
    let Some(loc) = check("/mnt/x/linux/production/").location else {
        panic!()
    };
    assert_eq!(
        arch_location(&loc, "x86_64").to_string(),
        "/mnt/x/linux/production/arch_x86_64"
    );
}

#[test]
fn a_command_line_location_that_cannot_be_probed_is_refused_with_the_corrected_form() {
    let cwd = std::env::temp_dir();
    let refused = |t: &str| command_line(t, Some(&cwd)).unwrap_err();
    let e = refused("host:8000/linux/production/");
    assert!(
        e.starts_with("no scheme")
            && e.ends_with("did you mean http://host:8000/linux/production/?"),
        "{e}"
    );
    let e = refused("ftp://host/linux/production/");
    assert!(
        e.contains("unsupported scheme `ftp`")
            && e.ends_with("did you mean http://host/linux/production/?"),
        "{e}"
    );
    assert!(refused("http:/host/x/").ends_with("did you mean http://host/x/?"));
    assert!(refused("HTTPS:host/x").ends_with("did you mean https://host/x?"));
    assert!(refused("http//host/x").ends_with("did you mean http://host/x?"));
    let e = refused("./mirror/linux/production/");
    let want = format!("did you mean {}/mirror/linux/production/?", cwd.display());
    assert!(
        e.starts_with("a relative directory") && e.ends_with(&want),
        "{e}"
    );
    let e = command_line("../b", Some(Path::new("/srv/a"))).unwrap_err();
    assert!(e.ends_with("did you mean /srv/b?"), "{e}");
    assert!(refused("").starts_with("it is empty"));
    assert!(refused("http://h:99999/").contains("invalid port number"));
    // What can be probed passes as typed; its path is still judged by the findings.
    for ok in [
        "http://mirror:8000/linux/production/",
        "HTTPS://mirror/linux/production/arch_x86_64/",
        "/mnt/mirror/linux/production/",
        "file:///mnt/mirror/linux/production/",
        "http://mirror/somewhere/else",
    ] {
        assert_eq!(command_line(ok, Some(&cwd)).as_deref(), Ok(ok));
    }
}
