//! Redaction of anything meant to leave the machine. Always: credentials in URLs, query
//! tokens (SAS `sig=`, `token=`, `key=`, ...). With `--redact-ids`: organisation and
//! machine ids, host names and IPv4 addresses, each replaced consistently (the same
//! value always becomes the same placeholder, `host-1`, `ip-2`) so support can still
//! correlate across files. The mapping stays in memory and never enters the bundle.

use std::collections::HashMap;

use regex::{Captures, Regex};

pub struct Redactor {
    /// `--no-redact`: everything passes unchanged.
    enabled: bool,
    ids: bool,
    credentials: Regex,
    tokens: Regex,
    ipv4: Regex,
    url_host: Regex,
    /// Exact values registered as identifiers (org id, machine guid, host name), with
    /// their placeholder kind.
    known: Vec<(String, &'static str)>,
    map: HashMap<String, String>,
    counters: HashMap<&'static str, usize>,
}

/// Hosts that are public knowledge and help support: never replaced.
const PUBLIC_DOMAINS: [&str; 4] = [
    "microsoft.com",
    "windows.com",
    "microsoft.net",
    "windowsupdate.com",
];

impl Redactor {
    pub fn new(ids: bool) -> Redactor {
        // The patterns are constants; a failure to compile is a bug caught by every test.
        let re = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("redaction pattern {p}: {e}"));
        Redactor {
            enabled: true,
            ids,
            credentials: re(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@'\x22]+@"),
            tokens: re(
                r#"(?i)([?&;\s"'](?:sig|token|key|password|passwd|pwd|secret|access_token|api_key|apikey|client_secret|code)=)[^&\s"'<>]+"#,
            ),
            ipv4: re(
                r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
            ),
            // The host after `://` and any (already redacted) user info.
            url_host: re(
                r"(?i)(://(?:[^/\s@'\x22]*@)?)([a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*)",
            ),
            known: Vec::new(),
            map: HashMap::new(),
            counters: HashMap::new(),
        }
    }

    /// A redactor that changes nothing (`--no-redact`).
    pub fn off() -> Redactor {
        Redactor {
            enabled: false,
            ..Redactor::new(false)
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn ids(&self) -> bool {
        self.ids
    }

    /// Registers an identifier to replace wherever it appears (`kind`: `org`, `machine`,
    /// `host`, ...). Ignored unless ids are redacted.
    pub fn register(&mut self, value: &str, kind: &'static str) {
        let value = value.trim();
        if self.ids && value.len() >= 3 && !self.known.iter().any(|(v, _)| v == value) {
            self.known.push((value.to_string(), kind));
            // Longest first, so a FQDN is replaced before its short host name.
            self.known.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
        }
    }

    /// The placeholder for a value, the same one every time.
    pub fn placeholder(&mut self, value: &str, kind: &'static str) -> String {
        if let Some(p) = self.map.get(value) {
            return p.clone();
        }
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        let p = format!("{kind}-{n}");
        self.map.insert(value.to_string(), p.clone());
        p
    }

    pub fn redact(&mut self, text: &str) -> String {
        if !self.enabled {
            return text.to_string();
        }
        let mut out = self
            .credentials
            .replace_all(text, "${1}REDACTED@")
            .into_owned();
        out = self.tokens.replace_all(&out, "${1}REDACTED").into_owned();
        if !self.ids {
            return out;
        }
        for (value, kind) in self.known.clone() {
            if out.contains(&value) {
                let p = self.placeholder(&value, kind);
                out = out.replace(&value, &p);
            }
        }
        let hosts = self.url_host.clone();
        out = hosts
            .replace_all(&out, |c: &Captures| {
                let host = &c[2];
                let public = PUBLIC_DOMAINS.iter().any(|d| {
                    host.eq_ignore_ascii_case(d)
                        || host.to_ascii_lowercase().ends_with(&format!(".{d}"))
                });
                // Addresses are handled below; placeholders from earlier passes stay.
                if public
                    || self.ipv4.is_match(host)
                    || host == "localhost"
                    || host == "REDACTED"
                    || self.map.values().any(|p| p == host)
                {
                    c[0].to_string()
                } else {
                    format!("{}{}", &c[1], self.placeholder(host, "host"))
                }
            })
            .into_owned();
        let ips = self.ipv4.clone();
        ips.replace_all(&out, |c: &Captures| self.placeholder(&c[0], "ip"))
            .into_owned()
    }
}

#[cfg(test)]
mod tests;
