//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn timeouts() {
    assert_eq!(parse_timeout("60"), Ok(Duration::from_secs(60)));
    assert_eq!(parse_timeout("1.5"), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
    for bad in ["0", "-1", "abc", "", "NaN", "inf", "2d"] {
        assert!(parse_timeout(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_timeout("0"), Err("`0` must be more than 0".into()));
    assert_eq!(
        parse_timeout("2d"),
        Err("`2d` is out of range (at most a day)".into())
    );
    assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
    assert!(parse_age("400d").is_err());
}

#[test]
fn sizes() {
    assert_eq!(parse_size("2GiB"), Ok(2 * 1024 * 1024 * 1024));
    assert_eq!(parse_size("500MB"), Ok(500_000_000));
    assert_eq!(parse_size("1048576"), Ok(1_048_576));
    assert_eq!(parse_size("1.5k"), Ok(1500));
    for bad in ["", "0", "GiB", "5 parsecs", "-1"] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}
