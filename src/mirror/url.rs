//! The mirror location as configured, checked before any I/O: what kind of location it
//! is and what is wrong with it by the rules of Microsoft's downloader layout
//! (`<download folder>/linux/<ring>/arch_<arch>/updates.zip`).

use std::path::{Path, PathBuf};

use url::Url;

/// Where the endpoint pulls from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Http(Url),
    /// A mounted directory (NFS, CIFS or local), given as a path or a `file://` URL.
    Dir(PathBuf),
}

/// What the configured text says is wrong, independent of the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// Unusable as a location at all (no scheme, unknown scheme, unparseable).
    Malformed {
        reason: String,
        suggestion: Option<String>,
    },
    /// It contains an `arch_*` folder, which the endpoint appends itself.
    IncludesArch { segment: String, suggestion: String },
    /// A macOS ring folder configured on Linux.
    PlatformMismatch { suggestion: String },
    /// It does not end at `linux/production/`, `linux/preview/` or their `_back` copies.
    NotRingFolder,
    /// It points at a `*_back` folder: a rollback to the previous package is in effect.
    Rollback { ring: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The location to probe, when the text is usable at all.
    pub location: Option<Location>,
    pub problems: Vec<UrlProblem>,
}

pub const RINGS: [&str; 4] = ["production", "preview", "production_back", "preview_back"];

/// Checks a configured mirror URL or path.
pub fn check(text: &str) -> Checked {
    let text = text.trim();
    let malformed = |reason: String, suggestion: Option<String>| Checked {
        location: None,
        problems: vec![UrlProblem::Malformed { reason, suggestion }],
    };
    let location = if text.starts_with('/') {
        Location::Dir(PathBuf::from(text))
    } else if let Some((scheme, _)) = text.split_once("://") {
        let url = match Url::parse(text) {
            Ok(u) => u,
            Err(e) => return malformed(format!("not a valid URL: {e}"), None),
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => Location::Http(url),
            "file" => match url.to_file_path() {
                Ok(p) => Location::Dir(p),
                Err(()) => {
                    return malformed("a file:// URL must name a local absolute path".into(), None);
                }
            },
            other => {
                return malformed(
                    format!(
                        "unsupported scheme `{other}`: mdatp takes http://, https:// or an absolute directory"
                    ),
                    None,
                );
            }
        }
    } else if text.is_empty() {
        return malformed("it is empty".into(), None);
    } else {
        return malformed(
            "no scheme (http://, https:// or an absolute directory): this tool cannot probe it, and how mdatp reads such a URL is not documented".into(),
            Some(format!("http://{text}")),
        );
    };

    let segments = segments(&location);
    let mut problems = Vec::new();
    let arch_at = segments.iter().position(|s| s.starts_with("arch_"));
    if let Some(i) = arch_at {
        problems.push(UrlProblem::IncludesArch {
            segment: segments[i].clone(),
            suggestion: with_segments(&location, &segments[..i]),
        });
    }
    let ring_part = &segments[..arch_at.unwrap_or(segments.len())];
    if let Some(i) = ring_part.iter().position(|s| s == "mac") {
        let mut fixed = ring_part.to_vec();
        fixed[i] = "linux".into();
        problems.push(UrlProblem::PlatformMismatch {
            suggestion: with_segments(&location, &fixed),
        });
    }
    match ring_part {
        [.., platform, ring]
            if (platform == "linux" || platform == "mac") && RINGS.contains(&ring.as_str()) =>
        {
            if ring.ends_with("_back") {
                problems.push(UrlProblem::Rollback { ring: ring.clone() });
            }
        }
        _ => problems.push(UrlProblem::NotRingFolder),
    }
    Checked {
        location: Some(location),
        problems,
    }
}

fn segments(location: &Location) -> Vec<String> {
    match location {
        Location::Http(url) => url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
        Location::Dir(path) => path
            .components()
            .filter_map(|c| match c {
                std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect(),
    }
}

/// The same location with its path replaced by `segments`, ending with a slash.
fn with_segments(location: &Location, segments: &[String]) -> String {
    let path = if segments.is_empty() {
        "/".to_string()
    } else {
        format!("/{}/", segments.join("/"))
    };
    match location {
        Location::Http(url) => {
            let mut u = url.clone();
            u.set_path(&path);
            u.set_query(None);
            u.to_string()
        }
        Location::Dir(_) => path,
    }
}

/// What a mirror location is, in the words every refusal uses.
const WHAT_IT_IS: &str = "the mirror is an http:// or https:// URL or an absolute directory";

/// A mirror location typed on the command line (`--url`), checked before anything runs:
/// text [`check`] cannot use at all (no scheme, another scheme, unparseable, empty) is a
/// usage error with the corrected form, so a typo is never probed, graded, or blamed on the
/// managed file. `cwd` turns a relative directory into the absolute one suggested.
/// What the location's path says (an `arch_*` folder, no ring folder) stays a finding.
pub fn command_line(text: &str, cwd: Option<&Path>) -> Result<String, String> {
    let t = text.trim();
    let checked = check(t);
    let Some(UrlProblem::Malformed { reason, .. }) = checked
        .problems
        .iter()
        .find(|p| matches!(p, UrlProblem::Malformed { .. }))
    else {
        return Ok(text.to_string());
    };
    let mean = |s: String| format!("; did you mean {s}?");
    if t.is_empty() {
        return Err(format!(
            "it is empty: {WHAT_IT_IS} (its ring folder), e.g. http://mirror:8000/linux/production/"
        ));
    }
    if let Some((scheme, rest)) = t.split_once("://") {
        let lower = scheme.to_ascii_lowercase();
        if matches!(lower.as_str(), "http" | "https" | "file") {
            // Known scheme, unusable text (a bad port, no host, a file:// with a host).
            return Err(format!("{reason}; {WHAT_IT_IS}"));
        }
        // Another scheme: the same host and path over http://.
        return Err(format!(
            "unsupported scheme `{scheme}`: {WHAT_IT_IS}{}",
            mean(format!("http://{rest}"))
        ));
    }
    // `http:/host/…`, `https:host/…`: the scheme with its slashes mistyped.
    let lower = t.to_ascii_lowercase();
    for scheme in ["https", "http"] {
        if let Some(rest) = lower
            .strip_prefix(scheme)
            .and_then(|r| r.strip_prefix(':').or_else(|| r.strip_prefix("//")))
        {
            let rest = &t[t.len() - rest.len()..];
            return Err(format!(
                "`{scheme}` without `://`: {WHAT_IT_IS}{}",
                mean(format!("{scheme}://{}", rest.trim_start_matches('/')))
            ));
        }
    }
    // A relative directory: the absolute one it names (not resolved: no symlink followed).
    let dir_like = t.starts_with("./")
        || t.starts_with("../")
        || t == "."
        || t == ".."
        || t.starts_with("~/")
        || cwd.is_some_and(|c| c.join(t).is_dir());
    if dir_like {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let base = match t.strip_prefix("~/") {
            Some(rest) => home.map(|h| h.join(rest)),
            None => cwd.map(|c| c.join(t)),
        };
        let suggestion = base.map_or_else(
            || "its absolute path".to_string(),
            |p| {
                let mut out = PathBuf::from("/");
                for c in p.components() {
                    match c {
                        std::path::Component::ParentDir => {
                            out.pop();
                        }
                        std::path::Component::Normal(n) => out.push(n),
                        _ => {}
                    }
                }
                let mut s = out.display().to_string();
                if t.ends_with('/') && !s.ends_with('/') {
                    s.push('/');
                }
                s
            },
        );
        return Err(format!(
            "a relative directory: {WHAT_IT_IS}{}",
            mean(suggestion)
        ));
    }
    Err(format!(
        "no scheme: {WHAT_IT_IS}{}",
        mean(format!("http://{t}"))
    ))
}

/// The folder for one architecture below the configured ring folder.
pub fn arch_location(location: &Location, arch: &str) -> Location {
    let folder = format!("arch_{arch}");
    match location {
        Location::Http(url) => {
            let mut u = url.clone();
            // Join as mdatp does: the ring folder is a directory, whether or not the
            // configured URL ends with a slash.
            if !u.path().ends_with('/') {
                let p = format!("{}/", u.path());
                u.set_path(&p);
            }
            let p = format!("{}{folder}/", u.path());
            u.set_path(&p);
            Location::Http(u)
        }
        Location::Dir(p) => Location::Dir(p.join(folder)),
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Http(u) => write!(f, "{u}"),
            Location::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The endpoint's architecture as the mirror names it.
pub fn native_arch() -> Option<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Some("x86_64"),
        "aarch64" => Some("arm64"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
