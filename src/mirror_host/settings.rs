//! `settings.json` as the downloader reads it: each key through `jq -r '.key'`, compared as
//! text with `true`, a missing key (`null`) meaning the default.

use std::path::PathBuf;

/// The keys script 0.0.2 reads.
pub const KNOWN_KEYS: &[&str] = &[
    "downloadFolder",
    "downloadLinuxUpdates",
    "downloadMacUpdates",
    "downloadPreviewUpdates",
    "backupPreviousUpdates",
    "logFilePath",
];

/// The script's defaults: `$HOME/wdav-update` and this log path.
pub const DEFAULT_LOG: &str = "/tmp/mdatp_offline_updates.log";

/// A boolean as the script sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    Absent,
    Bool(bool),
    /// Any other JSON value: the text `jq -r` prints for it. The script treats only the
    /// text `true` as on.
    Other(String),
}

impl Flag {
    pub fn on(&self) -> bool {
        match self {
            Flag::Bool(b) => *b,
            Flag::Other(s) => s == "true",
            Flag::Absent => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// As written (`None`: absent or null).
    pub download_folder: Option<String>,
    pub log_file: Option<String>,
    pub linux: Flag,
    pub mac: Flag,
    pub preview: Flag,
    pub backup: Flag,
    /// Keys the script does not read, each with the known key it most resembles.
    pub unknown_keys: Vec<(String, Option<&'static str>)>,
    /// `downloadFolder`/`logFilePath` that are not strings.
    pub not_strings: Vec<&'static str>,
}

impl Settings {
    /// The folder the script downloads to, `$HOME` taken from `home`.
    pub fn folder(&self, home: Option<&str>) -> Option<PathBuf> {
        match &self.download_folder {
            Some(f) => Some(PathBuf::from(f)),
            None => home.map(|h| PathBuf::from(h).join("wdav-update")),
        }
    }

    pub fn log(&self) -> PathBuf {
        PathBuf::from(self.log_file.as_deref().unwrap_or(DEFAULT_LOG))
    }

    /// The platforms the script downloads.
    pub fn platforms(&self) -> Vec<&'static str> {
        let mut p = Vec::new();
        if self.linux.on() {
            p.push("linux");
        }
        if self.mac.on() {
            p.push("mac");
        }
        p
    }

    pub fn rings(&self) -> Vec<&'static str> {
        if self.preview.on() {
            vec!["production", "preview"]
        } else {
            vec!["production"]
        }
    }
}

/// Parses the file's bytes.
pub fn parse(bytes: &[u8]) -> Result<Settings, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let text = text.trim_start_matches('\u{feff}');
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| "not a JSON object".to_string())?;
    let flag = |k: &str| match obj.get(k) {
        None | Some(serde_json::Value::Null) => Flag::Absent,
        Some(serde_json::Value::Bool(b)) => Flag::Bool(*b),
        Some(serde_json::Value::String(s)) => Flag::Other(s.clone()),
        Some(other) => Flag::Other(other.to_string()),
    };
    let mut not_strings = Vec::new();
    let mut string = |k: &'static str| match obj.get(k) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(other) => {
            not_strings.push(k);
            Some(other.to_string())
        }
    };
    let download_folder = string("downloadFolder");
    let log_file = string("logFilePath");
    let unknown_keys = obj
        .keys()
        .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
        .map(|k| (k.clone(), did_you_mean(k)))
        .collect();
    Ok(Settings {
        download_folder,
        log_file,
        linux: flag("downloadLinuxUpdates"),
        mac: flag("downloadMacUpdates"),
        preview: flag("downloadPreviewUpdates"),
        backup: flag("backupPreviousUpdates"),
        unknown_keys,
        not_strings,
    })
}

/// The known key closest to `key` (case-insensitive edit distance ≤ 3).
pub fn did_you_mean(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_lowercase();
    KNOWN_KEYS
        .iter()
        .map(|known| (strsim::levenshtein(&k, &known.to_ascii_lowercase()), *known))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, known)| known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_settings_parse_as_the_script_reads_them() {
        let s = parse(br#"{"downloadFolder":"/tmp/wdav-update","downloadLinuxUpdates":true,"logFilePath":"/tmp/mdatp_offline_updates.log","downloadMacUpdates":true,"downloadPreviewUpdates":false,"backupPreviousUpdates":true }"#).unwrap();
        assert_eq!(s.platforms(), vec!["linux", "mac"]);
        assert_eq!(s.rings(), vec!["production"]);
        assert!(s.backup.on());
        assert_eq!(s.folder(None), Some(PathBuf::from("/tmp/wdav-update")));
        assert!(s.unknown_keys.is_empty());
    }

    #[test]
    fn absent_keys_take_the_script_defaults_and_typos_are_named() {
        let s = parse(br#"{"downloadLinuxUpdate": true, "backupPreviousUpdates": "yes"}"#).unwrap();
        assert!(s.platforms().is_empty());
        assert_eq!(
            s.unknown_keys,
            vec![("downloadLinuxUpdate".into(), Some("downloadLinuxUpdates"))]
        );
        assert!(!s.backup.on());
        assert_eq!(s.backup, Flag::Other("yes".into()));
        assert_eq!(
            s.folder(Some("/home/u")),
            Some(PathBuf::from("/home/u/wdav-update"))
        );
        assert_eq!(s.log(), PathBuf::from(DEFAULT_LOG));
    }

    #[test]
    fn the_text_true_counts_as_on_like_jq_r_prints_it() {
        let s = parse(br#"{"downloadLinuxUpdates": "true"}"#).unwrap();
        assert_eq!(s.platforms(), vec!["linux"]);
    }

    #[test]
    fn bad_json_is_an_error_not_defaults() {
        assert!(parse(b"{\"downloadLinuxUpdates\": true,}").is_err());
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"\xff\xfe").is_err());
    }
}
