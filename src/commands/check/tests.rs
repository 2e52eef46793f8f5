//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn nagios_mode_is_recognised_from_the_raw_arguments() {
    assert!(is_nagios_check(&v(&["check", "--bogus"])));
    assert!(is_nagios_check(&v(&[
        "--timeout",
        "5",
        "check",
        "--format",
        "nagios"
    ])));
    assert!(!is_nagios_check(&v(&["check", "--format", "prometheus"])));
    assert!(!is_nagios_check(&v(&["check", "--format=json"])));
    assert!(!is_nagios_check(&v(&["diagnose", "--bogus"])));
    // `mirror check` prints for people unless told otherwise.
    assert!(!is_nagios_check(&v(&["mirror", "check", "--url", "h:1/x"])));
    assert!(is_nagios_check(&v(&[
        "mirror", "check", "--format", "nagios", "--bogus"
    ])));
    // `config check` is no monitoring check: a refused format is a usage error (64).
    assert!(!is_nagios_check(&v(&[
        "config", "--format", "nagios", "check"
    ])));
    assert!(!is_nagios_check(&v(&[
        "config", "check", "--format", "nagios"
    ])));
}

#[test]
fn refused_arguments_become_one_unknown_line() {
    let line = usage_unknown("error: unexpected argument '--bogus' found\n\nUsage: ...");
    assert_eq!(
        line,
        "MDATP OFFLINE-UPDATES UNKNOWN - bad argument: unexpected argument '--bogus' found\n"
    );
}
