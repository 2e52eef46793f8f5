//! Loads the managed configuration the way mdatp tolerates it: a UTF-8 BOM, CRLF and
//! duplicate keys (Microsoft's own sample uses them as comments; the last one wins) are
//! fine; the size read is capped.

use std::io::Read;
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
}

pub fn load(path: &Path) -> Result<ManagedConfig, ConfigError> {
    parse(path, &read(path)?)
}

/// Loads the file and lists where each of its keys stands (for the checker).
pub fn load_with_keys(
    path: &Path,
) -> (Result<ManagedConfig, ConfigError>, Vec<super::scan::KeyAt>) {
    match read(path) {
        Ok(bytes) => {
            let loaded = parse(path, &bytes);
            let keys = if loaded.is_ok() {
                super::scan::keys(&String::from_utf8_lossy(&bytes))
            } else {
                Vec::new()
            };
            (loaded, keys)
        }
        Err(e) => (Err(e), Vec::new()),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let name = path.display().to_string();
    let unreadable = |reason: String| ConfigError::Unreadable {
        path: name.clone(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ConfigError::NotFound { path: name.clone() },
        _ => unreadable(e.to_string()),
    })?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(unreadable("it is a directory".into()));
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
