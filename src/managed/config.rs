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
mod tests {
    use super::*;

    #[test]
    fn bom_crlf_and_duplicates_are_tolerated() {
        let text = "\u{feff}{\r\n \"antivirusEngine\": {\"offlineDefinitionUpdateUrl\": \"http://a/\",\r\n \
                    \"offlineDefinitionUpdateUrl\": \"http://b/linux/production/\"},\r\n \
                    \"cloudService\": {\"proxy\": \"http://proxy:3128/\"}}";
        let cfg = parse(Path::new("m.json"), text.as_bytes()).expect("parses");
        assert_eq!(cfg.offline_url(), Some("http://b/linux/production/"));
        assert_eq!(cfg.proxy(), Some("http://proxy:3128/"));
    }

    #[test]
    fn errors_are_typed() {
        let err = parse(Path::new("m.json"), b"{\n  \"a\": ,\n}").expect_err("invalid");
        assert!(
            matches!(err, ConfigError::InvalidJson { line: 2, .. }),
            "{err:?}"
        );
        assert!(matches!(
            parse(Path::new("m.json"), b"[]"),
            Err(ConfigError::NotAnObject { .. })
        ));
        assert!(matches!(
            load(Path::new("/nonexistent/m.json")),
            Err(ConfigError::NotFound { .. })
        ));
        let dir = tempfile::tempdir().expect("tempdir");
        let big = dir.path().join("big.json");
        std::fs::write(&big, vec![b' '; 2 * 1024 * 1024]).expect("write");
        assert!(matches!(load(&big), Err(ConfigError::TooLarge { .. })));
    }

    #[test]
    fn shared_samples_load() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/managed");
        let cfg = load(&root.join("docs-2025.json")).expect("loads");
        assert!(
            cfg.offline_url()
                .is_some_and(|u| u.ends_with("/linux/production/"))
        );
    }
}
