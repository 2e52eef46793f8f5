//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn the_plugin_guidelines_table() {
    // (range, values that alert, values that do not)
    let cases: [(&str, &[f64], &[f64]); 5] = [
        ("10", &[-1.0, 11.0], &[0.0, 10.0]),
        ("10:", &[9.9], &[10.0, 1e9]),
        ("~:10", &[10.1], &[-1e9, 10.0]),
        ("10:20", &[9.0, 21.0], &[10.0, 20.0]),
        ("@10:20", &[10.0, 15.0, 20.0], &[9.0, 21.0]),
    ];
    for (text, alert, fine) in cases {
        let r = parse(text).expect(text);
        for v in alert {
            assert!(r.alerts(*v), "{text} should alert on {v}");
        }
        for v in fine {
            assert!(!r.alerts(*v), "{text} should not alert on {v}");
        }
    }
}

#[test]
fn durations_and_round_trips() {
    assert_eq!(
        parse("24h").expect("24h"),
        Range::above(Duration::from_secs(86_400))
    );
    assert_eq!(parse("~:3d").expect("~:3d").end, Some(259_200.0));
    for text in ["86400", "10:", "~:10", "10:20", "@10:20"] {
        assert_eq!(parse(text).expect(text).to_plugin_syntax(), text);
    }
}

#[test]
fn invalid_thresholds() {
    for bad in ["", "abc", "20:10", "@", "1:2:3", "x:5", "NaN"] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}
