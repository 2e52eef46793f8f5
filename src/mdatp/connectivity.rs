//! `mdatp connectivity test`: one line per cloud URL, `Testing connection with <url> ...
//! [OK]`; a failure shows another token (`[Error]`) and may be followed by detail lines
//! (`Expected a 200 Response from Proxy, received: 407`).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlResult {
    pub url: String,
    pub ok: bool,
    /// The bracketed token as printed (`OK`, `Error`, ...).
    pub result: String,
    pub details: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ConnectivityTest {
    pub results: Vec<UrlResult>,
    pub warnings: Vec<String>,
}

impl ConnectivityTest {
    pub fn all_ok(&self) -> bool {
        !self.results.is_empty() && self.results.iter().all(|r| r.ok)
    }
}

pub fn parse(bytes: &[u8]) -> ConnectivityTest {
    let text = String::from_utf8_lossy(bytes);
    let mut out = ConnectivityTest::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r').trim();
        if line.is_empty() || line.starts_with("ATTENTION:") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("Testing connection with ") {
            let (url, result) = match rest.rsplit_once(" ... ") {
                Some((url, tail)) => (
                    url.trim(),
                    tail.trim()
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .trim(),
                ),
                None => (rest.trim(), ""),
            };
            out.results.push(UrlResult {
                url: url.to_string(),
                ok: result.eq_ignore_ascii_case("OK"),
                result: result.to_string(),
                details: Vec::new(),
            });
        } else if let Some(last) = out.results.last_mut() {
            last.details.push(line.to_string());
        } else if out.warnings.len() < 20 {
            out.warnings.push(format!(
                "line {}: not a connectivity test line: {line:?}",
                i + 1
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
