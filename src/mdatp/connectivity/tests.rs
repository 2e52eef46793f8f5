//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn the_documented_capture() {
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mdatp/connectivity/linux-ok.txt"
    ))
    .expect("fixture");
    let t = parse(&text);
    assert_eq!(t.results.len(), 14);
    assert!(t.all_ok());
    assert_eq!(t.results[0].url, "https://cdn.x.cp.wd.microsoft.com/ping");
    assert!(t.warnings.is_empty());
}

#[test]
fn failures_keep_their_detail_lines() {
    let t = parse(
        b"ATTENTION: No license found.\r\n\
          Testing connection with https://a/ping ... [OK]\r\n\
          Testing connection with https://b/ping ... [Error]\r\n\
          Expected a 200 Response from Proxy, received: 407\r\n",
    );
    assert_eq!(t.results.len(), 2);
    assert!(!t.all_ok());
    assert_eq!(t.results[1].result, "Error");
    assert_eq!(
        t.results[1].details,
        ["Expected a 200 Response from Proxy, received: 407"]
    );
    assert!(!parse(b"garbage\n").all_ok());
    assert_eq!(parse(b"garbage\n").warnings.len(), 1);
}
