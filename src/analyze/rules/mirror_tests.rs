//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::prelude::*;
use super::url::URL_KEY;
use super::*;
use crate::mirror::tls::TlsFailureKind;
use crate::mirror::url::check;
use crate::mirror::{ErrorKind, Step, StepError, StepName};
use crate::mirror::{PackageFacts, PermissionFact};
use serde_json::json;

fn facts<'a>(
    url: Option<(&'a str, UrlSource)>,
    checked: Option<&'a Checked>,
    probes: &'a [ArchProbe],
) -> MirrorFacts<'a> {
    MirrorFacts {
        url,
        checked,
        probes,
        offline_enabled: Some(true),
        managed_config: "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json",
        stale_after: Duration::from_secs(7 * 86_400),
        now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        mdatp_test: None,
        status: None,
        os_family: None,
        macos: false,
    }
}

fn ids(fs: &[Finding]) -> Vec<&'static str> {
    fs.iter().map(|f| f.id).collect()
}

fn step(name: StepName, detail: serde_json::Value, error: Option<StepError>) -> Step {
    Step {
        name,
        ok: error.is_none(),
        duration_ms: 1,
        detail,
        error,
        note: None,
    }
}

fn probe_with(steps: Vec<Step>) -> ArchProbe {
    let mut p = ArchProbe::new("x86_64", "http://m/linux/production/arch_x86_64/".into());
    p.steps = steps;
    p
}

#[test]
fn url_missing_is_critical_when_the_feature_is_on() {
    let fs = for_mirror(&facts(None, None, &[]));
    assert_eq!(ids(&fs), ["url-missing"]);
    assert_eq!(fs[0].severity, Severity::Critical);
    assert!(
        fs[0]
            .fix
            .contains("antivirusEngine.offlineDefinitionUpdateUrl")
    );
    // Cloud-only (documented default): nothing to probe, nothing wrong.
    let mut f = facts(None, None, &[]);
    f.offline_enabled = Some(false);
    assert_eq!(for_mirror(&f)[0].severity, Severity::Info);
    // Not known (no health): a person looks.
    f.offline_enabled = None;
    assert_eq!(for_mirror(&f)[0].severity, Severity::Warning);
}

#[test]
fn url_problems_become_findings_with_the_corrected_url() {
    let text = "http://m:8000/linux/production/arch_x86_64/";
    let c = check(text);
    let fs = for_mirror(&facts(Some((text, UrlSource::Health)), Some(&c), &[]));
    assert_eq!(ids(&fs), ["url-includes-arch"]);
    assert!(
        fs[0].fix.contains("\"http://m:8000/linux/production/\""),
        "{}",
        fs[0].fix
    );
    assert_eq!(fs[0].evidence[0], Evidence::new("health", URL_KEY, text));

    let text = "www.example.server.com:8000/linux/production/";
    let c = check(text);
    let fs = for_mirror(&facts(
        Some((text, UrlSource::ManagedConfig)),
        Some(&c),
        &[],
    ));
    assert_eq!(ids(&fs), ["url-malformed"]);
    assert!(
        fs[0]
            .fix
            .contains("http://www.example.server.com:8000/linux/production/")
    );

    for (text, id) in [
        ("http://m/mac/production/", "url-platform-mismatch"),
        ("http://m/updates/", "url-not-ring-folder"),
        ("http://m/linux/production_back/", "url-rollback"),
    ] {
        let c = check(text);
        assert_eq!(
            ids(&for_mirror(&facts(
                Some((text, UrlSource::Argument)),
                Some(&c),
                &[]
            ))),
            [id],
            "{text}"
        );
    }
}

#[test]
fn connection_failures_map_to_their_ids_once() {
    let cases = [
        (StepName::Dns, ErrorKind::DnsFailed, "mirror-dns-failed"),
        (StepName::Tcp, ErrorKind::Refused, "mirror-unreachable"),
        (StepName::Tcp, ErrorKind::ConnectTimeout, "mirror-timeout"),
        (StepName::Manifest, ErrorKind::Timeout, "mirror-timeout"),
        (
            StepName::Manifest,
            ErrorKind::RedirectLoop,
            "mirror-http-error",
        ),
    ];
    for (name, kind, id) in cases {
        let probes = [
            probe_with(vec![step(name, json!({}), Some(StepError::new(kind, "x")))]),
            probe_with(vec![step(name, json!({}), Some(StepError::new(kind, "x")))]),
        ];
        let fs = for_mirror(&facts(None, None, &probes));
        assert_eq!(ids(&fs)[1..], [id], "{name} {kind:?}");
    }
}

#[test]
fn tls_failures_say_what_to_do() {
    let mut err = StepError::new(ErrorKind::Tls, "bad");
    err.tls = Some(TlsFailureKind::UnknownIssuer);
    let probes = [probe_with(vec![step(
        StepName::Tls,
        json!({"certificate": {"issuer": "CN=Corp CA", "not_after": "2030-01-01T00:00:00Z"}}),
        Some(err),
    )])];
    let fs = for_mirror(&facts(None, None, &probes));
    let f = fs
        .iter()
        .find(|f| f.id == "mirror-tls-error")
        .expect("tls finding");
    assert!(
        f.fix.contains("CN=Corp CA") && f.fix.contains("update-ca-certificates"),
        "{}",
        f.fix
    );
    assert!(f.evidence.iter().any(|e| e.key == "certificate.issuer"));
}

#[test]
fn http_status_and_content_problems() {
    let mut e404 = StepError::new(ErrorKind::HttpStatus, "HTTP 404");
    e404.status = Some(404);
    let mut e500 = StepError::new(ErrorKind::HttpStatus, "HTTP 500");
    e500.status = Some(500);
    let probes = [probe_with(vec![
        step(
            StepName::Manifest,
            json!({"status": 404}),
            Some(e404.clone()),
        ),
        step(StepName::Package, json!({"status": 500}), Some(e500)),
        step(
            StepName::PackageSignature,
            json!({}),
            Some(StepError::new(
                ErrorKind::Invalid,
                "updates.zip is an HTML page",
            )),
        ),
    ])];
    let fs = for_mirror(&facts(None, None, &probes));
    assert_eq!(
        ids(&fs)[1..],
        [
            "mirror-manifest-missing",
            "mirror-http-error",
            "mirror-package-invalid"
        ]
    );
    let probes = [probe_with(vec![step(
        StepName::Package,
        json!({}),
        Some(e404),
    )])];
    assert_eq!(
        ids(&for_mirror(&facts(None, None, &probes)))[1..],
        ["mirror-package-missing"]
    );
}

#[test]
fn empty_manifest_stale_package_and_permissions() {
    let mut manifest = step(
        StepName::Manifest,
        json!({"engine_version": "", "definition_version": ""}),
        None,
    );
    manifest.note = Some("empty".into());
    let mut p = probe_with(vec![manifest]);
    p.package = Some(PackageFacts {
        last_modified: Some(jiff::Timestamp::from_second(1_700_000_000 - 10 * 86_400).expect("ts")),
        ..PackageFacts::default()
    });
    p.permissions.push(PermissionFact {
        path: "/m/updates.zip".into(),
        mode: "0600".into(),
        uid: 0,
        gid: 0,
        problem: "others cannot read it".into(),
    });
    let probes = [p];
    let fs = for_mirror(&facts(None, None, &probes));
    assert_eq!(
        ids(&fs)[1..],
        [
            "mirror-manifest-invalid",
            "mirror-stale",
            "mirror-permissions"
        ]
    );
    assert_eq!(
        fs[2].title,
        "updates.zip for x86_64 was last changed 10 days ago"
    );

    // A fresh package is not stale.
    let mut p = probe_with(vec![]);
    p.package = Some(PackageFacts {
        last_modified: Some(jiff::Timestamp::from_second(1_700_000_000 - 3600).expect("ts")),
        ..PackageFacts::default()
    });
    let probes = [p];
    assert_eq!(
        ids(&for_mirror(&facts(None, None, &probes))),
        ["url-missing"]
    );
}
