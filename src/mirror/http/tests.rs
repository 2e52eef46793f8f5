//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn http_dates() {
    let ts = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
    assert_eq!(ts.to_string(), "1994-11-06T08:49:37Z");
    assert_eq!(parse_http_date("yesterday"), None);
}

#[test]
fn literal_addresses_need_no_lookup() {
    let a = resolve("127.0.0.1", 80, Duration::from_millis(1)).expect("literal");
    assert_eq!(a, ["127.0.0.1:80".parse().expect("addr")]);
    let a = resolve("[::1]", 443, Duration::from_millis(1)).expect("literal v6");
    assert_eq!(a[0].port(), 443);
}

#[test]
fn the_first_hop_is_the_proxy_when_there_is_one() {
    let base = Url::parse("https://mirror.example/linux/production/").expect("url");
    assert_eq!(
        connect_target(&base, None).expect("ok"),
        ("mirror.example".into(), 443, None)
    );
    assert_eq!(
        connect_target(&base, Some("http://proxy.example:3128/")).expect("ok"),
        (
            "proxy.example".into(),
            3128,
            Some("http://proxy.example:3128/".into())
        )
    );
    assert!(connect_target(&base, Some("not a url")).is_err());
}

#[test]
fn link_local_addresses_are_recognised() {
    for ip in [
        "169.254.169.254",
        "169.254.0.1",
        "fe80::1",
        "febf::1",
        "::ffff:169.254.169.254",
    ] {
        assert!(is_link_local(ip.parse().expect("ip")), "{ip}");
    }
    for ip in [
        "127.0.0.1",
        "10.0.0.1",
        "169.255.0.1",
        "fec0::1",
        "::1",
        "2001:db8::1",
    ] {
        assert!(!is_link_local(ip.parse().expect("ip")), "{ip}");
    }
}

#[test]
fn cross_host_redirect_targets_are_checked_before_use() {
    let opts = ProbeOptions {
        connect_timeout: Duration::from_secs(2),
        probe_timeout: Duration::from_secs(2),
        proxy: None,
        trust: crate::mirror::tls::Trust::load(&[] as &[&str]).expect("trust"),
        verify_package: false,
        max_package_bytes: 0,
        package_timeout: Duration::from_secs(2),
    };
    // Only a hung resolver reaches it (localhost is looked up below).
    let deadline = Instant::now() + Duration::from_secs(600);
    let url = |s: &str| Url::parse(s).expect("url");
    let e = redirect_target(&url("http://169.254.169.254/x"), &opts, deadline).expect_err("v4");
    assert_eq!(e.kind, ErrorKind::RedirectRefused);
    let e = redirect_target(&url("http://[fe80::1]:8080/x"), &opts, deadline).expect_err("v6");
    assert_eq!(e.kind, ErrorKind::RedirectRefused);
    assert_eq!(
        redirect_target(&url("http://127.0.0.2:8000/x"), &opts, deadline).expect("ok"),
        None
    );
    // A name is resolved here and the request pinned to what was checked.
    let (host, addrs) = redirect_target(&url("http://localhost:8000/x"), &opts, deadline)
        .expect("ok")
        .expect("pinned");
    assert_eq!(host, "localhost");
    assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    assert!(same_host(&url("http://m:80/a"), &url("http://m/b")));
    assert!(!same_host(&url("http://m/a"), &url("http://m:8080/a")));
    assert!(!same_host(&url("http://m/a"), &url("https://m/a")));
}
