//! `mirror promote --to production`'s canary gate: diagnose reports of canary endpoints,
//! each judged against the version the canary ring serves. A host counts when it runs
//! that version (or newer), got it from the canary ring, has its definitions
//! `up_to_date`, its engine loaded, and no critical finding.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::diagnose::DiagnoseDoc;
use super::fleet::{Sink, Unreadable, cut};
use crate::units::compare_versions;

/// Reports and hosts kept: a gate reads a canary group, not a fleet.
const MAX_HOSTS: usize = 10_000;
/// What health says when the engine is loaded (documented: health-status).
const ENGINE_LOADED: &str = "Engine load succeeded";

/// One canary host as its newest report shows it.
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
    /// Runs the canary's version (from the canary ring) and is unwell: evidence against
    /// the package, which stops the promote however many others are well.
    pub failing: bool,
    /// Why it is not counted (empty when counted).
    pub why_not: Vec<String>,
}

/// The gate's reading of the canary reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Gate {
    /// The version the canary serves: a host must run it or newer.
    pub want: String,
    pub hosts: Vec<CanaryHost>,
    pub unreadable: Vec<Unreadable>,
    /// Reports read (of hosts seen twice, the newest is kept).
    pub reports: usize,
    #[serde(skip)]
    by_host: BTreeMap<String, usize>,
}

fn text(v: &Value) -> Option<&str> {
    v.as_str().filter(|s| !s.is_empty())
}

impl Gate {
    pub fn new(want: &str) -> Gate {
        Gate {
            want: want.to_string(),
            ..Gate::default()
        }
    }

    /// Hosts that count.
    pub fn counted(&self) -> usize {
        self.hosts.iter().filter(|h| h.counted).count()
    }

    /// Hosts on the canary's version that are unwell.
    pub fn failing(&self) -> usize {
        self.hosts.iter().filter(|h| h.failing).count()
    }

    fn judge(&self, report: &DiagnoseDoc, name: &str, file: &str) -> CanaryHost {
        let snap = report.snapshot.as_ref();
        let host = snap
            .and_then(|s| s.hostname.as_deref())
            .filter(|h| !h.is_empty())
            .unwrap_or(name);
        let field = |section: Option<&Value>, key: &str| {
            section
                .and_then(|d| d.get(key))
                .and_then(|f| text(&f["value"]))
                .map(str::to_string)
        };
        let defs = snap.and_then(|s| s.definitions.as_ref());
        let health = snap.and_then(|s| s.health.as_ref());
        let either = |key: &str| field(defs, key).or_else(|| field(health, key));
        let version = either("definitions_version");
        // Why it does not count: lagging (not on the version from the canary yet) ...
        let mut why = Vec::new();
        match &version {
            None => why.push("no definitions_version in the report".to_string()),
            Some(v) => match compare_versions(v, &self.want) {
                Some(std::cmp::Ordering::Less) => {
                    why.push(format!("runs {v}, behind the canary's {}", self.want))
                }
                None => why.push(format!("runs {v}, not a version to compare")),
                _ => {}
            },
        }
        // A host that fell back to the cloud (or pulls from another ring) proves nothing
        // about the package the canary serves.
        match either("definitions_update_source_uri") {
            Some(uri) if uri.contains("/canary/") => {}
            Some(uri) => why.push(format!(
                "updated from {uri}, not from the canary ring (…/canary/<platform>/<ring>/)"
            )),
            None => why.push("no definitions_update_source_uri in the report".into()),
        }
        let lagging = !why.is_empty();
        // ... or unwell.
        match either("definitions_status").as_deref() {
            Some("up_to_date") => {}
            Some(s) => why.push(format!("definitions_status is {s}, not up_to_date")),
            None => why.push("no definitions_status in the report".into()),
        }
        match field(health, "engine_load_status").as_deref() {
            Some(ENGINE_LOADED) => {}
            Some(s) => why.push(format!("engine_load_status is {s:?}, not {ENGINE_LOADED:?}")),
            None => why.push(
                "no engine_load_status in the report (mdatp too old to say, or health not read): the engine is not known to be loaded".into(),
            ),
        }
        let critical: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.severity == "critical")
            .map(|f| f.id.as_str())
            .collect();
        if !critical.is_empty() {
            why.push(format!("critical: {}", critical.join(", ")));
        }
        if report.verdict.as_deref() == Some("unknown") {
            why.push("its verdict is unknown (the report could not see everything)".into());
        }
        CanaryHost {
            host: cut(host, 256).into_owned(),
            report: cut(file, 256).into_owned(),
            time: snap
                .map(|s| cut(&s.time, 64).into_owned())
                .unwrap_or_default(),
            definitions_version: version.map(|v| cut(&v, 64).into_owned()),
            counted: why.is_empty(),
            failing: !lagging && !why.is_empty(),
            why_not: why.into_iter().map(|w| cut(&w, 512).into_owned()).collect(),
        }
    }

    /// Puts hosts in name order once all reports are in.
    pub fn finish(&mut self) {
        self.hosts.sort_by(|a, b| a.host.cmp(&b.host));
        self.unreadable
            .sort_by(|a, b| (&a.report, &a.error).cmp(&(&b.report, &b.error)));
    }
}

impl Sink for Gate {
    fn add(&mut self, report: &DiagnoseDoc, name: &str) {
        self.reports += 1;
        let judged = self.judge(report, name, name);
        // One host, several reports: the newest snapshot speaks for it (RFC 3339 times
        // in UTC sort as text).
        match self.by_host.get(&judged.host) {
            Some(&i) => {
                if judged.time >= self.hosts[i].time {
                    self.hosts[i] = judged;
                }
            }
            None if self.hosts.len() < MAX_HOSTS => {
                self.by_host.insert(judged.host.clone(), self.hosts.len());
                self.hosts.push(judged);
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
    ) -> DiagnoseDoc {
        let mut health = serde_json::json!({});
        if let Some(e) = engine {
            health["engine_load_status"] = serde_json::json!({"value": e});
        }
        let findings: Vec<Value> = critical
            .iter()
            .map(|id| serde_json::json!({"id": id, "severity": "critical"}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema_version": 1,
            "snapshot": {
                "time": "2026-12-07T10:00:00Z",
                "hostname": host,
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
        .unwrap()
    }

    const CANARY: &str = "http://mirror/canary/linux/production/";

    #[test]
    fn a_healthy_canary_on_the_version_counts_and_each_failure_is_named() {
        let mut g = Gate::new("1.2.3.0");
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
        assert!(why("f").contains("not from the canary ring"));
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
    fn a_host_reported_twice_is_one_host_judged_by_its_newest_report() {
        let mut g = Gate::new("1.2.3.0");
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
        assert_eq!(g.hosts.len(), 1);
        assert!(g.hosts[0].counted);
        assert_eq!(g.reports, 2);
    }
}
