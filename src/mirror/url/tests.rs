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
