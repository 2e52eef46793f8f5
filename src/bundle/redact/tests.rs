//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

#[test]
fn secrets_are_always_removed() {
    let mut r = Redactor::new(false);
    let text = "proxy http://alice:s3cret@proxy:3128 then https://m.blob.core.windows.net/x?sv=2020&sig=AbC%2Bdef&se=1 token=xyz";
    let out = r.redact(text);
    assert!(!out.contains("s3cret") && !out.contains("alice"), "{out}");
    assert!(!out.contains("AbC%2Bdef") && !out.contains("xyz"), "{out}");
    assert!(
        out.contains("http://REDACTED@proxy:3128") && out.contains("sig=REDACTED&se=1"),
        "{out}"
    );
    // Without --redact-ids, ids and addresses stay.
    assert_eq!(r.redact("org 10.1.2.3"), "org 10.1.2.3");
    assert_eq!(Redactor::off().redact(text), text, "--no-redact");
}

/// Each line plants one secret form; the second element is what must be gone.
pub(crate) const PLANTED: &[(&str, &str)] = &[
    ("http://alice:s3cretA@proxy.corp:3128/", "s3cretA"),
    ("http://alice:p@ssW0rdB@proxy.corp:3128/", "ssW0rdB"),
    ("https://alice:pa/ss/C9@mirror.corp/linux/", "ss/C9"),
    ("https://bob:x%40yD7@mirror.corp:8443/", "yD7"),
    ("proxy alice:s3cretE@proxy.corp:3128 failed", "s3cretE"),
    ("\"proxy\": \"carol:p@sF4@10.0.0.8:8080\"", "sF4"),
    (
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJHIn0.sigG5",
        "eyJhbGciOiJIUzI1NiJ9",
    ),
    (
        "Proxy-Authorization: Basic YWxpY2U6czNjcmV0SA==",
        "YWxpY2U6czNjcmV0SA",
    ),
    (
        "sending header Bearer abcdef0123456789TOKENI",
        "abcdef0123456789TOKENI",
    ),
    ("{\"password\": \"hunter2J\"}", "hunter2J"),
    ("{\"apiKey\":\"AKIAK3XAMPLE\"}", "AKIAK3XAMPLE"),
    ("{\"secret\": \"shhL8\"}", "shhL8"),
    ("{\"token\": \"tokM9\", \"other\": 1}", "tokM9"),
    (
        "{\"client_secret\": \"csN10\", \"accessToken\": \"atO11\"}",
        "csN10",
    ),
    ("{\"accessToken\": \"atO11\"}", "atO11"),
    ("{\"proxyPassword\": 98765432}", "98765432"),
    ("password: hunter P12 with spaces", "hunter P12"),
    ("api_key: akQ13", "akQ13"),
    ("password=pwR14", "pwR14"),
    ("PASSWORD = pw S15 spaced", "pw S15"),
    ("error: proxy said token=tkT16; retrying", "tkT16"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=akU17==;EndpointSuffix=core",
        "akU17",
    ),
    (
        "https://acct.blob.core.windows.net/c?sv=2020&sig=sgV18%2B&se=1",
        "sgV18",
    ),
    ("GET /cb?code=cdW19&state=1", "cdW19"),
    ("mdatp: {\\\"password\\\": \\\"escX20\\\"}", "escX20"),
    ("X-Api-Key: xkY21", "xkY21"),
    ("Cookie: session=ckZ22", "ckZ22"),
];

#[test]
fn every_planted_secret_form_goes() {
    let mut r = Redactor::new(false);
    for (text, secret) in PLANTED {
        let out = r.redact(text);
        assert!(!out.contains(secret), "{secret} survived: {text} → {out}");
        assert!(out.contains(MASK), "{text} → {out}");
        assert_eq!(
            r.redact(&out),
            out,
            "redacting twice changes nothing: {out}"
        );
    }
}

#[test]
fn credentials_go_up_to_the_last_at_and_the_host_stays() {
    let mut r = Redactor::new(false);
    assert_eq!(
        r.redact("via http://alice:p@ssW0rd@proxy.corp:3128/x"),
        "via http://REDACTED@proxy.corp:3128/x"
    );
    assert_eq!(
        r.redact("via http://alice:pa/ss@proxy.corp:3128"),
        "via http://REDACTED@proxy.corp:3128"
    );
    assert_eq!(
        r.redact("alice:s3cret@proxy.corp:3128"),
        "REDACTED@proxy.corp:3128"
    );
    assert_eq!(
        r.redact("Authorization: Bearer abc.def.ghi123 (expired)"),
        "Authorization: Bearer REDACTED (expired)"
    );
    assert_eq!(
        r.redact("{\"password\": \"x\", \"n\": {\"token\": 12345}, \"apiKey\": null}"),
        "{\"password\": \"REDACTED\", \"n\": {\"token\": \"REDACTED\"}, \"apiKey\": null}",
        "a JSON document stays JSON"
    );
}

#[test]
fn ordinary_text_is_not_mangled() {
    let mut r = Redactor::new(false);
    for text in [
        "definitions_version : \"1.407.417.0\"",
        "app_version : \"101.25012.0000\"",
        "engine_version : \"1.1.24020.4\"",
        "offline_definition_update_verify_sig : \"enabled\"",
        "engine_signature_verification : \"enabled\"",
        "/var/opt/microsoft/mdatp/definitions/updates.zip",
        "https://go.microsoft.com/fwlink/?linkid=2144709",
        "http://mirror.corp:8000/linux/production/",
        "Basic authentication is not supported",
        "Bearer token expired at 10:20:30",
        "secret_scanning_enabled : false",
        "\"key\": \"offline_definition_url_configured\"",
        "std::fs::read at 2025-06-01T10:20:30Z",
        "git@github.com:org/repo.git",
        "unknown when the user is not in /etc/passwd: what it may write cannot be told",
    ] {
        assert_eq!(r.redact(text), text);
    }
}

#[test]
fn ids_hosts_and_addresses_get_consistent_placeholders() {
    let mut r = Redactor::new(true);
    r.register("b6cafe3e-bf50-4d8d-829a-d68b3fd21827", "org");
    r.register("endpoint01", "host");
    let a = r.redact("org_id : \"b6cafe3e-bf50-4d8d-829a-d68b3fd21827\" on endpoint01 via http://mirror.corp:8000/ and 10.1.2.3");
    let b = r.redact("again 10.1.2.3 and 10.9.9.9, mirror http://mirror.corp/ from endpoint01, cloud https://go.microsoft.com/fwlink");
    assert_eq!(
        a,
        "org_id : \"org-1\" on host-1 via http://host-2:8000/ and ip-1"
    );
    assert_eq!(
        b,
        "again ip-1 and ip-2, mirror http://host-2/ from host-1, cloud https://go.microsoft.com/fwlink"
    );
    assert_eq!(
        r.redact("proxy http://bob:pw@proxy.corp:3128/"),
        "proxy http://REDACTED@host-3:3128/"
    );
    // Version strings are not addresses.
    assert_eq!(
        r.redact("definitions 1.407.417.0 engine 1.1.24020.4"),
        "definitions 1.407.417.0 engine 1.1.24020.4"
    );
    assert_eq!(r.redact(&a), a, "placeholders are left alone");
}

#[test]
fn every_guid_any_case_ipv6_and_registered_hosts_go() {
    let mut r = Redactor::new(true);
    r.register("b6cafe3e-bf50-4d8d-829a-d68b3fd21827", "org");
    r.register_machine("endpoint01.corp.example");
    r.register_url_host("http://alice:pw@proxy.corp.example:3128/");
    r.register_url_host("http://mirror:8000/linux/");
    r.register("db", "host");
    let out = r.redact(
        "org B6CAFE3E-BF50-4D8D-829A-D68B3FD21827 tenant 0F8FAD5B-D9CB-469F-A165-70867728950E \
         again 0f8fad5b-d9cb-469f-a165-70867728950e host ENDPOINT01 fqdn endpoint01.corp.example \
         proxy proxy.corp.example:3128 peer 2001:db8::dead:beef link fe80::1%eth0. \
         db up; mirror is fine; http://mirror:8000/x",
    );
    assert_eq!(
        out,
        "org org-1 tenant guid-1 again guid-1 host host-1 fqdn host-2 proxy host-3:3128 \
         peer ip-1 link ip-2. host-4 up; mirror is fine; http://host-5:8000/x"
    );
}

#[test]
fn a_dotted_version_is_not_an_address_and_an_address_is() {
    let mut r = Redactor::new(true);
    for kept in [
        "definitions_version                         : \"1.2.3.4\"",
        "\"definitionsVersion\": \"4.18.2.0\"",
        "Product version: 4.18.2.0",
        "engine ver 1.1.2.3",
        "v1.2.3.4",
        "build 1.2.3.4.5",
        "1.407.417.0",
        "101.25012.0000",
        "010.1.2.3",
    ] {
        assert_eq!(r.redact(kept), kept);
    }
    assert_eq!(r.redact("peer 4.18.2.0 said"), "peer ip-1 said");
    assert_eq!(r.redact("from 10.20.30.40:8080"), "from ip-2:8080");
    assert_eq!(
        r.redact("\"address\": \"192.168.1.1\""),
        "\"address\": \"ip-3\""
    );
}

#[test]
fn one_character_names_are_not_registered() {
    let mut r = Redactor::new(true);
    r.register("a", "host");
    assert_eq!(r.redact("a file"), "a file");
}

#[test]
fn secrets_masks_what_the_bundle_masks_and_nothing_else() {
    assert_eq!(
        secrets("http://alice:p@ss/w@proxy.corp:3128/"),
        "http://REDACTED@proxy.corp:3128/"
    );
    assert_eq!(secrets("alice:pw@proxy:3128"), "REDACTED@proxy:3128");
    assert_eq!(
        secrets("http://mirror.corp/x?token=abc"),
        "http://mirror.corp/x?token=REDACTED"
    );
    // Every form the bundle removes, this removes, with the same text around it.
    for (text, secret) in PLANTED {
        let out = secrets(text);
        assert!(!out.contains(secret), "{secret} survived: {text} → {out}");
        assert_eq!(out, Redactor::new(false).redact(text));
    }
    // Never ids, and text without a secret is not copied.
    for text in [
        "org 10.1.2.3 on mirror01.corp.example, guid b6cafe3e-bf50-4d8d-829a-d68b3fd21827",
        "config-unknown-key Unknown key antivirusEngine.offlineDefintionUpdateFallbackToCloud",
        "Basic authentication is not supported",
        "http://mirror.corp:8000/linux/production/",
    ] {
        assert!(matches!(secrets(text), Cow::Borrowed(_)), "{text}");
    }
}

#[test]
fn a_fail_reason_keeps_its_words_and_loses_its_tokens() {
    let reason = "Download failed: Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl \
                  from https://user:s3cret@mirror01.corp.example/linux/production/ (HTTP 401)";
    assert_eq!(
        secrets(reason),
        "Download failed: Authorization: Bearer REDACTED \
         from https://REDACTED@mirror01.corp.example/linux/production/ (HTTP 401)"
    );
}

#[test]
fn domains_replace_every_host_under_them_in_any_case_and_form() {
    let mut r = Redactor::new(false);
    r.redact_domain(&parse_domain("Corp.Example").unwrap());
    let text = "fetch https://alice:pw@Mirror01.CORP.example:8443/linux/ failed; \
                mirror01.corp.example refused, corp.example's DNS at ns1.corp.example., \
                mail admin@corp.example; *.corp.example wildcard";
    let out = r.redact(text);
    assert!(!out.to_ascii_lowercase().contains("corp.example"), "{out}");
    assert_eq!(
        out,
        "fetch https://REDACTED@host-1:8443/linux/ failed; \
         host-1 refused, host-2's DNS at host-3., \
         mail admin@host-2; *.host-2 wildcard"
    );
    // Names that only look alike stay: a longer label on either side.
    for text in [
        "x-corp.example",
        "notcorp.example",
        "corp.example-two",
        "corp.examples",
        "corp_example.org",
    ] {
        assert_eq!(r.redact(text), text);
    }
    // A name that holds the domain loses it, in text and as a URL's host alike: a log
    // file named after the mirror, or a public name that extends the internal one.
    assert_eq!(
        r.redact("mirror01.corp.example.log and http://u:p@mirror01.corp.example.org/"),
        "host-1.log and http://REDACTED@host-1.org/"
    );
    // With ids too, one placeholder per name across both.
    let mut both = Redactor::new(true);
    both.register_url_host("http://mirror01.corp.example/linux/");
    both.redact_domain("corp.example");
    let out =
        both.redact("http://MIRROR01.corp.example/x and mirror01.corp.example, db.corp.example");
    assert_eq!(out, "http://host-1/x and host-1, host-2");
    // Redacting twice changes nothing.
    assert_eq!(r.redact(&out), out);
}

#[test]
fn a_word_after_basic_is_looked_at_again() {
    let mut r = Redactor::new(false);
    r.redact_domain("ex.io");
    // Too short to be a credential, and a host under the domain.
    assert_eq!(r.redact("Basic ex.io"), "Basic host-1");
    // Before, "Basic mirror" was skipped whole and the credentials after it stayed.
    assert_eq!(
        Redactor::new(false).redact("Basic mirror:pw@proxy.corp"),
        "Basic REDACTED@proxy.corp"
    );
}

#[test]
fn domain_arguments_are_checked_and_normalised() {
    assert_eq!(parse_domain("Corp.Example.").unwrap(), "corp.example");
    assert_eq!(parse_domain("*.corp.example").unwrap(), "corp.example");
    assert_eq!(parse_domain(".corp.example").unwrap(), "corp.example");
    for bad in [
        "local",
        "",
        "corp..example",
        "-corp.example",
        "corp.ex ample",
        "a/b.c",
    ] {
        assert!(parse_domain(bad).is_err(), "{bad}");
    }
}

#[test]
fn json_stays_json_when_secrets_sit_inside_its_strings() {
    let doc = serde_json::json!({
        "title": "failed: \"HTTP 401 Authorization: Bearer eyJ0abc.x9\"",
        "msg": "password: abc\"def",
        "url": "https://h.example/x?sig=abc\"",
        "path": "token=abc\\path",
        "n": {"token": 12345, "apiKey": null},
    });
    for text in [
        serde_json::to_string(&doc).expect("json"),
        serde_json::to_string_pretty(&doc).expect("json"),
    ] {
        let out = Redactor::new(false).redact(&text);
        let back: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("no longer JSON ({e}): {out}"));
        assert!(!out.contains("abc") && !out.contains("12345"), "{out}");
        assert_eq!(back["n"]["apiKey"], serde_json::Value::Null);
    }
}

#[test]
fn ids_next_to_punctuation_still_go() {
    let mut r = Redactor::new(true);
    r.register("b6cafe3e-bf50-4d8d-829a-d68b3fd21827", "org");
    r.register("mirror.corp.example", "host");
    assert_eq!(
        r.redact(
            "b6cafe3e-bf50-4d8d-829a-d68b3fd21827-suffix 0f8fad5b-d9cb-469f-a165-70867728950e_x"
        ),
        "org-1-suffix 0f8fad5b-d9cb-469f-a165-70867728950e_x",
        "a `-` ends an id; a `_` continues a word"
    );
    assert_eq!(
        r.redact("(mirror.corp.example) [10.1.2.3] <fe80::1%eth0>"),
        "(host-1) [ip-1] <ip-2>"
    );
    assert_eq!(
        r.redact("xmirror.corp.example mirror.corp.examples"),
        "xmirror.corp.example mirror.corp.examples",
        "inside a longer name, a registered name stays"
    );
}

#[test]
fn placeholders_are_recognised_only_as_whole_words() {
    assert!(is_redacted("https://REDACTED@mirror/x", false));
    assert!(!is_redacted("https://host-1/x", false));
    assert!(is_redacted("https://host-1/x", true));
    assert!(is_redacted("[ip-12]", true));
    assert!(is_redacted("org-3", true));
    assert!(!is_redacted("ghost-1", true));
    assert!(!is_redacted("host-one", true));
    assert!(!is_redacted("Host-1", true));
    // What --redact-ids writes is recognised.
    let mut r = Redactor::new(true);
    let text = r.redact("url http://mirror.corp.example:8080/a from 10.1.2.3");
    assert!(is_redacted(&text, true), "{text}");
}

#[test]
fn deciding_by_shape_gives_what_the_capture_groups_give() {
    // Varied lines, from a fixed seed: ids, URLs with and without user info, versions,
    // secrets and near misses, in mixed case, so every shortcut is compared with the
    // slow path on the same text and the same placeholder state.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let pieces = [
        "request 0f8fad5b-d9cb-469f-a165-70867728950e",
        "ORG 0F8FAD5B-D9CB-469F-A165-70867728950E",
        "from 10.20.30.40 (fd00::1:2)",
        "to http://mirror3.corp.example:8000/linux/production/",
        "to HTTPS://Mirror3.Corp.Example/linux/",
        "via http://alice:pa@ss@proxy.corp.example:3128/x",
        "file:///var/opt/microsoft/mdatp/x",
        "xhttp://not.a.url.start/",
        "Product version: 1.2.3.4 and v10.0.0.1",
        "at 2026-11-28T10:20:30Z took 5 ms",
        "password=hunter2 token: abc",
        "https://go.microsoft.com/fwlink/?linkid=2144709",
        "endpoint01 endpoint01.corp.example [fe80::1%eth0]",
        "id=0f8fad5b-d9cb-469f-a165-70867728950ex",
        "http://10.1.2.3:8080/ http://[fd00::5]/ http://localhost/",
    ];
    let mut text = String::new();
    for _ in 0..400 {
        for _ in 0..1 + next(4) {
            text.push_str(pieces[next(pieces.len() as u64) as usize]);
            text.push(' ');
        }
        if next(3) == 0 {
            // A fresh GUID and address, as most lines of a real log have.
            text.push_str(&format!(
                "{:08x}-{:04x}-4abc-8def-{:012x} 10.0.{}.{}",
                next(u64::from(u32::MAX)),
                next(0xffff),
                next(0xffff_ffff_ffff),
                next(256),
                next(256)
            ));
        }
        text.push('\n');
    }
    let mut fast = Redactor::new(true);
    let mut slow = Redactor::new(true);
    slow.by_shape = false;
    for r in [&mut fast, &mut slow] {
        r.register_machine("endpoint01.corp.example");
        // A registered GUID keeps its registered kind whichever way it is found.
        r.register("0F8FAD5B-D9CB-469F-A165-70867728950E", "org");
    }
    let (a, b) = (fast.redact(&text), slow.redact(&text));
    assert_eq!(a, b);
    assert!(
        !a.contains("request 0f8fad5b") && !a.contains("mirror3") && !a.contains("10.20.30.40")
    );
    assert!(
        a.contains("=0f8fad5b-d9cb-469f-a165-70867728950ex"),
        "not a GUID on its own"
    );
    assert!(
        a.contains("request org-1") && a.contains("ORG org-1"),
        "{a}"
    );
    assert!(
        a.contains("go.microsoft.com") && a.contains("version: 1.2.3.4"),
        "{a}"
    );
}

#[test]
fn only_placeholders_given_out_are_placeholders() {
    let mut r = Redactor::new(true);
    assert_eq!(r.redact("a 10.1.2.3 b 10.1.2.4"), "a ip-1 b ip-2");
    // A value shaped like a placeholder that was never given out is a value.
    r.register("ip-3", "host");
    r.register("host-01", "host");
    r.register("ip-2", "host");
    assert_eq!(
        r.redact("ip-3 host-01 ip-2 10.1.2.3"),
        "host-1 host-2 ip-2 ip-1"
    );
}
