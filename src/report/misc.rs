//! The smaller documents: `health`, `config check`, `bundle`, the findings catalogue,
//! `aggregate`, and the error document every command prints with `--format json`.

use indexmap::IndexMap;
use serde::Serialize;

use super::SchemaVersion;
use super::fleet::Fleet;
use crate::analyze::finding::{Finding, Rule, Severity};
use crate::failure::Failure;
use crate::mdatp::value::Field;
use crate::mdatp::{HealthReading, HealthSource};

/// `health`: the fields as parsed, where they came from, what did not parse.
pub struct HealthReport<'a> {
    pub reading: &'a HealthReading,
    /// List the definitions fields this build did not print (`--details definitions`).
    pub show_missing: bool,
}

#[derive(Serialize)]
pub struct HealthDoc<'a> {
    pub schema_version: SchemaVersion,
    pub source: &'a HealthSource,
    pub attention: Option<&'a str>,
    pub fields: &'a IndexMap<String, Field>,
    pub warnings: &'a [String],
}

impl HealthReport<'_> {
    pub fn document(&self) -> HealthDoc<'_> {
        HealthDoc {
            schema_version: SchemaVersion,
            source: &self.reading.source,
            attention: self.reading.health.attention.as_deref(),
            fields: &self.reading.health.fields,
            warnings: &self.reading.health.warnings,
        }
    }
}

/// `config check`: the file's findings.
#[derive(Serialize)]
pub struct ConfigReport {
    pub schema_version: SchemaVersion,
    pub path: String,
    pub findings: Vec<Finding>,
    pub verdict: Severity,
}

/// `bundle`: what was written.
#[derive(Serialize)]
pub struct BundleWritten {
    pub schema_version: SchemaVersion,
    /// Shown lossily: a path that is not UTF-8 still makes a JSON document.
    pub path: String,
    pub entries: usize,
    pub bytes: u64,
    pub failed: Vec<crate::bundle::Failed>,
}

/// `bundle --list-contents`: the manifest and each file checked against it.
#[derive(Serialize)]
pub struct BundleContents {
    pub schema_version: SchemaVersion,
    pub manifest: serde_json::Value,
    pub checked: Vec<crate::bundle::archive::Checked>,
    pub intact: bool,
    /// The bundle's file name, for the heading.
    #[serde(skip)]
    pub file: std::path::PathBuf,
}

/// `diagnose --list`: every rule.
#[derive(Serialize)]
pub struct Catalogue {
    pub schema_version: SchemaVersion,
    pub catalogue: Vec<&'static Rule>,
}

/// `diagnose --explain ID`: the rule's fields beside the version.
#[derive(Serialize)]
pub struct Explain {
    pub schema_version: SchemaVersion,
    #[serde(flatten)]
    pub rule: &'static Rule,
}

/// `aggregate`: the fleet, then the version and the mirrors behind the cloud.
#[derive(Serialize)]
pub struct FleetReport<'a> {
    #[serde(flatten)]
    pub fleet: &'a Fleet,
    pub schema_version: SchemaVersion,
    pub mirrors_behind_cloud: Vec<&'a str>,
}

impl<'a> FleetReport<'a> {
    pub fn new(fleet: &'a Fleet) -> FleetReport<'a> {
        FleetReport {
            fleet,
            schema_version: SchemaVersion,
            mirrors_behind_cloud: fleet.mirrors_behind_cloud(),
        }
    }
}

/// A failed run, on stdout with `--format json` so a script still reads JSON.
#[derive(Serialize)]
pub struct ErrorDoc<'a> {
    pub schema_version: SchemaVersion,
    pub error: &'a Failure,
}
