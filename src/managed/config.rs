//! Loads the managed configuration the way mdatp tolerates it: a UTF-8 BOM, CRLF and
//! duplicate keys (Microsoft's own sample uses them as comments; the last one wins, as
//! in every common JSON parser: inferred, not documented) are fine. Reading never
//! blocks and never reads more than the cap: the file is opened non-blocking, must be a
//! regular file (a FIFO, a device or a directory is refused before any read), and its
//! size is checked first. Symbolic links are followed, as mdatp follows them.

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Real files are a few KiB; anything this large is not a configuration.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ManagedConfig {
    pub path: PathBuf,
    pub root: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path} does not exist")]
    NotFound { path: String },
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path} is {kind}, not a regular file")]
    NotAFile { path: String, kind: &'static str },
    #[error("{path} is larger than 1 MiB")]
    TooLarge { path: String },
    #[error("{path} is not valid JSON (line {line}, column {column}): {message}")]
    InvalidJson {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path} is JSON but not an object")]
    NotAnObject { path: String },
    /// A macOS property list or configuration profile: what mdatp on a Mac reads, not
    /// the Linux JSON file. Its keys are not judged here.
    #[error("{path} is {kind}: a macOS profile, not the JSON file mdatp on Linux reads")]
    MacosProfile { path: String, kind: &'static str },
}

/// What kind of macOS settings file these bytes are, if any: an XML property list (a
/// `.plist`, or an unsigned `.mobileconfig`), a binary one, or a signed `.mobileconfig`
/// (a CMS envelope, DER, around the XML).
pub fn macos_profile_kind(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    let text = String::from_utf8_lossy(&head[..head.len().min(512)]);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if head.starts_with(b"bplist") {
        return Some("a binary property list");
    }
    if (start.starts_with("<?xml")
        || start.starts_with("<!DOCTYPE plist")
        || start.starts_with("<plist"))
        && has(b"<plist")
    {
        return Some(if has(b"PayloadContent") {
            "a configuration profile (.mobileconfig)"
        } else {
            "an XML property list (.plist)"
        });
    }
    // DER SEQUENCE of a signed profile, with the plist inside.
    if head.first() == Some(&0x30) && has(b"<plist") {
        return Some("a signed configuration profile (.mobileconfig)");
    }
    None
}

pub fn load(path: &Path) -> Result<ManagedConfig, ConfigError> {
    parse(path, &read(path)?)
}

/// Loads the file and lists where each of its keys stands (for the checker).
pub fn load_with_keys(path: &Path) -> (Result<ManagedConfig, ConfigError>, super::scan::Keys) {
    match read(path) {
        Ok(bytes) => {
            let loaded = parse(path, &bytes);
            let keys = if loaded.is_ok() {
                super::scan::keys(&String::from_utf8_lossy(&bytes))
            } else {
                super::scan::Keys::default()
            };
            (loaded, keys)
        }
        Err(e) => (Err(e), super::scan::Keys::default()),
    }
}

/// Opens without blocking (a FIFO with no writer would hang a plain open or read) and
/// without making a terminal ours; then only a regular file of at most the cap is read.
pub fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let name = path.display().to_string();
    let unreadable = |reason: String| ConfigError::Unreadable {
        path: name.clone(),
        reason,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ConfigError::NotFound { path: name.clone() },
            _ => unreadable(e.to_string()),
        })?;
    let meta = file.metadata().map_err(|e| unreadable(e.to_string()))?;
    let kind = meta.file_type();
    let not_a_file = |kind: &'static str| ConfigError::NotAFile {
        path: name.clone(),
        kind,
    };
    if kind.is_dir() {
        return Err(not_a_file("a directory"));
    } else if kind.is_fifo() {
        return Err(not_a_file("a FIFO (named pipe)"));
    } else if kind.is_socket() {
        return Err(not_a_file("a socket"));
    } else if kind.is_char_device() || kind.is_block_device() {
        return Err(not_a_file("a device"));
    } else if !kind.is_file() {
        return Err(not_a_file("something else"));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { path: name });
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { path: name });
    }
    Ok(bytes)
}

pub fn parse(path: &Path, bytes: &[u8]) -> Result<ManagedConfig, ConfigError> {
    let name = path.display().to_string();
    if let Some(kind) = macos_profile_kind(bytes) {
        return Err(ConfigError::MacosProfile { path: name, kind });
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let root: Value = serde_json::from_str(text).map_err(|e| ConfigError::InvalidJson {
        path: name.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if !root.is_object() {
        return Err(ConfigError::NotAnObject { path: name });
    }
    Ok(ManagedConfig {
        path: path.to_path_buf(),
        root,
    })
}

impl ManagedConfig {
    pub fn get(&self, section: &str, key: &str) -> Option<&Value> {
        self.root.get(section)?.get(key)
    }

    /// The value at `key` inside the objects named by `parent` (outermost first).
    pub fn get_path(&self, parent: &[&str], key: &str) -> Option<&Value> {
        parent
            .iter()
            .try_fold(&self.root, |v, p| v.get(p))?
            .get(key)
    }

    /// `antivirusEngine.offlineDefinitionUpdate` is `"enabled"`.
    pub fn offline_enabled(&self) -> bool {
        self.get("antivirusEngine", "offlineDefinitionUpdate")
            .and_then(Value::as_str)
            == Some("enabled")
    }

    /// `antivirusEngine.offlineDefinitionUpdateUrl`.
    pub fn offline_url(&self) -> Option<&str> {
        self.get("antivirusEngine", "offlineDefinitionUpdateUrl")?
            .as_str()
    }

    /// `cloudService.proxy`: the proxy mdatp itself uses.
    pub fn proxy(&self) -> Option<&str> {
        self.get("cloudService", "proxy")?
            .as_str()
            .filter(|p| !p.trim().is_empty())
    }
}

#[cfg(test)]
mod tests;
