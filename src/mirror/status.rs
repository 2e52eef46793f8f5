//! `mdatp-doctor-status.json`: what a mirror says about itself, beside the packages in each
//! ring folder it serves. `mirror run` and `mirror promote` write it; every endpoint probe
//! reads it with the manifest. mdatp never asks for it, so nothing changes for endpoints
//! that do not run mdatp-doctor.
//!
//! It lets an endpoint in an air gap see what it cannot otherwise: whether the mirror's last
//! sync worked, when one last did, and what Microsoft published when the mirror last looked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The file's name in a ring folder (`<ring folder URL>mdatp-doctor-status.json`).
pub const STATUS_FILE: &str = "mdatp-doctor-status.json";
/// A status file is a few hundred bytes; anything larger is not one.
pub const MAX_STATUS_BYTES: u64 = 64 * 1024;
/// Longest string kept from a status file (an error line, a version).
const MAX_TEXT: usize = 512;
pub const STATUS_SCHEMA: u32 = 1;

/// The package one arch folder serves, so a reader can tell the file describes what it sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchStatus {
    #[serde(default)]
    pub definition_version: String,
    #[serde(default)]
    pub engine_version: String,
    #[serde(default)]
    pub package_bytes: u64,
    #[serde(default)]
    pub package_sha256: String,
}

/// One sync attempt (a `mirror run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// RFC 3339.
    pub at: String,
    pub ok: bool,
    /// Why it failed, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What Microsoft published when the mirror last asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub definition_version: String,
    /// RFC 3339.
    pub asked_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorStatus {
    pub schema_version: u32,
    /// RFC 3339.
    pub written_at: String,
    /// The command that wrote it (`mirror run`, `mirror promote`).
    #[serde(default)]
    pub written_by: String,
    /// The mirror host's name, so that `aggregate` can join a status file fetched from
    /// the mirror to the endpoints that use it (as it joins `mirror check` reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Per arch (`x86_64`, `arm64`): what the folder serves.
    #[serde(default)]
    pub arch: BTreeMap<String, ArchStatus>,
    #[serde(default)]
    pub last_attempt: Option<Attempt>,
    /// RFC 3339: the last sync that worked.
    #[serde(default)]
    pub last_success: Option<String>,
    #[serde(default)]
    pub published: Option<Published>,
}

impl MirrorStatus {
    /// The newest time it names, parsed (`None` when it is not RFC 3339).
    pub fn time(s: &str) -> Option<jiff::Timestamp> {
        s.parse().ok()
    }

    /// Every string cut to a sane length and stripped of control characters: the file
    /// comes from a web server and its text reaches terminals and reports.
    fn tidy(mut self) -> MirrorStatus {
        let t = |s: &mut String| {
            let clean: String = s
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_TEXT)
                .collect();
            *s = clean;
        };
        t(&mut self.written_at);
        t(&mut self.written_by);
        if let Some(h) = &mut self.hostname {
            t(h);
        }
        self.arch = self
            .arch
            .into_iter()
            .filter(|(k, _)| {
                k.len() <= 16 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .take(8)
            .map(|(k, mut a)| {
                t(&mut a.definition_version);
                t(&mut a.engine_version);
                t(&mut a.package_sha256);
                (k, a)
            })
            .collect();
        if let Some(a) = &mut self.last_attempt {
            t(&mut a.at);
            if let Some(e) = &mut a.error {
                t(e);
            }
        }
        if let Some(s) = &mut self.last_success {
            t(s);
        }
        if let Some(p) = &mut self.published {
            t(&mut p.definition_version);
            t(&mut p.asked_at);
        }
        self
    }
}

/// Parses a status file; `Err` says in one line why it is not one.
pub fn parse(bytes: &[u8]) -> Result<MirrorStatus, String> {
    if bytes.len() as u64 > MAX_STATUS_BYTES {
        return Err(format!("larger than {} KiB", MAX_STATUS_BYTES / 1024));
    }
    let status: MirrorStatus =
        serde_json::from_slice(bytes).map_err(|e| format!("not a status file: {e}"))?;
    if status.schema_version != STATUS_SCHEMA {
        return Err(format!(
            "schema_version {} (this mdatp-doctor reads {STATUS_SCHEMA})",
            status.schema_version
        ));
    }
    Ok(status.tidy())
}

/// What a probe found at `<ring>mdatp-doctor-status.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReading {
    pub url: String,
    /// `None`: no such file (the mirror does not run mdatp-doctor).
    pub status: Option<MirrorStatus>,
    /// Why it could not be read (not JSON, too large, a timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_file_reads_back_and_hostile_ones_are_refused_or_tamed() {
        let s = MirrorStatus {
            schema_version: 1,
            written_at: "2026-12-07T10:00:00Z".into(),
            written_by: "mirror run".into(),
            hostname: Some("mirror01".into()),
            arch: [(
                "x86_64".to_string(),
                ArchStatus {
                    definition_version: "1.441.90.0".into(),
                    engine_version: "1.1.25090.3001".into(),
                    package_bytes: 10,
                    package_sha256: "ab".into(),
                },
            )]
            .into(),
            last_attempt: Some(Attempt {
                at: "2026-12-07T10:00:00Z".into(),
                ok: false,
                error: Some("Error (0): Failed to download".into()),
            }),
            last_success: Some("2026-12-06T10:00:00Z".into()),
            published: None,
        };
        assert_eq!(parse(&serde_json::to_vec(&s).unwrap()).unwrap(), s);
        assert!(
            parse(&vec![b' '; 70 * 1024])
                .unwrap_err()
                .contains("larger")
        );
        assert!(parse(b"<html>").unwrap_err().contains("not a status file"));
        let deep = "[".repeat(10_000);
        assert!(parse(deep.as_bytes()).is_err());
        let evil = br#"{"schema_version":1,"written_at":"\u001b[2J2026","last_attempt":{"at":"x","ok":false,"error":"\u001b]0;pwned\u0007bad"}}"#;
        let p = parse(evil).unwrap();
        assert_eq!(p.written_at, "[2J2026");
        assert!(
            !p.last_attempt
                .unwrap()
                .error
                .unwrap()
                .chars()
                .any(char::is_control)
        );
        assert!(
            parse(br#"{"schema_version":2,"written_at":"x"}"#)
                .unwrap_err()
                .contains("schema_version 2")
        );
    }
}
