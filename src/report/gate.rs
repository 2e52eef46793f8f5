//! `mirror promote --to production`'s canary gate: diagnose reports of canary endpoints,
//! each judged against the version the canary ring serves. A host counts when it runs
//! that version (or newer), got it from the canary ring, has its definitions
//! `up_to_date`, its engine loaded, and no critical finding.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fleet::{FieldsIn, InputDoc, Sink, Unreadable, cut};
use crate::units::compare_versions;

/// Reports and hosts kept: a gate reads a canary group, not a fleet.
const MAX_HOSTS: usize = 10_000;
/// What health says when the engine is loaded (documented: health-status).
const ENGINE_LOADED: &str = "Engine load succeeded";

/// One canary host as its newest report shows it, judged for one arch folder.
#[derive(Debug, Clone, Serialize)]
pub struct CanaryHost {
    pub host: String,
    /// The report it was read from.
    pub report: String,
    /// When the report was taken (its snapshot's time).
    pub time: String,
    pub definitions_version: Option<String>,
    /// Counted towards the gate.
    pub counted: bool,
    /// Runs the canary's version from this canary folder and is unwell: evidence against
    /// the package, which stops its promote however many others are well.
    pub failing: bool,
    /// Why it is not counted (empty when counted).
    pub why_not: Vec<String>,
}

/// What one report says, kept until each arch folder on offer is judged.
#[derive(Debug, Clone, Default)]
struct Facts {
    host: String,
    report: String,
    time: String,
    version: Option<String>,
    source: Option<String>,
    status: Option<String>,
    engine: Option<String>,
    /// The one architecture the report probed, when it probed exactly one.
    arch: Option<String>,
    critical: Vec<String>,
    unknown: bool,
    /// The report names no host: it cannot be told from another copy of itself.
    hostless: bool,
    /// The report is an error document (no reading at all).
    error: bool,
}

/// The canary reports as read: one entry per host (its newest report).
#[derive(Debug, Clone, Default)]
pub struct Gate {
    facts: Vec<Facts>,
    by_host: BTreeMap<String, usize>,
    pub unreadable: Vec<Unreadable>,
    /// Reports read (of hosts seen twice, the newest is kept).
    pub reports: usize,
}

/// The gate for one arch folder on offer.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    /// `<platform>/<ring>/arch_<arch>`.
    pub folder: String,
    /// The version the canary serves there: a host must run it or newer.
    pub want: String,
    pub hosts: Vec<CanaryHost>,
}

impl Judged {
    pub fn counted(&self) -> usize {
        self.hosts.iter().filter(|h| h.counted).count()
    }
    pub fn failing(&self) -> usize {
        self.hosts.iter().filter(|h| h.failing).count()
    }
}

/// The path of a URL (without query or fragment), or the text itself for a directory.
fn source_path(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) if u.has_host() || u.scheme() == "file" => u.path().to_string(),
        _ => uri.split(['?', '#']).next().unwrap_or("").to_string(),
    }
}

fn kept(s: &str, max: usize) -> String {
    cut(s, max).into_owned()
}

impl Gate {
    fn facts(report: &InputDoc, name: &str) -> Facts {
        let snap = report.snapshot.as_ref();
        let host = snap
            .and_then(|s| s.hostname.as_deref())
            .filter(|h| !h.is_empty())
            .unwrap_or(name);
        type Field = for<'x, 'y> fn(&'x FieldsIn<'y>) -> Option<&'x str>;
        let field =
            |section: Option<&FieldsIn>, key: Field| section.and_then(key).map(|v| kept(v, 512));
        let defs = snap.map(|s| &s.definitions);
        let health = snap.map(|s| &s.health);
        let either = |key: Field| field(defs, key).or_else(|| field(health, key));
        let probes = snap.map(|s| &s.mirror.arch);
        Facts {
            host: kept(host, 256),
            report: kept(name, 256),
            time: snap.map(|s| kept(&s.time, 64)).unwrap_or_default(),
            version: either(|f| f.definitions_version.text()).map(|v| kept(&v, 64)),
            source: either(|f| f.definitions_update_source_uri.text()),
            status: either(|f| f.definitions_status.text()),
            engine: field(health, |f| f.engine_load_status.text()),
            // Its own word, else the one arch it probed.
            arch: snap
                .and_then(|s| s.arch.as_deref())
                .filter(|a| !a.is_empty())
                .or_else(|| {
                    probes
                        .filter(|p| p.arches == 1)
                        .and_then(|p| p.first_arch.as_deref())
                })
                .map(|a| kept(a, 32)),
            critical: report
                .findings
                .iter()
                .filter(|f| f.severity == "critical")
                .take(32)
                .map(|f| kept(&f.id, 64))
                .collect(),
            unknown: report.verdict.as_deref() == Some("unknown"),
            hostless: snap
                .and_then(|s| s.hostname.as_deref())
                .is_none_or(str::is_empty),
            error: report.error.is_some() || snap.is_none(),
        }
    }

    /// Every host judged for the canary folder `platform`/`ring`/`arch` serving `want`.
    ///
    /// A host counts when it runs `want` or newer from this folder, healthy. A host is
    /// *failing* (it stops the promote) when it is unwell and not known to belong to another
    /// folder: a canary whose update failed and left it on the old version is exactly what
    /// a bad package looks like, and a report that cannot say where it pulls from cannot
    /// be set aside.
    pub fn judge(&self, platform: &str, ring: &str, arch: &str, want: &str) -> Judged {
        let folder = format!("/canary/{platform}/{ring}");
        let hosts = self
            .facts
            .iter()
            .map(|f| {
                let mut lag = Vec::new();
                let mut elsewhere = false;
                match &f.version {
                    None => lag.push("no definitions_version in the report".to_string()),
                    Some(v) => match compare_versions(v, want) {
                        Some(std::cmp::Ordering::Less) => {
                            lag.push(format!("runs {v}, behind the canary's {want}"))
                        }
                        None => lag.push(format!("runs {v}, not a version to compare")),
                        _ => {}
                    },
                }
                // Where it pulls from: the path of the URL (or directory) must end at this
                // canary folder; a query string or another host's path proves nothing.
                match &f.source {
                    Some(uri) if source_path(uri).trim_end_matches('/').ends_with(&folder) => {}
                    Some(uri) => {
                        elsewhere = true;
                        lag.push(format!("updated from {uri}, not from …{folder}/"))
                    }
                    None => lag.push("no definitions_update_source_uri in the report".into()),
                }
                match &f.arch {
                    Some(a) if a == arch => {}
                    Some(a) => {
                        elsewhere = true;
                        lag.push(format!("an {a} endpoint: it does not run the arch_{arch} package"))
                    }
                    None => lag.push("the report does not say which architecture it runs (diagnose probed none or several)".into()),
                }
                if f.hostless {
                    lag.push("the report names no host: it cannot count as a distinct canary".into());
                }
                let mut unwell = Vec::new();
                match f.status.as_deref() {
                    Some("up_to_date") => {}
                    Some(s) => unwell.push(format!("definitions_status is {s}, not up_to_date")),
                    None => unwell.push("no definitions_status in the report".into()),
                }
                match f.engine.as_deref() {
                    Some(ENGINE_LOADED) => {}
                    Some(s) => unwell.push(format!("engine_load_status is {s:?}, not {ENGINE_LOADED:?}")),
                    None => unwell.push(
                        "no engine_load_status in the report (mdatp too old to say, or health not read): the engine is not known to be loaded".into(),
                    ),
                }
                if !f.critical.is_empty() {
                    unwell.push(format!("critical: {}", f.critical.join(", ")));
                }
                if f.unknown {
                    unwell.push("its verdict is unknown (the report could not see everything)".into());
                }
                if f.error {
                    unwell.push("the report is an error document: mdatp-doctor could not read the endpoint".into());
                }
                let counted = lag.is_empty() && unwell.is_empty();
                let failing = !unwell.is_empty() && !elsewhere;
                lag.extend(unwell);
                CanaryHost {
                    host: f.host.clone(),
                    report: f.report.clone(),
                    time: f.time.clone(),
                    definitions_version: f.version.clone(),
                    counted,
                    failing,
                    why_not: lag,
                }
            })
            .collect();
        Judged {
            folder: format!("{platform}/{ring}/arch_{arch}"),
            want: want.to_string(),
            hosts,
        }
    }

    /// Puts hosts in name order once all reports are in.
    pub fn finish(&mut self) {
        self.facts.sort_by(|a, b| a.host.cmp(&b.host));
        self.by_host.clear();
        self.unreadable
            .sort_by(|a, b| (&a.report, &a.error).cmp(&(&b.report, &b.error)));
    }
}

impl Sink for Gate {
    fn add(&mut self, report: &InputDoc, name: &str) {
        self.reports += 1;
        let facts = Gate::facts(report, name);
        // One host, several reports: the newest snapshot speaks for it (RFC 3339 times
        // in UTC sort as text).
        match self.by_host.get(&facts.host) {
            Some(&i) => {
                if facts.time >= self.facts[i].time {
                    self.facts[i] = facts;
                }
            }
            None if self.facts.len() < MAX_HOSTS => {
                self.by_host.insert(facts.host.clone(), self.facts.len());
                self.facts.push(facts);
            }
            None => self.unreadable(name, format!("skipped: more than {MAX_HOSTS} hosts")),
        }
    }

    fn unreadable(&mut self, report: &str, error: impl Into<String>) {
        if self.unreadable.len() < MAX_HOSTS {
            self.unreadable.push(Unreadable {
                report: cut(report, 256).into_owned(),
                error: cut(&error.into(), 512).into_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(
        host: &str,
        version: &str,
        status: &str,
        engine: Option<&str>,
        uri: &str,
        critical: &[&str],
    ) -> InputDoc<'static> {
        let mut health = serde_json::json!({});
        if let Some(e) = engine {
            health["engine_load_status"] = serde_json::json!({"value": e});
        }
        let findings: Vec<serde_json::Value> = critical
            .iter()
            .map(|id| serde_json::json!({"id": id, "severity": "critical"}))
            .collect();
        crate::report::fleet::input(serde_json::json!({
            "schema_version": 1,
            "snapshot": {
                "time": "2026-12-07T10:00:00Z",
                "hostname": host,
                "mirror": {"arch": [{"arch": "x86_64"}]},
                "definitions": {
                    "definitions_version": {"value": version},
                    "definitions_status": {"value": status},
                    "definitions_update_source_uri": {"value": uri},
                },
                "health": health,
            },
            "findings": findings,
            "verdict": if critical.is_empty() { "ok" } else { "critical" },
        }))
    }

    const CANARY: &str = "http://mirror/canary/linux/production/";

    #[test]
    fn a_healthy_canary_on_the_version_counts_and_each_failure_is_named() {
        let mut g = Gate::default();
        g.add(
            &report(
                "a",
                "1.2.3.0",
                "up_to_date",
                Some(ENGINE_LOADED),
                CANARY,
                &[],
            ),
            "a",
        );
        g.add(
            &report(
                "b",
                "1.2.4.0",
                "up_to_date",
                Some(ENGINE_LOADED),
                CANARY,
                &[],
            ),
            "b",
        );
        g.add(
            &report(
                "c",
                "1.2.2.0",
                "up_to_date",
                Some(ENGINE_LOADED),
                CANARY,
                &[],
            ),
            "c",
        );
        g.add(
            &report(
                "d",
                "1.2.3.0",
                "up_to_date",
                Some("Engine not loaded"),
                CANARY,
                &["engine-not-loaded"],
            ),
            "d",
        );
        g.add(
            &report("e", "1.2.3.0", "up_to_date", None, CANARY, &[]),
            "e",
        );
        g.add(
            &report(
                "f",
                "1.2.3.0",
                "up_to_date",
                Some(ENGINE_LOADED),
                "https://go.microsoft.com/fwlink/?linkid=2144709",
                &[],
            ),
            "f",
        );
        g.add(
            &report(
                "g",
                "1.2.3.0",
                "out_of_date",
                Some(ENGINE_LOADED),
                CANARY,
                &[],
            ),
            "g",
        );
        g.finish();
        let g = g.judge("linux", "production", "x86_64", "1.2.3.0");
        let counted: Vec<&str> = g
            .hosts
            .iter()
            .filter(|h| h.counted)
            .map(|h| h.host.as_str())
            .collect();
        assert_eq!(counted, ["a", "b"]);
        let why = |h: &str| {
            g.hosts
                .iter()
                .find(|x| x.host == h)
                .unwrap()
                .why_not
                .join("; ")
        };
        assert!(
            why("c").contains("behind the canary's 1.2.3.0"),
            "{}",
            why("c")
        );
        assert!(
            why("d").contains("Engine not loaded")
                && why("d").contains("critical: engine-not-loaded")
        );
        assert!(why("e").contains("no engine_load_status"));
        assert!(why("f").contains("not from …/canary/linux/production/"));
        // A query string naming the canary proves nothing.
        assert!(why("g").contains("out_of_date"));
        // Unwell on the canary's version: evidence against the package. Lagging: not.
        let failing: Vec<&str> = g
            .hosts
            .iter()
            .filter(|h| h.failing)
            .map(|h| h.host.as_str())
            .collect();
        assert_eq!(failing, ["d", "e", "g"]);
    }

    #[test]
    fn a_canary_of_another_ring_or_arch_does_not_vouch_for_this_folder() {
        let mut g = Gate::default();
        g.add(
            &report(
                "a",
                "1.2.3.0",
                "up_to_date",
                Some(ENGINE_LOADED),
                CANARY,
                &[],
            ),
            "a",
        );
        g.finish();
        let arm = g.judge("linux", "production", "arm64", "1.2.3.0");
        assert_eq!(arm.counted(), 0);
        assert!(
            arm.hosts[0]
                .why_not
                .join(";")
                .contains("an x86_64 endpoint")
        );
        let preview = g.judge("linux", "preview", "x86_64", "1.2.3.0");
        assert_eq!(preview.counted(), 0);
        assert!(
            preview.hosts[0]
                .why_not
                .join(";")
                .contains("/canary/linux/preview/")
        );
        // A query string naming the canary folder proves nothing.
        let mut g2 = Gate::default();
        g2.add(
            &report(
                "q",
                "9.9.9.9",
                "up_to_date",
                Some(ENGINE_LOADED),
                "https://go.microsoft.com/fwlink/?linkid=2144709&x=/canary/linux/production/",
                &[],
            ),
            "q",
        );
        g2.finish();
        assert_eq!(
            g2.judge("linux", "production", "x86_64", "1.2.3.0")
                .counted(),
            0
        );
        // Lagging, not unwell: neither stops the other folders.
        assert_eq!((arm.failing(), preview.failing()), (0, 0));
        assert_eq!(
            g.judge("linux", "production", "x86_64", "1.2.3.0")
                .counted(),
            1
        );
    }

    #[test]
    fn a_host_reported_twice_is_one_host_judged_by_its_newest_report() {
        let mut g = Gate::default();
        let mut old = report(
            "a",
            "1.2.2.0",
            "up_to_date",
            Some(ENGINE_LOADED),
            CANARY,
            &[],
        );
        old.snapshot.as_mut().unwrap().time = "2026-12-07T09:00:00Z".into();
        g.add(
            &report(
                "a",
                "1.2.3.0",
                "up_to_date",
                Some(ENGINE_LOADED),
                CANARY,
                &[],
            ),
            "new",
        );
        g.add(&old, "old");
        g.finish();
        assert_eq!(g.reports, 2);
        let g = g.judge("linux", "production", "x86_64", "1.2.3.0");
        assert_eq!(g.hosts.len(), 1);
        assert!(g.hosts[0].counted);
    }
}
