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
}
