//! Unit tests of the parent module (kept apart so the module reads as the code it is).

use super::*;

fn config(json: &str) -> ManagedConfig {
    crate::managed::config::parse(std::path::Path::new("t.json"), json.as_bytes())
        .expect("config parses")
}

fn health(url: &str) -> Health {
    crate::mdatp::health::parse_text(&format!(
        "offline_definition_url_configured : \"{url}\" [managed]\n"
    ))
    .expect("health parses")
}

const FILE: &str = r#"{"cloudService": {"proxy": "http://proxy:3128/"},
  "antivirusEngine": {"offlineDefinitionUpdateUrl": "http://file/linux/production/"}}"#;

#[test]
fn url_argument_wins_then_health_then_file() {
    let c = config(FILE);
    let h = health("http://health/linux/production/");
    assert_eq!(
        choose_url(Some("http://arg/"), Some(&h), Some(&c)),
        Some(("http://arg/".into(), UrlSource::Argument))
    );
    assert_eq!(
        choose_url(None, Some(&h), Some(&c)),
        Some(("http://health/linux/production/".into(), UrlSource::Health))
    );
    assert_eq!(
        choose_url(None, None, Some(&c)),
        Some((
            "http://file/linux/production/".into(),
            UrlSource::ManagedConfig
        ))
    );
    assert_eq!(choose_url(None, None, None), None);
}

#[test]
fn a_blank_url_is_no_url() {
    let h = health("   ");
    let c = config(r#"{"antivirusEngine": {"offlineDefinitionUpdateUrl": ""}}"#);
    assert_eq!(choose_url(None, Some(&h), Some(&c)), None);
}

#[test]
fn proxy_no_proxy_then_argument_then_mdatp() {
    let c = config(FILE);
    let mut plan = ProbePlan::defaults();
    let p = choose_proxy(&plan, Some(&c), Some("http://svc:3128/"));
    assert_eq!(
        (p.url.as_deref(), p.source),
        (Some("http://proxy:3128/"), ProxySource::ManagedConfig)
    );
    assert_eq!(choose_proxy(&plan, None, None).source, ProxySource::None);
    let p = choose_proxy(&plan, None, Some("http://svc:3128/"));
    assert_eq!(
        (p.url.as_deref(), p.source),
        (Some("http://svc:3128/"), ProxySource::ServiceEnvironment)
    );
    plan.proxy = ProxyChoice::Given("http://p2:8080/".into());
    let p = choose_proxy(&plan, Some(&c), None);
    assert_eq!(
        (p.url.as_deref(), p.source),
        (Some("http://p2:8080/"), ProxySource::Argument)
    );
    plan.proxy = ProxyChoice::Disabled;
    let p = choose_proxy(&plan, Some(&c), None);
    assert_eq!((p.url, p.source), (None, ProxySource::Disabled));
}

#[test]
fn architectures() {
    assert_eq!(arches(Arches::All), ["x86_64", "arm64"]);
    assert_eq!(arches(Arches::Arm64), ["arm64"]);
    assert_eq!(arches(Arches::Native).len(), 1);
}
