//! `--online`: what Microsoft publishes, from the fwlink's `&action=info` XML, read the way
//! the downloader reads it (`<engine>…</engine>`, `<signatures date="…">VERSION</signatures>`).
//! Only that small document is fetched, never the package.

use std::io::Read;
use std::time::Duration;

/// Documented: the Linux and macOS link ids the downloader uses.
pub fn link_id(platform: &str) -> &'static str {
    if platform == "mac" {
        "2120136"
    } else {
        "2144709"
    }
}

/// The info URL for one platform, ring and arch, as the downloader builds it.
pub fn info_url(base: &str, platform: &str, ring: &str, arch: &str) -> String {
    let mut u = format!("{base}?linkid={}", link_id(platform));
    if arch == "arm64" {
        u.push_str("&arch=arm64");
    }
    if ring == "preview" {
        u.push_str("&engRing=3&sigRing=1");
    }
    u.push_str("&action=info");
    u
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub engine: String,
    pub definitions: String,
    /// The `date` attribute of `<signatures>`, as written.
    pub date: Option<String>,
}

/// The versions in an info document; an error when it is not one (a proxy page).
pub fn parse_info(text: &str) -> Result<Published, String> {
    let between = |open: &str, close: &str| -> Option<String> {
        let i = text.find(open)? + open.len();
        let j = text[i..].find(close)? + i;
        Some(text[i..j].trim().to_string())
    };
    let engine = between("<engine>", "</engine>").unwrap_or_default();
    let start = text
        .find("<signatures")
        .ok_or("no <signatures> element: not the info XML")?;
    let rest = &text[start..];
    let gt = rest.find('>').ok_or("a truncated <signatures> element")?;
    let tag = &rest[..gt];
    let date = tag.find("date=\"").and_then(|i| {
        let v = &tag[i + 6..];
        v.find('"').map(|j| v[..j].to_string())
    });
    let end = rest.find("</signatures>").ok_or("no </signatures>")?;
    let definitions = rest[gt + 1..end].trim().to_string();
    if engine.is_empty() || definitions.is_empty() {
        return Err("empty versions in the info XML".into());
    }
    Ok(Published {
        engine,
        definitions,
        date,
    })
}

/// Fetches and reads one info document: at most 64 KiB, within `timeout`, following at
/// most 5 redirects, through `proxy` when given.
pub fn fetch(
    url: &str,
    proxy: Option<&str>,
    tls: rustls::ClientConfig,
    timeout: Duration,
) -> Result<Published, String> {
    let mut b = reqwest::blocking::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::limited(5))
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("mdatp-doctor/", env!("CARGO_PKG_VERSION")));
    b = match proxy {
        Some(p) => b.proxy(reqwest::Proxy::all(p).map_err(|e| format!("proxy `{p}`: {e}"))?),
        None => b.no_proxy(),
    };
    let client = b
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let resp = client.get(url).send().map_err(|e| e.to_string())?;
    let status = resp.status();
    let mut body = Vec::new();
    resp.take(64 * 1024)
        .read_to_end(&mut body)
        .map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    parse_info(&String::from_utf8_lossy(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_info_xml_is_read_like_the_downloader_reads_it() {
        let p = parse_info("<?xml version=\"1.0\"?><versions><engine>1.1.2</engine><signatures date=\"2026-11-28T08:00:00Z\">1.441.90.0</signatures></versions>").unwrap();
        assert_eq!(p.engine, "1.1.2");
        assert_eq!(p.definitions, "1.441.90.0");
        assert_eq!(p.date.as_deref(), Some("2026-11-28T08:00:00Z"));
        assert!(parse_info("<html>blocked</html>").is_err());
        assert!(parse_info("<engine>1</engine><signatures date=\"x\"></signatures>").is_err());
        assert_eq!(
            info_url(
                "https://go.microsoft.com/fwlink/",
                "linux",
                "preview",
                "arm64"
            ),
            "https://go.microsoft.com/fwlink/?linkid=2144709&arch=arm64&engRing=3&sigRing=1&action=info"
        );
    }
}
